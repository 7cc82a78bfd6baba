"""The buyer on an invoice (抬头): personal or company; a company needs a valid 统一社会信用代码.

Field names in errors are the API's and the forms' (``title``, ``tax_id`` …), so each caller can point
at the bad field; nothing is written when a check fails.
"""

import re
from dataclasses import dataclass, replace

from stdnum.cn import uscc

from app.domain.errors import ValidationError
from app.domain.orders.inputs import EMAIL_PATTERN  # the one address check, as at order creation
from app.text import N_

TITLE_TYPES = ("personal", "company")
KINDS = ("normal", "special")
MAX_TITLE = 100
MAX_EMAIL = 100
MAX_ADDRESS = 100
MAX_BANK = 100
MAX_ACCOUNT = 40
#: A landline or mobile as printed on a 专票: digits, with area-code dashes, spaces or an extension.
TEL_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{5,17}[0-9]$")
ACCOUNT_PATTERN = re.compile(r"^[0-9][0-9 \-]{4,38}[0-9]$")


@dataclass
class Title:
    title_type: str  # personal | company
    title: str
    tax_id: str = ""
    email: str = ""
    kind: str = "normal"  # normal 普票 | special 专票 (company titles only)
    # The buyer's registered address and telephone, bank and account: printed on a 专票, which needs them.
    address: str = ""
    phone: str = ""
    bank: str = ""
    account: str = ""


def clean(title: Title) -> Title:
    """``title`` with whitespace trimmed and the tax id in its compact form; raises ValidationError
    naming every bad field."""
    errors = {}
    name = (title.title or "").strip()
    email = (title.email or "").strip()
    if title.title_type not in TITLE_TYPES:
        errors["title_type"] = N_("抬头类型须为个人或单位")
    if not name or len(name) > MAX_TITLE:
        errors["title"] = N_("请填写发票抬头（最多 100 字）")
    tax_id = (title.tax_id or "").strip().upper()
    if title.title_type == "company" and not uscc.is_valid(tax_id):
        errors["tax_id"] = N_("请填写有效的统一社会信用代码（18 位，末位为校验码）")
    if title.title_type == "personal":
        tax_id = ""  # a personal 普票 carries no tax number
    if email and (len(email) > MAX_EMAIL or not EMAIL_PATTERN.match(email)):
        errors["email"] = N_("邮箱格式不正确")
    if title.kind not in KINDS or (title.kind == "special" and title.title_type != "company"):
        errors["kind"] = N_("增值税专用发票只能开给单位")
    special = _special_details(title, errors)
    if errors:
        raise ValidationError(errors)
    return replace(Title(title.title_type, name, uscc.compact(tax_id) if tax_id else "", email, title.kind),
                   **special)


def _special_details(title: Title, errors: dict) -> dict:
    """The 专票 buyer details, trimmed: required (and checked) for a special invoice, dropped otherwise
    (a 普票 prints none of them)."""
    details = {name: " ".join((getattr(title, name) or "").split()) for name in ("address", "phone", "bank", "account")}
    if title.kind != "special":
        return dict.fromkeys(details, "")
    if not details["address"] or len(details["address"]) > MAX_ADDRESS:
        errors["address"] = N_("增值税专用发票须填写购方地址（最多 100 字）")
    if not TEL_PATTERN.match(details["phone"]):
        errors["phone"] = N_("增值税专用发票须填写购方电话（数字，可含区号和短横线）")
    if not details["bank"] or len(details["bank"]) > MAX_BANK:
        errors["bank"] = N_("增值税专用发票须填写购方开户银行（最多 100 字）")
    if not ACCOUNT_PATTERN.match(details["account"]):
        errors["account"] = N_("增值税专用发票须填写购方银行账号（6 到 40 位数字）")
    return details
