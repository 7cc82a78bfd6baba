"""Orders exactly in the platforms' real list formats (platform-apis.md field names, ciphertexts as the
platforms send them, no mask twins we made ourselves) — loaded into the simulators as given."""

from datetime import datetime

from tests.channels.builders import gmt8


def jd_real_order(order_id: str, modified: datetime, state: str = "WAIT_SELLER_STOCK_OUT") -> dict:
    """A JOS enSearch orderInfo: receiver as ``ENC:`` ciphertexts without masks, province ``浙江``."""
    return {
        "orderId": order_id, "venderId": "10001", "orderType": "22", "payType": "4", "orderState": state,
        "orderStateRemark": "等待出库", "orderTotalPrice": "109.80", "orderSellerPrice": "99.80",
        "orderPayment": "105.80", "freightPrice": "6.00", "sellerDiscount": "10.00", "balanceUsed": "0.00",
        "orderStartTime": gmt8(modified), "paymentConfirmTime": gmt8(modified), "orderEndTime": "0001-01-01 00:00:00",
        "modified": gmt8(modified), "orderRemark": "放门口", "venderRemark": "", "waybill": "", "logisticsId": "",
        "pin": "jd_open_pin_x", "invoiceInfo": "不需要开具发票", "invoiceCode": "",
        "consigneeInfo": {"fullname": "ENC:bGl1dGluZ3Rpbmc=~a1", "mobile": "ENC:MTU5MDAwMDExMTE=~b2",
                          "telephone": "", "fullAddress": "ENC:5paH5LiJ6LevNDc4~c3", "province": "浙江",
                          "city": "杭州市", "county": "西湖区", "town": "文新街道"},
        "itemInfoList": [{"skuId": "700000000001", "outerSkuId": "SN-001", "wareId": "800000000001",
                          "skuName": "商品 SN-001", "jdPrice": "54.90", "itemTotal": "2"}],
    }


def youzan_real_order(tid: str, modified: datetime, status: str = "WAIT_SELLER_SEND_GOODS") -> dict:
    """A youzan.trades.sold.get full_order_info: receiver and buyer as ``$…$1$`` ciphertexts."""
    return {
        "order_info": {"tid": tid, "status": status, "type": 0, "created": gmt8(modified),
                       "update_time": gmt8(modified), "pay_time": gmt8(modified), "consign_time": "",
                       "success_time": "", "order_tags": {"is_payed": True}},
        "buyer_info": {"buyer_phone": "$Qn/ZHaMby1MzBq3Rw2t7fw==$1$", "yz_open_id": "yzo-real-1",
                       "fans_nickname": "$bmljay1yZWFs$1$", "fans_type": 1},
        "address_info": {"receiver_name": "$cmVhbC1uYW1l$1$", "receiver_tel": "$cmVhbC10ZWw=$1$",
                         "delivery_province": "浙江省", "delivery_city": "杭州市", "delivery_district": "西湖区",
                         "delivery_address": "$cmVhbC1hZGRy$1$", "delivery_postal_code": "310012",
                         "address_extra": "{}"},
        "pay_info": {"total_fee": "99.90", "post_fee": "0.00", "payment": "99.90"},
        "remark_info": {"buyer_message": "", "trade_memo": ""}, "source_info": {"is_offline_order": False},
        "orders": [{"oid": f"{tid}-0", "item_id": 600000000000, "sku_id": 500000000000, "outer_item_id": "SN-001",
                    "outer_sku_id": "SN-001", "title": "商品 SN-001", "num": 1, "price": "99.90",
                    "total_fee": "99.90", "payment": "99.90"}],
    }
