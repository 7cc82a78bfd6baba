"""/staff/carriers/<id>/rate-card: a carrier's rate card (运费模板) — view, edit one row, Excel export, and
Excel import with a preview; a file with bad rows lists every one of them and imports nothing."""

import json
from dataclasses import asdict

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import ValidationError
from app.domain.reference.models import Carrier
from app.domain.routing import card_sheet, cards
from app.domain.routing.models import RateCard
from app.extensions import db
from app.web.errors import field_messages
from app.web.forms import apply_domain_errors
from app.web.request_limits import allow_body_size
from app.web.staff import bp
from app.web.staff.pages import form_status, save_form, saved
from app.web.staff.routing.card_forms import FIELD_NAMES, RateCardConfirmForm, RateCardUploadForm, RateRowForm

PREVIEW_ROWS = 200


@bp.get("/carriers/<int:carrier_id>/rate-card")
@role_required(Area.SETTINGS)
def show_rate_card(carrier_id: int):
    carrier = db.get_or_404(Carrier, carrier_id)
    rows = cards.card_of(carrier)
    origins = sorted({row.origin_province for row in rows})
    origin = request.args.get("origin", "")
    shown = [row for row in rows if row.origin_province == origin] if origin else rows
    return render_template("staff/routing/rate_card.html", carrier=carrier, rows=shown, total=len(rows),
                           origins=origins, origin=origin)


@bp.route("/carriers/<int:carrier_id>/rate-card/rows/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route("/carriers/<int:carrier_id>/rate-card/rows/<int:row_id>", methods=["GET", "POST"])
@role_required(Area.SETTINGS)
def edit_rate_row(carrier_id: int, row_id: int | None):
    carrier = db.get_or_404(Carrier, carrier_id)
    card = db.get_or_404(RateCard, row_id) if row_id is not None else None
    if card is not None and card.carrier_id != carrier.id:
        abort(404)
    form = RateRowForm()
    if card is not None and request.method == "GET":
        form.fill(cards.as_rows([card])[0])
    response = save_form(form, lambda: cards.save_row(carrier, form.row(), card, current_user.actor),
                         lambda saved_row: saved(_("已保存 %(origin)s → %(destination)s",
                                                   origin=saved_row.origin_province,
                                                   destination=saved_row.destination_province),
                                                 url_for("staff.show_rate_card", carrier_id=carrier.id,
                                                         origin=saved_row.origin_province)),
                         show_errors=_show_row_errors)
    return response or (render_template("staff/routing/rate_row.html", carrier=carrier, card=card, form=form),
                        form_status(form))


def _show_row_errors(form: RateRowForm, error: ValidationError) -> None:
    apply_domain_errors(form, ValidationError({FIELD_NAMES.get(name, name): message
                                               for name, message in error.fields.items()}))


@bp.get("/carriers/<int:carrier_id>/rate-card.xlsx")
@role_required(Area.SETTINGS)
def export_rate_card(carrier_id: int):
    carrier = db.get_or_404(Carrier, carrier_id)
    content = card_sheet.write(cards.card_of(carrier), translate=_)
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="rate-card-{carrier.code}.xlsx"'})


@bp.route("/carriers/<int:carrier_id>/rate-card/import", methods=["GET", "POST"])
@allow_body_size("IMPORT_MAX_CONTENT_LENGTH")
@role_required(Area.SETTINGS)
def import_rate_card(carrier_id: int):
    """Upload → the rows read and checked: every bad cell listed (422), or a preview to confirm."""
    carrier = db.get_or_404(Carrier, carrier_id)
    form = RateCardUploadForm()
    bad_cells, rows = [], None
    if form.validate_on_submit():
        try:
            rows = card_sheet.read(form.file.data.read())
        except ValidationError as error:
            bad_cells = _bad_cells(error)
    if rows is None:
        status = 422 if bad_cells or form.errors else 200
        return render_template("staff/routing/rate_card_import.html", carrier=carrier, form=form,
                               bad_cells=bad_cells), status
    confirm = RateCardConfirmForm(rows=json.dumps([asdict(row) for row in rows], ensure_ascii=False))
    return render_template("staff/routing/rate_card_preview.html", carrier=carrier, rows=rows[:PREVIEW_ROWS],
                           total=len(rows), changes=_changes(carrier, rows), confirm=confirm)


@bp.post("/carriers/<int:carrier_id>/rate-card/import/confirm")
@allow_body_size("IMPORT_MAX_CONTENT_LENGTH")
@role_required(Area.SETTINGS)
def confirm_rate_card_import(carrier_id: int):
    carrier = db.get_or_404(Carrier, carrier_id)
    form = RateCardConfirmForm()
    response = save_form(form, lambda: cards.replace_card(carrier, _posted_rows(form.rows.data), current_user.actor),
                         lambda count: saved(_("已导入 %(count)s 行运费", count=count),
                                             url_for("staff.show_rate_card", carrier_id=carrier.id)))
    if response:
        return response
    return render_template("staff/routing/rate_card_import.html", carrier=carrier, form=RateCardUploadForm(),
                           bad_cells=[(None, None, message) for message in form.form_errors]), 422


def _posted_rows(text: str) -> list[cards.RateRow]:
    try:
        return [cards.RateRow(**row) for row in json.loads(text or "[]")]
    except (TypeError, ValueError) as error:
        raise ValidationError({"rows": _("预览数据已损坏，请重新上传文件")}) from error


def _bad_cells(error: ValidationError) -> list[tuple[int | None, str | None, str]]:
    """(line, column, message) for the page's error table; None for an error about the whole file."""
    cells = []
    for key, message in field_messages(error).items():
        cell = card_sheet.cell_of(key)
        cells.append((cell[0], _(cell[1]), message) if cell else (None, None, message))
    return cells


def _changes(carrier: Carrier, rows: list[cards.RateRow]) -> dict[str, int]:
    """How the file differs from the card in force: rows added, changed, removed, unchanged."""
    current = {(row.origin_province, row.destination_province): row for row in cards.as_rows(cards.card_of(carrier))}
    incoming = {(row.origin_province, row.destination_province): row for row in rows}
    changed = sum(1 for key, row in incoming.items() if key in current and current[key] != row)
    return {"added": len(incoming.keys() - current.keys()), "changed": changed,
            "removed": len(current.keys() - incoming.keys()),
            "unchanged": sum(1 for key, row in incoming.items() if current.get(key) == row)}
