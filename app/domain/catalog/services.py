"""Creating and changing SKUs and bundles. Every function validates first and writes nothing on error.

Callers (views, the API, the CLI) own the commit.
"""

import re
from dataclasses import dataclass

from sqlalchemy import select

from app.db import db, insert_unless_taken, value_taken
from app.domain.catalog.models import VAT_RATES_BP, BundleComponent, Sku
from app.domain.catalog.queries import skus_by_code
from app.domain.errors import Conflict, NotFound, ValidationError
from app.text import N_, Text

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
BARCODE_PATTERN = re.compile(r"^[0-9]{8,14}$")
TAX_CODE_PATTERN = re.compile(r"^[0-9]{19}$")
TAX_NAME_MAX = 32
DIMENSIONS = ("length_cm", "width_cm", "height_cm")
#: Longer than any parcel an express carrier takes: a bigger number is a typo (mm or m for cm).
MAX_DIMENSION_CM = 500


@dataclass
class SkuData:
    code: str
    name: str
    weight_g: int = 0
    price_fen: int = 0
    tax_rate_bp: int = 1300
    barcode: str | None = None
    category: str = ""
    active: bool = True
    #: Outer dimensions of one unit (cm), for volumetric weight; 0: not measured.
    length_cm: int = 0
    width_cm: int = 0
    height_cm: int = 0
    #: 税收分类编码 and its short name. None keeps what the SKU has (callers that do not edit tax data,
    #: like the SKU form, leave them out); empty means not classified yet: no invoice can name the SKU.
    tax_code: str | None = None
    tax_name: str | None = None


def get_sku(code: str) -> Sku:
    sku = db.session.scalar(select(Sku).where(Sku.code == code))
    if sku is None:
        raise NotFound(N_("SKU %(code)s 不存在"), code=code, details={"sku": code})
    return sku


def create_sku(data: SkuData) -> Sku:
    """Add a SKU. Raises ValidationError naming each bad field, Conflict when a concurrent request
    created the same code (or barcode) between the check and the insert."""
    _validate_sku(data, existing=None)
    sku = Sku(**vars(data) | {"barcode": data.barcode or None, "tax_code": data.tax_code or "",
                              "tax_name": (data.tax_name or "").strip()})
    if not insert_unless_taken(sku):
        raise Conflict(N_("SKU %(sku)s 正被同时创建，请重试"), sku=data.code, details={"sku": data.code})
    return sku


def update_sku(sku: Sku, data: SkuData) -> Sku:
    _validate_sku(data, existing=sku)
    for name, value in vars(data).items():
        if value is not None or name not in ("tax_code", "tax_name"):
            setattr(sku, name, value)
    sku.barcode = data.barcode or None
    db.session.flush()
    return sku


def set_bundle_components(bundle: Sku, components: list[tuple[str, int]]) -> Sku:
    """Make ``bundle`` hold exactly these (component code, quantity) pairs; repeated codes are summed."""
    quantities = _summed(components)
    _validate_components(bundle, quantities)
    by_code = skus_by_code(quantities)
    # Change rows in place: replacing the list would insert the new (bundle, component) rows before
    # deleting the old ones and trip the unique constraint.
    existing = {item.component.code: item for item in bundle.components}
    for code in set(existing) - set(quantities):
        bundle.components.remove(existing[code])
    for code, quantity in quantities.items():
        if code in existing:
            existing[code].quantity = quantity
        else:
            bundle.components.append(BundleComponent(component=by_code[code], quantity=quantity))
    db.session.flush()
    return bundle


def _summed(components: list[tuple[str, int]]) -> dict[str, int]:
    quantities: dict[str, int] = {}
    for code, quantity in components:
        quantities[code] = quantities.get(code, 0) + quantity
    return quantities


