"""GET /openapi.json: the contract as OpenAPI 3.1. The paths are the one table below (what each
operation takes, answers and refuses); every schema in it is generated from the pydantic models that
parse the requests and build the responses (``bodies.py``, ``responses.py``), so they cannot drift.

Tests check the routes against this table both ways, real answers against the schemas, and the whole
against API.md (tests/api/test_openapi*.py, test_api_contract.py).
"""

from flask import jsonify

from app.auth.api_tokens import Scope
from app.web.api import bodies, bp
from app.web.api.openapi_schemas import PARAMETERS, RESPONSES, SCHEMAS, SECURITY_SCHEMES, ref

IDEMPOTENCY = {"$ref": "#/components/parameters/IdempotencyKey"}
ORDER_NO = {"$ref": "#/components/parameters/OrderNo"}
SKU_CODE = {"$ref": "#/components/parameters/SkuCode"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*names: str) -> dict:
    codes = {"ValidationError": "422", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "Conflict": "409", "TooManyRequests": "429"}
    return {codes[name]: {"$ref": f"#/components/responses/{name}"} for name in ("Unauthorized", "TooManyRequests",
                                                                                    *names)}


def query_parameters(model) -> tuple:
    """A query-string model's fields as OpenAPI parameters."""
    schema = model.model_json_schema()
    return tuple({"name": name, "in": "query", "required": name in schema.get("required", ()), "schema": field}
                 for name, field in schema["properties"].items())


def _operation(operation_id: str, summary: str, responses: dict, *, scope: Scope | None = None,
               body: str | None = None, parameters: tuple = (), errors: tuple = (), description: str = "") -> dict:
    operation = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": list(parameters),
        "responses": responses | _errors(*errors, *(("Forbidden",) if scope else ())),
    }
    if description or scope:
        operation["description"] = (description + (f"\n\n需要权限范围 `{scope}`。" if scope else "")).strip()
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    return operation


ORDER_ACTION_ERRORS = ("ValidationError", "NotFound", "Conflict")

