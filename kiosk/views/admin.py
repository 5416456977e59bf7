"""Organiser pages: events, workshops, kiosks, attendees and the CSV import.

Every route needs a logged-in organiser (see `require_login`). Views parse the
form, call one domain function and render; a domain error is flashed and the
form shown again with what was typed.
"""

import io
import json
import secrets
import time
from pathlib import Path

from flask import (
    Blueprint, Response, current_app, flash, redirect, render_template, request, session,
    url_for,
)

import segno
from markupsafe import Markup

from badges import DEFAULT_LAYOUT, LAYOUTS

from .. import attendees as attendee_domain
from ..attendee_import import import_attendees
from ..badge_printing import SORTS, badge_counts, preview_png, print_badges
from ..charts import bar_chart, network_picture
from ..checkins import arrivals
from ..db import get_db
from ..errors import KioskError
from ..exports import csv_text
from ..events import add_workshop, create_event, get_event, list_events, list_workshops, local_time
from .. import connections as connections_domain
from .. import kiosks as kiosks_domain
from .. import privacy
from ..kiosks import create_kiosk, list_kiosks
from .auth import organiser_only, require_login, require_organiser

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_login)
UPLOAD_MAX_AGE_SECONDS = 24 * 3600


@bp.app_template_filter("local_time")
def local_time_filter(iso, event):
    return local_time(event, iso)


def index():
    """The site root: organisers land on their events (or the login page)."""
    return redirect(url_for("admin.events"))


@bp.route("/", methods=["GET", "POST"])
def events():
    db = get_db()
    if request.method == "POST":
        refused = require_organiser()
        if refused:
            return refused
        form = request.form
        try:
            event = create_event(
                db, form.get("slug", "").strip(), form.get("name", ""),
                form.get("starts", ""), form.get("ends", ""),
                mode=form.get("mode", "mutual"), venue=form.get("venue", ""),
                tz=form.get("timezone", "UTC").strip(),
                grace_minutes=_int(form.get("grace_minutes"), 120),
            )
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Event {event['name']} created.", "success")
            return redirect(url_for("admin.event", slug=event["slug"]))
    return render_template("admin/events.html", events=list_events(db), form=request.form)


@bp.get("/events/<slug>")
def event(slug):
    db = get_db()
    current = get_event(get_db(), slug)
    return render_template(
        "admin/event.html",
        event=current,
        workshops=list_workshops(db, current),
        kiosks=list_kiosks(db, slug),
        layouts=LAYOUTS.values(),
        counts=attendee_domain.attendee_counts(db, current),
    )


@bp.get("/events/<slug>/live")
def live(slug):
    """Arrivals as they happen; the page refreshes itself."""
    figures = arrivals(get_db(), slug)
    return render_template("admin/live.html", **figures, chart=bar_chart(figures["buckets"]))


@bp.get("/events/<slug>/connections")
def insight(slug):
    """Who met whom: totals, per workshop, over time, the network, the leaderboard."""
    db = get_db()
    figures = connections_domain.insight(db, slug)
    return render_template(
        "admin/connections.html", **figures, chart=bar_chart(figures["buckets"]),
        picture=network_picture(figures["network"]),
        leaders=connections_domain.leaderboard(db, slug),
    )


@bp.get("/events/<slug>/leaderboard")
def leaderboard(slug):
    """Full screen for the room's projector; refreshes itself."""
    return render_template(
        "admin/leaderboard.html", event=get_event(get_db(), slug),
        leaders=connections_domain.leaderboard(get_db(), slug),
    )


