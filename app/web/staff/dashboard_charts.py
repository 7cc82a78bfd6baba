"""The 工作台's charts as ECharts options (labels translated here; templates/_macros/charts.html draws
them): orders per shop per hour and shipping on time for who handles orders, stock cover for who keeps
stock, sync lag for who watches the channels."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.auth.roles import Area, may_open, works_on_orders
from app.domain.channels import health
from app.domain.inventory import queries as stock_queries
from app.domain.orders import queries as order_queries

SHANGHAI = ZoneInfo("Asia/Shanghai")
ON_TIME, LATE, BAR = "#15803d", "#b91c1c", "#2563eb"


@dataclass(frozen=True)
class Chart:
    chart_id: str
    label: str
    options: dict


def charts_for(role: str, now: datetime) -> list[Chart]:
    builders = ((Area.ORDERS, _orders_per_hour), (Area.ORDERS, _shipping_on_time),
                (Area.STOCK, _stock_cover), (Area.SYNC, _sync_lag))
    # Finance may read orders but does not work them: the order charts are for the roles that do.
    return [build(now) for area, build in builders
            if may_open(role, area) and (area != Area.ORDERS or works_on_orders(role))]


def _base(title: str, categories: list[str], horizontal: bool = False) -> dict:
    category_axis = {"type": "category", "data": categories}
    value_axis = {"type": "value", "minInterval": 1}
    return {"title": {"text": title, "textStyle": {"fontSize": 14}}, "tooltip": {"trigger": "axis"},
            "grid": {"left": 8, "right": 16, "bottom": 8, "top": 72, "containLabel": True},
            "xAxis": value_axis if horizontal else category_axis, "yAxis": category_axis if horizontal else value_axis}


def _orders_per_hour(now: datetime) -> Chart:
    hourly = order_queries.orders_per_channel_per_hour(now)
    title = _("近 24 小时各渠道订单数（每小时）")
    options = _base(title, [hour.astimezone(SHANGHAI).strftime("%H:00") for hour in hourly.hours])
    options["legend"] = {"top": 32, "type": "scroll"}
    options["series"] = [{"name": shop, "type": "bar", "stack": "orders", "data": counts}
                         for shop, counts in hourly.per_channel.items()]
    return Chart("orders-per-hour", title, options)


def _shipping_on_time(now: datetime) -> Chart:
    days = order_queries.shipping_compliance(now)
    on_time, late = sum(day.on_time for day in days), sum(day.late for day in days)
    share = f"{on_time * 100 // (on_time + late)}%" if on_time + late else "—"
    title = _("近 7 天按时发货：%(share)s", share=share)
    options = _base(title, [day.day.strftime("%m-%d") for day in days])
    options["legend"] = {"top": 32}
    options["series"] = [
        {"name": _("按时发货"), "type": "bar", "stack": "shipped", "color": ON_TIME, "data": [d.on_time for d in days]},
        {"name": _("超时发货"), "type": "bar", "stack": "shipped", "color": LATE, "data": [d.late for d in days]},
    ]
    return Chart("shipping-on-time", title, options)


def _stock_cover(now: datetime) -> Chart:
    covers = list(reversed(stock_queries.stock_cover()))  # the best seller on top of a horizontal chart
    title = _("热销商品库存可售天数")
    options = _base(title, [cover.sku_code for cover in covers], horizontal=True)
    options["xAxis"]["name"] = _("天")
    options["series"] = [{"name": _("可售天数"), "type": "bar", "color": BAR,
                          "data": [cover.days for cover in covers]}]
    return Chart("stock-cover", title, options)


def _sync_lag(now: datetime) -> Chart:
    lags = health.sync_lags(now)
    title = _("各渠道同步延迟（分钟）")
    options = _base(title, [shop for shop, _lag in lags])
    options["series"] = [{"name": _("延迟（分钟）"), "type": "bar", "color": BAR,
                          "data": [round(lag.total_seconds() / 60, 1) if lag else None for _shop, lag in lags]}]
    return Chart("sync-lag", title, options)
