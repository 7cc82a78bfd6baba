"""The stock consistency check with the orders' rule of who may hold stock."""

from app.domain.inventory.check import check_stock
from app.domain.orders.states import HOLDS_STOCK


def stock_differences(full: bool = False) -> list[str]:
    """Every way the stock books disagree with themselves or with the orders; empty when all is right
    (``full``: the ledger replayed from its first movement rather than from the last checkpoint)."""
    return check_stock({str(status) for status in HOLDS_STOCK}, full)
