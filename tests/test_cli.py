"""Flask commands: create-user and seed-demo."""

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.passwords import verify_password
from app.domain.catalog.models import BundleComponent, Sku
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.extensions import db

DEMO_USERS = {"admin", "kefu", "cangku", "yunying", "caiwu", "caiwuzhuguan"}
DEMO_CHANNELS = {"taobao", "tmall", "jd", "pdd", "douyin", "youzan", "miniapp", "pos", "manual"}


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def user_named(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


class TestCreateUser:
    def test_asks_for_the_password_twice_and_creates_the_user(self, app, cli, client):
        result = cli("create-user", "lisi", "--role", "warehouse", "--display-name", "李四",
                     input="long-enough-pw\nlong-enough-pw\n")

        assert result.exit_code == 0, result.output
        assert "Created lisi (warehouse)" in result.output
        user = user_named(app, "lisi")
        assert (user.role, user.display_name) == ("warehouse", "李四")
        assert verify_password(user.password_hash, "long-enough-pw")
        assert client.post("/login", data={"username": "lisi", "password": "long-enough-pw"}).status_code == 302

    def test_refuses_a_name_that_is_taken(self, app, cli):
        cli("create-user", "lisi", "--role", "warehouse", input="long-enough-pw\nlong-enough-pw\n")

        result = cli("create-user", "lisi", "--role", "admin", input="another-password\nanother-password\n")

        assert result.exit_code == 1
        assert "用户名 lisi 已存在" in result.output
        assert count(app, User, User.username == "lisi") == 1
        assert user_named(app, "lisi").role == "warehouse"

    def test_refuses_an_unknown_role(self, app, cli):
        result = cli("create-user", "lisi", "--role", "boss", input="long-enough-pw\nlong-enough-pw\n")

        assert result.exit_code == 2
        assert "boss" in result.output
        assert user_named(app, "lisi") is None

    def test_refuses_a_short_password(self, app, cli):
        result = cli("create-user", "lisi", "--role", "warehouse", input="pw\npw\n")

        assert result.exit_code == 1
        assert "密码至少 8 位" in result.output
        assert user_named(app, "lisi") is None


class TestSeedDemo:
    @pytest.fixture
    def seeded(self, app, cli):
        result = cli("seed-demo")
        assert result.exit_code == 0, result.output
        return result

    def test_creates_warehouses_skus_bundles_channels_carriers_and_users(self, app, seeded):
        bundle_ids = select(BundleComponent.bundle_id)

        assert count(app, Warehouse) >= 6
        assert count(app, Sku, Sku.id.not_in(bundle_ids)) >= 40
        assert count(app, Sku, Sku.id.in_(bundle_ids)) >= 5
        assert count(app, Carrier) == 7
        with app.app_context():
            assert set(db.session.scalars(select(Channel.code))) == DEMO_CHANNELS
            assert set(db.session.scalars(select(User.username))) == DEMO_USERS

    def test_two_bundles_share_a_component(self, app, seeded):
        with app.app_context():
            shared = db.session.scalars(
                select(BundleComponent.component_id).group_by(BundleComponent.component_id)
                .having(func.count(BundleComponent.bundle_id.distinct()) >= 2)
            ).all()
        assert shared

    def test_every_demo_user_can_log_in_with_the_demo_password(self, app, seeded, client):
        for username in sorted(DEMO_USERS):
            response = client.post("/login", data={"username": username, "password": "orderhub-demo"})
            assert response.status_code == 302, username
            client.post("/logout")

    def test_running_it_again_creates_nothing(self, app, cli, seeded):
        models = (Warehouse, Sku, BundleComponent, Channel, Carrier, User)
        before = {model.__name__: count(app, model) for model in models}

        again = cli("seed-demo")

        assert again.exit_code == 0, again.output
        assert {model.__name__: count(app, model) for model in models} == before
        counts = again.output.split(":", 1)[1].split(",")
        assert counts and all(part.strip().endswith("+0") for part in counts), again.output

    def test_is_refused_in_production(self, app, cli, monkeypatch):
        monkeypatch.setitem(app.config, "ORDERHUB_ENV", "production")

        result = cli("seed-demo")

        assert result.exit_code == 1
        assert "production" in result.output
        assert count(app, Warehouse) == 0
        assert count(app, User) == 0