PATHS = {
    "/skus/{code}": {
        "parameters": [SKU_CODE],
        "get": _operation("getSku", "查看商品", {"200": _json(ref("Sku"), "商品")}, errors=("NotFound",)),
        "put": _operation(
            "putSku", "新建或更新商品（含组合装）",
            {"200": _json(ref("Sku"), "已更新"), "201": _json(ref("Sku"), "已新建")},
            scope=Scope.CATALOG_WRITE, body="SkuInput", parameters=(IDEMPOTENCY,),
            errors=("ValidationError", "Conflict"),
            description="带 components 即为组合装（子商品须已存在且不能是组合装）。更新时未传的字段保持原值。"),
    },
    "/warehouses": {
        "get": _operation("listWarehouses", "仓库列表", {
            "200": _json(ref("WarehouseList"), "所有仓库（含停用的，见 active）")},
            description="任何有效令牌都可读取。"),
    },
    "/warehouses/{code}": {
        "parameters": [SKU_CODE],
        "put": _operation(
            "putWarehouse", "新建或更新仓库",
            {"200": _json(ref("WarehouseDetail"), "已更新"), "201": _json(ref("WarehouseDetail"), "已新建")},
            scope=Scope.ROUTING_WRITE, body="WarehouseInput", parameters=(IDEMPOTENCY,),
            errors=("ValidationError", "Conflict"),
            description="省份可用简称或全称（浙江 = 浙江省），响应总是全称。不传坐标时按城市（区县）查找。"),
    },
    "/carriers": {
        "get": _operation("listCarriers", "快递公司列表", {"200": _json(ref("CarrierList"), "所有快递公司")},
                          description="任何有效令牌都可读取。"),
    },
    "/carriers/{code}": {
        "parameters": [SKU_CODE],
        "put": _operation(
            "putCarrier", "新建或更新快递公司",
            {"200": _json(ref("Carrier"), "已更新"), "201": _json(ref("Carrier"), "已新建")},
            scope=Scope.ROUTING_WRITE, body="CarrierInput", parameters=(IDEMPOTENCY,),
            errors=("ValidationError", "Conflict")),
    },
    "/carriers/{code}/rate-card": {
        "parameters": [SKU_CODE],
        "put": _operation(
            "putRateCard", "替换快递公司的运费模板", {"200": _json(ref("RateCardSaved"), "已替换")},
            scope=Scope.ROUTING_WRITE, body="RateCardInput", parameters=(IDEMPOTENCY,),
            errors=("ValidationError", "NotFound"),
            description="整张模板一次替换：任一行有误则返回 422 并列出每个错误字段，原模板不变。"
                        "计费重 = 实重与体积重（长×宽×高 ÷ 抛重系数）取大，按续重步长进位；"
                        "运费 = 首重价格 + 超出首重部分 × 续重单价 + 目的省偏远附加费。没有价格的线路即不配送。"),
    },
    "/routing/plan": {
        "post": _operation(
            "planRouting", "分仓试算", {"200": _json(ref("RoutingPlan"), "分仓方案及每个候选仓的结果")},
            scope=Scope.ORDERS, body="PlanInput", parameters=(IDEMPOTENCY,), errors=("ValidationError", "Conflict"),
            description="只试算，不预占库存、不写任何数据。没有仓库能发时 409 unroutable（details.reasons）；"
                        "未知商品或省份 422 并指出字段。"),
    },
    "/stock/receipts": {
        "post": _operation("createReceipt", "入库", {"201": _json(ref("Receipt"), "入库后的库存")},
                           scope=Scope.STOCK_WRITE, body="ReceiptInput", parameters=(IDEMPOTENCY,),
                           errors=("ValidationError",),
                           description="组合装没有自己的库存，请对子商品入库。"),
    },
    "/stock/adjustments": {
        "post": _operation("createAdjustment", "盘点调整", {"201": _json(ref("Adjustment"), "调整后的库存")},
                           scope=Scope.STOCK_WRITE, body="AdjustmentInput", parameters=(IDEMPOTENCY,),
                           errors=("ValidationError", "Conflict"),
                           description="counted 为盘点出的实物数量，on_hand 被设为该值，差额记入库存流水。"),
    },
    "/stock/{code}": {
        "parameters": [SKU_CODE],
        "get": _operation("getStock", "查看库存", {"200": _json(ref("Stock"), "各仓库存")},
                          scope=Scope.STOCK_READ, errors=("NotFound",),
                          description="组合装的 available 为其子商品库存在同一仓库内能凑齐的套数。"),
    },
    "/orders": {
        "post": _operation(
            "createOrder", "创建订单",
            {"201": _json(ref("Order"), "已创建，库存已预占"),
             "200": _json(ref("Order"), "同一渠道的 external_id 已存在: 返回已有订单")},
            scope=Scope.ORDERS, body="OrderInput", parameters=(IDEMPOTENCY,),
            errors=("ValidationError", "Conflict"),
            description="在令牌所属渠道创建订单，同一事务内预占库存；库存不足时 409 out_of_stock"
                        "（details.lines 列出缺货商品），且不会留下订单。"),
        "get": _operation(
            "listOrders", "订单列表", {"200": _json(ref("OrderList"), "最新的在前")},
            scope=Scope.ORDERS, errors=("ValidationError",),
            parameters=query_parameters(bodies.OrderQuery),
            description="只返回令牌所属渠道的订单（不含 events）。翻页时把响应中的 next_cursor 作为 cursor 传回："
                        "每页的开销与第一页相同，翻页期间新到的订单不会造成重复或漏单；page 仍按偏移翻页。"
                        "无法识别的 cursor 返回 422（details.fields.cursor 说明原因）。"),
    },
    "/orders/{order_no}": {
        "parameters": [ORDER_NO],
        "get": _operation("getOrder", "查看订单", {"200": _json(ref("Order"), "订单及其变更记录")},
                          scope=Scope.ORDERS, errors=("NotFound",),
                          description="其他渠道的订单与不存在的订单一样返回 404。"),
    },
    "/orders/{order_no}/pay": {
        "parameters": [ORDER_NO],
        "post": _operation("payOrder", "支付", {"200": _json(ref("Order"), "状态 02，预占转为锁定")},
                           scope=Scope.ORDERS, body="PayInput", parameters=(IDEMPOTENCY,),
                           errors=ORDER_ACTION_ERRORS),
    },
    "/orders/{order_no}/cancel": {
        "parameters": [ORDER_NO],
        "post": _operation("cancelOrder", "取消", {"200": _json(ref("Order"), "状态 00，库存已释放")},
                           scope=Scope.ORDERS, body="CancelInput", parameters=(IDEMPOTENCY,),
                           errors=ORDER_ACTION_ERRORS, description="仅待支付订单可取消；已支付请用退款。"),
    },
    "/orders/{order_no}/refund": {
        "parameters": [ORDER_NO],
        "post": _operation(
            "refundOrder", "退款", {"200": _json(ref("Order"), "退款后的订单")},
            scope=Scope.ORDERS, body="RefundInput", parameters=(IDEMPOTENCY,), errors=ORDER_ACTION_ERRORS,
            description="发货前退款释放锁定库存；签收后退货且 restock 为 true 时重新入库。\n\n"
                        "不传 lines 时: amount 等于全部可退金额则整单退款（全部商品，订单变为 R1 已退款）；"
                        "amount 小于可退金额则为仅退款（不退货、不动库存，订单状态不变）。"
                        "传 lines 时按所列商品和数量退货退款；全部商品或全部金额退完时订单变为 R1。"),
    },
    "/orders/{order_no}/complete": {
        "parameters": [ORDER_NO],
        "post": _operation(
            "completeOrder", "确认收货", {"200": _json(ref("Order"), "状态 08 已完成")},
            scope=Scope.ORDERS, parameters=(IDEMPOTENCY,), errors=ORDER_ACTION_ERRORS,
            description="买家确认收货：订单为 05、06、07 时接受，变为 08 已完成；已完成时再次调用不改变任何内容。"
                        "等待订单完成的发票随即提交开票（需审批的进入审批）。其他状态 409 invalid_transition。"),
    },
    "/orders/{order_no}/invoices": {
        "parameters": [ORDER_NO],
        "post": _operation(
            "requestInvoice", "申请开票", {"201": _json(ref("InvoiceRecord"), "已受理（开具超出平台行数时拆分，"
                                                                          "返回第一张）")},
            scope=Scope.ORDERS, body="InvoiceRequestInput", parameters=(IDEMPOTENCY,),
            errors=("ValidationError", "NotFound", "Conflict"),
            description="为订单申请发票，金额为实付减退款。订单未完成时状态为 waiting，完成后自动开具；"
                        "超过审批金额需财务审批。已有有效发票时 409 invoice_exists；抬头、税号（校验位）或专票信息"
                        "有误时 422 并指明字段；可开票金额为 0 时 422，details.invoiceable 为仍可开票的金额。"),
        "get": _operation("listInvoices", "订单的发票", {"200": _json(ref("InvoiceList"), "蓝字和红字发票，按申请顺序")},
                          scope=Scope.ORDERS, errors=("NotFound",)),
    },
    "/invoices/{invoice_id}/pdf": {
        "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
        "get": _operation(
            "getInvoicePdf", "下载发票 PDF",
            {"200": {"description": "发票 PDF", "content": {"application/pdf": {
                "schema": {"type": "string", "format": "binary"}}}}},
            scope=Scope.ORDERS, errors=("NotFound",), description="仅限令牌所属渠道订单的发票；PDF 尚未生成时 404。"),
    },
    "/orders/{order_no}/shipments": {
        "parameters": [ORDER_NO],
        "post": _operation(
            "createShipment", "发货（仓储系统回传运单）", {"201": _json(ref("Shipment"), "包裹")},
            scope=Scope.FULFILMENT, body="ShipmentInput", parameters=(IDEMPOTENCY,), errors=ORDER_ACTION_ERRORS,
            description="订单为 02、03、04 时接受；跳过的审核、打包步骤以令牌所属渠道的名义记入时间线。"
                        "库存扣减，运单订阅物流跟踪，销售平台收到发货通知，订单变为 05 已出库。"
                        "令牌只能为其渠道管理的仓库的订单发货，其他订单返回 404。"),
    },
    "/openapi.json": {
        "get": {"operationId": "getOpenApi", "summary": "本文档", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 文档",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}},
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "OrderHub 开放接口",
        "version": "1.0.0",
        "description": (
            "商家自己的小程序、门店 POS、WMS 或 ERP 与 OrderHub 对接的 JSON 接口。\n\n"
            "约定: 金额为两位小数的元字符串（\"59.00\"），从不使用浮点数；时间为带时区的 ISO 8601；数量为整数。"
            "错误统一为 {\"error\": {\"code\", \"message\", \"details\"}}。所有创建或修改的请求都接受 "
            "Idempotency-Key。每个令牌有调用频率限制，超出时返回 429 并带 Retry-After。"),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "responses": RESPONSES, "parameters": PARAMETERS,
                   "securitySchemes": SECURITY_SCHEMES},
}


@bp.get("/openapi.json")
def get_openapi():
    return jsonify(DOCUMENT)
