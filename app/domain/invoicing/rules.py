"""The invoicing settings the domain needs, read once from the app's configuration by the caller (the
domain does not import Flask) and the approval thresholds finance supervisors edit in the database."""

from dataclasses import dataclass

from sqlalchemy import select

from app.db import db
from app.domain.errors import ValidationError
from app.domain.invoicing.models import InvoiceSettings
from app.text import N_


@dataclass(frozen=True)
class InvoicingRules:
    max_lines: int  # lines per invoice the platform takes; more are split over several invoices
    shipping_tax_code: str
    shipping_tax_name: str
    shipping_rate_bp: int
    on_payment_channels: frozenset[str]  # channel codes whose invoices go out on payment, not completion
    level1_above_fen: int  # defaults until a supervisor saves thresholds
    level2_above_fen: int

    @classmethod
    def from_config(cls, config) -> "InvoicingRules":
        return cls(
            max_lines=config["INVOICE_MAX_LINES"],
            shipping_tax_code=config["INVOICE_SHIPPING_TAX_CODE"],
            shipping_tax_name=config["INVOICE_SHIPPING_TAX_NAME"],
            shipping_rate_bp=config["INVOICE_SHIPPING_RATE_BP"],
            on_payment_channels=frozenset(config["INVOICE_ON_PAYMENT_CHANNELS"]),
            level1_above_fen=config["INVOICE_APPROVAL_LEVEL1_FEN"],
            level2_above_fen=config["INVOICE_APPROVAL_LEVEL2_FEN"],
        )


@dataclass(frozen=True)
class Thresholds:
    level1_above_fen: int  # totals above this need a 财务 approval
    level2_above_fen: int  # and above this a 财务主管 approval as well

    def levels_needed(self, total_fen: int) -> int:
        return (total_fen > self.level1_above_fen) + (total_fen > self.level2_above_fen)


def thresholds(rules: InvoicingRules) -> Thresholds:
    row = db.session.scalar(select(InvoiceSettings).order_by(InvoiceSettings.id).limit(1))
    if row is None:
        return Thresholds(rules.level1_above_fen, rules.level2_above_fen)
    return Thresholds(row.level1_above_fen, row.level2_above_fen)


def save_thresholds(level1_above_fen: int, level2_above_fen: int, actor: str) -> Thresholds:
    """Change the thresholds (finance supervisors: the caller checks the role). Invoices already waiting
    for approval keep the levels they were given."""
    if level1_above_fen is None or level1_above_fen < 0:
        raise ValidationError({"level1": N_("一级审批金额不能为负数")})
    if level2_above_fen is None or level2_above_fen <= level1_above_fen:
        raise ValidationError({"level2": N_("二级审批金额须高于一级审批金额")})
    row = db.session.scalar(select(InvoiceSettings).order_by(InvoiceSettings.id).limit(1))
    if row is None:
        row = InvoiceSettings()
        db.session.add(row)
    row.level1_above_fen, row.level2_above_fen, row.updated_by = level1_above_fen, level2_above_fen, actor
    db.session.flush()
    return Thresholds(level1_above_fen, level2_above_fen)
