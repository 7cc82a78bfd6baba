"""How an order that no single warehouse can fill is reserved over several: pure functions of the
demand (sku id → units), the candidate warehouses in order of preference, and what each has available
((warehouse id, sku id) → units, by a plain read; the guarded updates decide).

First choice: each SKU whole in one warehouse, greedily the warehouse that fills the most SKUs left, so
the parcels are few. Only when some SKU fits whole in no warehouse is a SKU's quantity split: the fewest
warehouses whose stock adds up, the first such set in the order of preference.
"""

from itertools import combinations

#: Above this many candidate warehouses the quantity split is greedy instead of searched exhaustively.
MAX_SEARCHED_WAREHOUSES = 8

Split = list[tuple[int, dict[int, int]]]  #: (warehouse id, {sku id: units}), the main warehouse first


def whole_skus(demand: dict[int, int], warehouse_ids: list[int], available: dict[tuple[int, int], int]) -> Split:
    """Warehouses (each with the SKUs it would hold) that together fill ``demand``, each SKU whole in
    one of them: greedily the warehouse that fills the most SKUs left, ties in the given order. Empty
    when some SKU fits whole nowhere (or there is one SKU: that was the single warehouse's case)."""
    if len(demand) < 2:
        return []
    fits = {w: {s for s, q in demand.items() if available.get((w, s), 0) >= q} for w in warehouse_ids}
    left, split = set(demand), []
    while left:
        best = max(warehouse_ids, key=lambda w: len(fits[w] & left))  # max keeps the first of equals
        taken = fits[best] & left
        if not taken:
            return []
        split.append((best, {s: demand[s] for s in sorted(taken)}))
        left -= taken
    return split


def split_quantities(demand: dict[int, int], warehouse_ids: list[int],
                     available: dict[tuple[int, int], int]) -> Split:
    """Warehouses (each with the units of each SKU it would hold) that together fill ``demand``, a SKU's
    units split where no warehouse has them all: the fewest warehouses whose stock adds up (the first
    such set in the given order), each SKU whole in the first of them that has it all, else filled from
    them in that order. The warehouse holding most units comes first (ties: the given order). Empty when
    the warehouses together are short of some SKU."""
    if not demand or any(sum(available.get((w, s), 0) for w in warehouse_ids) < q for s, q in demand.items()):
        return []
    group = fewest_warehouses(demand, warehouse_ids, available)
    split = [(w, part) for w, part in ((w, shares(demand, group, available, w)) for w in group) if part]
    return sorted(split, key=lambda pair: -sum(pair[1].values()))  # stable: ties keep the given order


def fewest_warehouses(demand: dict[int, int], warehouse_ids: list[int],
                      available: dict[tuple[int, int], int]) -> list[int]:
    """The first smallest set of ``warehouse_ids`` (in their order) whose stock adds up to ``demand``;
    above MAX_SEARCHED_WAREHOUSES candidates, greedily the warehouse covering most of what is left."""
    def enough(group) -> bool:
        return all(sum(available.get((w, s), 0) for w in group) >= q for s, q in demand.items())
    if len(warehouse_ids) <= MAX_SEARCHED_WAREHOUSES:
        for size in range(1, len(warehouse_ids) + 1):
            group = next((list(g) for g in combinations(warehouse_ids, size) if enough(g)), None)
            if group is not None:
                return group
        return []
    group: list[int] = []
    left = dict(demand)
    while any(left.values()):
        best = max((w for w in warehouse_ids if w not in group),
                   key=lambda w: sum(min(q, available.get((w, s), 0)) for s, q in left.items()))
        group.append(best)
        left = {s: max(0, q - available.get((best, s), 0)) for s, q in left.items()}
    return [w for w in warehouse_ids if w in group]


def shares(demand: dict[int, int], group: list[int], available: dict[tuple[int, int], int],
           warehouse_id: int) -> dict[int, int]:
    """The units of each SKU that ``warehouse_id`` of ``group`` holds: a SKU whole in the first of the
    group that has it all, else filled from the group in its order."""
    part = {}
    for sku_id, quantity in sorted(demand.items()):
        whole = next((w for w in group if available.get((w, sku_id), 0) >= quantity), None)
        if whole is not None:
            units = quantity if whole == warehouse_id else 0
        else:
            before = sum(min(quantity, available.get((w, sku_id), 0)) for w in group[:group.index(warehouse_id)])
            units = max(0, min(quantity - before, available.get((warehouse_id, sku_id), 0)))
        if units:
            part[sku_id] = units
    return part
