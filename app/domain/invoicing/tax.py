"""Invoice arithmetic, in integer fen and pure functions (no database), so that it can be checked by hand
and by property tests.

The rules (issue 11, DESIGN §4 Invoicing):
- prices include tax: a line's amount excluding tax is amount ÷ (1 + rate) rounded half up to the fen,
  its tax the difference;
- an order's discount is shared over its lines in proportion to their amounts, the rounding remainder
  going to the line with the largest amount;
- shipping charged to the buyer is a line of its own at a configurable rate;
- an invoice's total is what was paid net of refunds, never more: whatever the lines add up to beyond
  that is taken off them the same way as the discount;
- more lines than the platform allows are split over several invoices.
"""

from dataclasses import dataclass, replace

BP_PER_UNIT = 10_000  # rates are basis points: 1300 = 13 %


@dataclass(frozen=True)
class Line:
    """One invoice line before tax: what it is, how many, and its amount including tax (after discount)."""

    name: str  # as printed: *简称*名称
    tax_code: str
    rate_bp: int
    quantity: int
    amount_fen: int
    unit: str = ""
    spec: str = ""
    order_line_id: int | None = None  # None: the shipping line
    order_id: int | None = None


@dataclass(frozen=True)
class TaxedLine:
    line: Line
    excluding_fen: int
    tax_fen: int


def excluding_tax(amount_fen: int, rate_bp: int) -> int:
    """``amount ÷ (1 + rate)``, rounded half up (away from zero for red-letter negatives) to the fen."""
    sign = -1 if amount_fen < 0 else 1
    numerator = abs(amount_fen) * BP_PER_UNIT
    denominator = BP_PER_UNIT + rate_bp
    return sign * ((2 * numerator + denominator) // (2 * denominator))


def taxed(line: Line) -> TaxedLine:
    excluding = excluding_tax(line.amount_fen, line.rate_bp)
    return TaxedLine(line, excluding, line.amount_fen - excluding)


def share(total_fen: int, amounts: list[int]) -> list[int]:
    """Split ``total_fen`` (0 ≤ total ≤ sum of amounts) over ``amounts`` in proportion, each share rounded
    down; the remainder goes to the largest amount (the first of equals), and where a line cannot take
    all of it without going below zero, on to the next largest."""
    whole = sum(amounts)
    if not 0 <= total_fen <= whole:
        raise ValueError(f"cannot share {total_fen} over {whole}")
    if whole == 0:
        return [0] * len(amounts)
    shares = [total_fen * amount // whole for amount in amounts]
    remainder = total_fen - sum(shares)
    for index in sorted(range(len(amounts)), key=lambda i: (-amounts[i], i)):
        taken = min(remainder, amounts[index] - shares[index])
        shares[index] += taken
        remainder -= taken
    return shares


def reduce_to(lines: list[Line], target_fen: int) -> list[Line]:
    """The lines with their amounts brought down to add up to ``target_fen`` (the order's discount, and
    anything refunded without naming lines). Goods lines carry the reduction in proportion; only what
    they cannot carry comes off the shipping line."""
    total = sum(line.amount_fen for line in lines)
    if target_fen >= total:
        return lines
    goods = [i for i, line in enumerate(lines) if line.order_line_id is not None]
    others = [i for i in range(len(lines)) if i not in goods]
    reduction = total - max(target_fen, 0)
    amounts = [line.amount_fen for line in lines]
    for group in (goods, others):
        group_total = sum(amounts[i] for i in group)
        taken = min(reduction, group_total)
        for i, cut in zip(group, share(taken, [amounts[i] for i in group]), strict=True):
            amounts[i] -= cut
        reduction -= taken
    return [replace(line, amount_fen=amount) for line, amount in zip(lines, amounts, strict=True)]


def invoice_lines(goods: list[Line], shipping: Line | None, net_paid_fen: int) -> list[TaxedLine]:
    """One order's lines for its invoice: goods as sold (before the order discount), the shipping line if
    the buyer paid shipping, brought down to what was paid net of refunds; zero lines are left out."""
    lines = [*goods, *([shipping] if shipping and shipping.amount_fen > 0 else [])]
    lines = [line for line in lines if line.amount_fen > 0 and line.quantity > 0]
    return [taxed(line) for line in reduce_to(lines, net_paid_fen) if line.amount_fen > 0]


def split(lines: list[TaxedLine], max_lines: int) -> list[list[TaxedLine]]:
    """Lines in chunks of at most ``max_lines`` (one invoice each), in order."""
    if max_lines < 1:
        raise ValueError("max_lines must be positive")
    return [lines[start:start + max_lines] for start in range(0, len(lines), max_lines)] or [[]]


def totals(lines: list[TaxedLine]) -> tuple[int, int, int]:
    """(excluding tax, tax, total) of ``lines``."""
    excluding = sum(line.excluding_fen for line in lines)
    tax = sum(line.tax_fen for line in lines)
    return excluding, tax, excluding + tax


def negated(lines: list[TaxedLine]) -> list[TaxedLine]:
    """The red-letter counterpart of ``lines``: same goods, negative quantities and amounts."""
    return [TaxedLine(replace(line.line, quantity=-line.line.quantity, amount_fen=-line.line.amount_fen),
                      -line.excluding_fen, -line.tax_fen) for line in lines]


def unit_price_text(amount_fen: int, quantity: int) -> str:
    """The tax-inclusive unit price in yuan, as platforms take it (up to 8 decimals, no float)."""
    if quantity == 0:
        return "0"
    scaled = abs(amount_fen) * 10**6 // abs(quantity)  # yuan × 10^8
    whole, fraction = divmod(scaled, 10**8)
    text = f"{whole}.{fraction:08d}".rstrip("0").rstrip(".")
    return text


def rate_text(rate_bp: int) -> str:
    """1300 → ``"0.13"``, 0 → ``"0"`` (the platforms' decimal string)."""
    if rate_bp == 0:
        return "0"
    return f"0.{rate_bp:04d}".rstrip("0")
