"""Operator commands for credentials: a staff password, and the shop-credential keys."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.models import User
from app.auth.services import set_password
from app.domain.audit import services as audit
from app.domain.audit.models import AuditAction
from app.domain.errors import ValidationError
from app.extensions import db
from app.secret_box import EncryptedText, reencrypt_columns, rotate


@click.command("set-password")
@click.argument("username")
@click.password_option(prompt="新密码 New password")
@with_appcontext
def set_password_command(username, password):
    """Give a staff user a new password; every session they have ends."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}")
    try:
        set_password(user, password)
    except ValidationError as error:
        raise click.ClickException("; ".join(error.fields.values())) from error
    audit.record("cli", AuditAction.CHANGE_PASSWORD, f"user:{username}", source="cli")
    db.session.commit()
    click.echo(f"New password set for {username}; their sessions have ended.")


@click.command("rotate-secrets")
@with_appcontext
def rotate_secrets_command():
    """Re-encrypt every stored credential with the first key of CREDENTIAL_KEYS.

    Rotation: put a new key in front of CREDENTIAL_KEYS everywhere, run this, then remove the old key.
    """
    changed = 0
    connection = db.session.connection()
    for table in db.metadata.sorted_tables:
        columns = [column.name for column in table.columns if isinstance(column.type, EncryptedText)]
        if columns:
            changed += reencrypt_columns(connection, table.name, columns, rotate)
    audit.record("cli", AuditAction.ROTATE_CREDENTIAL_KEYS, "credentials", f"{changed} rows", source="cli")
    db.session.commit()
    click.echo(f"Re-encrypted the credentials of {changed} rows with the newest key.")


COMMANDS = (set_password_command, rotate_secrets_command)
