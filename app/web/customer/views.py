"""Portal views: each validates a form, makes one domain call and renders. Every form is rate-limited
per IP and, where it names a phone, per phone (limits in app/config.py)."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.db import utcnow
from app.domain.invoicing import queries as invoice_queries
from app.domain.logistics import queries as logistics_queries
from app.domain.notifications import services as notifications
from app.domain.notifications.recipients import normalise_mobile
from app.domain.orders import portal_queries
from app.domain.orders.states import FINAL, OrderStatus
from app.extensions import db, limiter
from app.web.customer import bp, invoices, links, login_codes, wording
from app.web.customer.forms import CodeRequestForm, CodeVerifyForm, LookupForm
from app.web.customer.limits import failed, phone_key, phone_network_key, setting
from app.web.htmx import is_partial, redirect_page, render_page_or_partial

UNPROCESSABLE = 422


#: Where the order page stops polling: nothing more will move on a closed, refunded or completed order.
SETTLED = FINAL | {OrderStatus.COMPLETED}
POLL_SECONDS = 20


def no_match_message() -> str:
    # One message for an unknown order, a wrong phone and a phone that is neither of the order's.
    return _("没有找到匹配的订单，请核对订单号和手机号")


@bp.after_request
def keep_private(response):
    """Pages with personal data stay out of shared caches and search engines, and the signed link in
    the address bar never leaks to another site through the Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.context_processor
def portal_wording():
    return {
        "status_words": wording.status_words, "event_words": wording.event_words,
        "steps": portal_queries.STEPS, "off_path_notes": wording.OFF_PATH_NOTES,
        "invoice_title_types": wording.INVOICE_TITLE_TYPES,
    }


@bp.get("/")
def lookup_form():
    return render_page_or_partial("customer/lookup.html", "customer/_lookup_form.html", form=LookupForm())


@bp.post("/lookup")
@limiter.limit(setting("PORTAL_LOOKUP_LIMIT_PER_IP"))
@limiter.limit(setting("PORTAL_LOOKUP_LIMIT_PER_PHONE"), key_func=phone_network_key, deduct_when=failed)
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return _lookup_failed(form)
    match = portal_queries.match_order(form.order_no.data, form.phone.data)
    if match is None:
        form.form_errors.append(no_match_message())
        return _lookup_failed(form)
    return redirect_page(url_for(".show_order", token=links.issue(match.order_id, match.via)))


@bp.get("/o/<token>")
def show_order(token: str):
    link = links.read(token)
    view = portal_queries.customer_order(link.order_id)
    if view is None:
        raise links.LinkInvalid  # the order is gone: answer as for any link that leads nowhere
    phone = portal_queries.proved_phone(view.order, link.via)
    context = {"view": view, "token": token, "opted_out": _reminder_state(phone),
               "settled_statuses": SETTLED, "poll_seconds": POLL_SECONDS,
               "parcels": logistics_queries.parcels_of(view.order.id),
               **invoices.invoice_context(view.order, token, phone)}
    return render_page_or_partial("customer/order.html", "customer/_order_live.html", **context)


@bp.post("/o/<token>/reminders/stop")
@limiter.limit(setting("PORTAL_LOOKUP_LIMIT_PER_IP"))
def stop_reminders(token: str):
    link = links.read(token)
    phone = portal_queries.phone_for(link.order_id, link.via)
    if normalise_mobile(phone) is None:  # the order is gone, or its phone gets no texts: nothing to stop
        raise links.LinkInvalid
    notifications.opt_out_of_reminders(phone)
    db.session.commit()
    if is_partial():
        return render_template("customer/_reminders.html", token=token, opted_out=True)
    flash(_("已为你关闭催付提醒"), "success")
    return redirect(url_for(".show_order", token=token), 303)


@bp.get("/code")
def code_form():
    return render_page_or_partial("customer/code.html", "customer/_code_request.html", form=CodeRequestForm())


@bp.post("/code")
@limiter.limit(setting("PORTAL_CODE_LIMIT_PER_IP"))
@limiter.limit(setting("PORTAL_CODE_LIMIT_PER_PHONE"), key_func=phone_network_key)
@limiter.limit(setting("PORTAL_CODE_LIMIT_PER_PHONE_ANYWHERE"), key_func=phone_key)
def request_code():
    form = CodeRequestForm()
    if not form.validate_on_submit():
        return render_page_or_partial("customer/code.html", "customer/_code_request.html", UNPROCESSABLE,
                                      form=form)
    phone = form.phone.data
    challenge, code = login_codes.issue(phone)
    notifications.send_login_code(phone, code)
    db.session.commit()
    verify_form = CodeVerifyForm(challenge=challenge, formdata=None)
    return render_page_or_partial("customer/code.html", "customer/_code_verify.html", form=verify_form,
                                  sent_to=phone)


@bp.post("/code/verify")
@limiter.limit(setting("PORTAL_VERIFY_LIMIT_PER_IP"))
def verify_code():
    form = CodeVerifyForm()
    phone = login_codes.verify(form.challenge.data, form.code.data) if form.validate_on_submit() else None
    if phone is None:
        if not form.errors:
            form.form_errors.append(_("验证码错误或已过期，请重新获取"))
        return render_page_or_partial("customer/code.html", "customer/_code_verify.html", UNPROCESSABLE,
                                      form=form, sent_to=None)
    days = current_app.config["PORTAL_HISTORY_DAYS"]
    orders = portal_queries.orders_for_phone(phone, utcnow(), days)
    entries = [(order, url_for(".show_order", token=links.issue(order.id, via))) for order, via in orders]
    return render_page_or_partial("customer/orders.html", "customer/_order_list.html", entries=entries,
                                  phone=phone, days=days,
                                  invoices_by_order=invoice_queries.invoices_for_orders([order.id for order, _via in orders]))


def _lookup_failed(form: LookupForm):
    return render_page_or_partial("customer/lookup.html", "customer/_lookup_form.html", UNPROCESSABLE, form=form)


def _reminder_state(phone: str | None) -> bool | None:
    """True / False: opted out of payment reminders or not; None: not a mobile, so none are sent."""
    return notifications.opted_out(phone) if normalise_mobile(phone) else None
