"""The one masking module (app/privacy.py)."""

import pytest

from app import privacy


@pytest.mark.parametrize(("name", "masked"), [("张晓雯", "张*"), ("王芳", "王*"), ("欧阳", "欧*"), ("J. Smith", "J*"),
                                             ("", ""), (None, ""), ("  李四 ", "李*")])
def test_names_keep_the_first_character_only(name, masked):
    assert privacy.mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("13800138000", "138****8000"),
    ("+86 138-0013-8000", "138****8000"),
    ("0086 13800138000", "138****8000"),
    ("02162345678", "021****5678"),
    ("075512345678", "075*****5678"),
    ("12345", "***45"),
    ("7", "*"),
    ("", ""),
    (None, ""),
])
def test_phones_hide_the_middle(phone, masked):
    assert privacy.mask_phone(phone) == masked


def test_a_masked_phone_never_contains_the_full_number():
    for phone in ("13800138000", "8613800138000", "02162345678"):
        assert phone not in privacy.mask_phone(phone)


def test_addresses_stop_at_the_district():
    assert privacy.mask_address("上海市", "上海市", "浦东新区", "世纪大道100号 2单元 1203室") == "上海市 上海市 浦东新区 ****"
    assert privacy.mask_address("广东省", "深圳市", "", "深南大道9988号") == "广东省 深圳市 ****"
    assert privacy.mask_address("广东省", "深圳市", "南山区", "") == "广东省 深圳市 南山区"


@pytest.mark.parametrize(("email", "masked"), [("finance@xiaoman.example.cn", "f***@xiaoman.example.cn"),
                                               ("x@y.cn", "x***@y.cn"), ("", ""), ("no-at-sign", "***")])
def test_emails_keep_the_first_letter_and_the_domain(email, masked):
    assert privacy.mask_email(email) == masked


def test_phones_inside_free_text_are_masked_but_longer_numbers_are_left_alone():
    text = "快递员 15012345678 派件中，运单 SF1234567890123，订单 OH26112612345678"
    assert privacy.mask_phones_in(text) == "快递员 150****5678 派件中，运单 SF1234567890123，订单 OH26112612345678"


def test_pseudonyms_are_stable_keyed_and_reveal_nothing():
    first = privacy.pseudonym("13800138000", "key-a")
    assert first == privacy.pseudonym("13800138000", b"key-a")
    assert first != privacy.pseudonym("13800138000", "key-b")
    assert "13800138000" not in first and len(first) == 32