@bp.get("/events/<slug>/connections.csv")
@organiser_only
def export_connections(slug):
    rows = connections_domain.export_rows(get_db(), slug)
    return Response(csv_text(rows, connections_domain.EXPORT_COLUMNS), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="connections-{slug}.csv"'})


@bp.get("/events/<slug>/attendees/<int:attendee_id>/data.json")
@organiser_only
def attendee_data(slug, attendee_id):
    """A data-access request answered: everything held about this attendee."""
    db = get_db()
    data = privacy.personal_data(db, attendee_domain.get_attendee(db, get_event(db, slug), attendee_id))
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
    privacy.delete_attendee(db, attendee)
    flash(f"{attendee['first_name']} {attendee['last_name']} and everything linked to them are deleted.", "success")
    return redirect(url_for("admin.attendees", slug=slug))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/private-link")
@organiser_only
def new_private_link(slug, attendee_id):
    attendee_domain.new_private_link(get_db(), slug, attendee_id)
    flash("A new private link is issued; the old link and the phones it opened no longer work.",
          "success")
    return redirect(url_for("admin.edit_attendee", slug=slug, attendee_id=attendee_id))


@bp.post("/events/<slug>/workshops")
@organiser_only
def workshops(slug):
    form = request.form
    try:
        created = add_workshop(
            get_db(), slug, form.get("slug", "").strip(), form.get("title", ""),
            room=form.get("room", ""), starts=form.get("starts") or None,
            ends=form.get("ends") or None,
        )
    except KioskError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Workshop {created['title']} added.", "success")
    return redirect(url_for("admin.event", slug=slug))


@bp.post("/events/<slug>/kiosks")
def kiosks(slug):
    form = request.form
    try:
        kiosk, token = create_kiosk(
            get_db(), slug, form.get("name", ""), form.get("workshop") or None,
            mode=form.get("mode", "staffed"), layout=form.get("layout") or None,
            printing=form.get("printing", "browser"), print_command=form.get("print_command", ""),
        )
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.event", slug=slug))
    link = f"{current_app.config['BASE_URL']}{url_for('door.kiosk')}#token={token}"
    return render_template(
        "admin/kiosk_token.html", event=get_event(get_db(), slug), kiosk=kiosk, token=token,
        link=link, link_qr=Markup(segno.make_qr(link, error="m").svg_inline(scale=4)),
    )


@bp.post("/events/<slug>/kiosks/revoke")
@organiser_only
def revoke_kiosk(slug):
    name = request.form.get("name", "")
    kiosks_domain.revoke_kiosk(get_db(), slug, name)
    flash(f"Kiosk {name}'s token is revoked; that device can no longer check anyone in.", "success")
    return redirect(url_for("admin.event", slug=slug))


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


@bp.get("/events/<slug>/badges")
def badges(slug):
    """Choose stock, who and order; see the first page; download the PDF."""
    event = get_event(get_db(), slug)
    return render_template(
        "admin/badges.html", event=event, layouts=LAYOUTS.values(), sorts=SORTS,
        choice=_badge_choice(), counts=badge_counts(get_db(), event),
    )


@bp.get("/events/<slug>/badges/preview.png")
def badges_preview(slug):
    choice = _badge_choice()
    png = preview_png(
        get_db(), slug, base_url=current_app.config["BASE_URL"], layout=choice["layout"],
        only_unprinted=choice["only_unprinted"], sort=choice["sort"],
        start_at=choice["start_at"], font_dir=current_app.config["FONT_DIR"],
    )
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/events/<slug>/badges")
def badges_download(slug):
    """The PDF; the badges in it are recorded as printed."""
    choice = _badge_choice()
    pdf = io.BytesIO()
    try:
        print_badges(
            get_db(), slug, pdf, base_url=current_app.config["BASE_URL"],
            layout=choice["layout"], only_unprinted=choice["only_unprinted"],
            sort=choice["sort"], start_at=choice["start_at"],
            font_dir=current_app.config["FONT_DIR"],
        )
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.badges", slug=slug, **request.form))
    filename = f"badges-{slug}-{choice['layout']}.pdf"
    return Response(pdf.getvalue(), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _badge_choice():
    values = request.values
    return {
        "layout": values.get("layout", DEFAULT_LAYOUT),
        "sort": values.get("sort", "last_name"),
        "only_unprinted": values.get("only_unprinted") in ("1", "on", "true"),
        "start_at": _int(values.get("start_at"), 1),
    }


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


def _attendee_form():
    form = request.form
    values = {f: form.get(f, "") for f in attendee_domain.TEXT_LIMITS}
    for f in attendee_domain.CONSENT_FIELDS:
        values[f] = f in form
    return values


@bp.errorhandler(KioskError)
def domain_error(exc):
    """An unknown event or attendee in the URL, and the like: a page that says so."""
    return render_template("admin/error.html", message=str(exc)), exc.status


def _int(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default
