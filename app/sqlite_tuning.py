"""SQLite as a server-less production-like store: WAL, a busy timeout, foreign keys, and writers in line.

Every transaction starts with ``BEGIN IMMEDIATE`` (the mode Django 5.1 added for the same reason): a
transaction that reads first and writes later would otherwise fail with "database is locked" when
another process wrote in between, instead of waiting its turn. The embedded default therefore has one
writer at a time, which is what SQLite does anyway; PostgreSQL is the production engine.
"""

from flask import Flask
from sqlalchemy import event

from app.db import db


def init_app(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    if event.contains(engine, "connect", _on_connect):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (pysqlite's own handling breaks
    # SAVEPOINT and transactional DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
