"""The routing engine as a rule chain (filter → sort → act), in pure functions: data in, plan out.

The same code serves live routing (services.py), the plan API and simulation. A split parcel carries
whole SKUs where any split can; only when some SKU fits whole in no warehouse is its quantity divided
between parcels (inventory holds one reservation per order × warehouse × SKU).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations, permutations, product

from app.domain.routing.rates import Item, Rate, chargeable_weight_g, freight_fen

STRATEGIES = ("nearest", "cheapest", "fastest", "balanced")
DEFAULT_WEIGHTS = {"cost": 1.0, "distance": 1.0, "eta": 1.0}
EARTH_RADIUS_KM = 6371.0
#: A split is searched over at most this many warehouses per parcel set (larger sets are unrealistic
#: for an order of a few lines, and the search grows combinatorially).
MAX_SPLIT_PARCELS = 4
#: A quantity split's exact search keeps at most this many distinct parcel loads per warehouse set;
#: beyond it (orders of many units) each order of the set's warehouses is filled greedily instead.
MAX_SPLIT_STATES = 20_000

# Why a warehouse was excluded or lost; services.py and the pages give each its words.
NO_STOCK = "no_stock"
UNSERVED = "unserved"
NO_CAPACITY = "no_capacity"
NO_CARRIER = "no_carrier"
CARRIER_RULE = "carrier_rule"  #: carriers reach the destination, but none the channel's rule allows
RESERVED = "reserved"  #: the warehouse ships for another channel only
RESTRICTED = "restricted"  #: a SKU of the order is not sold to the destination's province (限购)
LOST = "lost"
WON = "won"


@dataclass(frozen=True)
class Site:
    """A warehouse as the engine sees it."""

    code: str
    province: str
    latitude: float
    longitude: float
    priority: int
    stock: dict[int, int]  #: sku id → units this order may take there
    capacity_left: int | None  #: None: no daily limit
    handling_hours: int
    cutoff_passed: bool
    unserved: frozenset[str] = frozenset()
    carriers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Destination:
    province: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Strategy:
    name: str = "cheapest"
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    #: Only these carriers may ship (a channel rule, e.g. JD orders → 京东物流); empty: any.
    carriers: tuple[str, ...] = ()
    #: The order's channel platform, for the warehouse reservations below.
    channel: str = ""
    #: warehouse code → the only platform it ships for (a warehouse reserved for one channel).
    reserved: dict = field(default_factory=dict)
    #: (sku id, province) pairs not sold or shipped there (限购 regions).
    restricted: frozenset = frozenset()


@dataclass(frozen=True)
class Option:
    """One way to ship some items: from a site with a carrier."""

    site: str
    carrier: str
    sku_ids: tuple[int, ...]
    weight_g: int
    cost_fen: int
    distance_km: float
    eta_hours: int
    #: the units of each of ``sku_ids`` this parcel carries (a SKU may be split between parcels)
    quantities: tuple[int, ...] = ()

    @property
    def units(self) -> dict[int, int]:
        return dict(zip(self.sku_ids, self.quantities, strict=True))


@dataclass(frozen=True)
class Candidate:
    site: str
    verdict: str  #: WON, LOST or an exclusion reason
    option: Option | None = None


@dataclass(frozen=True)
class Plan:
    strategy: str
    parcels: tuple[Option, ...]
    candidates: tuple[Candidate, ...]

    @property
    def routed(self) -> bool:
        return bool(self.parcels)

    @property
    def cost_fen(self) -> int:
        return sum(parcel.cost_fen for parcel in self.parcels)

    @property
    def eta_hours(self) -> int:
        return max((parcel.eta_hours for parcel in self.parcels), default=0)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def plan(items: list[Item], sites: list[Site], rates: dict[tuple[str, str, str], Rate],
         destination: Destination, strategy: Strategy) -> Plan:
    """Route one order: the best single warehouse, else the smallest split (fewest parcels, then the
    strategy's order), else no parcels — every candidate with its verdict either way."""
    if any((item.sku_id, destination.province) in strategy.restricted for item in items):
        return Plan(strategy.name, (), tuple(Candidate(site.code, RESTRICTED) for site in sites))
    reachable: dict[str, list[Option]] = {}
    verdicts: dict[str, str] = {}
    for site in sites:
        verdict = _exclusion(site, destination, strategy)
        options = [] if verdict else _options(site, items, rates, destination, strategy)
        if not verdict and not options:
            verdict = NO_CARRIER
            if strategy.carriers and _options(site, items, rates, destination, Strategy(strategy.name)):
                verdict = CARRIER_RULE
        if verdict:
            verdicts[site.code] = verdict
        else:
            reachable[site.code] = options
    by_code = {site.code: site for site in sites}
    whole = {code: options for code, options in reachable.items() if _holds(by_code[code], items)}
    best = _ranked([_best(options, by_code, strategy) for options in whole.values()], by_code, strategy)
    if best:
        parcels: tuple[Option, ...] = (best[0],)
    else:
        group = [by_code[code] for code in reachable]
        parcels = (_split(items, group, rates, destination, strategy)
                   or _split_quantities(items, group, rates, destination, strategy))
    for code in reachable:
        if code not in whole and not any(parcel.site == code for parcel in parcels):
            verdicts[code] = NO_STOCK
    winners = {parcel.site for parcel in parcels}
    candidates = []
    for site in sites:
        option = next((o for o in best if o.site == site.code), None)
        verdict = WON if site.code in winners else verdicts.get(site.code, LOST)
        candidates.append(Candidate(site.code, verdict, option))
    return Plan(strategy.name, parcels, tuple(candidates))


def _exclusion(site: Site, destination: Destination, strategy: Strategy) -> str | None:
    if site.code in strategy.reserved and strategy.reserved[site.code] != strategy.channel:
        return RESERVED
    if destination.province in site.unserved:
        return UNSERVED
    if site.capacity_left is not None and site.capacity_left <= 0:
        return NO_CAPACITY
    return None


def _holds(site: Site, items: list[Item]) -> bool:
    return all(site.stock.get(item.sku_id, 0) >= item.quantity for item in items)


def _options(site: Site, items: list[Item], rates, destination: Destination, strategy: Strategy) -> list[Option]:
    """Every carrier of the site that serves origin → destination, priced for ``items``."""
    options = []
    for carrier in site.carriers:
        if strategy.carriers and carrier not in strategy.carriers:
            continue
        rate = rates.get((carrier, site.province, destination.province))
        if rate is None or not rate.served:
            continue
        options.append(_option(site, carrier, rate, items, destination))
    return options


def _option(site: Site, carrier: str, rate: Rate, items, destination: Destination) -> Option:
    weight = chargeable_weight_g(items, rate.volumetric_divisor)
    eta = site.handling_hours + (24 if site.cutoff_passed else 0) + rate.transit_days * 24
    ordered = sorted(items, key=lambda item: item.sku_id)
    return Option(site.code, carrier, tuple(item.sku_id for item in ordered), weight,
                  freight_fen(rate, weight),
                  round(distance_km(site.latitude, site.longitude, destination.latitude, destination.longitude), 1),
                  eta, tuple(item.quantity for item in ordered))


def _best(options: list[Option], by_code: dict[str, Site], strategy: Strategy) -> Option:
    return _ranked(options, by_code, strategy)[0]


def _ranked(options: list[Option], by_code: dict[str, Site], strategy: Strategy) -> list[Option]:
    """Best first by the strategy; ties by the warehouse's priority, then its code, then the carrier."""
    score = _scorer(options, strategy)
    return sorted(options, key=lambda o: (score(o), by_code[o.site].priority, o.site, o.carrier))


def _scorer(options: list[Option], strategy: Strategy):
    name = strategy.name
    if name == "nearest":
        return lambda o: (o.distance_km, o.cost_fen)
    if name == "fastest":
        return lambda o: (o.eta_hours, o.cost_fen)
    if name == "balanced":
        return _balanced(options, strategy.weights)
    return lambda o: (o.cost_fen, o.eta_hours)


def _balanced(options: list[Option], weights: dict):
    """Each measure divided by the best value among the options, weighted and summed: 0 is not
    reachable, the best possible option scores the sum of the weights."""
    if not options:
        return lambda o: 0
    least_cost = max(1, min(o.cost_fen for o in options))
    least_distance = max(1.0, min(o.distance_km for o in options))
    least_eta = max(1, min(o.eta_hours for o in options))
    return lambda o: round(weights.get("cost", 0) * o.cost_fen / least_cost
                           + weights.get("distance", 0) * o.distance_km / least_distance
                           + weights.get("eta", 0) * o.eta_hours / least_eta, 9)


def _split(items: list[Item], sites: list[Site], rates, destination: Destination,
           strategy: Strategy) -> tuple[Option, ...]:
    """The fewest parcels that ship everything, each SKU whole from one warehouse; among those the
    cheapest in total (then the earliest arrival). Empty when no combination can."""
    for size in range(2, min(len(items), len(sites), MAX_SPLIT_PARCELS) + 1):
        best = _cheapest(parcels for group in combinations(sites, size)
                         for parcels in _assignments(items, group, rates, destination, strategy))
        if best is not None:
            return best
    return ()


def _cheapest(splits: Iterable[tuple[Option, ...]]) -> tuple[Option, ...] | None:
    """The split cheapest in total, then the earliest to arrive, then by warehouse; None when none."""
    return min(splits, key=lambda parcels: (sum(p.cost_fen for p in parcels), max(p.eta_hours for p in parcels),
                                            tuple(p.site for p in parcels)), default=None)


def _assignments(items: list[Item], group: tuple[Site, ...], rates, destination: Destination, strategy: Strategy):
    """Every way to give each item to a site of ``group`` that holds it, using every site; one parcel
    per site, with the site's best carrier for its share."""
    holders = [[site for site in group if site.stock.get(item.sku_id, 0) >= item.quantity] for item in items]
    if any(not choices for choices in holders):
        return
    by_code = {site.code: site for site in group}
    for choice in product(*holders):
        if len({site.code for site in choice}) < len(group):
            continue
        parcels = []
        for site in group:
            share = [item for item, holder in zip(items, choice, strict=True) if holder is site]
            options = _options(site, share, rates, destination, strategy)
            if not options:
                break
            parcels.append(_best(options, by_code, strategy))
        else:
            yield tuple(parcels)


def _split_quantities(items: list[Item], sites: list[Site], rates, destination: Destination,
                      strategy: Strategy) -> tuple[Option, ...]:
    """When no split of whole SKUs ships everything: the fewest parcels whose warehouses together hold
    enough, a SKU's units divided between them; among those the cheapest in total (then the earliest
    arrival). Empty when no combination can."""
    for size in range(2, min(len(sites), MAX_SPLIT_PARCELS) + 1):
        best = _cheapest(parcels for group in combinations(sites, size)
                         for parcels in _divided(items, group, rates, destination, strategy))
        if best is not None:
            return best
    return ()


def _divided(items: list[Item], group: tuple[Site, ...], rates, destination: Destination, strategy: Strategy):
    """Every priced way to divide the items' units between the sites of ``group``; none when the group
    together holds too little of some SKU."""
    if any(sum(site.stock.get(item.sku_id, 0) for site in group) < item.quantity for item in items):
        return
    for loads in _divisions(items, group):
        parcels = _priced(loads, items, group, rates, destination, strategy)
        if parcels is not None:
            yield parcels


def _divisions(items: list[Item], group: tuple[Site, ...]):
    """Ways to divide every item's units between the sites of ``group`` (within each site's stock) that
    give every site something, one per distinct set of parcel loads (weight, volume, used per site: all
    that prices a parcel). Each is a tuple of per-site {item index: units}. Past MAX_SPLIT_STATES loads,
    one greedy division per order of the sites instead."""
    states: dict[tuple, tuple] = {tuple((0, 0, False) for _ in group): tuple({} for _ in group)}
    for index, item in enumerate(items):
        following: dict[tuple, tuple] = {}
        caps = [min(item.quantity, site.stock.get(item.sku_id, 0)) for site in group]
        for state, shares in states.items():
            for units in _compositions(item.quantity, caps):
                key = tuple((weight + item.weight_g * n, volume + item.volume_cm3 * n, used or n > 0)
                            for (weight, volume, used), n in zip(state, units, strict=True))
                if key not in following:
                    following[key] = tuple({**share, index: n} if n else share
                                           for share, n in zip(shares, units, strict=True))
            if len(following) > MAX_SPLIT_STATES:
                yield from _greedy_divisions(items, group)
                return
        states = following
    for state, shares in states.items():
        if all(used for _weight, _volume, used in state):
            yield shares


def _compositions(total: int, caps: list[int]):
    """Every way to write ``total`` as a sum of len(caps) parts, each between 0 and its cap."""
    if len(caps) == 1:
        if total <= caps[0]:
            yield (total,)
        return
    room = sum(caps[1:])
    for first in range(max(0, total - room), min(total, caps[0]) + 1):
        for rest in _compositions(total - first, caps[1:]):
            yield (first, *rest)


def _greedy_divisions(items: list[Item], group: tuple[Site, ...]):
    """One division per order of the sites: each item whole from the first that has it all, else
    filled in that order."""
    for order in permutations(range(len(group))):
        shares: tuple[dict, ...] = tuple({} for _ in group)
        for index, item in enumerate(items):
            whole = next((i for i in order if group[i].stock.get(item.sku_id, 0) >= item.quantity), None)
            left = item.quantity
            for i in ([whole] if whole is not None else order):
                n = min(left, group[i].stock.get(item.sku_id, 0))
                if n:
                    shares[i][index] = n
                    left -= n
        if all(shares):
            yield shares


def _priced(loads: tuple[dict, ...], items: list[Item], group: tuple[Site, ...], rates, destination: Destination,
            strategy: Strategy) -> tuple[Option, ...] | None:
    """One parcel per site of ``group`` for its load ({item index: units}), with the site's best carrier
    for it; None when some site has no carrier that serves it."""
    by_code = {site.code: site for site in group}
    parcels = []
    for site, load in zip(group, loads, strict=True):
        share = [Item(items[i].sku_id, n, items[i].weight_g, items[i].volume_cm3) for i, n in sorted(load.items())]
        options = _options(site, share, rates, destination, strategy)
        if not options:
            return None
        parcels.append(_best(options, by_code, strategy))
    return tuple(parcels)


def shipped_parcel(site: Site, carrier: str, items: list[Item], rates, destination: Destination) -> Option | None:
    """A parcel as it really went (warehouse and carrier chosen already), priced like the engine's own;
    None when the cards have no served row for it."""
    rate = rates.get((carrier, site.province, destination.province))
    return None if rate is None or not rate.served else _option(site, carrier, rate, items, destination)
