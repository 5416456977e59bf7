"""Attendees' phone pages: the public badge page a QR opens (/b/CODE), the private link
that ties a browser to its attendee (/me/KEY), and the attendee's own page (/me).

A badge code identifies; it never authorises. Only the private link does: it is
kept in a signed, HttpOnly, SameSite=Lax cookie that lasts the event. Nothing is
recorded on a GET; every form carries a CSRF token. No JavaScript: the pages stay
light on venue Wi-Fi.
"""

import json
from datetime import datetime, timedelta, timezone

from flask import (
    Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer

from .. import connections, digests, privacy
from ..checkins import is_open
from ..db import get_db, query
from ..errors import KioskError
from ..events import get_event
from ..vcard import vcards
from .limits import PER_ADDRESS_CEILING, identity_key, limiter

bp = Blueprint("attendee", __name__)
COOKIE = "kiosk_attendee"
KEEP_AFTER_EVENT = timedelta(days=30)  # to look back at /me and download contacts


def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="attendee-identity")


@bp.before_app_request
def load_attendee():
    """g.attendee: the attendee this browser belongs to, or None."""
    g.attendee = None
    signed = request.cookies.get(COOKIE)
    if signed:
        try:
            g.attendee = connections.identify(get_db(), _signer().loads(signed))
        except BadSignature:
            pass


@bp.get("/me/<key>")
def activate(key):
    """The private link: remember this browser as the attendee, then show their page
    (without the key in the address bar, so it is not shared with the page's URL)."""
    attendee = connections.identify(get_db(), key)
    if attendee is None:
        return render_template("attendee/unknown_link.html"), 404
    event = get_event(get_db(), attendee["event_slug"])
    expires = datetime.fromisoformat(event["ends_at"]) + timedelta(
        minutes=event["grace_minutes"]) + KEEP_AFTER_EVENT
    response = redirect(url_for("attendee.me"))
    response.set_cookie(COOKIE, _signer().dumps(key), expires=max(expires, _now() + KEEP_AFTER_EVENT),
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/me")
def me():
    me = _require_attendee()
    db = get_db()
    event = get_event(db, me["event_slug"])
    return render_template(
        "attendee/me.html", me=me, event=event, people=connections.people_met(db, me),
        saved_me=connections.saved_me_count(db, me), tags=connections.TAGS,
    )


@bp.post("/me/connections/<int:connection_id>")
def edit_connection(connection_id):
    me = _require_attendee()
    if request.form.get("action") == "remove":
        connections.remove(get_db(), me, connection_id)
        flash("Removed.", "success")
    else:
        connections.edit_note(get_db(), me, connection_id, request.form.get("note", ""),
                              request.form.getlist("tags"))
        flash("Note saved.", "success")
    return redirect(url_for("attendee.me"))


@bp.post("/me/choices")
def choices():
    me = _require_attendee()
    form = request.form
    connections.set_choices(get_db(), me, share_email="share_email" in form,
                            share_linkedin="share_linkedin" in form, allow_scan="allow_scan" in form,
                            leaderboard_opt_out="leaderboard_opt_out" in form)
    flash("Your choices are saved.", "success")
    return redirect(url_for("attendee.me"))


@bp.get("/me/contacts.vcf")
def contacts():
    me = _require_attendee()
    people = connections.people_met(get_db(), me)
    return Response(vcards(people).encode("utf-8"), mimetype="text/vcard", headers={
        "Content-Disposition": 'attachment; filename="contacts.vcf"', "Cache-Control": "no-store"})


@bp.get("/me/data.json")
def my_data():
    """Everything held about me, to download."""
    return _data_download(privacy.personal_data(get_db(), _require_attendee()))


@bp.post("/me/delete")
def delete_mine():
    """Delete my connections, or my whole record (which also ends this browser's identity)."""
    me = _require_attendee()
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm.", "error")
        return redirect(url_for("attendee.me"))
    if request.form.get("what") == "everything":
        privacy.delete_attendee(get_db(), me)
        response = Response(render_template("attendee/message.html", title="Deleted",
                                            message="Your record and everything linked to it are deleted."))
        response.delete_cookie(COOKIE)
        return response
    count = privacy.delete_connections(get_db(), me)
    flash(f"Deleted {count} connection{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("attendee.me"))


def _data_download(data):
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-data.json"',
                             "Cache-Control": "no-store"})


