"""Email over SMTP (a provider's relay in production, the local SMTP simulator in development).

The Message-ID is derived from our row id, so a copy sent again after a crash is recognisably the same
message in the recipient's mailbox and in the relay's logs. SMTP's own reply codes decide: 4xx is
"try later", 5xx is final.
"""

import mimetypes
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from app.domain.notifications import templates
from app.domain.notifications.adapters import PermanentError, TransientError
from app.text import N_, Text

TIMEOUT = 10  # seconds per SMTP command


class SmtpEmail:
    def __init__(self, host: str, port: int, user: str, password: str, security: str, sender: str):
        self.host, self.port = host, int(port)
        self.user, self.password = user, password
        self.security = security  # none | starttls | ssl
        self.sender = sender

    def send(self, message) -> str:
        mail = self.compose(message)
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = next(iter(error.recipients.values()))
            raise _by_code(code, Text(N_("收件人被拒绝 %(code)s：%(reason)s"), code=code, reason=_text(reason))) from error
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, f"SMTP {error.smtp_code}：{_text(error.smtp_error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(Text(N_("SMTP 连接失败：%(error)s"), error=str(error))) from error
        return mail["Message-ID"]

    def compose(self, message) -> EmailMessage:
        name, address = parseaddr(self.sender)
        subject, body = templates.email_content(message.template, message.params, signature=name or address)
        mail = EmailMessage()
        mail["Subject"] = subject
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = f"<orderhub-message-{message.id}@{address.rpartition('@')[2] or 'orderhub'}>"
        mail.set_content(body)
        _attach(mail, message, templates.get_template(message.template).attachment_param)
        return mail

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT)
        smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        if self.security == "starttls":
            smtp.starttls()
        return smtp


def _attach(mail: EmailMessage, message, param: str) -> None:
    """The file the template's attachment parameter names (an invoice PDF); gone is a permanent failure."""
    if not param or not message.params.get(param):
        return
    path = Path(message.params[param])
    try:
        content = path.read_bytes()
    except OSError as error:
        raise PermanentError(Text(N_("附件不存在：%(name)s"), name=path.name)) from error
    maintype, _, subtype = (mimetypes.guess_type(path.name)[0] or "application/octet-stream").partition("/")
    mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=path.name)


def _by_code(code: int, text: str) -> Exception:
    return TransientError(text) if 400 <= code < 500 else PermanentError(text)


def _text(reason) -> str:
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
