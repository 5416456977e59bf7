"""The CSV import page: upload, a dry-run preview with the column mapping, then confirm."""

import os
import secrets
import shutil
import time
from pathlib import Path

from flask import (Response, current_app, flash, redirect, render_template, request, session,
                   url_for)

from ...attendee_import import EXAMPLE_CSV, FIELD_LABELS, import_attendees
from ...db import get_db
from ...errors import KioskError
from ...events import get_event
from ..auth import organiser_only
from . import UPLOAD_MAX_AGE_SECONDS, bp


@bp.route("/events/<slug>/import", methods=["GET", "POST"])
@organiser_only
def import_upload(slug):
    """Upload: the file waits (for this session) while a dry run shows the preview."""
    event = get_event(get_db(), slug)
    if request.method == "GET":
        return render_template("admin/import.html", event=event)
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    return _preview(event, data, keep_upload(data), mapping=None)


@bp.post("/events/<slug>/import/check")
@organiser_only
def import_check(slug):
    """Check the waiting file again with the columns mapped as the organiser chose."""
    event = get_event(get_db(), slug)
    path = waiting_upload()
    if path is None:
        return _expired(slug)
    return _preview(event, path.read_bytes(), request.form["upload_id"], _mapping_form())


def _preview(event, data, upload_id, mapping):
    try:
        result = import_attendees(get_db(), event["slug"], data, dry_run=True, mapping=mapping)
    except KioskError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        return render_template("admin/import.html", event=event, problems=problems,
                               header=getattr(exc, "header", []),
                               columns=getattr(exc, "columns", {}), upload_id=upload_id,
                               fields=FIELD_LABELS), 422
    return render_template("admin/import_preview.html", event=event, result=result,
                           upload_id=upload_id, header=result.header, columns=result.columns,
                           fields=FIELD_LABELS)


def _mapping_form():
    """{header: field or ""} from the preview's column choices (map-0, map-1, ...)."""
    headers = request.form.getlist("header")
    return {name: request.form.get(f"map-{i}", "") for i, name in enumerate(headers)}


@bp.post("/events/<slug>/import/confirm")
@organiser_only
def import_confirm(slug):
    path = waiting_upload()
    if path is None:
        return _expired(slug)
    try:
        result = import_attendees(get_db(), slug, path.read_bytes(), mapping=_mapping_form())
    except KioskError as exc:  # the event changed since the preview
        flash(str(exc), "error")
        return redirect(url_for("admin.import_upload", slug=slug))
    finally:
        path.unlink(missing_ok=True)
    flash(result.summary()[0].upper() + result.summary()[1:] + ".", "success")
    return redirect(url_for("admin.attendees", slug=slug))


@bp.get("/events/<slug>/import/example.csv")
def import_example(slug):
    get_event(get_db(), slug)
    return Response(EXAMPLE_CSV, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="attendees-example.csv"'})


def _expired(slug):
    flash("That upload has expired; please choose the file again.", "error")
    return redirect(url_for("admin.import_upload", slug=slug))


def keep_upload(content, suffix="csv"):
    """Park the file (bytes, or an upload's stream) until the organiser confirms; only this
    session may use it. Returns its id."""
    upload_id = secrets.token_urlsafe(16)
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.glob(f"*.{suffix}"):  # previews nobody confirmed
        if time.time() - old.stat().st_mtime > UPLOAD_MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    # The attendee list (names, addresses), the photos: readable by the service's user only.
    with os.fdopen(os.open(folder / f"{upload_id}.{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                   "wb") as f:
        if isinstance(content, bytes):
            f.write(content)
        else:
            shutil.copyfileobj(content, f)
    session[f"{suffix}_upload"] = upload_id
    return upload_id


def waiting_upload(suffix="csv"):
    """The file this session uploaded, while it is still there."""
    upload_id = request.form.get("upload_id", "")
    if not upload_id or upload_id != session.get(f"{suffix}_upload"):
        return None
    path = upload_path(upload_id, suffix)
    return path if path.exists() else None


def upload_path(upload_id, suffix):
    return Path(current_app.instance_path) / "uploads" / f"{upload_id}.{suffix}"
