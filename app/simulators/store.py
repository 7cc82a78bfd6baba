"""What the messaging simulators received, and the little state they keep (nonces, tokens, faults),
in one SQLite file so that it survives a restart and any thread of the simulator process can use it."""

import json
import secrets
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, received_at TEXT NOT NULL,
    recipient TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, provider_id TEXT NOT NULL,
    correlation TEXT NOT NULL DEFAULT '', duplicate INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, app_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, code TEXT NOT NULL);
"""
COLUMNS = ("id", "channel", "received_at", "recipient", "title", "text", "provider_id", "correlation",
           "duplicate", "payload")


class SimulatorStore:
    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        with closing(self._connect()) as connection, connection:
            return connection.execute(sql, args).fetchall()

    def record(self, channel: str, recipient: str, title: str, text: str, provider_id: str,
               correlation: str = "", payload: dict | None = None) -> dict:
        """Keep one delivered message; ``duplicate`` says whether its correlation id came before."""
        duplicate = bool(correlation) and bool(self._run(
            "SELECT 1 FROM received WHERE channel = ? AND correlation = ?", (channel, correlation)))
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self._run("INSERT INTO received (channel, received_at, recipient, title, text, provider_id, correlation,"
                  " duplicate, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (channel, at, recipient, title, text, provider_id, correlation, int(duplicate),
                   json.dumps(payload or {}, ensure_ascii=False)))
        return {"channel": channel, "recipient": recipient, "provider_id": provider_id, "duplicate": duplicate}

    def messages(self, channel: str | None = None, limit: int = 100) -> list[dict]:
        where, args = ("WHERE channel = ?", (channel,)) if channel else ("", ())
        rows = self._run(f"SELECT {', '.join(COLUMNS)} FROM received {where} ORDER BY id DESC LIMIT ?",
                         (*args, limit))
        return [dict(zip(COLUMNS, row, strict=True), duplicate=bool(row[8]), payload=json.loads(row[9]))
                for row in rows]

    def find(self, channel: str, correlation: str) -> dict | None:
        rows = self._run("SELECT provider_id FROM received WHERE channel = ? AND correlation = ? ORDER BY id LIMIT 1",
                         (channel, correlation))
        return {"provider_id": rows[0][0]} if rows else None

    def clear(self) -> None:
        for table in ("received", "nonces", "tokens", "faults"):
            self._run(f"DELETE FROM {table}")

    def use_nonce(self, nonce: str, keep_seconds: int = 900) -> bool:
        """False if ``nonce`` was used within ``keep_seconds`` (a replayed request)."""
        now = time.time()
        self._run("DELETE FROM nonces WHERE at < ?", (now - keep_seconds,))
        try:
            self._run("INSERT INTO nonces (nonce, at) VALUES (?, ?)", (nonce, now))
        except sqlite3.IntegrityError:
            return False
        return True

    def issue_token(self, app_id: str, ttl: int) -> str:
        token = secrets.token_urlsafe(48)
        self._run("INSERT INTO tokens (token, app_id, expires_at) VALUES (?, ?, ?)", (token, app_id, time.time() + ttl))
        return token

    def token_app(self, token: str) -> str | None:
        rows = self._run("SELECT app_id FROM tokens WHERE token = ? AND expires_at > ?", (token, time.time()))
        return rows[0][0] if rows else None

    def expire_tokens(self) -> None:
        self._run("DELETE FROM tokens")

    def add_fault(self, channel: str, code: str, times: int = 1) -> None:
        """Answer the next ``times`` requests on ``channel`` with the error ``code``."""
        for _ in range(times):
            self._run("INSERT INTO faults (channel, code) VALUES (?, ?)", (channel, code))

    def take_fault(self, channel: str) -> str | None:
        rows = self._run("DELETE FROM faults WHERE id = (SELECT id FROM faults WHERE channel = ? ORDER BY id LIMIT 1)"
                         " RETURNING code", (channel,))
        return rows[0][0] if rows else None
