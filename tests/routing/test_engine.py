"""The engine's strategies, exclusions and splits on hand-computed scenarios (pure: no database)."""

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.routing import engine
from app.domain.routing.engine import Destination, Site, Strategy, distance_km, plan
from app.domain.routing.rates import Item, Rate, freight_fen

HANGZHOU = Destination("浙江省", 30.27, 120.15)
ONE_KG = [Item(1, 1, 1000, 0)]


def site(code, province="上海市", lat=31.23, lng=121.47, stock=None, priority=1, capacity=None, handling=12,
         cutoff_passed=False, unserved=(), carriers=("zt", "sf")):
    return Site(code, province, lat, lng, priority, stock if stock is not None else {1: 10}, capacity, handling,
                cutoff_passed, frozenset(unserved), carriers)


def rate(carrier, first_fen, days, served=True):
    return Rate(carrier, 1000, first_fen, 200, 1000, 6000, 0, days, served)


def rates_for(origins, table):
    """table: carrier → (first_fen by origin, days by origin)"""
    return {(carrier, origin, "浙江省"): rate(carrier, fens[i], days[i])
            for carrier, (fens, days) in table.items() for i, origin in enumerate(origins)}


SH = site("SH", "上海市", 31.23, 121.47, priority=2)
GZ = site("GZ", "广东省", 23.13, 113.26, priority=1)
RATES = rates_for(["上海市", "广东省"], {"zt": ([700, 600], [1, 3]), "sf": ([1300, 1400], [1, 1])})


def test_nearest_picks_the_warehouse_closest_to_the_destination():
    result = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("nearest"))
    assert [p.site for p in result.parcels] == ["SH"]
    assert result.parcels[0].distance_km == round(distance_km(31.23, 121.47, 30.27, 120.15), 1)
    assert result.parcels[0].carrier == "zt"  # same distance for both carriers: the cheaper wins


def test_cheapest_picks_the_lowest_freight_even_from_far_away():
    result = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("cheapest"))
    assert (result.parcels[0].site, result.parcels[0].carrier, result.cost_fen) == ("GZ", "zt", 600)
    verdicts = {c.site: c.verdict for c in result.candidates}
    assert verdicts == {"GZ": engine.WON, "SH": engine.LOST}
    assert next(c for c in result.candidates if c.site == "SH").option.cost_fen == 700


def test_fastest_counts_handling_transit_and_a_passed_cut_off():
    late_sh = site("SH", "上海市", 31.23, 121.47, priority=2, cutoff_passed=True)
    result = plan(ONE_KG, [GZ, late_sh], RATES, HANGZHOU, Strategy("fastest"))
    # GZ by sf: 12 h + 24 h; SH by zt: 12 + 24 (cut-off) + 24 = 60 h
    assert (result.parcels[0].site, result.parcels[0].carrier, result.eta_hours) == ("GZ", "sf", 36)


def test_balanced_weighs_the_measures_against_the_best_of_each():
    only_cost = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("balanced", {"cost": 1, "distance": 0, "eta": 0}))
    assert only_cost.parcels[0].site == "GZ"
    # SH/zt: 700/600 + 166/166 + 36/36 ≈ 3.2; GZ/zt: 600/600 + ~1050/166 + 84/36 ≈ 9.7 → SH
    even = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("balanced", {"cost": 1, "distance": 1, "eta": 1}))
    assert (even.parcels[0].site, even.parcels[0].carrier) == ("SH", "zt")


def test_ties_go_to_the_higher_priority_then_the_code():
    twin_a = site("B", priority=1)
    twin_b = site("A", priority=1)
    third = site("C", priority=0)
    rates = rates_for(["上海市"], {"zt": ([700], [1]), "sf": ([1300], [1])})
    assert plan(ONE_KG, [twin_a, twin_b, third], rates, HANGZHOU, Strategy("cheapest")).parcels[0].site == "C"
    assert plan(ONE_KG, [twin_a, twin_b], rates, HANGZHOU, Strategy("cheapest")).parcels[0].site == "A"


def test_capacity_region_and_carrier_exclusions_are_named():
    full = site("FULL", capacity=0)
    closed = site("NOZJ", unserved=("浙江省",))
    empty = site("EMPTY", stock={1: 0})
    no_card = site("FAR", province="西藏自治区")
    ok = site("OK", capacity=5)
    rates = rates_for(["上海市"], {"zt": ([700], [1]), "sf": ([1300], [1])})
    result = plan(ONE_KG, [full, closed, empty, no_card, ok], rates, HANGZHOU, Strategy("cheapest"))
    assert {c.site: c.verdict for c in result.candidates} == {
        "FULL": engine.NO_CAPACITY, "NOZJ": engine.UNSERVED, "EMPTY": engine.NO_STOCK,
        "FAR": engine.NO_CARRIER, "OK": engine.WON}


