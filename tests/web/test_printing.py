"""Printing: 面单 (100 × 150 mm, waybill from the pool), 发货单 and 拣货单 as PDFs from a print run (a job),
with the full receiver only on paper, the PDF handed out once, and each print in the audit log and the
order's timeline; refused orders say why."""

from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from app.domain.audit.models import AuditEntry
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier
from app.domain.workbench import merging, waybills
from app.domain.workbench.models import OrderBatch, PoolWaybill
from app.extensions import db
from tests.conftest import run_worker

MM = 72 / 25.4


def with_carrier(app, shop, *order_nos):
    """Routing is not set up in these tests: give the orders the shop's carrier, and the carrier a pool."""
    with app.app_context():
        for order_no in order_nos:
            services.get_order(order_no).carrier_id = shop.carrier_id
        waybills.add_numbers(db.session.get(Carrier, shop.carrier_id), "SF900001 SF900002 SF900003", "user:test")
        db.session.commit()


def printed(app, client, response) -> tuple[int, bytes]:
    assert response.status_code == 303, response.text
    batch_id = int(response.location.rsplit("/", 1)[-1])
    with app.app_context():
        run_worker()
    page = client.get(f"/staff/orders/batches/{batch_id}")
    assert "打开 PDF 打印" in page.text
    pdf = client.get(f"/staff/orders/batches/{batch_id}/print.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    return batch_id, pdf.data


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_a_label_from_the_order_page_takes_a_pool_waybill_and_shows_the_full_receiver_once(
        app, client, login_as, make_order, shop):
    order_no = make_order("03")
    with_carrier(app, shop, order_no)
    login_as("warehouse")
    assert "打印面单" in client.get(f"/staff/orders/{order_no}").text

    batch_id, content = printed(app, client, client.post(f"/staff/orders/{order_no}/print/print_labels"))

    reader = PdfReader(BytesIO(content))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width) / MM), round(float(height) / MM)) == (100, 150)
    text = text_of(content)
    assert "SF900001" in text and order_no in text and "张三" in text and "13800138000" in text
    assert "世纪大道 100 号" in text and "顺丰速运" in text
    assert client.get(f"/staff/orders/batches/{batch_id}/print.pdf").status_code == 410  # handed out once
    assert "已从系统中删除" in client.get(f"/staff/orders/batches/{batch_id}").text

    with app.app_context():
        order = services.get_order(order_no)
        assert db.session.scalar(select(PoolWaybill.order_id).where(PoolWaybill.waybill_no == "SF900001")) == order.id
        assert order.events[-1].action == "printed" and order.events[-1].details["document"] == "print_labels"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "print_documents"))
        assert entry.subject == f"batch:{batch_id}" and order_no in entry.detail and "张三" not in entry.detail
    # A second label for the same order keeps its waybill number.
    _batch, again = printed(app, client, client.post(f"/staff/orders/{order_no}/print/print_labels"))
    assert "SF900001" in text_of(again) and "SF900002" not in text_of(again)


def test_a_batch_prints_one_pick_list_per_warehouse_and_refuses_an_unpaid_order_with_the_reason(
        app, client, login_as, make_order, shop):
    first, second = make_order("03", lines=(("SN-001", 2),)), make_order("04", lines=(("SN-001", 1), ("SN-002", 3)))
    unpaid = make_order("01")
    login_as("warehouse")
    response = client.post("/staff/orders/batch", data={"action": "print_picklist", "order_no": [first, second, unpaid]})
    batch_id, content = printed(app, client, response)

    text = text_of(content)
    assert "拣货单" in text and "华东仓" in text and "SN-001" in text and "SN-002" in text
    assert first in text and second in text and unpaid not in text
    with app.app_context():
        batch = db.session.get(OrderBatch, batch_id)
        assert (batch.done, batch.refused) == (2, 1)
    page = client.get(f"/staff/orders/batches/{batch_id}")
    assert "不能打印" in page.text


def test_packing_slips_list_the_parcel_and_a_label_without_a_carrier_is_refused(app, client, login_as, make_order):
    order_no = make_order("04", lines=(("KIT-001", 1), ("GIFT-01", 1, 0, True)))
    login_as("warehouse")
    _batch, content = printed(app, client, client.post(f"/staff/orders/{order_no}/print/print_slips"))
    text = text_of(content)
    assert "发货单" in text and "张三" in text and "SN-002" in text and "GIFT-01" in text and "KIT-001" not in text

    refused = client.post(f"/staff/orders/{order_no}/print/print_labels")
    with app.app_context():
        run_worker()
    page = client.get(refused.location)
    assert "订单还没有指定快递公司" in page.text and "打开 PDF 打印" not in page.text


def test_customer_service_cannot_print(client, login_as, make_order):
    order_no = make_order("03")
    login_as("customer_service")
    assert "打印面单" not in client.get(f"/staff/orders/{order_no}").text
    assert client.post(f"/staff/orders/{order_no}/print/print_labels").status_code == 403


def test_only_who_printed_opens_the_pdf(app, client, login_as, make_order, shop):
    order_no = make_order("03")
    login_as("warehouse")
    response = client.post(f"/staff/orders/{order_no}/print/print_slips")
    with app.app_context():
        run_worker()
    client.post("/logout")
    login_as("operations")
    assert client.get(f"{response.location}/print.pdf").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Order.status).where(Order.order_no == order_no)) == "03"


def test_slips_and_pick_lists_follow_the_staff_language_and_labels_stay_chinese(app, client, login_as, make_order,
                                                                                 shop):
    order_no = make_order("03")
    with_carrier(app, shop, order_no)
    login_as("warehouse")
    client.post("/language/en", data={"next": "/staff/"})

    texts = {}
    for document in ("print_slips", "print_picklist", "print_labels"):
        response = client.post(f"/staff/orders/{order_no}/print/{document}")
        assert response.status_code == 303
        with app.app_context():
            run_worker()
        texts[document] = text_of(client.get(response.location + "/print.pdf").data)

    assert "Packing slip" in texts["print_slips"] and "SKU code" in texts["print_slips"]
    assert "发货单" not in texts["print_slips"] and "张三" in texts["print_slips"]  # data stays as it is
    assert "Pick list" in texts["print_picklist"] and "拣货单" not in texts["print_picklist"]
    assert "收" in texts["print_labels"] and "Packing" not in texts["print_labels"]


def test_a_merged_order_prints_on_its_lead_with_every_order_s_goods(app, client, login_as, make_order):
    lead, member = make_order("02"), make_order("02", lines=(("GIFT-01", 1),))
    with app.app_context():
        merging.merge(services.get_order(lead), [services.get_order(member)], "test")
        services.approve(services.get_order(lead), "test")
        db.session.commit()
    login_as("warehouse")

    _batch, content = printed(app, client, client.post(f"/staff/orders/{lead}/print/print_slips"))
    assert "SN-001" in text_of(content) and "GIFT-01" in text_of(content)

    refused = client.post(f"/staff/orders/{member}/print/print_slips")
    with app.app_context():
        run_worker()
    assert "请打印该订单的单据" in client.get(refused.location).text
