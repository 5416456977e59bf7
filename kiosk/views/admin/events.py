"""Organiser pages: the events list, one event's page, its workshops."""

from flask import flash, redirect, render_template, request, url_for

from badges import LAYOUTS

from ... import attendees as attendee_domain
from ...db import get_db
from ...errors import KioskError
from ...events import add_workshop, create_event, get_event, list_events, list_workshops
from ...kiosks import list_kiosks
from ..auth import organiser_only, require_organiser
from . import _int, bp


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
