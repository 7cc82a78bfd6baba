"""Money is integer fen inside and ¥ with two decimals for people."""

from decimal import Decimal

import pytest
from flask import render_template_string

from app.money import MoneyFormatError, fen_to_yuan, format_money, yuan_to_fen


@pytest.mark.parametrize(("text", "fen"), [
    ("59.00", 5900),
    ("59.9", 5990),
    (" 0.05 ", 5),
    ("0", 0),
    ("-1.50", -150),
    (12, 1200),
    (Decimal("1.23"), 123),
    ("19999999.99", 1999999999),
])
def test_yuan_to_fen_is_exact(text, fen):
    assert yuan_to_fen(text) == fen


def test_yuan_to_fen_refuses_floats_even_round_ones():
    with pytest.raises(MoneyFormatError, match="浮点数"):
        yuan_to_fen(59.9)
    with pytest.raises(MoneyFormatError):
        yuan_to_fen(1.0)


@pytest.mark.parametrize("text", ["1.234", "0.001", Decimal("9.999")])
def test_yuan_to_fen_refuses_more_than_two_decimals(text):
    with pytest.raises(MoneyFormatError, match="两位小数"):
        yuan_to_fen(text)


@pytest.mark.parametrize("text", ["", "abc", "¥5", "1,000.00", "NaN", "Infinity"])
def test_yuan_to_fen_refuses_what_is_not_an_amount(text):
    with pytest.raises(MoneyFormatError):
        yuan_to_fen(text)


@pytest.mark.parametrize(("fen", "text"), [(5900, "59.00"), (5, "0.05"), (0, "0.00"), (-150, "-1.50"),
                                           (123456789, "1234567.89")])
def test_fen_to_yuan_round_trips(fen, text):
    assert fen_to_yuan(fen) == text
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(("fen", "shown"), [(5900, "¥59.00"), (5, "¥0.05"), (-150, "-¥1.50"), (None, "")])
def test_format_money_shows_yuan_sign_and_two_decimals(fen, shown):
    assert format_money(fen) == shown


def test_money_filter_in_templates(app):
    with app.test_request_context():
        assert render_template_string("{{ 9990|money }}") == "¥99.90"
