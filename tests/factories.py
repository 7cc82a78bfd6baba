"""factory_boy factories writing through the test's session (flush, never commit)."""

from functools import cache

import factory

from app.auth.models import User
from app.auth.passwords import hash_password
from app.auth.roles import Role
from app.domain.catalog.models import BundleComponent, Sku
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.extensions import db

PASSWORD = "correct-horse-battery"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


class Factory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (resolved per test: the session is swapped)
        sqlalchemy_session_persistence = "flush"


class UserFactory(Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda user: user.username)
    role = Role.CUSTOMER_SERVICE
    password_hash = factory.LazyFunction(_password_hash)


class SkuFactory(Factory):
    class Meta:
        model = Sku

    code = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"测试商品 {n}")
    weight_g = 500
    price_fen = 5900
    tax_rate_bp = 1300
    tax_code = "1060512990000000000"
    tax_name = "日用杂品"


class BundleComponentFactory(Factory):
    class Meta:
        model = BundleComponent

    bundle = factory.SubFactory(SkuFactory)
    component = factory.SubFactory(SkuFactory)
    quantity = 1


class WarehouseFactory(Factory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH-{n:02d}")
    name = factory.Sequence(lambda n: f"测试仓 {n}")
    province = "上海市"
    city = "上海市"
    latitude = 31.23
    longitude = 121.47
    daily_capacity = 1000
    priority = factory.Sequence(lambda n: n + 1)


class ChannelFactory(Factory):
    class Meta:
        model = Channel

    code = factory.Sequence(lambda n: f"ch{n}")
    platform = "miniapp"
    shop_name = factory.Sequence(lambda n: f"测试店铺 {n}")
    unpaid_timeout_minutes = 30


class CarrierFactory(Factory):
    class Meta:
        model = Carrier

    code = factory.Sequence(lambda n: f"carrier{n}")
    name = factory.Sequence(lambda n: f"快递 {n}")
