"""Attendees' phone pages: the public badge page a QR opens (/b/CODE), the private link
that ties a browser to its attendee (/me/KEY), and the attendee's own page (/me).

A badge code identifies; it never authorises. Only the private link (or a kiosk's
one-time QR) does, once confirmed with a POST: the phone then holds a session (phones.py)
in a signed, HttpOnly, SameSite=Lax cookie. Nothing is recorded on a GET (a phone's
last-seen time aside, written at most every 5 minutes); every form carries a CSRF
token. No JavaScript: the pages stay light on venue Wi-Fi.
"""

import json
import logging
import threading
from datetime import datetime, timezone

from flask import (
    Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.utils import secure_filename

from .. import connections, headshots, introductions, messages, network, people, phones, privacy
from ..suggestions import suggestions
from ..checkins import is_open
from ..db import connect, get_db, query
from ..errors import KioskError
from ..events import get_event
from ..mail import MailUnavailable, Permanent, Temporary, mailer_from_config
from ..vcard import vcards
from .limits import PER_ADDRESS_CEILING, attendee_key, limiter

bp = Blueprint("attendee", __name__)
COOKIE = "kiosk_attendee"
SEARCH_FROM = 20  # more contacts than this, and /me offers a search box


def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="attendee-session")


def load_attendee():
    """g.attendee: the attendee this browser belongs to (a live session). Called for
    requests with cookies (kiosk.before_every_request), which set g.attendee to None."""
    signed = request.cookies.get(COOKIE)
    if signed:
        try:
            token = _signer().loads(signed)
        except BadSignature:
            return
        g.attendee, g.attendee_session = phones.session_attendee(get_db(), token)


@bp.get("/me/<key>")
def activate(key):
    """The private link (or a kiosk's one-time QR) only asks: a link planted in a page
    must not bind a phone by being opened. Nothing is recorded on a GET."""
    holder, _ = phones.link_holder(get_db(), key)
    if holder is None:
        return render_template("attendee/unknown_link.html"), 404
    return render_template("attendee/confirm_link.html", holder=holder,
                           event=get_event(get_db(), holder["event_slug"]))


