"""Per-shop sync set-up (operations, admin): API credentials, field mapping with preview, SKU mappings."""

import json

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.channels import health, mapping_fields, skus
from app.domain.channels.adapters import adapter_class
from app.domain.channels.connect import credentials_of, is_api_channel, settings_of
from app.domain.channels.models import RawPayload, SkuMapping
from app.domain.channels.preview import preview
from app.domain.channels.queueing import enqueue_once
from app.domain.channels.shop_settings import (
    CredentialsData,
    SettingsData,
    save_credentials,
    save_settings,
    secret_hint,
)
from app.domain.reference.models import Channel
from app.extensions import db
from app.web.htmx import vary_on_htmx
from app.web.staff import bp
from app.web.staff.channels.forms import CredentialsForm, SkuMappingForm, SyncSettingsForm, mapping_form_class
from app.web.staff.pages import form_status, save_form, saved

REPROCESS_JOB = "workers.channel_sync.reprocess_waiting"


@bp.route("/channels/<int:row_id>/credentials", methods=["GET", "POST"])
@role_required(Area.SETTINGS)
def authorise_channel(row_id: int):
    channel = db.get_or_404(Channel, row_id)
    stored = credentials_of(channel)
    form = CredentialsForm(data={"app_key": stored.app_key} if stored else None)
    response = save_form(
        form, lambda: save_credentials(channel, _credentials_data(form), current_user.actor),
        lambda _none: saved(_("已保存 %(code)s 的接口凭证", code=channel.code),
                            url_for("staff.authorise_channel", row_id=channel.id)),
    ) if is_api_channel(channel) else None
    if response:
        return response
    hints = {name: secret_hint(getattr(stored, name)) for name in ("app_secret", "access_token", "push_secret")} \
        if stored else {}
    response = make_response(render_template("staff/channels/credentials.html", channel=channel, form=form,
                                             stored=stored, hints=hints, api=is_api_channel(channel)),
                             form_status(form))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/channels/<int:row_id>/sync-settings", methods=["GET", "POST"])
@role_required(Area.SETTINGS)
def configure_channel(row_id: int):
    channel = db.get_or_404(Channel, row_id)
    settings = settings_of(channel) if is_api_channel(channel) else None
    default = adapter_class(channel.platform).DEFAULT_MAPPING if settings else {}
    form_class = mapping_form_class(default, _sample_payload(channel), settings.mapping_override if settings else {})
    form = form_class(obj=settings) if settings else form_class()
    if request.method == "GET" and settings is not None:
        form.mapping_override.data = json.dumps(settings.mapping_override, ensure_ascii=False, indent=2) \
            if settings.mapping_override else ""
    _payload_choices(form, channel)
    response = save_form(
        form, lambda: save_settings(channel, _settings_data(form), current_user.actor),
        lambda _none: saved(_("已保存 %(code)s 的同步设置", code=channel.code),
                            url_for("staff.configure_channel", row_id=channel.id)),
    ) if settings is not None else None
    if response:
        return response
    return render_template("staff/channels/configure.html", channel=channel, form=form, settings=settings,
                           mapped=[getattr(form, field.name) for field in mapping_fields.FIELDS] if settings else [],
                           default_mapping=json.dumps(default, ensure_ascii=False, indent=2)), form_status(form)


def _sample_payload(channel: Channel) -> dict:
    """A real payload of the shop to offer its fields in the mapping form: the one chosen for the
    preview, else the latest."""
    if not is_api_channel(channel):
        return {}
    chosen = db.session.get(RawPayload, request.values.get("payload_id", type=int) or 0)
    if chosen is not None and chosen.channel_id == channel.id:
        return chosen.payload or {}
    recent = health.recent_payloads(channel.id)
    return (recent[0].payload or {}) if recent else {}


@bp.post("/channels/<int:row_id>/sync-settings/preview")
@role_required(Area.SETTINGS)
def preview_channel(row_id: int):
    """The "预览" button: the order the typed mapping makes of the chosen raw payload (a fragment)."""
    channel = db.get_or_404(Channel, row_id)
    payload = db.session.get(RawPayload, request.form.get("payload_id", type=int) or 0)
    override = mapping_fields.with_choices(request.form.get("mapping_override", ""), {
        field.name: request.form[field.name] for field in mapping_fields.FIELDS if field.name in request.form})
    result = preview(channel, override, payload)
    return vary_on_htmx(make_response(render_template("staff/channels/_preview.html", result=result)))


@bp.get("/sku-mappings")
@role_required(Area.SETTINGS)
def list_sku_mappings():
    return _mappings_page(SkuMappingForm())


@bp.post("/sku-mappings")
@role_required(Area.SETTINGS)
def save_sku_mapping():
    """Save a mapping, then process again every payload of that shop waiting for one (a job)."""
    form = SkuMappingForm()
    response = save_form(form, lambda: _save_mapping(form), _mapping_saved)
    return response or _mappings_page(form, form_status(form))


def _save_mapping(form: SkuMappingForm) -> Channel:
    channel = db.get_or_404(Channel, form.channel_id.data)
    skus.save_mapping(channel, form.platform_code.data, form.sku_code.data, current_user.actor)
    return channel


def _mapping_saved(channel: Channel):
    enqueue_once(REPROCESS_JOB, channel.id, job_id=f"channel-reprocess-{channel.id}")
    return saved(_("已保存对应关系，等待中的订单正在重新处理"), url_for("staff.list_sku_mappings"))


@bp.post("/sku-mappings/delete")
@role_required(Area.SETTINGS)
def delete_sku_mapping():
    mapping = db.get_or_404(SkuMapping, request.form.get("mapping_id", type=int) or 0)
    skus.delete_mapping(mapping)
    db.session.commit()
    flash(_("已删除对应关系 %(code)s", code=mapping.platform_code), "success")
    return redirect(url_for("staff.list_sku_mappings"), 303)


def _credentials_data(form: CredentialsForm) -> CredentialsData:
    return CredentialsData(form.app_key.data, form.app_secret.data or "", form.access_token.data or "",
                           form.push_secret.data or "")


def _settings_data(form: SyncSettingsForm) -> SettingsData:
    override = mapping_fields.with_choices(form.mapping_override.data or "", {
        field.name: getattr(form, field.name).data or "" for field in mapping_fields.FIELDS})
    return SettingsData(override, form.stock_push_enabled.data, form.stock_share_pct.data,
                        form.virtual_stock.data, form.calls_per_second.data)


def _mappings_page(form: SkuMappingForm, status: int = 200):
    mappings = skus.mappings()
    return render_template("staff/channels/sku_mappings.html", form=form, mappings=mappings,
                           waiting=skus.waiting_payloads()), status


def _payload_choices(form: SyncSettingsForm, channel: Channel) -> None:
    payloads = health.recent_payloads(channel.id) if is_api_channel(channel) else []
    form.payload_id.choices = [(payload.id, f"#{payload.id} {payload.external_id} · {payload.status_label}")
                               for payload in payloads]
