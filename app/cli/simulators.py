"""The simulators (SMS gateway, WeChat API, SMTP, sales platforms, 快递100 tracking, e-invoice) as a foreground
process for development."""

import os
import signal
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app import logging_setup
from app.cli import channels

PROVIDERS = ("SMS_PROVIDER", "WECHAT_PROVIDER", "EMAIL_PROVIDER")


def needed(config) -> bool:
    """Whether any channel is pointed at the simulators (run-all starts them only then)."""
    return (any(config[name] == "simulator" for name in PROVIDERS) or channels.platform_simulators_needed(config)
            or tracking_simulated(config) or config["EINVOICE_PROVIDER"] == "simulator")


def tracking_simulated(config) -> bool:
    """Whether parcel tracking points at the local 快递100 simulator (the default outside production)."""
    local = f"http://{config['SIMULATOR_HOST']}:{config['KUAIDI100_SIMULATOR_PORT']}"
    return (config["ORDERHUB_ENV"] != "production" and config["TRACKING_ENABLED"]
            and config["KUAIDI100_API_URL"].rstrip("/") == local)


def environment(config) -> dict[str, str]:
    """Where the simulated channels' adapters find the simulators, for run-all's other processes."""
    env = {"MESSAGING_SIMULATOR_URL": config["MESSAGING_SIMULATOR_URL"]}
    if config["SMS_PROVIDER"] == "simulator":
        env["SMS_ENDPOINT"] = config["SMS_ENDPOINT"]
    if config["WECHAT_PROVIDER"] == "simulator":
        env["WECHAT_API_BASE"] = config["WECHAT_API_BASE"]
    if config["EMAIL_PROVIDER"] == "simulator":
        env["SMTP_HOST"], env["SMTP_PORT"] = config["SMTP_HOST"], str(config["SMTP_PORT"])
    env |= channels.platform_environment(config)  # every platform gateway (simulated or real)
    env |= {name: config[name] for name in ("KUAIDI100_API_URL", "KUAIDI100_CALLBACK_URL")}
    if config["EINVOICE_PROVIDER"] == "simulator":
        env["NUONUO_ENDPOINT"] = config["NUONUO_ENDPOINT"]
        env["EINVOICE_CALLBACK_URL"] = config["EINVOICE_CALLBACK_URL"] or (
            f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/hooks/einvoice/nuonuo")
    return env


@click.command("simulators")
@with_appcontext
def simulators_command():
    """Run the SMS, WeChat, SMTP, sales-platform (Taobao/Tmall, JD, Pinduoduo, Douyin, Youzan), 快递100
    tracking and e-invoice simulators until Ctrl-C."""
    from app.simulators import messaging

    config = current_app.config
    logging_setup.configure_logging(config["LOG_LEVEL"], role="simulators")
    if config["ORDERHUB_ENV"] == "production":
        raise click.ClickException("The simulators are for development and demos, not production.")
    store = Path(current_app.instance_path) / "simulators" / "messaging.sqlite3"
    running = messaging.start(config, store, config["SIMULATOR_HOST"], config["MESSAGING_SIMULATOR_PORT"],
                              config["SMTP_SIMULATOR_PORT"])
    click.echo(f"Simulators: SMS {running.http_url}/sms/  WeChat {running.http_url}/wechat  "
               f"SMTP {running.smtp_host}:{running.smtp_port}  inbox {running.http_url}/_simulator/messages")
    platforms = channels.start_platform_simulators(config)
    click.echo("Platform simulators: " + "  ".join(f"{each.simulator.name} {each.url}" for each in platforms))
    if tracking_simulated(config):
        from app.simulators.kuaidi100 import Kuaidi100Simulator
        from app.simulators.shop_platform import serve

        tracker = serve(Kuaidi100Simulator(key=config["KUAIDI100_KEY"], customer=config["KUAIDI100_CUSTOMER"]),
                        config["SIMULATOR_HOST"], config["KUAIDI100_SIMULATOR_PORT"], trickle=True)
        platforms.append(tracker)
        click.echo(f"Tracking simulator (快递100): {tracker.url}/poll  parcels {tracker.url}/_sim/parcels")
    stops = [running.stop, *(each.stop for each in platforms)]
    if config["EINVOICE_PROVIDER"] == "simulator":
        stops.append(_start_einvoice(config))
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    for stop in stops:
        stop()


def _start_einvoice(config):
    """The Nuonuo-style e-invoice simulator; returns its stop function."""
    from app.simulators import einvoice

    settings = einvoice.settings_from_config(config, issue_seconds=config["EINVOICE_SIMULATOR_ISSUE_SECONDS"])
    store = Path(current_app.instance_path) / "simulators" / "einvoice.sqlite3"
    simulator = einvoice.start(settings, store, config["SIMULATOR_HOST"], config["EINVOICE_SIMULATOR_PORT"])
    click.echo(f"E-invoice simulator (Nuonuo-style): {simulator.url}/open/v1/services  "
               f"invoices {simulator.url}/_simulator/invoices")
    return simulator.stop


COMMANDS = (simulators_command,)
