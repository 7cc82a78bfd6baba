"""合并开票: finance finds a buyer's completed orders that have no invoice yet, selects several, previews
the invoice (or invoices, when the lines are more than the platform takes on one) and requests it.

The preview runs the same checks as the request and writes nothing; the request is one service call and
one commit, like every other finance action."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import Conflict, ValidationError
from app.domain.invoicing import services, tax, titles
from app.domain.invoicing.rules import InvoicingRules
from app.domain.orders.models import Order
from app.extensions import db
from app.web.errors import error_message
from app.web.finance import bp
from app.web.finance.forms import BuyerSearchForm, MergeInvoiceForm
from app.web.forms import apply_domain_errors

UNPROCESSABLE = 422


@bp.get("/merge")
@role_required(Area.FINANCE)
def merge_invoices():
    search = BuyerSearchForm(request.args)
    candidates = _candidates(search)
    return _page(search, candidates, MergeInvoiceForm(candidates, formdata=None))


@bp.post("/merge")
@role_required(Area.FINANCE)
def request_merged_invoice():
    search = BuyerSearchForm(request.args)
    candidates = _candidates(search)
    form = MergeInvoiceForm(candidates)
    if not form.validate():
        return _page(search, candidates, form, status=UNPROCESSABLE)
    rules = InvoicingRules.from_config(current_app.config)
    wanted = set(form.order_nos.data)
    orders = [order for order in candidates if order.order_no in wanted]
    try:
        if request.form.get("step") != "request":
            return _page(search, candidates, form, parts=_preview(orders, form, rules))
        invoices = services.request_invoice(orders, form.entered(), current_user.actor, "staff", rules)
    except ValidationError as error:
        db.session.rollback()
        apply_domain_errors(form, error)
        return _page(search, candidates, form, status=UNPROCESSABLE)
    except Conflict as error:
        db.session.rollback()
        form.form_errors.append(error_message(error))
        return _page(search, candidates, form, status=409)
    db.session.commit()
    flash(_("已提交合并开票申请：%(orders)s 个订单，%(invoices)s 张发票", orders=len(orders),
            invoices=len(invoices)), "success")
    return redirect(url_for("finance.show_invoice", invoice_id=invoices[0].id), 303)


def _candidates(search: BuyerSearchForm) -> list[Order]:
    if not search.validate() or not search.phone.data:
        return []
    return services.mergeable_orders(search.phone.data)


def _preview(orders: list[Order], form: MergeInvoiceForm, rules: InvoicingRules) -> list[dict]:
    """Each invoice the request would make: its lines and totals (the title is checked as the request
    would check it)."""
    titles.clean(form.entered())
    numbers = {order.id: order.order_no for order in orders}
    parts = []
    for chunk in services.plan(orders, rules):
        excluding, tax_fen, total = tax.totals(chunk)
        parts.append({"lines": [(numbers[line.line.order_id], line) for line in chunk], "excluding_fen": excluding,
                      "tax_fen": tax_fen, "total_fen": total})
    return parts


def _page(search, candidates, form, parts=None, status: int = 200):
    return render_template("finance/merge.html", search=search, candidates=candidates, form=form,
                           parts=parts), status
