"""Organiser pages for people: the list, add and edit, revoke, photo, data access and deletion, a new private link."""

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from ... import attendees as attendee_domain
from ... import privacy
from ...db import get_db
from ...errors import KioskError
from ...events import get_event
from ..auth import organiser_only
from . import bp


@bp.get("/events/<slug>/attendees")
def attendees(slug):
    query = request.args.get("q", "")
    return render_template(
        "admin/attendees.html",
        event=get_event(get_db(), slug),
        attendees=attendee_domain.list_attendees(get_db(), slug, query),
        query=query,
    )


@bp.route("/events/<slug>/attendees/new", methods=["GET", "POST"])
def new_attendee(slug):
    event = get_event(get_db(), slug)
    if request.method == "POST":
        try:
            attendee_domain.add_attendee(get_db(), slug, _attendee_form())
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash("Attendee added.", "success")
            return redirect(url_for("admin.attendees", slug=slug))
        values = _attendee_form()
    else:
        values = {f: event[f"default_{f}"] for f in attendee_domain.CONSENT_FIELDS}
    return render_template("admin/attendee_form.html", event=event, values=values, attendee=None)


@bp.route("/events/<slug>/attendees/<int:attendee_id>", methods=["GET", "POST"])
def edit_attendee(slug, attendee_id):
    db = get_db()
    event = get_event(get_db(), slug)
    attendee = attendee_domain.get_attendee(db, event, attendee_id)
    values = attendee
    if request.method == "POST":
        try:
            attendee_domain.update_attendee(db, slug, attendee_id, _attendee_form())
        except KioskError as exc:
            flash(str(exc), "error")
            values = _attendee_form()
        else:
            flash("Changes saved.", "success")
            return redirect(url_for("admin.attendees", slug=slug))
    return render_template(
        "admin/attendee_form.html", event=event, values=values, attendee=attendee
    )


@bp.post("/events/<slug>/attendees/<int:attendee_id>/revoke")
@organiser_only
def revoke_attendee(slug, attendee_id):
    revoke = request.form.get("action") != "restore"
    attendee = attendee_domain.set_revoked(get_db(), slug, attendee_id, revoke)
    name = f"{attendee['first_name']} {attendee['last_name']}".strip()
    flash(f"{name}'s badge is {'revoked' if revoke else 'valid again'}.", "success")
    return redirect(url_for("admin.edit_attendee", slug=slug, attendee_id=attendee_id))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/photo")
def attendee_photo(slug, attendee_id):
    upload = request.files.get("photo")
    data = b"" if request.form.get("action") == "remove" else (upload.read() if upload else b"")
    if not data and request.form.get("action") != "remove":
        flash("Choose a photo first.", "error")
    else:
        try:
            attendee_domain.set_photo(get_db(), slug, attendee_id, data)
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash("Photo removed." if not data else "Photo saved.", "success")
    return redirect(url_for("admin.edit_attendee", slug=slug, attendee_id=attendee_id))


@bp.get("/events/<slug>/attendees/<int:attendee_id>/photo.jpg")
def attendee_photo_image(slug, attendee_id):
    db = get_db()
    attendee = attendee_domain.get_attendee(db, get_event(db, slug), attendee_id)
    if not attendee["photo"]:
        return Response(status=404)
    return Response(attendee["photo"], mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/events/<slug>/attendees/<int:attendee_id>/data.json")
@organiser_only
def attendee_data(slug, attendee_id):
    """A data-access request answered: everything held about this attendee."""
    db = get_db()
    data = privacy.personal_data(db, attendee_domain.get_attendee(db, get_event(db, slug), attendee_id),
                                 for_organiser=True)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="attendee-{attendee_id}.json"'})


@bp.post("/events/<slug>/attendees/<int:attendee_id>/delete")
@organiser_only
def delete_attendee(slug, attendee_id):
    db = get_db()
    attendee = attendee_domain.get_attendee(db, get_event(db, slug), attendee_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the deletion.", "error")
        return redirect(url_for("admin.edit_attendee", slug=slug, attendee_id=attendee_id))
    privacy.delete_attendee(db, attendee, current_app.config["MAIL_DIR"])
    flash(f"{attendee['first_name']} {attendee['last_name']} and everything linked to them are deleted.", "success")
    return redirect(url_for("admin.attendees", slug=slug))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/private-link")
@organiser_only
def new_private_link(slug, attendee_id):
    attendee_domain.new_private_link(get_db(), slug, attendee_id)
    flash("A new private link is issued; the old link and the phones it opened no longer work.",
          "success")
    return redirect(url_for("admin.edit_attendee", slug=slug, attendee_id=attendee_id))


def _attendee_form():
    form = request.form
    values = {f: form.get(f, "") for f in attendee_domain.TEXT_LIMITS}
    for f in attendee_domain.CONSENT_FIELDS:
        values[f] = f in form
    return values
