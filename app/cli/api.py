"""Open API commands."""

import click
from flask.cli import with_appcontext

from app.auth.api_tokens import Scope, create_token
from app.domain.errors import NotFound, ValidationError
from app.domain.reference.models import Channel
from app.domain.reference.services import get_by_code
from app.extensions import db


@click.command("create-api-token")
@click.option("--channel", "channel_code", required=True, help="The channel (code) the token acts for.")
@click.option("--scopes", required=True, help="Comma-separated: " + ", ".join(Scope))
@click.option("--name", default="", help="What the token is for, e.g. 门店 POS 3 号机.")
@with_appcontext
def create_api_token_command(channel_code, scopes, name):
    """Create an API token for a channel and print it (once: only its digest is stored)."""
    try:
        channel = get_by_code(Channel, channel_code)
        _row, token = create_token(channel, [scope.strip() for scope in scopes.split(",") if scope.strip()],
                                   name, actor="cli")
    except NotFound as error:
        raise click.ClickException(f"渠道 {channel_code} 不存在") from error
    except ValidationError as error:
        raise click.ClickException("; ".join(error.fields.values())) from error
    db.session.commit()
    click.echo(token)
    click.echo("（令牌只显示这一次，请妥善保存 / shown once, store it safely）", err=True)


COMMANDS = (create_api_token_command,)
