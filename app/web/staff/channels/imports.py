"""Order import from Excel/CSV (渠道同步 → 导入订单): upload, map columns, preview, then a job with a
progress bar. The rules live in app.domain.channels.imports; these views only move data in and out."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.channels import import_rows, imports
from app.domain.channels.models import ImportRun, ImportStatus
from app.domain.errors import Conflict, ValidationError
from app.domain.reference.models import Channel
from app.extensions import db
from app.web.errors import error_message, field_messages
from app.web.htmx import render_page_or_partial
from app.web.request_limits import allow_body_size
from app.web.staff import bp
from app.web.staff.channels.forms import ImportUploadForm, import_columns_form
from app.web.staff.pages import form_status, save_form


@bp.route("/channels/import", methods=["GET", "POST"])
@allow_body_size("IMPORT_MAX_CONTENT_LENGTH")
@role_required(Area.SYNC)
def upload_import():
    form = ImportUploadForm(imports.importable_channels())
    response = save_form(form, lambda: _upload(form),
                         lambda run: redirect(url_for("staff.map_import_columns", run_id=run.id), 303))
    return response or (render_template("staff/channels/import/upload.html", form=form, runs=imports.recent_runs()),
                        form_status(form))


def _upload(form: ImportUploadForm) -> ImportRun:
    upload = form.file.data
    return imports.upload(db.get_or_404(Channel, form.channel_id.data), upload.filename, upload.read(),
                          current_user.actor)


@bp.route("/channels/import/<int:run_id>/columns", methods=["GET", "POST"])
@role_required(Area.SYNC)
def map_import_columns(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    if run.status != ImportStatus.DRAFT:
        return redirect(url_for("staff.show_import", run_id=run.id), 303)
    form = import_columns_form(import_rows.FIELDS, run.header, import_rows.REQUIRED, run.column_map)
    response = save_form(
        form, lambda: imports.save_mapping(run, {name: getattr(form, name).data for name in import_rows.FIELDS}),
        lambda _none: redirect(url_for("staff.preview_import", run_id=run.id), 303))
    return response or (render_template("staff/channels/import/columns.html", run=run, form=form,
                                        fields=import_rows.FIELDS), form_status(form))


@bp.get("/channels/import/<int:run_id>/preview")
@role_required(Area.SYNC)
def preview_import(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    if run.status != ImportStatus.DRAFT:
        return redirect(url_for("staff.show_import", run_id=run.id), 303)
    return render_template("staff/channels/import/preview.html", run=run, preview=imports.preview(run),
                           fields=import_rows.FIELDS, columns=[name for name in import_rows.FIELDS
                                                               if run.column_map.get(name)])


@bp.post("/channels/import/<int:run_id>/start")
@role_required(Area.SYNC)
def start_import(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    try:
        imports.confirm(run)
    except (ValidationError, Conflict) as error:
        flash("；".join(field_messages(error).values()) if isinstance(error, ValidationError) else error_message(error),
              "warning")
        return redirect(url_for("staff.map_import_columns", run_id=run.id), 303)
    db.session.commit()
    flash(_("已开始导入 %(name)s", name=run.filename), "success")
    return redirect(url_for("staff.show_import", run_id=run.id), 303)


@bp.get("/channels/import/<int:run_id>")
@role_required(Area.SYNC)
def show_import(run_id: int):
    """The progress panel polls itself every second while the job is queued or running."""
    run = db.get_or_404(ImportRun, run_id)
    return render_page_or_partial("staff/channels/import/run.html", "staff/channels/import/_progress.html",
                                  run=run, active=run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING))
