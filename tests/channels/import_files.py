"""Order files for the import tests, written the way Chinese Excel and shop tools export them."""

import io

from openpyxl import Workbook

HEADER = ["订单号", "收货人", "手机", "省份", "城市", "区县", "地址", "商家编码", "数量", "单价", "运费", "优惠", "备注",
          "已付款"]
ADDRESS = ("上海市", "上海市", "浦东新区", "世纪大道100号")


def row(order: str, code: str, quantity="1", price="99.90", phone="13800138000", shipping="", discount="",
        remark="", paid="是", name="张晓雯") -> list[str]:
    return [order, name, phone, *ADDRESS, code, quantity, price, shipping, discount, remark, paid]


GOOD_ROWS = [
    row("IMP-1001", "SN-001", "2", "99.90", shipping="10", discount="5", remark="门店自提"),
    row("IMP-1001", "HH-010", "1", "49.90"),
    row("IMP-1002", "BT-002", "1", "59", paid="否"),
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig", delimiter=",") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(cells) for cells in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for cells in rows:
        typed = list(cells)
        typed[2] = int(typed[2]) if typed[2].isdigit() else typed[2]  # Excel keeps phones as numbers
        typed[8] = int(typed[8]) if typed[8].isdigit() else typed[8]
        typed[9] = float(typed[9]) if typed[9].replace(".", "", 1).isdigit() else typed[9]
        sheet.append(typed)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
