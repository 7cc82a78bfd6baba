"""An Aliyun-style SMS gateway (dysmsapi ``SendSms``, RPC style), checking what the real one checks:
the access key, the HMAC-SHA1 signature, the timestamp window, nonce replays, the sign name, the
template code and its parameters, and the phone numbers. It renders the text from its own copy of the
approved templates, as the real gateway does, and keeps what it "delivered"."""

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, jsonify, request

from app.domain.notifications import templates
from app.domain.notifications.adapters.sms import signature
from app.domain.notifications.recipients import normalise_mobile

bp = Blueprint("sim_sms", __name__)

TIMESTAMP_WINDOW = timedelta(minutes=15)
#: What a fault code answers with: (HTTP status, message), as the real gateway words them.
ERRORS = {
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "SignatureDoesNotMatch": (400, "Specified signature is not matched with our calculation."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "MissingParameter": (400, "A required parameter is missing."),
    "InvalidAction.NotFound": (400, "Specified api is not found, please check your url and method."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "isv.BUSINESS_LIMIT_CONTROL": (200, "触发号码天级流控Permits:10"),
    "isv.MOBILE_NUMBER_ILLEGAL": (200, "非法手机号"),
    "isv.SMS_SIGNATURE_ILLEGAL": (200, "该账号下找不到对应签名"),
    "isv.SMS_TEMPLATE_ILLEGAL": (200, "该账号下找不到对应模板"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (200, "模板变量缺少对应参数值"),
    "isv.INVALID_JSON_PARAM": (200, "JSON参数不合法，只接受字符串值"),
    "isv.AMOUNT_NOT_ENOUGH": (200, "账户余额不足"),
}
REQUIRED = ("AccessKeyId", "Action", "PhoneNumbers", "SignName", "SignatureMethod", "SignatureNonce",
            "SignatureVersion", "TemplateCode", "Timestamp", "Version")


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@bp.route("/", methods=["GET", "POST"])
def rpc():
    simulator = current_app.extensions["messaging_simulator"]
    params = request.values.to_dict()
    try:
        template, phones = _check(params, simulator.settings, simulator.store)
        fault = simulator.store.take_fault("sms")
        if fault:
            raise Refused(fault)
    except Refused as refused:
        return _error(refused.code)
    values = json.loads(params["TemplateParam"])
    text = f"【{params['SignName']}】{templates.get_template(template).text.format_map(values)}"
    biz_id = f"{secrets.randbelow(10**18):018d}^0"
    for phone in phones:
        simulator.store.record("sms", phone, templates.get_template(template).name, text, biz_id,
                               correlation=params.get("OutId", ""), payload=params)
    return jsonify(Code="OK", Message="OK", BizId=biz_id, RequestId=str(uuid.uuid4()).upper())


def _check(params: dict, settings, store) -> tuple[str, list[str]]:
    """The template key and phone numbers of a valid request; raises Refused with the gateway's code."""
    if any(not params.get(name) for name in (*REQUIRED, "Signature")):
        raise Refused("MissingParameter")
    if params["Action"] != "SendSms":
        raise Refused("InvalidAction.NotFound")
    secret = settings.sms_keys.get(params["AccessKeyId"])
    if secret is None:
        raise Refused("InvalidAccessKeyId.NotFound")
    claimed = params.pop("Signature")
    if not secrets.compare_digest(claimed, signature(params, secret, request.method)):
        raise Refused("SignatureDoesNotMatch")
    _check_fresh(params["Timestamp"], params["SignatureNonce"], store)
    if params["SignName"] not in settings.sms_sign_names:
        raise Refused("isv.SMS_SIGNATURE_ILLEGAL")
    template = settings.sms_templates.get(params["TemplateCode"])
    if template is None:
        raise Refused("isv.SMS_TEMPLATE_ILLEGAL")
    try:
        values = json.loads(params.get("TemplateParam") or "{}")
    except ValueError:
        raise Refused("isv.INVALID_JSON_PARAM") from None
    if not isinstance(values, dict) or not all(isinstance(value, str) for value in values.values()):
        raise Refused("isv.INVALID_JSON_PARAM")
    if templates.get_template(template).placeholders - set(values):
        raise Refused("isv.TEMPLATE_MISSING_PARAMETERS")
    phones = params["PhoneNumbers"].split(",")
    if not all(normalise_mobile(phone) == phone for phone in phones):
        raise Refused("isv.MOBILE_NUMBER_ILLEGAL")
    return template, phones


def _check_fresh(timestamp: str, nonce: str, store) -> None:
    try:
        at = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Refused("InvalidTimeStamp.Expired") from None
    if abs(datetime.now(UTC) - at) > TIMESTAMP_WINDOW:
        raise Refused("InvalidTimeStamp.Expired")
    if not store.use_nonce(nonce):
        raise Refused("SignatureNonceUsed")


def _error(code: str):
    status, message = ERRORS.get(code, (200, code))
    return jsonify(Code=code, Message=message, RequestId=str(uuid.uuid4()).upper()), status
