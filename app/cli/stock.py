"""Stock commands."""

import click
from flask.cli import with_appcontext

from app.domain.orders.consistency import stock_differences


@click.command("check-stock")
@with_appcontext
def check_stock_command():
    """Verify stock levels against the ledger and reservations; exit 1 listing each difference."""
    differences = stock_differences()
    for difference in differences:
        click.echo(difference)
    if differences:
        raise SystemExit(1)
    click.echo("库存一致 (stock is consistent)")


COMMANDS = (check_stock_command,)
