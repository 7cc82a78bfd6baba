"""Invoice arithmetic: hand-computed cases (worked through in the comments) and properties."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.invoicing import tax


def line(amount_fen, rate_bp=1300, quantity=1, order_line_id=1, name="*日用杂品*保温杯"):
    return tax.Line(name, "1060512990000000000", rate_bp, quantity, amount_fen, order_line_id=order_line_id)


@pytest.mark.parametrize(("amount", "rate", "excluding", "tax_fen"), [
    (18800, 1300, 16637, 2163),  # 188.00 / 1.13 = 166.371… → 166.37, tax 21.63
    (9990, 1300, 8841, 1149),  # 99.90 / 1.13 = 88.407… → 88.41
    (1000, 100, 990, 10),  # 10.00 / 1.01 = 9.900… → 9.90
    (11800, 1300, 10442, 1358),  # 118.00 / 1.13 = 104.424… → 104.42 (API.md's example)
    (1000, 900, 917, 83),  # 10.00 / 1.09 = 9.174… → 9.17
    (113, 1300, 100, 13),  # exactly 1.00 + 0.13
    (5, 1300, 4, 1),  # 0.05 / 1.13 = 0.0442… → 0.04
    (17, 300, 17, 0),  # 0.17 / 1.03 = 0.16504… → 0.17 (half up at the third decimal)
    (2500, 0, 2500, 0),  # 免税 / zero rate: no tax
    (-18800, 1300, -16637, -2163),  # a red line mirrors its blue one
])
def test_tax_of_a_line_rounds_half_up_to_the_fen(amount, rate, excluding, tax_fen):
    taxed = tax.taxed(line(amount, rate))
    assert (taxed.excluding_fen, taxed.tax_fen) == (excluding, tax_fen)


def test_discount_is_shared_in_proportion_with_the_remainder_on_the_largest_line():
    # 10.00 over 100.00 / 50.00 / 30.00: 5.555 → 5.55, 2.777 → 2.77, 1.666 → 1.66; 0.02 left → the 100.00 line.
    assert tax.share(1000, [10000, 5000, 3000]) == [557, 277, 166]
    # equal amounts: the first of them takes the remainder
    assert tax.share(100, [3000, 3000, 3000]) == [34, 33, 33]


def test_a_remainder_too_big_for_the_largest_line_moves_on_to_the_next():
    # 0.02 over three 0.01 lines: every share rounds to 0, and no line may go below zero.
    assert tax.share(2, [1, 1, 1]) == [1, 1, 0]


def test_mixed_rates_with_a_discount_and_shipping():
    # goods 100.00 @13 %, 50.00 @9 %, 30.00 @6 %; discount 10.00; shipping 8.00 @9 %; paid 178.00.
    goods = [line(10000, 1300, order_line_id=1), line(5000, 900, order_line_id=2), line(3000, 600, order_line_id=3)]
    shipping = tax.Line("*运输服务*运费", "3010102020100000000", 900, 1, 800)
    lines = tax.invoice_lines(goods, shipping, net_paid_fen=17800)
    assert [(each.line.amount_fen, each.excluding_fen, each.tax_fen) for each in lines] == [
        (9443, 8357, 1086),  # 94.43 / 1.13 = 83.566… → 83.57
        (4723, 4333, 390),  # 47.23 / 1.09 = 43.330… → 43.33
        (2834, 2674, 160),  # 28.34 / 1.06 = 26.735… → 26.74
        (800, 734, 66),  # 8.00 / 1.09 = 7.339… → 7.34
    ]
    assert tax.totals(lines) == (16098, 1702, 17800)


def test_a_partial_refund_naming_a_line_leaves_the_rest_with_its_discount_share():
    # A: 3 × 20.00 with one unit refunded (18.00 back), B: 1 × 40.00, discount 10.00, paid 90.00.
    # Left: A 2 × 20.00 = 40.00, B 40.00; net paid 72.00 → 8.00 off, 4.00 each.
    goods = [line(4000, quantity=2, order_line_id=1), line(4000, order_line_id=2)]
    lines = tax.invoice_lines(goods, None, net_paid_fen=9000 - 1800)
    assert [each.line.amount_fen for each in lines] == [3600, 3600]
    assert [each.line.quantity for each in lines] == [2, 1]


def test_the_invoice_never_exceeds_what_was_paid_and_shipping_is_cut_last():
    goods = [line(3000, order_line_id=1)]
    shipping = tax.Line("*运输服务*运费", "3010102020100000000", 900, 1, 1000)
    # 35.00 refunded of 40.00 paid: the goods line carries 30.00 of the cut, shipping the last 5.00.
    lines = tax.invoice_lines(goods, shipping, net_paid_fen=500)
    assert [(each.line.order_line_id, each.line.amount_fen) for each in lines] == [(None, 500)]


def test_long_requests_are_split_at_the_platforms_line_limit():
    lines = [tax.taxed(line(100, order_line_id=i)) for i in range(5)]
    assert [len(part) for part in tax.split(lines, 2)] == [2, 2, 1]


@pytest.mark.parametrize(("amount", "quantity", "text"), [(11800, 2, "59"), (1000, 3, "3.33333333"), (999, 1, "9.99")])
def test_unit_price_text(amount, quantity, text):
    assert tax.unit_price_text(amount, quantity) == text


def test_rate_text():
    assert [tax.rate_text(rate) for rate in (1300, 900, 600, 300, 100, 0)] == ["0.13", "0.09", "0.06", "0.03", "0.01", "0"]


amounts = st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30)
rates = st.sampled_from([1300, 900, 600, 500, 300, 100, 0])


@given(amounts, st.data())
def test_shares_add_up_and_stay_within_each_line(weights, data):
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    shares = tax.share(total, weights)
    assert sum(shares) == total
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))
    exact = [Decimal(total) * weight / (sum(weights) or 1) for weight in weights]
    assert all(share >= int(value) for share, value in zip(shares, exact, strict=True))


@given(st.integers(min_value=-10**9, max_value=10**9), rates)
def test_excluding_tax_is_the_half_up_rounding_of_the_exact_quotient(amount, rate):
    exact = Decimal(abs(amount)) / (1 + Decimal(rate) / 10000)
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * (-1 if amount < 0 else 1)
    assert tax.excluding_tax(amount, rate) == expected


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=10**6), rates), min_size=1, max_size=20),
       st.integers(min_value=0, max_value=10**5), st.data())
def test_invoice_lines_add_up_to_what_was_paid_never_more(goods_spec, shipping_fen, data):
    goods = [line(amount, rate, order_line_id=i) for i, (amount, rate) in enumerate(goods_spec)]
    shipping = tax.Line("*运输服务*运费", "3010102020100000000", 900, 1, shipping_fen)
    whole = sum(amount for amount, _ in goods_spec) + shipping_fen
    paid = data.draw(st.integers(min_value=0, max_value=whole + 10**5))
    lines = tax.invoice_lines(goods, shipping, paid)
    assert tax.totals(lines)[2] == min(paid, whole)
    assert all(each.line.amount_fen > 0 for each in lines)
    assert all(each.excluding_fen + each.tax_fen == each.line.amount_fen for each in lines)
