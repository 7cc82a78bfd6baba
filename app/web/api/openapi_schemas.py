"""The OpenAPI components (schemas, parameters, responses) of the v1 document; paths are in openapi.py."""

from app.auth.api_tokens import Scope
from app.db import MAX_ROW_ID
from app.web.api import bodies, responses, routing_schemas
from app.web.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from app.web.api.idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER
from app.web.api.schema import component_schemas


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    **component_schemas(responses.PUBLISHED + routing_schemas.RESPONSES, "serialization"),
    **component_schemas(bodies.PUBLISHED + routing_schemas.BODIES, "validation"),
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
    "InvoiceId": {"name": "invoice_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}},
    "SkuCode": {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}},
}

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Authorization: Bearer <令牌>。令牌属于一个渠道，带权限范围: "
                              + ", ".join(str(scope) for scope in Scope)
                              + "。员工在后台「开放接口」或用 flask create-api-token 创建。"},
}