def test_unserved_rate_pairs_and_channel_carrier_rules_remove_carriers():
    rates = {("zt", "上海市", "浙江省"): rate("zt", 700, 1, served=False), ("sf", "上海市", "浙江省"): rate("sf", 1300, 1)}
    assert plan(ONE_KG, [site("SH")], rates, HANGZHOU, Strategy("cheapest")).parcels[0].carrier == "sf"
    jd_only = plan(ONE_KG, [site("SH")], rates, HANGZHOU, Strategy("cheapest", carriers=("jd",)))
    assert not jd_only.routed
    assert jd_only.candidates[0].verdict == engine.CARRIER_RULE  # the channel rule, not the cards, excluded it


def test_split_only_when_no_single_warehouse_holds_everything():
    items = [Item(1, 1, 1000, 0), Item(2, 1, 1000, 0)]
    has_1 = site("H1", stock={1: 5})
    has_2 = site("H2", stock={2: 5})
    rates = rates_for(["上海市"], {"zt": ([700], [1])})
    result = plan(items, [has_1, has_2], rates, HANGZHOU, Strategy("cheapest"))
    assert sorted((p.site, p.sku_ids) for p in result.parcels) == [("H1", (1,)), ("H2", (2,))]
    both = site("ALL", stock={1: 5, 2: 5}, priority=9)
    whole = plan(items, [has_1, has_2, both], rates, HANGZHOU, Strategy("cheapest"))
    assert [(p.site, p.sku_ids, p.cost_fen) for p in whole.parcels] == [("ALL", (1, 2), 700 + 200)]


def test_nothing_ships_when_a_sku_is_nowhere():
    result = plan([Item(1, 1, 100, 0), Item(9, 1, 100, 0)], [site("SH")],
                  rates_for(["上海市"], {"zt": ([700], [1])}), HANGZHOU, Strategy("cheapest"))
    assert not result.routed
    assert result.candidates[0].verdict == engine.NO_STOCK


# Split minimality against brute force: every assignment of SKUs to warehouses that hold them, and (only
# when no such assignment ships everything) every division of each SKU's units between warehouses.

PROVINCES = ["上海市", "广东省", "北京市"]


@st.composite
def scenarios(draw, max_quantity=3):
    n_items = draw(st.integers(1, 4))
    items = [Item(sku, draw(st.integers(1, max_quantity)), draw(st.integers(100, 3000)), 0)
             for sku in range(1, n_items + 1)]
    sites = []
    for index in range(draw(st.integers(1, 4))):
        stock = {sku: draw(st.integers(0, 4)) for sku in range(1, n_items + 1)}
        sites.append(site(f"W{index}", province=PROVINCES[index % 3], stock=stock, priority=index,
                          carriers=("zt",)))
    rates = {("zt", province, "浙江省"): Rate("zt", 1000, draw(st.integers(300, 1500)), draw(st.integers(100, 800)),
                                             1000, 6000, 0, 2) for province in PROVINCES}
    return items, sites, rates


def brute_force(items, sites, rates):
    """(parcels, cost) of the best assignment: fewest parcels, then cheapest; None if none ships."""
    holders = [[s for s in sites if s.stock.get(item.sku_id, 0) >= item.quantity] for item in items]
    best = None
    for choice in product(*holders):
        used = {s.code: s for s in choice}
        cost = 0
        for code, s in used.items():
            weight = sum(i.weight_g * i.quantity for i, h in zip(items, choice, strict=True) if h.code == code)
            cost += freight_fen(rates[("zt", s.province, "浙江省")], weight)
        key = (len(used), cost)
        if best is None or key < best:
            best = key
    return best


def brute_force_divided(items, sites, rates):
    """(parcels, cost) of the best division of every item's units between the sites (each within its
    stock): fewest parcels, then cheapest; None if none ships. Every division is tried; only the per-site
    weights it comes to are kept from one item to the next (they are all that a parcel's price depends on,
    and every weight is positive, so a site is used exactly when its weight is)."""
    loads = {tuple(0 for _ in sites)}
    for item in items:
        ways = [units for units in product(*(range(min(item.quantity, s.stock.get(item.sku_id, 0)) + 1)
                                             for s in sites)) if sum(units) == item.quantity]
        loads = {tuple(w + item.weight_g * n for w, n in zip(load, units, strict=True))
                 for load in loads for units in ways}
    best = None
    for load in loads:
        used = [(s, w) for s, w in zip(sites, load, strict=True) if w]
        key = (len(used), sum(freight_fen(rates[("zt", s.province, "浙江省")], w) for s, w in used))
        if best is None or key < best:
            best = key
    return best


def check_minimal(items, sites, rates):
    result = plan(items, sites, rates, HANGZHOU, Strategy("cheapest"))
    expected = brute_force(items, sites, rates) or brute_force_divided(items, sites, rates)
    if expected is None:
        assert not result.routed
        return
    assert (len(result.parcels), result.cost_fen) == expected
    shipped: dict[int, int] = {}
    stock = {s.code: s.stock for s in sites}
    for parcel in result.parcels:
        assert all(0 < units <= stock[parcel.site].get(sku, 0) for sku, units in parcel.units.items())
        for sku, units in parcel.units.items():
            shipped[sku] = shipped.get(sku, 0) + units
    assert shipped == {item.sku_id: item.quantity for item in items}
    if brute_force(items, sites, rates) is not None:  # whole SKUs wherever they can be
        assert sorted(sku for parcel in result.parcels for sku in parcel.sku_ids) == [i.sku_id for i in items]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_split_is_minimal_in_parcels_then_cost(scenario):
    check_minimal(*scenario)


