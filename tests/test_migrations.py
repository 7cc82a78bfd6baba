"""Migrations: one head, they build an empty database, and they describe exactly the models."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from app.extensions import db


def test_there_is_exactly_one_head(app):
    with app.app_context():
        migrate = app.extensions["migrate"]
        config = migrate.migrate.get_config(directory=migrate.directory)
        heads = ScriptDirectory.from_config(config).get_heads()

    assert len(heads) == 1, heads


def differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def test_upgrading_an_empty_database_builds_every_table_the_models_describe(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    fresh = make_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})

    with fresh.app_context():
        flask_migrate.upgrade()

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert set(db.metadata.tables) <= set(inspect(connection).get_table_names())
            assert differences(connection) == []
    finally:
        engine.dispose()


def test_migrated_test_database_matches_the_models(app):
    """The session's database (PostgreSQL when DATABASE_URL names one) has no drift from the models."""
    with app.app_context():
        # The test's own connection: on SQLite a second one would wait behind its write lock.
        assert differences(db.session.connection()) == []
