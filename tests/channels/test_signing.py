"""Request signatures against the vectors in platform-apis.md (computed there with the standard library)."""

import hashlib
import hmac

from app.domain.channels.adapters.signing import hmac_hex, md5_wrapped, sorted_concat, top_sign

TAOBAO_PARAMS = {
    "method": "taobao.trades.sold.increment.get", "app_key": "12345678", "session": "sess",
    "timestamp": "2024-06-18 10:00:00", "format": "json", "v": "2.0", "sign_method": "md5", "fields": "tid,status",
    "start_modified": "2024-06-18 09:00:00", "end_modified": "2024-06-18 10:00:00", "page_no": "1",
    "page_size": "100", "use_has_next": "true",
}
PDD_PARAMS = {
    "type": "pdd.order.number.list.increment.get", "client_id": "cid", "access_token": "tok",
    "timestamp": "1718676000", "data_type": "JSON", "start_updated_at": "1718674200",
    "end_updated_at": "1718676000", "order_status": "5", "refund_status": "5", "page": "1", "page_size": "100",
    "use_has_next": "true", "is_lucky_flag": "0",
}


def test_taobao_md5_signature_matches_the_published_vector():
    assert md5_wrapped("test_secret", TAOBAO_PARAMS) == "5E8E653288F8A2B41D01847239A9EB19"
    assert top_sign("test_secret", TAOBAO_PARAMS) == "5E8E653288F8A2B41D01847239A9EB19"


def test_the_sign_parameter_itself_is_not_signed():
    assert md5_wrapped("test_secret", TAOBAO_PARAMS | {"sign": "ANYTHING"}) == "5E8E653288F8A2B41D01847239A9EB19"


def test_pinduoduo_uses_the_same_scheme_and_matches_its_vector():
    assert md5_wrapped("test_secret", PDD_PARAMS) == "9A769160C783DAE3922604A08C36B284"


def test_top_hmac_methods_key_the_digest_with_the_secret_over_the_unwrapped_string():
    params = TAOBAO_PARAMS | {"sign_method": "hmac-sha256"}
    text = sorted_concat(params).encode()
    assert top_sign("test_secret", params) == hmac.new(b"test_secret", text, hashlib.sha256).hexdigest().upper()
    params = TAOBAO_PARAMS | {"sign_method": "hmac"}
    assert hmac_hex("test_secret", params) == hmac.new(b"test_secret", sorted_concat(params).encode(),
                                                        hashlib.md5).hexdigest().upper()


def test_jd_signs_the_compact_param_json_byte_identical_to_what_is_sent():
    from app.domain.channels.adapters.base import compact_json

    body = compact_json({"order_id": "1", "optional_fields": "orderId,orderState"})
    assert body == '{"order_id":"1","optional_fields":"orderId,orderState"}'
    params = {"method": "jingdong.pop.order.enGet", "app_key": "k", "access_token": "t",
              "timestamp": "2024-06-18 10:00:00", "v": "2.0", "format": "json", "360buy_param_json": body}
    expected = hashlib.md5(("s" + "".join(k + v for k, v in sorted(params.items())) + "s").encode()).hexdigest().upper()
    assert md5_wrapped("s", params) == expected
