"""Flask commands (``flask --app wsgi COMMAND``), grouped by area."""

from flask import Flask

from app.cli import api, channels, foundation, security, simulators, stock


def init_app(app: Flask) -> None:
    for module in (foundation, stock, api, simulators, channels, security):
        for command in module.COMMANDS:
            app.cli.add_command(command)
