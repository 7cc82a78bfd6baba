"""Platform payloads for tests, in each platform's own format (as the simulators serve them)."""

from datetime import datetime
from decimal import Decimal

from app.domain.channels.adapters.base import GMT8

PLAIN = {"name": "张晓雯", "phone": "13800138000", "province": "上海市", "city": "上海市", "district": "浦东新区",
         "address": "世纪大道100号 环球金融中心 1203室"}


def gmt8(moment: datetime) -> str:
    return moment.astimezone(GMT8).strftime("%Y-%m-%d %H:%M:%S")


def _yuan(text: str) -> Decimal:
    return Decimal(text)


def taobao_trade(tid: str, status: str, modified: datetime, lines=(("SN-001", 2, "99.90"),), post: str = "0.00",
                 discount: str = "0.00", waybill: str = "", company: str = "顺丰速运", masked: bool = True,
                 paid: bool | None = None) -> dict:
    """A full trade (taobao.trade.fullinfo.get). ``masked``: as TOP sends it (masked receiver + oaid);
    otherwise plaintext, which the simulator masks when it is loaded."""
    goods = sum(_yuan(price) * quantity for _, quantity, price in lines)
    paid = status not in ("WAIT_BUYER_PAY", "TRADE_CLOSED_BY_TAOBAO") if paid is None else paid
    trade = {
        "tid": int(tid), "tid_str": tid, "status": status, "type": "fixed", "created": gmt8(modified),
        "modified": gmt8(modified), "payment": f"{goods + _yuan(post) - _yuan(discount):.2f}",
        "total_fee": f"{goods:.2f}", "post_fee": post, "discount_fee": discount, "buyer_nick": "t**_1",
        "buyer_message": "请尽快发货", "receiver_state": PLAIN["province"], "receiver_city": PLAIN["city"],
        "receiver_district": PLAIN["district"], "receiver_town": "",
        "orders": {"order": [
            {"oid": int(tid) * 10 + index, "num_iid": 600000000000 + index, "sku_id": str(500000000000 + index),
             "outer_iid": code, "outer_sku_id": code, "title": f"商品 {code}", "num": quantity, "price": price,
             "status": status, "invoice_no": waybill, "logistics_company": company if waybill else ""}
            for index, (code, quantity, price) in enumerate(lines)]},
    }
    if paid:
        trade["pay_time"] = gmt8(modified)
    if masked:
        trade |= {"receiver_name": "张**", "receiver_mobile": "138****8000", "receiver_address": "世纪大道****",
                  "oaid": f"oaid-{tid}"}
    else:
        trade |= {"receiver_name": PLAIN["name"], "receiver_mobile": PLAIN["phone"], "receiver_address": PLAIN["address"]}
    return trade


def jd_order(order_id: str, state: str, modified: datetime, items=(("SN-001", 1, "99.90"),), freight: str = "0.00",
             waybill: str = "", logistics_id: str = "467") -> dict:
    """A JD orderInfo with a plaintext consignee (the simulator encrypts it when it is loaded)."""
    goods = sum(_yuan(price) * count for _, count, price in items)
    return {
        "orderId": order_id, "orderState": state, "orderStartTime": gmt8(modified), "modified": gmt8(modified),
        "paymentConfirmTime": gmt8(modified), "orderPayment": f"{goods + _yuan(freight):.2f}", "freightPrice": freight,
        "orderTotalPrice": f"{goods:.2f}", "pin": "jd_test***", "orderRemark": "", "waybill": waybill,
        "logisticsId": logistics_id if waybill else "",
        "consigneeInfo": {"fullname": PLAIN["name"], "mobile": PLAIN["phone"], "telephone": "",
                          "fullAddress": PLAIN["address"], "province": "上海", "city": "上海市", "county": "浦东新区",
                          "town": ""},
        "itemInfoList": [{"skuId": str(700000000000 + index), "outerSkuId": code, "wareId": str(800000000000 + index),
                          "skuName": f"商品 {code}", "jdPrice": price, "itemTotal": str(count)}
                         for index, (code, count, price) in enumerate(items)],
    }


def youzan_order(tid: str, status: str, modified: datetime, lines=(("SN-001", 1, "99.90"),), post: str = "0.00",
                 waybill: str = "", express_id: str = "7", stored: bool = False) -> dict:
    """A Youzan ``full_order_info`` with a plaintext receiver (the simulator encrypts it when loaded), or
    ``stored``: as our adapter stores it (ciphertexts ``$…$1$`` plus the ``masked`` twins it adds)."""
    goods = sum(_yuan(price) * count for _, count, price in lines)
    paid = status not in ("WAIT_BUYER_PAY", "TRADE_CLOSE")
    info = {
        "order_info": {"tid": tid, "status": status, "type": 0, "created": gmt8(modified), "update_time": gmt8(modified),
                       "pay_time": gmt8(modified) if paid else "", "consign_time": "", "success_time": ""},
        "buyer_info": {"buyer_phone": PLAIN["phone"], "yz_open_id": "yzo-1", "fans_nickname": PLAIN["name"]},
        "address_info": {"receiver_name": PLAIN["name"], "receiver_tel": PLAIN["phone"],
                         "delivery_province": PLAIN["province"], "delivery_city": PLAIN["city"],
                         "delivery_district": PLAIN["district"], "delivery_address": PLAIN["address"]},
        "pay_info": {"total_fee": f"{goods:.2f}", "post_fee": post, "payment": f"{goods + _yuan(post):.2f}"},
        "remark_info": {"buyer_message": "周末送", "trade_memo": ""},
        "orders": [{"oid": f"{tid}-{index}", "item_id": 600000000000 + index, "sku_id": 500000000000 + index,
                    "outer_item_id": code, "outer_sku_id": code, "title": f"商品 {code}", "num": count, "price": price}
                   for index, (code, count, price) in enumerate(lines)],
    }
    if waybill:
        info["delivery_order"] = [{"dists": [{"express_info": {"express_no": waybill, "express_id": express_id}}]}]
    if stored:
        info["address_info"] |= {"receiver_name": "$bmFtZQ==$1$", "receiver_tel": "$dGVs$1$",
                                 "delivery_address": "$YWRkcg==$1$"}
        info["buyer_info"] |= {"buyer_phone": "$dGVs$1$", "fans_nickname": "$bmljaw==$1$"}
        info["masked"] = {"receiver_name": "张**", "receiver_tel": "138****8000", "delivery_address": "世纪大道****",
                          "fans_nickname": "张**", "buyer_phone": "138****8000"}
    return info
