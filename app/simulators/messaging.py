"""The messaging simulators as one process: an HTTP app with the SMS gateway (/sms/), the WeChat API
(/wechat/cgi-bin/…) and the inbox (/_simulator/…), plus the SMTP server.

The inbox API is what the staff page 消息模拟器 reads; tests also use it to queue faults (the next
answer on a channel is an error code) and to expire WeChat tokens.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.serving import make_server

from app.domain.notifications import templates
from app.simulators import aliyun_sms, wechat_mp
from app.simulators.smtp import start_smtp
from app.simulators.store import SimulatorStore


@dataclass(frozen=True)
class SimulatorSettings:
    """Whom the simulators accept, taken from the same settings the adapters use."""

    sms_keys: dict[str, str]  # access key id → secret
    sms_sign_names: frozenset[str]
    sms_templates: dict[str, str]  # template code → template key
    wechat_apps: dict[str, str]  # app id → app secret
    wechat_templates: dict[str, str]  # template id → template key

    @classmethod
    def from_config(cls, config) -> "SimulatorSettings":
        keys = list(templates.TEMPLATES)
        return cls(
            sms_keys={config["SMS_ACCESS_KEY_ID"]: config["SMS_ACCESS_KEY_SECRET"]},
            sms_sign_names=frozenset({config["SMS_SIGN_NAME"]}),
            sms_templates={templates.sms_template_code(key, config["SMS_TEMPLATE_CODES"]): key for key in keys},
            wechat_apps={config["WECHAT_APP_ID"]: config["WECHAT_APP_SECRET"]},
            wechat_templates={templates.wechat_template_id(key, config["WECHAT_TEMPLATE_IDS"]): key for key in keys},
        )


@dataclass
class MessagingSimulator:
    store: SimulatorStore
    settings: SimulatorSettings


inbox = Blueprint("sim_inbox", __name__)


@inbox.get("/messages")
def list_messages():
    simulator = current_app.extensions["messaging_simulator"]
    limit = min(request.args.get("limit", 100, type=int), 500)
    return jsonify(messages=simulator.store.messages(request.args.get("channel") or None, limit))


@inbox.delete("/messages")
def clear_messages():
    current_app.extensions["messaging_simulator"].store.clear()
    return "", 204


@inbox.post("/faults")
def add_fault():
    """``{"channel": "sms", "code": "isv.BUSINESS_LIMIT_CONTROL", "times": 2}``: the next answers."""
    body = request.get_json(force=True)
    current_app.extensions["messaging_simulator"].store.add_fault(body["channel"], str(body["code"]),
                                                                  int(body.get("times", 1)))
    return "", 204


@inbox.delete("/tokens")
def expire_tokens():
    current_app.extensions["messaging_simulator"].store.expire_tokens()
    return "", 204


@inbox.get("/health")
def health():
    return jsonify(ok=True)


def create_app(store: SimulatorStore, settings: SimulatorSettings) -> Flask:
    app = Flask("orderhub_messaging_simulator")
    app.extensions["messaging_simulator"] = MessagingSimulator(store, settings)
    app.register_blueprint(aliyun_sms.bp, url_prefix="/sms")
    app.register_blueprint(wechat_mp.bp, url_prefix="/wechat")
    app.register_blueprint(inbox, url_prefix="/_simulator")
    return app


@dataclass
class RunningSimulators:
    http_url: str
    smtp_host: str
    smtp_port: int
    store: SimulatorStore
    _stops: list = field(default_factory=list, repr=False)

    def stop(self) -> None:
        for stop in reversed(self._stops):
            stop()


def start(config, store_path: str | Path, host: str = "127.0.0.1", http_port: int = 0,
          smtp_port: int | None = None) -> RunningSimulators:
    """Serve the simulators in background threads (``http_port`` 0: any free port); ``smtp_port``
    None starts no SMTP server. ``config``: the OrderHub settings whose credentials they accept."""
    store = SimulatorStore(store_path)
    server = make_server(host, http_port, create_app(store, SimulatorSettings.from_config(config)), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="messaging-simulator",
                     daemon=True).start()
    running = RunningSimulators(f"http://{host}:{server.server_port}", host, smtp_port or 0, store)
    running._stops.append(server.shutdown)
    if smtp_port is not None:
        controller = start_smtp(store, host, smtp_port)
        running._stops.append(controller.stop)
    return running
