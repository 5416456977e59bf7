"""The CSV import page: upload, a dry-run preview, then confirm."""

import secrets
import time
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, session, url_for

from ...attendee_import import import_attendees
from ...db import get_db
from ...errors import KioskError
from ...events import get_event
from ..auth import organiser_only
from . import UPLOAD_MAX_AGE_SECONDS, bp


@bp.route("/events/<slug>/import", methods=["GET", "POST"])
@organiser_only
def import_upload(slug):
    """Upload: check the file (a dry run) and show the preview; the file waits for confirm."""
    event = get_event(get_db(), slug)
    if request.method == "GET":
        return render_template("admin/import.html", event=event)
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        result = import_attendees(get_db(), slug, data, dry_run=True)
    except KioskError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        return render_template("admin/import.html", event=event, problems=problems), 422
    upload_id = _keep_upload(data)
    return render_template(
        "admin/import_preview.html", event=event, result=result, upload_id=upload_id
    )


@bp.post("/events/<slug>/import/confirm")
@organiser_only
def import_confirm(slug):
    path = _upload_path(request.form.get("upload_id", ""))
    if path is None or not path.exists():
        flash("That upload has expired; please choose the file again.", "error")
        return redirect(url_for("admin.import_upload", slug=slug))
    try:
        result = import_attendees(get_db(), slug, path.read_bytes())
    except KioskError as exc:  # the event changed since the preview
        flash(str(exc), "error")
        return redirect(url_for("admin.import_upload", slug=slug))
    finally:
        path.unlink(missing_ok=True)
    flash(result.summary()[0].upper() + result.summary()[1:] + ".", "success")
    return redirect(url_for("admin.attendees", slug=slug))


def _keep_upload(data):
    """Park the checked file until the organiser confirms; only this session may use it."""
    upload_id = secrets.token_urlsafe(16)
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.csv"):  # previews nobody confirmed
        if time.time() - old.stat().st_mtime > UPLOAD_MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    (folder / f"{upload_id}.csv").write_bytes(data)
    session["import_upload"] = upload_id
    return upload_id


def _upload_path(upload_id):
    if not upload_id or upload_id != session.get("import_upload"):
        return None
    return Path(current_app.instance_path) / "uploads" / f"{upload_id}.csv"