def _validate_sku(data: SkuData, existing: Sku | None) -> None:
    errors = {}
    if not CODE_PATTERN.match(data.code or ""):
        errors["code"] = N_("编码只能包含字母、数字、点、横线和下划线，最长 64 位")
    elif value_taken(Sku.code, data.code, existing):
        errors["code"] = Text(N_("编码 %(code)s 已被使用"), code=data.code)
    if not (data.name or "").strip():
        errors["name"] = N_("请输入商品名称")
    if data.weight_g is None or data.weight_g < 0:
        errors["weight_g"] = N_("重量不能为负数")
    for name in DIMENSIONS:
        value = getattr(data, name)
        if value is None or not 0 <= value <= MAX_DIMENSION_CM:
            errors[name] = Text(N_("尺寸应在 0 到 %(cm)s 厘米之间"), cm=MAX_DIMENSION_CM)
    if data.price_fen is None or data.price_fen < 0:
        errors["price_fen"] = N_("价格不能为负数")
    if data.tax_rate_bp not in VAT_RATES_BP:
        errors["tax_rate_bp"] = N_("税率须为 13%、9%、6%、5%、3%、1% 或 0")
    _validate_tax_data(data, errors)
    if data.barcode:
        if not BARCODE_PATTERN.match(data.barcode):
            errors["barcode"] = N_("条码应为 8 到 14 位数字")
        elif value_taken(Sku.barcode, data.barcode, existing):
            errors["barcode"] = Text(N_("条码 %(barcode)s 已被使用"), barcode=data.barcode)
    if errors:
        raise ValidationError(errors)


def _validate_tax_data(data: SkuData, errors: dict) -> None:
    if data.tax_code is None and data.tax_name is None:
        return
    if data.tax_code and not TAX_CODE_PATTERN.match(data.tax_code):
        errors["tax_code"] = N_("税收分类编码应为 19 位数字")
    if len(data.tax_name or "") > TAX_NAME_MAX or "*" in (data.tax_name or ""):
        errors["tax_name"] = Text(N_("税收分类简称最多 %(length)s 字，且不能含 *"), length=TAX_NAME_MAX)
    if bool(data.tax_code) != bool((data.tax_name or "").strip()):
        errors["tax_code" if not data.tax_code else "tax_name"] = N_("税收分类编码和简称须一起填写")


def _validate_components(bundle: Sku, quantities: dict[str, int]) -> None:
    if not quantities:
        raise ValidationError({"components": N_("组合装至少要有一个子商品")})
    if bundle.code in quantities:
        raise ValidationError({"components": N_("组合装不能包含自己")})
    if any(quantity <= 0 for quantity in quantities.values()):
        raise ValidationError({"components": N_("子商品数量必须大于 0")})
    found = skus_by_code(quantities)
    unknown = sorted(set(quantities) - set(found))
    if unknown:
        raise ValidationError({"components": Text(N_("子商品不存在: %(codes)s"), codes=", ".join(unknown))})
    nested = sorted(code for code, sku in found.items() if sku.is_bundle)
    if nested:
        raise ValidationError({"components": Text(N_("组合装不能包含组合装: %(codes)s"), codes=", ".join(nested))})
    if _is_component_somewhere(bundle):
        raise ValidationError({"components": Text(N_("%(code)s 已是其他组合装的子商品，不能再做组合装"), code=bundle.code)})


def _is_component_somewhere(sku: Sku) -> bool:
    if sku.id is None:
        return False
    return db.session.scalar(select(BundleComponent.id).where(BundleComponent.component_id == sku.id).limit(1)) is not None



def save_bundle(data: SkuData, components: list[tuple[str, int]], bundle: Sku | None = None) -> Sku:
    """Create or update a bundle and its components together; all or nothing."""
    if bundle is None:
        _validate_sku(data, existing=None)
        # The bundle row must exist for the component checks, but only if those checks will pass.
        probe = Sku(code=data.code)
        _validate_components(probe, _summed(components))
        bundle = create_sku(data)
    else:
        _validate_sku(data, existing=bundle)
        _validate_components(bundle, _summed(components))
        if not bundle.is_bundle and _has_stock(bundle):
            raise ValidationError({"components": Text(N_("%(code)s 还有库存或被订单占用，不能改成组合装"), code=bundle.code)})
        update_sku(bundle, data)
    return set_bundle_components(bundle, components)


def _has_stock(sku: Sku) -> bool:
    """Whether any warehouse holds or reserves this SKU (a bundle holds none of its own, so converting
    one that does would strand it). The table by name: the catalog sits below inventory."""
    levels = db.metadata.tables["stock_levels"]
    held = levels.c.on_hand + levels.c.reserved + levels.c.locked + levels.c.damaged
    return db.session.scalar(select(levels.c.id).where(levels.c.sku_id == sku.id, held > 0).limit(1)) is not None
