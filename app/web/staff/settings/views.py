"""Warehouses, channels and carriers (operations' reference data)."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.auth.roles import Area
from app.domain.reference import services
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.domain.routing.queries import todays_load
from app.web.staff import bp, resources
from app.web.staff.resources import Column, Resource
from app.web.staff.settings.forms import CarrierForm, ChannelForm, WarehouseForm


def _rate_card_link(carrier: Carrier) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for("staff.show_rate_card", carrier_id=carrier.id), _("查看与编辑"))


def _yes_no(value: bool) -> str:
    return "✓" if value else "—"


def _save_warehouse(form: WarehouseForm, warehouse):
    data = services.WarehouseData(
        code=form.code.data, name=form.name.data, province=form.province.data, city=form.city.data,
        address=form.address.data or "", latitude=_optional_float(form.latitude.data),
        longitude=_optional_float(form.longitude.data), daily_capacity=form.daily_capacity.data,
        priority=form.priority.data, active=form.active.data, district=form.district.data or "",
        cutoff_time=form.cutoff_time.data or "16:00",
        handling_hours=12 if form.handling_hours.data is None else form.handling_hours.data,
        unserved_provinces=_listed(form.unserved_provinces.data), carrier_codes=_listed(form.carrier_codes.data),
    )
    return services.save_warehouse(data, warehouse)


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def _listed(text: str | None) -> list[str]:
    """"新疆, 西藏，青海" → the names, for either comma."""
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


def _save_channel(form: ChannelForm, channel):
    data = services.ChannelData(
        code=form.code.data, platform=form.platform.data, shop_name=form.shop_name.data,
        unpaid_timeout_minutes=form.unpaid_timeout_minutes.data,
        auto_complete_days=(services.DEFAULT_AUTO_COMPLETE_DAYS if form.auto_complete_days.data is None
                            else form.auto_complete_days.data),
        default_warehouse_id=form.default_warehouse_id.data, active=form.active.data,
    )
    return services.save_channel(data, channel)


def _save_carrier(form: CarrierForm, carrier):
    data = services.CarrierData(code=form.code.data, name=form.name.data, active=form.active.data,
                                tracking_code=form.tracking_code.data or "")
    return services.save_carrier(data, carrier)


resources.register(bp, Resource(
    singular="warehouse", plural="warehouses", title=_l("仓库"), model=Warehouse, form_class=WarehouseForm,
    columns=(
        Column(_l("编码"), lambda w: w.code),
        Column(_l("名称"), lambda w: w.name),
        Column(_l("省市区"), lambda w: f"{w.province} {w.city} {w.district}".strip()),
        Column(_l("地址"), lambda w: w.address),
        Column(_l("坐标"), lambda w: f"{w.latitude:.4f}, {w.longitude:.4f}"),
        Column(_l("今日单量 / 日处理能力"), lambda w: f"{todays_load(w)} / {w.daily_capacity or '∞'}"),
        Column(_l("处理时长（小时）"), lambda w: w.handling_hours),
        Column(_l("合作快递"), lambda w: "、".join(w.carrier_codes) or _("全部")),
        Column(_l("截单时间"), lambda w: w.cutoff_time),
        Column(_l("不配送"), lambda w: "、".join(w.unserved_provinces)),
        Column(_l("优先级"), lambda w: w.priority),
        Column(_l("启用"), lambda w: _yes_no(w.active)),
    ),
    search_columns=(Warehouse.code, Warehouse.name, Warehouse.province, Warehouse.city),
    order_by=(Warehouse.priority, Warehouse.code), save=_save_warehouse, area=Area.SETTINGS,
))

resources.register(bp, Resource(
    singular="channel", plural="channels", title=_l("渠道"), model=Channel, form_class=ChannelForm,
    columns=(
        Column(_l("编码"), lambda c: c.code),
        Column(_l("平台"), lambda c: c.platform_label),
        Column(_l("店铺"), lambda c: c.shop_name),
        Column(_l("未付款超时"), lambda c: _("%(minutes)s 分钟", minutes=c.unpaid_timeout_minutes)),
        Column(_l("默认仓库"), lambda c: c.default_warehouse.name if c.default_warehouse else "—"),
        Column(_l("启用"), lambda c: _yes_no(c.active)),
    ),
    search_columns=(Channel.code, Channel.shop_name, Channel.platform),
    order_by=(Channel.code,), save=_save_channel, area=Area.SETTINGS,
))

resources.register(bp, Resource(
    singular="carrier", plural="carriers", title=_l("快递公司"), model=Carrier, form_class=CarrierForm,
    columns=(
        Column(_l("编码"), lambda c: c.code),
        Column(_l("名称"), lambda c: c.name),
        Column(_l("快递100 编码"), lambda c: c.tracking_company),
        Column(_l("启用"), lambda c: _yes_no(c.active)),
        Column(_l("运费模板"), _rate_card_link),
    ),
    search_columns=(Carrier.code, Carrier.name),
    order_by=(Carrier.code,), save=_save_carrier, area=Area.SETTINGS,
))
