"""Reads for the routing pages: open orders to simulate, and a simulation's figures."""

from dataclasses import dataclass

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.orders.models import Order
from app.domain.reference.models import Channel, Warehouse
from app.domain.routing import facts, services
from app.domain.routing.engine import Plan

#: A simulation replans at most this many open orders (the newest), so the page answers in seconds.
SIMULATION_LIMIT = 300


@dataclass
class Simulation:
    strategy: str
    orders: int = 0
    routed: int = 0
    splits: int = 0
    cost_fen: int = 0
    eta_hours: int = 0
    differences: int = 0  #: orders whose warehouses differ from the strategy in force

    @property
    def average_eta_hours(self) -> float:
        return round(self.eta_hours / self.routed, 1) if self.routed else 0.0


def todays_load(warehouse: Warehouse) -> int:
    """Paid orders the warehouse has taken today (Shanghai day): what its daily capacity is measured by."""
    return facts.todays_loads(utcnow()).get(warehouse.id, 0)


@dataclass(frozen=True)
class SimulatedOrder:
    """One open order under the strategy in force and under the candidate (None: not routable)."""

    order_no: str
    today: Plan | None
    trial: Plan | None

    @property
    def different(self) -> bool:
        return _sites(self.today) != _sites(self.trial)


def open_orders(limit: int = SIMULATION_LIMIT) -> list[Order]:
    """Paid orders not shipped yet, from channels that are routed (no warehouse of their own)."""
    return list(db.session.scalars(
        select(Order).join(Channel).where(Order.status.in_(services.ROUTABLE), Order.shipped_at.is_(None),
                                          Channel.default_warehouse_id.is_(None))
        .order_by(Order.id.desc()).limit(limit)))


def simulate(candidate: str, orders: list[Order]) -> tuple[Simulation, Simulation, list[SimulatedOrder]]:
    """How ``orders`` route under the strategy in force and under ``candidate`` — in total and per
    order; nothing is written."""
    current = services.strategy_for(None)
    now_figures, candidate_figures = Simulation(current.name), Simulation(candidate)
    rows = []
    for order in orders:
        row = SimulatedOrder(order.order_no, services.plan_for(order, services.strategy_for(order, current.name)),
                             services.plan_for(order, services.strategy_for(order, candidate)))
        _count(now_figures, row.today)
        _count(candidate_figures, row.trial)
        candidate_figures.differences += row.different
        rows.append(row)
    return now_figures, candidate_figures, rows


def _count(figures: Simulation, plan: Plan | None) -> None:
    figures.orders += 1
    if plan is None or not plan.routed:
        return
    figures.routed += 1
    figures.splits += len(plan.parcels) > 1
    figures.cost_fen += plan.cost_fen
    figures.eta_hours += plan.eta_hours


def _sites(plan: Plan | None) -> tuple:
    return () if plan is None else tuple((p.site, p.carrier) for p in plan.parcels)