@settings(max_examples=150, deadline=None)
@given(scenarios(max_quantity=6))
def test_a_divided_sku_is_minimal_in_parcels_then_cost_too(scenario):
    """Larger quantities than the stock of one warehouse, so that most splits divide a SKU's units."""
    check_minimal(*scenario)


def test_one_sku_no_warehouse_has_enough_of_is_divided_between_two():
    # 5 × A: H1 has 3, H2 has 2, H3 has 4; no one has 5. Two parcels either way (H1+H2, H1+H3, H2+H3);
    # H3 is dearest, so H1 (3 kg, 7 + 2 × 2 = ¥11) + H2 (2 kg, 6 + 2 = ¥8).
    items = [Item(1, 5, 1000, 0)]
    sites = [site("H1", stock={1: 3}, carriers=("zt",)), site("H2", "广东省", stock={1: 2}, carriers=("zt",)),
             site("H3", "北京市", stock={1: 4}, carriers=("zt",))]
    rates = rates_for(["上海市", "广东省", "北京市"], {"zt": ([700, 600, 1500], [1, 2, 3])})
    result = plan(items, sites, rates, HANGZHOU, Strategy("cheapest"))
    assert [(p.site, p.units, p.cost_fen) for p in result.parcels] == [("H1", {1: 3}, 1100), ("H2", {1: 2}, 800)]
    assert {c.site: c.verdict for c in result.candidates} == {"H1": engine.WON, "H2": engine.WON,
                                                              "H3": engine.NO_STOCK}


def test_a_whole_sku_split_wins_over_a_divided_one_with_as_many_parcels():
    # A × 2 and B × 2: H1 holds A 2, B 1; H2 holds B 2 — whole SKUs (H1: A, H2: B), not B divided
    # (H1: A 2 + B 1, H2: B 1), though that too is two parcels.
    items = [Item(1, 2, 1000, 0), Item(2, 2, 1000, 0)]
    sites = [site("H1", stock={1: 2, 2: 1}, carriers=("zt",)), site("H2", "广东省", stock={2: 2}, carriers=("zt",))]
    rates = rates_for(["上海市", "广东省"], {"zt": ([300, 1500], [1, 1])})
    result = plan(items, sites, rates, HANGZHOU, Strategy("cheapest"))
    assert sorted((p.site, p.units) for p in result.parcels) == [("H1", {1: 2}), ("H2", {2: 2})]


def test_not_enough_anywhere_together_is_not_routed():
    items = [Item(1, 5, 1000, 0)]
    sites = [site("H1", stock={1: 3}), site("H2", "广东省", stock={1: 1})]
    result = plan(items, sites, RATES, HANGZHOU, Strategy("cheapest"))
    assert not result.routed
    assert {c.verdict for c in result.candidates} == {engine.NO_STOCK}


def test_a_channel_carrier_rule_keeps_only_its_carriers():
    # cheapest overall is GZ by zt (¥6); JD orders ship by sf only: SH ¥13 beats GZ ¥14.
    result = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("cheapest", carriers=("sf",), channel="jd"))
    assert [(p.site, p.carrier, p.cost_fen) for p in result.parcels] == [("SH", "sf", 1300)]


def test_a_warehouse_reserved_for_one_channel_ships_only_its_orders():
    reserved = {"GZ": "jd"}
    taobao = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("cheapest", channel="taobao", reserved=reserved))
    assert [p.site for p in taobao.parcels] == ["SH"]
    assert {c.site: c.verdict for c in taobao.candidates} == {"GZ": engine.RESERVED, "SH": engine.WON}
    jd = plan(ONE_KG, [GZ, SH], RATES, HANGZHOU, Strategy("cheapest", channel="jd", reserved=reserved))
    assert [(p.site, p.cost_fen) for p in jd.parcels] == [("GZ", 600)]


def test_a_sku_restricted_in_the_destination_province_is_not_routed_anywhere():
    items = [Item(1, 1, 1000, 0), Item(2, 1, 1000, 0)]
    everywhere = site("SH", stock={1: 5, 2: 5})
    rules = Strategy("cheapest", restricted=frozenset({(2, "浙江省")}))
    result = plan(items, [everywhere], RATES, HANGZHOU, rules)
    assert not result.routed
    assert [c.verdict for c in result.candidates] == [engine.RESTRICTED]
    elsewhere = Strategy("cheapest", restricted=frozenset({(2, "新疆维吾尔自治区")}))
    assert plan(items, [everywhere], RATES, HANGZHOU, elsewhere).routed
