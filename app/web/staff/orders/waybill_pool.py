"""The waybill pool (面单池): how many numbers each carrier has left, and loading more of them."""

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.orders.states import Action
from app.domain.reference import queries as reference
from app.domain.reference.models import Carrier
from app.domain.workbench import waybills
from app.web.staff import bp
from app.web.staff.forms import REQUIRED, optional_int
from app.web.staff.orders.views import order_right_required
from app.web.staff.pages import form_status, save_form, saved


class PoolForm(FlaskForm):
    carrier_id = SelectField(_l("快递公司"), coerce=optional_int, validators=[REQUIRED])
    numbers = TextAreaField(_l("面单号（一行一个，或用逗号、空格分隔）"), validators=[REQUIRED],
                            render_kw={"rows": 8})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.carrier_id.choices = [("", _l("请选择"))] + [
            (c.id, c.name) for c in reference.carriers(active_only=True)]


@bp.route("/waybills", methods=["GET", "POST"])
@role_required(Area.ORDERS)
@order_right_required(Action.SHIP_OUT)
def waybill_pool():
    form = PoolForm()
    response = save_form(
        form, lambda: waybills.add_numbers(db.session.get(Carrier, form.carrier_id.data), form.numbers.data,
                                           current_user.actor),
        lambda counts: saved(_("已加入 %(added)s 个面单号（%(known)s 个此前已在池中）", added=counts[0], known=counts[1]),
                             url_for("staff.waybill_pool")))
    free = waybills.free_counts()
    carriers = [(carrier, free.get(carrier.id, 0)) for carrier in reference.carriers(active_only=True)]
    return response or (render_template("staff/orders/waybill_pool.html", form=form, carriers=carriers),
                        form_status(form))
