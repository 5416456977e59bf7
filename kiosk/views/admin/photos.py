"""The headshot import page: upload a zip of photos, see what matched, then confirm."""

from flask import flash, redirect, render_template, request, url_for

from ...db import get_db
from ...errors import KioskError
from ...events import get_event
from ...photo_import import MAX_ZIP_BYTES, PhotosRefused, import_photos
from ..auth import organiser_only
from . import bp
from .imports import keep_upload, upload_path, waiting_upload


@bp.route("/events/<slug>/photos", methods=["GET", "POST"])
@organiser_only
def photos_upload(slug):
    """Upload: every photo is matched and checked (nothing written) while the zip waits."""
    event = get_event(get_db(), slug)
    if request.method == "GET":
        return _page(event)
    upload = request.files.get("file")
    if not upload:
        return _page(event, problems=[("", "choose a .zip of photos first")]), 422
    upload_id = keep_upload(upload.stream, "zip")  # on disk, not in memory: it may be hundreds of MB
    try:
        result = import_photos(get_db(), slug, upload_path(upload_id, "zip"), dry_run=True)
    except KioskError as exc:
        upload_path(upload_id, "zip").unlink(missing_ok=True)
        problems = exc.problems if isinstance(exc, PhotosRefused) else [(upload.filename, str(exc))]
        return _page(event, problems=problems), 422
    return _page(event, result=result, upload_id=upload_id)


@bp.post("/events/<slug>/photos/confirm")
@organiser_only
def photos_confirm(slug):
    path = waiting_upload("zip")
    if path is None:
        flash("That upload has expired; please choose the zip again.", "error")
        return redirect(url_for("admin.photos_upload", slug=slug))
    try:
        result = import_photos(get_db(), slug, path)
    except KioskError as exc:  # the attendees changed since the preview
        flash(f"Nothing was imported: {exc}. Check the zip again.", "error")
        return redirect(url_for("admin.photos_upload", slug=slug))
    finally:
        path.unlink(missing_ok=True)
    flash(result.summary()[0].upper() + result.summary()[1:] + ".", "success")
    return redirect(url_for("admin.attendees", slug=slug))


def _page(event, **context):
    return render_template("admin/photos.html", event=event, max_mb=MAX_ZIP_BYTES // (1024 * 1024), **context)
