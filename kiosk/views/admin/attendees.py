"""Organiser pages for people: the list (filters, sorts, pages, CSV), add and edit, check
in and undo, revoke, photo, data access and deletion, a new private link, attendance."""

import json

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for

from ... import attendee_list
from ... import attendees as attendee_domain
from ... import headshots, privacy
from ...checkins import check_in_by_hand, check_in_history, undo_check_in
from ...db import get_db
from ...people import registrations
from ...errors import KioskError
from ...events import get_event
from ...exports import ATTENDANCE_COLUMNS, attendance_rows, csv_text
from ..auth import organiser_only
from . import _int, bp


def _selection():
    args = request.args
    return attendee_list.Selection(search=args.get("q", ""), status=args.get("status", "all"),
                                   sort=args.get("sort", "name"), page=_int(args.get("page"), 1))


@bp.get("/events/<slug>/attendees")
def attendees(slug):
    """Fifty at a time, filtered by status with a count per filter, sorted as asked."""
    listing = attendee_list.attendee_page(get_db(), slug, _selection())
    return render_template("admin/attendees.html", **listing, filters=attendee_list.FILTERS,
                           sorts=attendee_list.SORTS)


@bp.get("/events/<slug>/attendees.csv")
@organiser_only
def attendees_csv(slug):
    """The list as shown (search, filter and sort), every page of it."""
    rows = attendee_list.csv_rows(get_db(), slug, _selection())
    return _csv_download(csv_text(rows, attendee_list.CSV_COLUMNS), f"attendees-{slug}.csv")


@bp.get("/events/<slug>/attendance.csv")
@organiser_only
def export_attendance(slug):
    """Everyone, with their check-in time and each workshop attended."""
    rows = attendance_rows(get_db(), slug)
    return _csv_download(csv_text(rows, ATTENDANCE_COLUMNS), f"attendance-{slug}.csv")


def _csv_download(text, filename):
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/events/<slug>/attendees/<int:attendee_id>/checkin")
def check_in_attendee(slug, attendee_id):
    """Check someone in from their page (organiser or staff), or undo it."""
    db = get_db()
    attendee = attendee_domain.get_attendee(db, get_event(db, slug), attendee_id)
    try:
        if request.form.get("action") == "undo":
            undo_check_in(db, slug, attendee["code"], actor=g.user["email"])
            flash(f"{attendee['first_name']} is no longer checked in.", "success")
        else:
            answer = check_in_by_hand(db, slug, attendee["code"], actor=g.user["email"])
            flash(answer.message, "success" if answer.status < 300 else "error")
    except KioskError as exc:
        flash(str(exc), "error")
    return redirect(url_for("admin.edit_attendee", slug=slug, attendee_id=attendee_id))


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
            attendee_domain.update_attendee(db, slug, attendee_id, _attendee_form(),
                                            may_change_email=g.user["role"] == "organiser")
        except KioskError as exc:
            flash(str(exc), "error")
            values = _attendee_form()
        else:
            flash("Changes saved.", "success")
            return redirect(url_for("admin.attendees", slug=slug))
    checkins, checkin_log = check_in_history(db, attendee)
    return render_template(
        "admin/attendee_form.html", event=event, values=values, attendee=attendee,
        checkins=checkins, checkin_log=checkin_log,
        connections=attendee_domain.connection_count(db, attendee),
        consent_log=attendee_domain.consent_history(db, attendee),
        elsewhere=[row for row in registrations(db, attendee["person_id"]) if row["id"] != attendee["id"]],
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
            headshots.set_photo(get_db(), slug, attendee_id, data)
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