@bp.post("/me/<key>")
def bind(key):
    """This phone becomes the attendee's: a new session, then their page (without the
    key in the address bar, so it is not shared with the page's URL)."""
    db = get_db()
    holder, activation = phones.link_holder(db, key)
    if holder is None or (activation and not phones.use_activation(db, activation)):
        return render_template("attendee/unknown_link.html"), 404
    if g.attendee_session:
        phones.end_session(db, g.attendee, g.attendee_session)  # this phone was someone else's
    token, expires = phones.open_session(db, holder, request.user_agent.string)
    response = redirect(url_for("attendee.me"))
    response.set_cookie(COOKIE, _signer().dumps(token), expires=expires, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


@bp.get("/me")
def me():
    me = _require_attendee()
    db = get_db()
    event = get_event(db, me["event_slug"])
    search = request.args.get("q", "").strip()
    found = network.listing(db, me, search)
    return render_template(
        "attendee/me.html", me=me, event=event, groups=found["groups"], shown=found["shown"],
        in_programme=bool(event["programme_id"]), figures_in_words=found["in_words"],
        total=found["people"], search=search, searchable=found["people"] > SEARCH_FROM,
        to_follow_up=found["to_follow_up"],
        saved_me=connections.saved_me_count(db, me),
        devices=phones.devices(db, me), this_device=g.attendee_session,
        headshot=headshots.about(db, me["person_id"]),
        suggested=suggestions(db, me, event), **introductions.for_page(db, me["person_id"]),
    )


@bp.post("/me/devices/<int:session_id>/end")
def end_device(session_id):
    """End the identity on another of my phones."""
    me = _require_attendee()
    phones.end_session(get_db(), me, session_id)
    flash("That device is signed out.", "success")
    return redirect(url_for("attendee.me"))


@bp.post("/me/forget")
def forget():
    """"Not you? Forget this phone": this phone stops being the attendee's."""
    me = _require_attendee()
    phones.end_session(get_db(), me, g.attendee_session)
    response = Response(render_template("attendee/message.html", title="This phone is forgotten",
                                        message=f"This phone no longer opens {me['first_name']}'s page."))
    response.delete_cookie(COOKIE)
    return response


@bp.get("/me/connections/<int:connection_id>")
def contact(connection_id):
    """One of my contacts (from any event of my programme): my note and tags on them, the
    followed-up mark, removing."""
    me = _require_attendee()
    db = get_db()
    return render_template("attendee/contact.html", p=connections.meeting(db, me, connection_id),
                           tags=connections.TAGS, in_programme=bool(get_event(db, me["event_slug"])["programme_id"]))


@bp.post("/me/connections/<int:connection_id>")
def edit_connection(connection_id):
    """Save a note and tags, mark the contact followed up (or not), or remove them from my
    list (after asking). Contacts from any event of my programme."""
    me = _require_attendee()
    db = get_db()
    action = request.form.get("action")
    if action in ("followed_up", "not_followed_up"):
        connections.mark_followed_up(db, me, connection_id, action == "followed_up")
        flash("Marked as followed up." if action == "followed_up" else "No longer marked as followed up.",
              "success")
        return redirect(url_for("attendee.me", _anchor=f"c{connection_id}"))
    if action != "remove":
        connections.edit_note(db, me, connection_id, request.form.get("note", ""), request.form.getlist("tags"))
        flash("Note saved.", "success")
        code = request.form.get("badge")  # saved from a badge page: back there
        return redirect(url_for("attendee.badge", code=code) if code
                        else url_for("attendee.me", _anchor=f"c{connection_id}"))
    if request.form.get("confirm") != "yes":
        contact = connections.contact_of(db, me, connection_id)
        return render_template("attendee/remove.html", contact=contact, connection_id=connection_id)
    contact = connections.remove(db, me, connection_id)
    flash(f"{contact['first_name']} {contact['last_name']} is no longer in your list.", "success")
    return redirect(url_for("attendee.me"))


@bp.post("/me/choices")
def choices():
    me = _require_attendee()
    form = request.form
    connections.set_choices(get_db(), me, share_email="share_email" in form,
                            share_linkedin="share_linkedin" in form, allow_scan="allow_scan" in form,
                            allow_suggest="allow_suggest" in form, share_photo="share_photo" in form,
                            leaderboard_opt_out="leaderboard_opt_out" in form)
    flash("Your choices are saved.", "success")
    return redirect(url_for("attendee.me"))


@bp.get("/me/contacts.vcf")
def contacts():
    me = _require_attendee()
    db = get_db()
    people = network.one_per_person(network.everyone(db, me))
    met = {p["code"] for p in people}  # someone introduced and met since is one card
    people += [p for p in introductions.introduced_contacts(db, me["person_id"]) if p["code"] not in met]
    photos = headshots.card_photos(db, people)
    text = vcards([{**p, "photo": photos.get(p["code"])} for p in people], get_event(db, me["event_slug"]))
    return Response(text.encode("utf-8"), mimetype="text/vcard", headers={
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
        privacy.delete_attendee(get_db(), me, current_app.config["MAIL_DIR"])
        response = Response(render_template("attendee/message.html", title="Deleted",
                                            message="Your record and everything linked to it are deleted."))
        response.delete_cookie(COOKIE)
        return response
    count = privacy.delete_connections(get_db(), me)
    flash(f"Deleted {count} connection{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("attendee.me"))


@bp.get("/lost-link")
def lost_link():
    return render_template("attendee/lost_link.html", sent=False)


def requested_address_key():
    """The address a lost link is asked for, so nobody floods one mailbox."""
    return "lost-link:" + request.form.get("email", "").strip().casefold()


@bp.post("/lost-link")
@limiter.limit("3 per 15 minutes", key_func=requested_address_key)
@limiter.limit("30 per 15 minutes")  # per network address: a venue's phones share one
def send_lost_link():
    """Mail the private link to whoever holds the address. The answer, and how long it
    takes, are the same whether or not the address is registered: the lookup and the
    sending happen after the answer, in the background."""
    email = request.form.get("email", "")
    threading.Thread(target=_send_link_again, args=(current_app._get_current_object(), email),
                     daemon=True).start()
    return render_template("attendee/lost_link.html", sent=True, email=email)


def _send_link_again(app, email):
    with app.app_context():
        db = connect(app.config["DATABASE"])
        try:
            messages.send_link_again(db, email, mailer_from_config(app.config))
        except (MailUnavailable, Temporary, Permanent) as exc:
            logging.getLogger(__name__).warning("private link not sent again: %s", exc)
        finally:
            db.close()


def _data_download(data):
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-data.json"',
                             "Cache-Control": "no-store"})


@bp.get("/b/<code>")
@bp.get("/B/<code>")
@limiter.limit("60 per minute", key_func=attendee_key)
@limiter.limit(PER_ADDRESS_CEILING)
def badge(code):
    """The page a badge's QR opens: who this is, and for an attendee of the same
    event, the "I met" button."""
    db = get_db()
    scanned, event = _badge_holder(code)
    me = g.attendee if g.attendee and g.attendee["event_id"] == event["id"] else None
    elsewhere = get_event(db, g.attendee["event_slug"]) if g.attendee and not me else None
    return render_template(
        "attendee/badge.html", person=scanned, event=event, me=me, tags=connections.TAGS,
        open=is_open(event, _now()), saved=connections.saved(db, me, scanned) if me else None,
        elsewhere=elsewhere,
    )


@bp.post("/b/<code>")
@bp.post("/B/<code>")
@limiter.limit(PER_ADDRESS_CEILING)
@limiter.limit("30 per minute", key_func=attendee_key)
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


@bp.get("/me/headshot")
def my_headshot():
    """My photo at full size, as uploaded or taken (for a LinkedIn profile)."""
    me = _require_attendee()
    kept = headshots.original(get_db(), me["person_id"])
    if kept is None:
        abort(404)
    name = "-".join(secure_filename(part) for part in (me["first_name"], me["last_name"]) if secure_filename(part))
    return Response(kept["original"], mimetype=headshots.MIME[kept["format"]], headers={
        "Content-Disposition": f'attachment; filename="headshot-{name or "me"}.{headshots.SUFFIX[kept["format"]]}"',
        "Cache-Control": "no-store"})


@bp.get("/b/<code>/photo.jpg")
def photo(code):
    """A badge holder's photo: for themselves; for others only if they chose to share it
    (headshots.visible_to)."""
    scanned, event = _badge_holder(code)
    if not headshots.visible_to(get_db(), g.attendee, scanned):
        abort(404)
    return Response(scanned["photo"], mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/unsubscribe/<token>")
def unsubscribe_confirm(token):
    """A GET only asks (link checkers and previews open links); the button opts out."""
    person = messages.unsubscriber(get_db(), token)
    return render_template("attendee/unsubscribe.html", person=person, done=bool(person["mail_opt_out_at"]))


@bp.post("/unsubscribe/<token>")
def unsubscribe(token):
    """One click (RFC 8058): mail clients POST `List-Unsubscribe=One-Click` here without
    any page, so no CSRF token; the signed token is the proof."""
    person = messages.unsubscribe(get_db(), token)
    return render_template("attendee/unsubscribe.html", person=person, done=True)


def _badge_holder(code):
    """The badge's holder and the event it opens: the one this phone's person is at, when
    the holder is registered there too; else the holder's event open now, else their latest
    (in a programme a badge is good for every event)."""
    db = get_db()
    person_id = people.person_id_for(db, "code", code.upper())
    found = people.registration_at(db, person_id, g.attendee["event_id"]) if person_id and g.attendee else None
    found = found or (people.current_registration(db, person_id) if person_id else None)
    if not found:
        abort(404)
    if found["revoked_at"]:
        abort(410)
    return found, query(db, "SELECT * FROM events WHERE id = ?", [found["event_id"]])[0]


def _require_attendee():
    if g.attendee is None:
        abort(Response(render_template("attendee/not_identified.html"), status=403))
    return g.attendee


def _now():
    return datetime.now(timezone.utc)


@bp.errorhandler(KioskError)
def domain_error(exc):
    return render_template("attendee/error.html", title="That did not work", next_step=str(exc),
                           status=exc.status, identified=g.attendee is not None), exc.status
