"""The OpenAPI components (schemas, parameters, responses) of the v1 document; paths are in openapi.py."""

from app.auth.api_tokens import Scope
from app.domain.orders.states import STATUS_LABELS
from app.web.api import responses
from app.web.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from app.web.api.idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER
from app.web.api.parsing import MONEY_PATTERN


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: tuple = (), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def text(max_length: int | None = None, **extra) -> dict:
    return {"type": "string", **({"maxLength": max_length} if max_length else {}), **extra}


def integer(minimum: int | None = None, **extra) -> dict:
    return {"type": "integer", **({"minimum": minimum} if minimum is not None else {}), **extra}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


MONEY = {"type": "string", "pattern": MONEY_PATTERN.pattern, "examples": ["59.00"],
         "description": "人民币金额，单位元，字符串，两位小数（输入最多两位小数）；绝不使用浮点数。"}
TIME = {"type": "string", "format": "date-time", "examples": ["2026-11-25T10:00:00+08:00"],
        "description": "ISO 8601，带时区偏移；输出固定为 +08:00（北京时间）。"}
STATUS = {"type": "string", "enum": [str(status) for status in STATUS_LABELS],
          "description": "订单状态码: " + "，".join(f"{code} {name}" for code, name in STATUS_LABELS.items())}

_SKU_FIELDS = {
    "name": text(200, examples=["保温杯 500ml"]),
    "weight_g": integer(0),
    "price": MONEY,
    "tax_rate": {"type": "string", "examples": ["0.13"],
                 "description": "增值税率，字符串: 0.13、0.09、0.06、0.05、0.03、0.01 或 0"},
    "barcode": nullable(text(32, pattern="^[0-9]{8,14}$")),
    "category": text(32),
    "active": {"type": "boolean"},
}
_COMPONENT = obj({"sku": text(64), "qty": integer(1)}, ("sku", "qty"))
_RECEIVER = obj({"name": text(64), "phone": text(32), "province": text(32), "city": text(32),
                 "district": text(32), "address": text(200)},
                ("name", "phone", "province", "city", "address"))
_INVOICE = obj({"title_type": {"type": "string", "enum": ["personal", "company"]}, "title": text(100),
                "tax_id": text(32, description="统一社会信用代码（单位抬头必填）"), "email": text(100)},
               ("title_type", "title"))

SCHEMAS = responses.component_schemas() | {
    "Error": obj({"error": obj({
        "code": {"type": "string", "examples": ["out_of_stock"],
                 "description": "validation_error, unauthorized, forbidden, not_found, out_of_stock, "
                                "invalid_transition, idempotency_conflict, conflict, too_many_requests, …"},
        "message": {"type": "string", "description": "给人看的中文说明"},
        "details": {"type": "object", "description": "422: fields 按 JSON 路径列出每个错误字段；"
                                                     "out_of_stock: lines；invalid_transition: status、status_name"},
    }, ("code", "message", "details"))}, ("error",)),
    "Money": MONEY,
    "SkuInput": obj(_SKU_FIELDS | {"components": array(_COMPONENT, description="有子商品即为组合装；普通商品不传")},
                    description="新建时 name 必填；更新时未传的字段保持原值（包括 components）。"),
    "ReceiptInput": obj({"warehouse": text(32), "lines": array(_COMPONENT, minItems=1), "reference": text(64)},
                        ("warehouse", "lines")),
    "AdjustmentInput": obj({"warehouse": text(32), "sku": text(64), "counted": integer(0), "reason": text(200)},
                           ("warehouse", "sku", "counted")),
    "OrderInput": obj({
        "external_id": text(64, description="渠道自己的订单号；同一渠道重复提交返回已有订单（200）"),
        "buyer": obj({"name": text(64), "phone": text(32)}),
        "receiver": _RECEIVER,
        "lines": array(obj({"sku": text(64), "qty": integer(1, maximum=100_000),
                            "unit_price": MONEY | {"description": "不传则按商品标价"},
                            "is_gift": {"type": "boolean", "default": False}}, ("sku", "qty")),
                       minItems=1, maxItems=200),
        "shipping_fee": MONEY, "discount": MONEY, "invoice": _INVOICE, "remark": text(500),
    }, ("receiver", "lines")),
    "PayInput": obj({"paid_amount": MONEY | {"description": "须等于应付金额 payable"}, "paid_at": TIME,
                     "payment_ref": text(64)}, ("paid_amount",)),
    "CancelInput": obj({"reason": text(200)}),
    "RefundInput": obj({
        "amount": MONEY,
        "lines": array(_COMPONENT, description="退哪些商品、几件。不传时: 金额等于全部可退金额则整单退"
                                               "（所有商品）；金额小于可退金额则为仅退款（不退货、不动库存）。"),
        "restock": {"type": "boolean", "default": False, "description": "发货后退货：退回的商品是否重新入库可售"},
        "damaged": {"type": "boolean", "default": False, "description": "与 restock 同用: 退回商品计入残次"},
        "reason": text(200),
    }, ("amount",)),
}


def _error_response(description: str, example_code: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": ref("Error"),
                                                 "example": {"error": {"code": example_code, "message": "…",
                                                                       "details": {}}}}}}
    if headers:
        response["headers"] = headers
    return response


RESPONSES = {
    "ValidationError": _error_response("输入有误（422），details.fields 按 JSON 路径列出每个错误字段",
                                       "validation_error"),
    "Unauthorized": _error_response("缺少、错误或已吊销的令牌", "unauthorized", {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="OrderHub API"'}}),
    "Forbidden": _error_response("令牌缺少所需权限范围（details.required_scope）", "forbidden"),
    "NotFound": _error_response("不存在（或属于其他渠道）", "not_found"),
    "Conflict": _error_response(
        "冲突: out_of_stock（details.lines 列出缺货商品）、invalid_transition（details.status 为当前状态）、"
        "idempotency_conflict（同一幂等键用于不同请求）", "invalid_transition"),
    "TooManyRequests": _error_response("请求过于频繁（按令牌限流）", "too_many_requests", {
        "Retry-After": {"schema": {"type": "integer"}, "description": "多少秒后可以重试"}}),
}

PARAMETERS = {
    "IdempotencyKey": {
        "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        "description": "幂等键（建议 UUID），按渠道区分。相同键 + 相同请求体: 重放第一次的响应（状态码和内容，"
                       f"并带 {REPLAYED_HEADER}: true）；相同键 + 不同请求体: 409 idempotency_conflict。"
                       "2xx 与 4xx（401/403/429 除外）的响应会被保存。",
    },
    "OrderNo": {"name": "order_no", "in": "path", "required": True, "schema": {"type": "string"}},
    "SkuCode": {"name": "code", "in": "path", "required": True, "schema": text(64)},
}

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Authorization: Bearer <令牌>。令牌属于一个渠道，带权限范围: "
                              + ", ".join(str(scope) for scope in Scope)
                              + "。员工在后台「开放接口」或用 flask create-api-token 创建。"},
}