@bp.get("/b/<code>")
@bp.get("/B/<code>")
@limiter.limit("60 per minute", key_func=identity_key)
@limiter.limit(PER_ADDRESS_CEILING)
def badge(code):
    """The page a badge's QR opens: who this is, and for an attendee of the same
    event, the "I met" button."""
    db = get_db()
    scanned, event = _badge_holder(code)
    me = g.attendee if g.attendee and g.attendee["event_id"] == event["id"] else None
    return render_template(
        "attendee/badge.html", person=scanned, event=event, me=me, tags=connections.TAGS,
        open=is_open(event, _now()), met=_already_met(db, me, scanned),
    )


@bp.post("/b/<code>")
@bp.post("/B/<code>")
@limiter.limit(PER_ADDRESS_CEILING)
@limiter.limit("30 per minute", key_func=identity_key)
def met(code):
    scanned, event = _badge_holder(code)
    me = g.attendee if g.attendee and g.attendee["event_id"] == event["id"] else None
    if me is None:
        abort(403)
    answer = connections.record(get_db(), event["slug"], me, scanned["code"], via="phone",
                                note=request.form.get("note", ""), tags=request.form.getlist("tags"))
    if answer.status >= 400:
        return render_template("attendee/not_saved.html", answer=answer, person=scanned,
                               event=event), answer.status
    flash(answer.message, "success")
    return redirect(url_for("attendee.badge", code=scanned["code"]))


@bp.get("/b/<code>/photo.jpg")
def photo(code):
    """A badge holder's photo, for attendees of the same event only."""
    scanned, event = _badge_holder(code)
    if not (g.attendee and g.attendee["event_id"] == event["id"]) or not scanned["photo"]:
        abort(404)
    return Response(scanned["photo"], mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/unsubscribe/<token>")
def unsubscribe_confirm(token):
    """A GET only asks (link checkers and previews open links); the button opts out."""
    person = digests.unsubscriber(get_db(), token)
    return render_template("attendee/unsubscribe.html", person=person, done=bool(person["mail_opt_out_at"]))


@bp.post("/unsubscribe/<token>")
def unsubscribe(token):
    """One click (RFC 8058): mail clients POST `List-Unsubscribe=One-Click` here without
    any page, so no CSRF token; the signed token is the proof."""
    person = digests.unsubscribe(get_db(), token)
    return render_template("attendee/unsubscribe.html", person=person, done=True)


def _badge_holder(code):
    """The badge's holder and their event (codes are unique across events)."""
    db = get_db()
    found = query(db, "SELECT * FROM attendees WHERE code = ?", [code.upper()])
    if not found:
        abort(404)
    if found[0]["revoked_at"]:
        abort(410)
    return found[0], query(db, "SELECT * FROM events WHERE id = ?", [found[0]["event_id"]])[0]


def _already_met(db, me, scanned):
    if me is None:
        return False
    return db.execute("SELECT 1 FROM connections WHERE scanner_id = ? AND scanned_id = ?",
                      [me["id"], scanned["id"]]).fetchone() is not None


def _require_attendee():
    if g.attendee is None:
        abort(Response(render_template("attendee/not_identified.html"), status=403))
    return g.attendee


def _now():
    return datetime.now(timezone.utc)


@bp.errorhandler(KioskError)
def domain_error(exc):
    return render_template("attendee/message.html", title="That did not work", message=str(exc)), exc.status
