"""Organiser pages: the events list, one event's page, editing and deleting events and
workshops."""

from flask import current_app, flash, redirect, render_template, request, session, url_for

from badges import LAYOUTS

from ... import attendees as attendee_domain
from ... import events as events_domain
from ...db import get_db
from ...errors import KioskError
from ...events import get_event, get_workshop, list_events, list_workshops, wall_clock
from ...kiosks import list_kiosks
from ...programmes import (get_programme, list_programmes, programme_locked, programme_of,
                           set_event_programme)
from ..auth import organiser_only
from . import bp, created_from_form


@bp.app_template_global("zone_names")
def zone_names():
    return events_domain.zone_names()


@bp.route("/", methods=["GET", "POST"])
def events():
    db = get_db()
    if request.method == "POST":
        done = created_from_form(lambda: _create_event(db, request.form),
                                 lambda event: f"Event {event['name']} created.",
                                 lambda event: url_for("admin.event", slug=event["slug"]))
        if done:
            return done
    return render_template("admin/events.html", events=list_events(db), form=request.form,
                           server_zone=events_domain.server_zone(), programmes=list_programmes(db))


def _create_event(db, form):
    programme = form.get("programme", "")
    if programme:
        get_programme(db, programme)  # an unknown programme stops here, before the event exists
    event = events_domain.create_event(db, form.get("slug", "").strip(), **_event_form(form))
    return set_event_programme(db, event["slug"], programme) if programme else event


def _event_form(form):
    """create_event's arguments from the event form."""
    return dict(name=form.get("name", ""), starts=form.get("starts", ""),
                ends=form.get("ends", ""), mode=form.get("mode", "mutual"),
                venue=form.get("venue", ""), tz=form.get("timezone", "").strip() or None,
                grace_minutes=form.get("grace_minutes") or 120)


@bp.get("/events/<slug>")
def event(slug):
    db = get_db()
    current = get_event(get_db(), slug)
    return render_template(
        "admin/event.html",
        event=current,
        programme=programme_of(db, current),
        workshops=list_workshops(db, current),
        kiosks=list_kiosks(db, slug),
        kiosk_links=session.get("kiosk_links", {}),
        layouts=LAYOUTS.values(),
        counts=attendee_domain.attendee_counts(db, current),
        unreachable=_badges_unreachable(),
    )


def _badges_unreachable():
    """Listening on every interface (for phones and kiosks on the network) while badges
    and links point at localhost: a phone scanning a badge would go nowhere."""
    host = current_app.config.get("LISTEN_HOST", "")
    base = current_app.config["BASE_URL"]
    return host == "0.0.0.0" and any(name in base for name in ("//localhost", "//127.0.0.1"))


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@organiser_only
def edit_event(slug):
    db = get_db()
    event = get_event(db, slug)
    form = request.form if request.method == "POST" else _event_values(event)
    needs_confirmation = False
    if request.method == "POST":
        changes = _event_form(form)
        try:
            if "programme" in form:  # absent when the select is locked (disabled)
                set_event_programme(db, slug, form["programme"])
            event = events_domain.update_event(db, slug, slug=form.get("slug", slug).strip(),
                                               confirm_mode="confirm_mode" in form, **changes)
        except events_domain.NeedsConfirmation as exc:
            flash(str(exc), "error")
            needs_confirmation = True
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash("Event saved.", "success")
            return redirect(url_for("admin.event", slug=event["slug"]))
    return render_template("admin/event_form.html", event=event, form=form,
                           activity=events_domain.activity(db, event),
                           needs_confirmation=needs_confirmation, programmes=list_programmes(db),
                           programme_locked=programme_locked(db, event))


def _event_values(event):
    return {"name": event["name"], "slug": event["slug"], "venue": event["venue"],
            "starts": wall_clock(event, event["starts_at"]),
            "ends": wall_clock(event, event["ends_at"]), "timezone": event["timezone"],
            "mode": event["exchange_mode"], "grace_minutes": event["grace_minutes"],
            "programme": (programme_of(get_db(), event) or {}).get("slug", "")}


def _confirmed(event):
    """The organiser typed the event's name (needed when check-ins or connections would go)."""
    typed = " ".join(request.form.get("confirm_name", "").split())
    return typed.casefold() == event["name"].casefold()


@bp.post("/events/<slug>/delete")
@organiser_only
def delete_event(slug):
    event = get_event(get_db(), slug)
    try:
        events_domain.delete_event(get_db(), slug, confirmed=_confirmed(event))
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.edit_event", slug=slug))
    flash(f"Event {event['name']} is deleted.", "success")
    return redirect(url_for("admin.events"))


@bp.post("/events/<slug>/workshops")
@organiser_only
def workshops(slug):
    form = request.form
    try:
        created = events_domain.add_workshop(get_db(), slug, form.get("slug", "").strip(),
                                             **_workshop_form(form))
    except KioskError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Workshop {created['title']} added.", "success")
    return redirect(url_for("admin.event", slug=slug))


def _workshop_form(form):
    return dict(title=form.get("title", ""), room=form.get("room", ""),
                starts=form.get("starts") or None, ends=form.get("ends") or None)


@bp.route("/events/<slug>/workshops/<workshop>", methods=["GET", "POST"])
@organiser_only
def edit_workshop(slug, workshop):
    db = get_db()
    event = get_event(db, slug)
    current = get_workshop(db, event, workshop)
    form = request.form if request.method == "POST" else {
        "title": current["title"], "room": current["room"],
        "starts": wall_clock(event, current["starts_at"]),
        "ends": wall_clock(event, current["ends_at"])}
    if request.method == "POST":
        try:
            events_domain.update_workshop(db, slug, workshop, **_workshop_form(form))
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash("Workshop saved.", "success")
            return redirect(url_for("admin.event", slug=slug))
    return render_template("admin/workshop_form.html", event=event, workshop=current, form=form,
                           activity=events_domain.activity(db, event, current))


@bp.post("/events/<slug>/workshops/<workshop>/delete")
@organiser_only
def delete_workshop(slug, workshop):
    event = get_event(get_db(), slug)
    try:
        deleted = events_domain.delete_workshop(get_db(), slug, workshop,
                                                confirmed=_confirmed(event))
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.edit_workshop", slug=slug, workshop=workshop))
    flash(f"Workshop {deleted['title']} is deleted.", "success")
    return redirect(url_for("admin.event", slug=slug))
