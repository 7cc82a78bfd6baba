"""Shop credentials (app secrets, access and refresh tokens, push secrets) encrypted at rest.

Columns typed ``EncryptedText`` hold a Fernet token (AES-128-CBC + HMAC-SHA256) instead of the text;
code that reads the attribute gets the text back, so adapters and forms are unchanged. The keys come
from ``CREDENTIAL_KEYS`` (comma-separated Fernet keys, newest first): MultiFernet encrypts with the
first and decrypts with any, so a key is rotated by putting a new one in front, running
``flask --app wsgi rotate-secrets`` (re-encrypts every value with the new key), then dropping the old.
Outside production, without ``CREDENTIAL_KEYS``, the key is derived from SECRET_KEY with HKDF under a
label of its own (so it is neither the session-signing key nor guessable without SECRET_KEY).
Empty strings stay empty: they mean "not configured", which is no secret.
"""

import base64
from collections.abc import Callable, Mapping
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy import text as sql_text
from sqlalchemy.types import TypeDecorator

DEVELOPMENT_KEY_LABEL = b"orderhub: shop credentials at rest"

# Where the keys are read at each use: the running app's configuration, handed over by create_app
# (domain models use EncryptedText, and domain code imports nothing of Flask).
_config_source: Callable[[], Mapping] | None = None


def read_config_from(source: Callable[[], Mapping]) -> None:
    global _config_source
    _config_source = source


class SecretUnreadable(RuntimeError):
    """A stored value that none of the configured keys opens (a key missing from CREDENTIAL_KEYS)."""


def development_key(secret_key: str) -> str:
    derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=DEVELOPMENT_KEY_LABEL).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived).decode()


def configured_keys(config) -> tuple[str, ...]:
    return tuple(config["CREDENTIAL_KEYS"]) or (development_key(config["SECRET_KEY"]),)


@lru_cache(maxsize=8)
def _box_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def box() -> MultiFernet:
    if _config_source is None:
        raise RuntimeError("secret_box.read_config_from() was not called (create_app does it)")
    return _box_for(configured_keys(_config_source()))


def encrypt(text: str) -> str:
    return box().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return box().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "A stored credential cannot be decrypted with CREDENTIAL_KEYS: is a retired key still needed?"
        ) from error


def rotate(token: str) -> str:
    """The same secret, encrypted with the newest key (MultiFernet.rotate)."""
    try:
        return box().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("A stored credential cannot be decrypted with CREDENTIAL_KEYS") from error


def is_encrypted(value: str) -> bool:
    """Whether ``value`` is a token one of our keys opens (the migration's test for old plain rows)."""
    try:
        box().decrypt(value.encode())
    except InvalidToken:
        return False
    return True


class EncryptedText(TypeDecorator):
    """A text column stored encrypted (see the module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value) if value else value

    def process_result_value(self, value, dialect):
        return decrypt(value) if value else value


def reencrypt_columns(connection, table: str, columns: list[str], transform) -> int:
    """Apply ``transform`` (encrypt, rotate, decrypt) to the stored values of ``columns``, in SQL that
    bypasses ``EncryptedText`` (it would decrypt them on the way out). Returns the rows changed.
    Table and column names come from our own metadata or migration, never from input."""
    selected = ", ".join(columns)
    rows = connection.execute(sql_text(f"SELECT id, {selected} FROM {table}")).mappings().all()
    changed = 0
    for row in rows:
        values = {column: transform(row[column]) for column in columns if row[column]}
        if values:
            assignments = ", ".join(f"{column} = :{column}" for column in values)
            connection.execute(sql_text(f"UPDATE {table} SET {assignments} WHERE id = :id"),
                               {**values, "id": row["id"]})
            changed += 1
    return changed
