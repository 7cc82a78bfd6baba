"""SKUs and bundles (组合装)."""

from flask_babel import lazy_gettext as _l

from app.auth.roles import Area
from app.domain.catalog import services
from app.domain.catalog.models import Sku
from app.money import format_money
from app.web.staff import bp, resources
from app.web.staff.catalog.forms import BundleForm, SkuForm
from app.web.staff.resources import Column, Resource


def _sku_data(form: SkuForm) -> services.SkuData:
    return services.SkuData(
        code=form.code.data, name=form.name.data, barcode=form.barcode.data or None,
        category=form.category.data or "", weight_g=form.weight_g.data, price_fen=form.price_fen.data,
        length_cm=form.length_cm.data or 0, width_cm=form.width_cm.data or 0, height_cm=form.height_cm.data or 0,
        tax_rate_bp=form.tax_rate_bp.data, active=form.active.data,
        tax_code=(form.tax_code.data or "").strip(), tax_name=(form.tax_name.data or "").strip(),
    )


def _save_sku(form: SkuForm, sku: Sku | None) -> Sku:
    data = _sku_data(form)
    return services.create_sku(data) if sku is None else services.update_sku(sku, data)


def _save_bundle(form: BundleForm, bundle: Sku | None) -> Sku:
    return services.save_bundle(_sku_data(form), form.components.data, bundle)


def _components_text(bundle: Sku) -> str:
    return "，".join(f"{item.component.name} × {item.quantity}" for item in bundle.components)


SKU_COLUMNS = (
    Column(_l("编码"), lambda s: s.code),
    Column(_l("名称"), lambda s: s.name),
    Column(_l("类目"), lambda s: s.category),
    Column(_l("条码"), lambda s: s.barcode or ""),
    Column(_l("重量"), lambda s: f"{s.parcel_weight_g} g"),
    Column(_l("尺寸（厘米）"), lambda s: f"{s.length_cm}×{s.width_cm}×{s.height_cm}" if s.volume_cm3 else "—"),
    Column(_l("价格"), lambda s: format_money(s.price_fen)),
    Column(_l("税率"), lambda s: f"{s.tax_rate_bp // 100}%"),
    Column(_l("开票名称"), lambda s: f"*{s.tax_name}*" if s.tax_name else "—"),
    Column(_l("在售"), lambda s: "✓" if s.active else "—"),
)

resources.register(bp, Resource(
    singular="sku", plural="skus", title=_l("商品"), model=Sku, form_class=SkuForm,
    columns=SKU_COLUMNS,
    search_columns=(Sku.code, Sku.name, Sku.barcode, Sku.category),
    order_by=(Sku.code,), save=_save_sku, area=Area.CATALOG, where=~Sku.components.any(),
))

resources.register(bp, Resource(
    singular="bundle", plural="bundles", title=_l("组合装"), model=Sku, form_class=BundleForm,
    columns=(*SKU_COLUMNS[:2], Column(_l("子商品"), _components_text), *SKU_COLUMNS[4:]),
    search_columns=(Sku.code, Sku.name),
    order_by=(Sku.code,), save=_save_bundle, area=Area.CATALOG, where=Sku.components.any(),
))
