"""Request bodies read through their models: ``null`` means left out, strict JSON types, paths in errors."""

from tests.api.conftest import order_body


def test_a_field_sent_as_null_is_left_out(api, sku):
    order = api.post("/orders", json=order_body(remark=None, buyer=None, invoice=None)).json

    response = api.post(f"/orders/{order['order_no']}/cancel", json={"reason": None})

    assert (order["remark"], order["invoice"], response.status_code) == ("", None, 200)


def test_a_required_part_sent_as_null_is_named_as_missing(api, sku):
    fields = api.post("/orders", json=order_body(receiver=None, lines=None)).json["error"]["details"]["fields"]

    assert fields["receiver"] == fields["lines"] == "此项必填"


def test_type_errors_are_named_by_path_in_chinese(api, sku):
    body = order_body(lines=[{"sku": "SKU-001", "qty": True}], shipping_fee=5, buyer={"name": ["张三"]})

    fields = api.post("/orders", json=body).json["error"]["details"]["fields"]

    assert fields["lines[0].qty"] == "须为整数"
    assert fields["shipping_fee"].startswith("金额须为字符串")
    assert fields["buyer.name"] == "须为字符串"
