"""Open API tokens (开放接口): list, create (the token is shown once), revoke."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import Length

from app.auth import role_required
from app.auth.api_tokens import ApiToken, Scope, create_token, list_tokens, revoke
from app.auth.roles import Area
from app.domain.audit.models import AuditAction
from app.domain.reference import queries as reference
from app.domain.reference.models import Channel
from app.extensions import db
from app.web.htmx import is_partial, vary_on_htmx
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.forms import REQUIRED
from app.web.staff.pages import form_status, save_form

SCOPE_LABELS = {
    Scope.ORDERS: _l("订单：创建并操作本渠道的订单"),
    Scope.STOCK_READ: _l("库存查询"),
    Scope.STOCK_WRITE: _l("入库与盘点"),
    Scope.CATALOG_WRITE: _l("商品维护"),
    Scope.ROUTING_WRITE: _l("仓库、快递与运费模板维护"),
    Scope.FULFILMENT: _l("发货（仓储系统）"),
}


class ApiTokenForm(FlaskForm):
    channel_id = SelectField(_l("渠道"), coerce=int, validators=[REQUIRED])
    name = StringField(_l("用途"), validators=[Length(max=64)], render_kw={"placeholder": _l("如 门店 POS 3 号机")})
    scopes = SelectMultipleField(_l("权限范围"), choices=[(str(scope), label) for scope, label in SCOPE_LABELS.items()],
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_id.choices = [(channel.id, f"{channel.code} {channel.shop_name}")
                                   for channel in reference.channels(active_only=True)]


@bp.get("/api-tokens")
@role_required(Area.SETTINGS)
def list_api_tokens():
    return _list_page(ApiTokenForm())


@bp.post("/api-tokens")
@role_required(Area.SETTINGS)
def create_api_token():
    form = ApiTokenForm()
    response = save_form(form, lambda: create_token(db.session.get(Channel, form.channel_id.data), form.scopes.data,
                                                    form.name.data.strip(), current_user.actor), _created)
    return response or _list_page(form, form_status(form))


def _created(row_and_token: tuple[ApiToken, str]):
    row, token = row_and_token
    response = make_response(render_template("staff/admin/api_tokens/created.html", row=row, token=token))
    # The token is on this page only: no cache may keep a copy of it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api-tokens/<int:token_id>/revoke")
@role_required(Area.SETTINGS)
def revoke_api_token(token_id: int):
    row = db.get_or_404(ApiToken, token_id)
    revoke(row)
    trail.record(AuditAction.REVOKE_API_TOKEN, f"channel:{row.channel.code}", f"{row.hint}…")
    db.session.commit()
    if is_partial():
        return vary_on_htmx(make_response(render_template("staff/admin/api_tokens/_row.html", row=row)))
    flash(_("已吊销令牌 %(hint)s…", hint=row.hint), "success")
    return vary_on_htmx(redirect(url_for("staff.list_api_tokens"), 303))


def _list_page(form: ApiTokenForm, status: int = 200):
    rows = list_tokens()
    return render_template("staff/admin/api_tokens/list.html", rows=rows, form=form, scope_labels=SCOPE_LABELS), status
