"""Stock commands."""

import click
from flask.cli import with_appcontext

from app.db import db, utcnow
from app.domain.inventory.check import advance_checkpoints
from app.domain.orders.consistency import stock_differences


@click.command("check-stock")
@click.option("--full", is_flag=True, help="Replay the whole ledger instead of starting from the last checkpoint.")
@with_appcontext
def check_stock_command(full):
    """Verify stock levels against the ledger and reservations; exit 1 listing each difference.

    When all is consistent, the ledger totals are sealed in a checkpoint, so the next check reads
    only the movements written since."""
    differences = stock_differences(full)
    for difference in differences:
        click.echo(difference)
    if differences:
        raise SystemExit(1)
    through = advance_checkpoints(utcnow())
    db.session.commit()
    click.echo(f"库存一致 (stock is consistent); checkpoint through movement {through}")


COMMANDS = (check_stock_command,)
