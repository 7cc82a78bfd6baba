"""Channel sync commands, and the sales-platform simulators' part of ``flask simulators``.

``sync-now`` pulls one shop in this process and prints what it did; ``set-channel-credentials`` stores
a shop's app key, secret and session (the secret is echoed only as its last four characters);
``simulator-load`` hands a file of orders, in the platform's own list format, to a running simulator.
"""

import json
import os
from datetime import datetime
from urllib.parse import urlsplit

import click
import requests
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.domain.channels import sync
from app.domain.channels.adapters import ADAPTERS
from app.domain.channels.adapters.base import GMT8
from app.domain.channels.connect import build_adapter, credentials_of, gateway_url, simulator_url
from app.domain.channels.shop_settings import CredentialsData, save_credentials, secret_hint
from app.domain.errors import DomainError, ValidationError
from app.domain.reference.models import Channel
from app.domain.reference.services import get_by_code
from app.extensions import db

#: The simulators each serve one platform family (a Tmall shop is a TOP seller like a Taobao shop).
SIMULATED = ("taobao", "jd", "pdd", "youzan", "douyin")


def _channel(code: str) -> Channel:
    try:
        return get_by_code(Channel, code)
    except DomainError as error:
        raise click.ClickException(f"渠道 {code} 不存在") from error


