"""The edits staff make to an order (address, warehouse or carrier, gifts, notes): one form and one
service call each, offered on the order page only where the order's state and the user's role allow."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.auth.roles import may_act
from app.domain.logistics import shipments
from app.domain.orders.models import Order
from app.domain.reference import queries as reference
from app.domain.reference.models import Carrier, Warehouse
from app.domain.workbench import edits
from app.extensions import db
from app.web.staff.forms import REQUIRED, SubForm, optional_int, warehouse_choices
from app.web.staff.orders.forms import MAX_LINE_ROWS


class AddressForm(FlaskForm):
    name = StringField(_l("收货人"), validators=[REQUIRED, Length(max=64)])
    phone = StringField(_l("收货人电话"), validators=[REQUIRED, Length(max=20)], render_kw={"inputmode": "tel"})
    province = StringField(_l("省份"), validators=[REQUIRED, Length(max=32)])
    city = StringField(_l("城市"), validators=[REQUIRED, Length(max=32)])
    district = StringField(_l("区县"), validators=[Optional(), Length(max=32)])
    address = StringField(_l("详细地址"), validators=[REQUIRED, Length(max=200)])
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=200)])

    def receiver(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in ("name", "phone", "province", "city", "district",
                                                                   "address")}


def _address_form(order: Order, formdata, prefix: str) -> AddressForm:
    current = {"name": order.receiver_name, "phone": order.receiver_phone, "province": order.receiver_province,
               "city": order.receiver_city, "district": order.receiver_district, "address": order.receiver_address}
    return AddressForm(formdata=formdata, prefix=prefix, data=current)


class ShippingForm(FlaskForm):
    warehouse_id = SelectField(_l("发货仓"), coerce=optional_int, validators=[REQUIRED])
    carrier_id = SelectField(_l("快递公司"), coerce=optional_int, validators=[REQUIRED])
    reason = StringField(_l("原因"), validators=[REQUIRED, Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse_id.choices = warehouse_choices()
        self.carrier_id.choices = [("", _l("请选择"))] + [(c.id, c.name) for c in reference.carriers(active_only=True)]


def _shipping_form(order: Order, formdata, prefix: str) -> ShippingForm:
    return ShippingForm(formdata=formdata, prefix=prefix,
                        data={"warehouse_id": order.warehouse_id, "carrier_id": order.carrier_id})


class GiftForm(FlaskForm):
    sku = StringField(_l("赠品编码"), validators=[REQUIRED, Length(max=64)])
    quantity = IntegerField(_l("数量"), default=1, validators=[REQUIRED, NumberRange(min=1, max=edits.MAX_GIFT_QUANTITY)],
                            render_kw={"inputmode": "numeric", "min": 1})


class RemoveGiftForm(FlaskForm):
    line_id = HiddenField(validators=[REQUIRED])


class SecondParcelLineForm(SubForm):
    line_id = HiddenField()
    quantity = IntegerField(_l("第二个包裹数量"), default=0, validators=[Optional(), NumberRange(min=0)],
                            render_kw={"inputmode": "numeric", "min": 0})


class SplitShipForm(FlaskForm):
    carrier_id = SelectField(_l("第一个包裹快递"), coerce=optional_int, validators=[REQUIRED])
    waybill_no = StringField(_l("第一个包裹运单号"), validators=[REQUIRED, Length(max=40)])
    second_carrier_id = SelectField(_l("第二个包裹快递"), coerce=optional_int, validators=[REQUIRED])
    second_waybill_no = StringField(_l("第二个包裹运单号"), validators=[REQUIRED, Length(max=40)])
    lines = FieldList(FormField(SecondParcelLineForm), max_entries=MAX_LINE_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        carriers = [("", _l("请选择"))] + [(c.id, c.name) for c in reference.carriers(active_only=True)]
        self.carrier_id.choices = self.second_carrier_id.choices = carriers

    def second_lines(self) -> dict[int, int]:
        return {int(entry.form.line_id.data): entry.form.quantity.data or 0 for entry in self.lines
                if (entry.form.line_id.data or "").isdigit()}


def _split_form(order: Order, formdata, prefix: str) -> SplitShipForm:
    """One quantity row per sold line still to ship (net of refunds), labelled with its SKU."""
    sold = [line for line in order.lines if not line.is_component and line.net_quantity > 0]
    form = SplitShipForm(formdata=formdata, prefix=prefix, data={"lines": [{"line_id": line.id} for line in sold]})
    for entry, line in zip(form.lines, sold, strict=False):
        entry.form.quantity.label.text = _("%(sku)s × %(quantity)s：第二个包裹数量", sku=line.sku.code,
                                           quantity=line.net_quantity)
    return form


class ShipParcelForm(FlaskForm):
    """One planned parcel of a split order out of its warehouse: which one, the carrier, its waybill."""

    warehouse_id = SelectField(_l("包裹（发货仓）"), coerce=optional_int, validators=[REQUIRED])
    carrier_id = SelectField(_l("快递公司"), coerce=optional_int, validators=[REQUIRED])
    waybill_no = StringField(_l("运单号"), validators=[REQUIRED, Length(max=40)])


def _ship_parcel_form(order: Order, formdata, prefix: str) -> ShipParcelForm:
    """The parcels still to ship, each labelled with its warehouse and contents; the first one's planned
    carrier preselected."""
    waiting = [parcel for parcel in shipments.planned_parcels(order) if not parcel.shipped]
    first = waiting[0] if waiting else None
    form = ShipParcelForm(formdata=formdata, prefix=prefix, data={
        "warehouse_id": first.warehouse.id if first else None,
        "carrier_id": first.carrier.id if first and first.carrier else None})
    codes = {line.id: line.sku.code for line in order.lines}
    form.warehouse_id.choices = [(parcel.warehouse.id, f"{parcel.warehouse.code} · " + "，".join(
        f"{codes[line_id]} × {quantity}" for line_id, quantity in parcel.lines.items())) for parcel in waiting]
    form.carrier_id.choices = [("", _l("请选择"))] + [(c.id, c.name) for c in reference.carriers(active_only=True)]
    return form


def _carrier(carrier_id) -> Carrier:
    return db.session.get(Carrier, carrier_id)


class NoteForm(FlaskForm):
    note = StringField(_l("备注"), validators=[REQUIRED, Length(max=200)])


def _form(form_class: type[FlaskForm]):
    return lambda order, formdata, prefix: form_class(formdata=formdata, prefix=prefix)


@dataclass(frozen=True)
class OrderEdit:
    name: str
    make_form: Callable[[Order, object, str], FlaskForm]
    perform: Callable[[Order, FlaskForm, str], object]  # (order, form, actor): one edits service

    @property
    def label(self) -> str:
        return edits.EDIT_LABELS[self.name]

    def form_for(self, order: Order, formdata=None) -> FlaskForm:
        return self.make_form(order, formdata, self.name)


ORDER_EDITS = (
    OrderEdit(edits.EDIT_ADDRESS, _address_form,
              lambda o, f, a: edits.change_address(o, f.receiver(), f.reason.data or "", a)),
    OrderEdit(edits.EDIT_SHIPPING, _shipping_form,
              lambda o, f, a: edits.change_shipping(o, db.session.get(Warehouse, f.warehouse_id.data),
                                                    db.session.get(Carrier, f.carrier_id.data), f.reason.data, a)),
    OrderEdit(edits.ADD_GIFT, _form(GiftForm), lambda o, f, a: edits.add_gift(o, f.sku.data, f.quantity.data, a)),
    OrderEdit(edits.REMOVE_GIFT, _form(RemoveGiftForm),
              lambda o, f, a: edits.remove_gift(o, int(f.line_id.data) if f.line_id.data.isdigit() else 0, a)),
    OrderEdit(edits.SPLIT_SHIP, _split_form,
              lambda o, f, a: edits.ship_in_two(o, (_carrier(f.carrier_id.data), f.waybill_no.data),
                                                (_carrier(f.second_carrier_id.data), f.second_waybill_no.data),
                                                f.second_lines(), a)),
    OrderEdit(edits.SHIP_PARCEL, _ship_parcel_form,
              lambda o, f, a: edits.ship_parcel(o, db.session.get(Warehouse, f.warehouse_id.data),
                                                _carrier(f.carrier_id.data), f.waybill_no.data, a)),
    OrderEdit(edits.ADD_NOTE, _form(NoteForm), lambda o, f, a: edits.add_note(o, f.note.data, a)),
)
EDITS_BY_NAME = {spec.name: spec for spec in ORDER_EDITS}


def offered_edits(order: Order, forms: dict[str, FlaskForm]) -> list[tuple[OrderEdit, FlaskForm]]:
    """The edits this user may make to this order now, each with its form (``forms``: shown again with errors)."""
    return [(spec, forms.get(spec.name) or spec.form_for(order)) for spec in ORDER_EDITS
            if may_act(current_user.role, spec.name) and edits.allowed(order, spec.name)]
