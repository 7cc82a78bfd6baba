"""An SMTP server (aiosmtpd) that accepts mail for anyone and keeps it in the simulator inbox.

Like a relay, it does not deduplicate: a message sent twice arrives twice, marked as a duplicate when
its Message-ID came before. Faults answer RCPT with the queued SMTP code (451: try later, 550: final).
"""

from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from app.domain.notifications.recipients import is_email
from app.simulators.store import SimulatorStore

FAULT_REPLIES = {"421": "421 4.7.0 Try again later", "451": "451 4.3.0 Temporary local problem",
                 "550": "550 5.1.1 Mailbox unavailable", "552": "552 5.2.2 Mailbox full"}


class InboxHandler:
    def __init__(self, store: SimulatorStore):
        self.store = store

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd hook names
        fault = self.store.take_fault("email")
        if fault:
            return FAULT_REPLIES.get(fault, f"{fault} Simulated failure")
        if not is_email(address):
            return "550 5.1.3 Bad recipient address syntax"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        body = mail.get_body(preferencelist=("plain", "html"))
        message_id = str(mail.get("Message-ID", ""))
        for recipient in envelope.rcpt_tos:
            self.store.record("email", recipient, str(mail.get("Subject", "")), body.get_content() if body else "",
                              message_id, correlation=message_id,
                              payload={"from": envelope.mail_from, "to": envelope.rcpt_tos})
        return "250 Message accepted for delivery"


def start_smtp(store: SimulatorStore, host: str, port: int) -> Controller:
    controller = Controller(InboxHandler(store), hostname=host, port=port)
    controller.start()
    return controller
