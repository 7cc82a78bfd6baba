"""A WeChat official-account API with what template messages need: ``/cgi-bin/token`` (app id and
secret for an access token) and ``/cgi-bin/message/template/send`` (openid, template id, data), with
WeChat's error codes and its ``client_msg_id`` dedupe (one message per openid and id)."""

import re
import secrets

from flask import Blueprint, current_app, jsonify, request

from app.domain.notifications import templates

bp = Blueprint("sim_wechat", __name__)

TOKEN_TTL = 7200
OPENID = re.compile(r"o[\w-]{20,40}")
ERRORS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    47001: "data format error",
    47003: "argument invalid! data.value empty",
}


def _error(errcode: int):
    return jsonify(errcode=errcode, errmsg=ERRORS.get(errcode, "error"))


@bp.get("/cgi-bin/token")
def token():
    simulator = current_app.extensions["messaging_simulator"]
    args = request.args
    if args.get("grant_type") != "client_credential":
        return _error(40002)
    expected = simulator.settings.wechat_apps.get(args.get("appid", ""))
    if expected is None:
        return _error(40013)
    if not secrets.compare_digest(args.get("secret", ""), expected):
        return _error(40125)
    return jsonify(access_token=simulator.store.issue_token(args["appid"], TOKEN_TTL), expires_in=TOKEN_TTL)


@bp.post("/cgi-bin/message/template/send")
def send_template():
    simulator = current_app.extensions["messaging_simulator"]
    if simulator.store.token_app(request.args.get("access_token", "")) is None:
        return _error(40001)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return _error(47001)
    openid = str(body.get("touser", ""))
    if not OPENID.fullmatch(openid):
        return _error(40003)
    template = simulator.settings.wechat_templates.get(body.get("template_id"))
    if template is None:
        return _error(40037)
    fields = [name for name, _value in templates.get_template(template).wechat_fields]
    if any(not str((body["data"].get(name) or {}).get("value", "")).strip() for name in fields):
        return _error(47003)
    fault = simulator.store.take_fault("wechat")
    if fault:
        return _error(int(fault))
    correlation = f"{openid}:{body['client_msg_id']}" if body.get("client_msg_id") else ""
    if correlation and (earlier := simulator.store.find("wechat", correlation)):
        return jsonify(errcode=0, errmsg="ok", msgid=int(earlier["provider_id"]))  # deduped: not delivered again
    msgid = secrets.randbelow(2**62)
    title = templates.get_template(template).wechat_title
    text = "\n".join([title, *(str(body["data"][name]["value"]) for name in fields)])
    simulator.store.record("wechat", openid, title, text, str(msgid), correlation=correlation, payload=body)
    return jsonify(errcode=0, errmsg="ok", msgid=msgid)