@click.command("sync-now")
@click.option("--channel", "code", required=True, help="The channel code, e.g. taobao.")
@click.option("--since", help='Read from this GMT+8 time ("2026-06-18 09:00:00") instead of the watermark.')
@with_appcontext
def sync_now_command(code, since):
    """Pull one channel now, in this process, and print windows, pages, payloads and orders."""
    channel = _channel(code)
    start = datetime.strptime(since, "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8) if since else None
    try:
        adapter = build_adapter(channel, current_app.config)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    with sync.pull_lock(channel.id) as acquired:
        if not acquired:
            raise click.ClickException(f"{code} 正在同步（另一个进程持有锁），请稍后再试")
        report = sync.pull(channel, adapter, checkpoint=db.session.commit, trigger="cli", since=start)
    for window_start, window_end in report.windows:
        click.echo(f"窗口 {window_start.astimezone(GMT8):%Y-%m-%d %H:%M:%S} → {window_end.astimezone(GMT8):%Y-%m-%d %H:%M:%S}")
    click.echo(f"页数 {report.pages}，列出 {report.listed}，详情调用 {report.fetched}，新载荷 {report.stored}，"
               f"新建订单 {report.created}，更新订单 {report.updated}，等待商品对应 {report.waiting}")
    click.echo(f"接口调用 {adapter.stats.calls} 次，重试 {adapter.stats.retries} 次，退避 {adapter.stats.slept:.1f} 秒")
    for error in report.errors:
        click.echo(f"错误: {error}", err=True)
    click.echo(f"结果: {report.status} {report.message}")
    if report.status == "failed":
        raise SystemExit(1)


@click.command("set-channel-credentials")
@click.option("--channel", "code", required=True)
@click.option("--app-key", required=True)
@click.option("--app-secret", default="", help="Blank keeps the stored secret.")
@click.option("--session", "access_token", default="", help="The shop's session / access token.")
@click.option("--refresh-token", default="")
@click.option("--push-secret", default="", help="The secret that signs pushed messages (webhooks).")
@with_appcontext
def set_credentials_command(code, app_key, app_secret, access_token, refresh_token, push_secret):
    """Store a channel's API credentials (and push-signature secret) in the database."""
    channel = _channel(code)
    data = CredentialsData(app_key, app_secret, access_token, push_secret, refresh_token)
    try:
        stored = save_credentials(channel, data, "cli")
    except ValidationError as error:
        raise click.ClickException("; ".join(error.fields.values())) from error
    db.session.commit()
    click.echo(f"已保存 {code} 的凭证: App Key {stored.app_key}，Secret {secret_hint(stored.app_secret)}")


@click.command("simulator-load")
@click.option("--channel", "code", default="", help="The shop (channel code) the orders belong to: its platform's "
                                                   "simulator files them under the shop its session names.")
@click.option("--platform", type=click.Choice(SIMULATED), help="Without --channel: the simulator to load.")
@click.option("--seller", default="", help="Without --channel: the simulated shop (default: the first).")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def simulator_load_command(code, platform, seller, file):
    """Give a running simulator the orders in FILE (the platform's own list-response JSON), as given."""
    params = {"seller": seller} if seller else {}
    if code:
        channel = _channel(code)
        credentials = credentials_of(channel)
        if channel.platform not in ADAPTERS or credentials is None or not credentials.access_token:
            raise click.ClickException(f"渠道 {code} 没有平台凭证（会话），无法确定模拟器中的店铺")
        # The shop is the one the channel's own session belongs to on the simulator: the file's own
        # seller fields never decide it, so what is loaded is what this channel pulls.
        platform, params = channel.platform, {"session": credentials.access_token}
    elif not platform:
        raise click.ClickException("请指定 --channel（或 --platform）")
    base = urlsplit(gateway_url(ADAPTERS[platform], current_app.config))
    url = f"{base.scheme}://{base.netloc}/_sim/orders"
    try:
        response = requests.post(url, params=params or None, json=json.load(file), timeout=(5, 30))
        response.raise_for_status()
    except (requests.RequestException, ValueError) as error:
        raise click.ClickException(f"无法把订单交给模拟器 {url}: {error}") from error
    click.echo(f"模拟器已接收 {response.json()['loaded']} 个订单 ({url})")


# ---- the simulators command's platform part --------------------------------------------------------

def simulated(platform: str, config) -> bool:
    """Whether the platform's gateway is its local simulator (the default outside production, and what
    run-all hands its other processes)."""
    cls = ADAPTERS[platform]
    return config.get("ORDERHUB_ENV") != "production" and gateway_url(cls, config).startswith(
        simulator_url(cls, config) + "/")


def platform_simulators_needed(config) -> bool:
    return any(simulated(platform, config) for platform in SIMULATED)


def platform_environment(config) -> dict[str, str]:
    """The gateway URLs the other run-all processes should use."""
    return {ADAPTERS[platform].gateway_setting: gateway_url(ADAPTERS[platform], config) for platform in SIMULATED}


def start_platform_simulators(config, trickle: bool = True) -> list:
    """Serve every platform simulator on its port, with a trickle of new orders unless
    ``SIMULATOR_TRICKLE`` is ``off`` (a demo of loaded orders must not see them move on their own)."""
    trickle = trickle and str(config.get("SIMULATOR_TRICKLE", "on")).lower() != "off"
    from app.simulators import jd, taobao
    from app.simulators.pdd import PddSimulator
    from app.simulators.shop_platform import serve

    running = []
    for platform, simulator_class in (("taobao", taobao.TaobaoSimulator), ("jd", jd.JdSimulator), ("pdd", PddSimulator)):
        if not simulated(platform, config):
            continue  # pointed at a real gateway: no simulator for it
        port = urlsplit(simulator_url(ADAPTERS[platform], config)).port
        running.append(serve(simulator_class(), config.get("SIMULATOR_HOST") or "127.0.0.1", port, trickle=trickle))
    if simulated("youzan", config):  # Youzan pushes: its simulator posts to this OrderHub's hook
        from app.simulators.youzan import YouzanSimulator

        port = urlsplit(simulator_url(ADAPTERS["youzan"], config)).port
        hook = config.get("YOUZAN_PUSH_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/hooks/youzan/youzan"
        running.append(serve(YouzanSimulator(push_url=hook), config.get("SIMULATOR_HOST") or "127.0.0.1", port,
                             trickle=trickle))
    if simulated("douyin", config):  # 抖店 pushes too: its simulator posts order messages to our hook
        from app.simulators.douyin import DouyinSimulator

        port = urlsplit(simulator_url(ADAPTERS["douyin"], config)).port
        hook = config.get("DOUYIN_PUSH_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/hooks/douyin/douyin"
        running.append(serve(DouyinSimulator(push_url=hook), config.get("SIMULATOR_HOST") or "127.0.0.1", port,
                             trickle=trickle))
    configure_demo_shops()
    return running


def configure_demo_shops() -> list[str]:
    """Give the demo shops (codes taobao, tmall, jd) the simulators' credentials if they have none."""
    from app.simulators import douyin as dy_sim
    from app.simulators import jd, taobao
    from app.simulators import pdd as pdd_sim
    from app.simulators import youzan as yz_sim

    demo = {
        "taobao": CredentialsData(taobao.DEMO_APP_KEY, taobao.DEMO_APP_SECRET, "sim-taobao-session", "sim-push-secret"),
        "tmall": CredentialsData(taobao.DEMO_APP_KEY, taobao.DEMO_APP_SECRET, "sim-tmall-session", "sim-push-secret"),
        "jd": CredentialsData(jd.DEMO_APP_KEY, jd.DEMO_APP_SECRET, "sim-jd-token", "sim-push-secret"),
        "pdd": CredentialsData(pdd_sim.DEMO_APP_KEY, pdd_sim.DEMO_APP_SECRET, "sim-pdd-token", "sim-push-secret"),
        # Youzan signs pushes with the app's client secret; the refresh token renews the access token.
        "youzan": CredentialsData(yz_sim.DEMO_APP_KEY, yz_sim.DEMO_APP_SECRET, "sim-youzan-token",
                                  yz_sim.DEMO_APP_SECRET, "sim-youzan-refresh"),
        # 抖店 signs pushes with the app secret (event-sign); /token/refresh uses the refresh token.
        "douyin": CredentialsData(dy_sim.DEMO_APP_KEY, dy_sim.DEMO_APP_SECRET, "sim-douyin-token",
                                  dy_sim.DEMO_APP_SECRET, dy_sim.DEMO_REFRESH_TOKEN),
    }
    configured = []
    for code, data in demo.items():
        channel = db.session.scalar(select(Channel).where(Channel.code == code, Channel.platform == code))
        if channel is not None and credentials_of(channel) is None:
            save_credentials(channel, data, "system:simulators")
            configured.append(code)
    db.session.commit()
    return configured


COMMANDS = (sync_now_command, set_credentials_command, simulator_load_command)
