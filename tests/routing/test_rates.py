"""Rate-card arithmetic, worked by hand."""

from app.domain.routing.rates import Item, Rate, chargeable_weight_g, freight_fen

CARD = Rate("zhongtong", first_weight_g=1000, first_fen=800, extra_fen_per_kg=300, step_g=1000,
            volumetric_divisor=6000, surcharge_fen=0, transit_days=2)


def test_within_the_first_weight_costs_the_first_price():
    assert freight_fen(CARD, 1) == 800
    assert freight_fen(CARD, 1000) == 800


def test_additional_weight_is_charged_per_started_step():
    assert freight_fen(CARD, 1001) == 800 + 300
    assert freight_fen(CARD, 2000) == 800 + 300
    assert freight_fen(CARD, 3500) == 800 + 3 * 300


def test_a_half_kilo_step_prorates_the_kilo_price_rounding_up_to_the_fen():
    card = Rate("sf", 1000, 1200, 325, 500, 6000, 0, 1)
    # 1.2 kg: 0.2 kg over → one 500 g step → 325 × 0.5 = 162.5 → 163 fen
    assert freight_fen(card, 1200) == 1200 + 163
    # 2.0 kg: two steps → 325 exactly
    assert freight_fen(card, 2000) == 1200 + 325


def test_remote_surcharge_is_added_to_every_parcel():
    card = Rate("ems", 1000, 900, 300, 1000, 6000, 1500, 6)
    assert freight_fen(card, 500) == 2400
    assert freight_fen(card, 1500) == 2700


def test_volumetric_weight_wins_for_light_bulky_goods():
    pillow = Item(sku_id=1, quantity=2, weight_g=300, volume_cm3=40 * 30 * 20)  # 24 000 cm³ each
    # actual 600 g; volumetric 48 000 / 6000 = 8 kg
    assert chargeable_weight_g([pillow], 6000) == 8000
    assert chargeable_weight_g([pillow], 8000) == 6000


def test_actual_weight_wins_for_dense_goods_and_volumetric_rounds_up_to_the_gram():
    water = Item(sku_id=2, quantity=1, weight_g=5000, volume_cm3=7)
    assert chargeable_weight_g([water], 6000) == 5000
    assert chargeable_weight_g([Item(3, 1, 0, 7)], 6000) == 2  # 7000 / 6000 = 1.17 g → 2 g


def test_unmeasured_goods_weigh_what_they_weigh():
    assert chargeable_weight_g([Item(1, 3, 250, 0), Item(2, 1, 100, 0)], 6000) == 850
