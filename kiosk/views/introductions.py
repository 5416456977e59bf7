"""Introductions: made from /me, answered from the link each person gets by mail.

The link's page only shows the introduction and asks: mail scanners and link previews
open links, so the answer is a POST from that page (with its CSRF token). The token in
the link is the credential, for one answer.
"""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from .. import introductions
from ..db import get_db
from ..errors import Invalid, KioskError
from ..events import get_event
from ..introduction_mail import introduce_by_mail
from ..mail import mailer_from_config
from .attendee import _require_attendee, domain_error
from .limits import PER_ADDRESS_CEILING, limiter

bp = Blueprint("introductions", __name__)


def person_key():
    """The person (all their events), else the address."""
    attendee = g.get("attendee")
    return f"person:{attendee['person_id']}" if attendee else f"address:{request.remote_addr}"


@bp.post("/me/introductions")
@limiter.limit("30 per day", key_func=person_key)  # tries; the domain allows 10 made a day
def introduce():
    me = _require_attendee()
    db = get_db()
    form = request.form
    introduction = introduce_by_mail(db, me, get_event(db, me["event_slug"]), form.get("first"),
                                     form.get("second"), form.get("note", ""), mailer_from_config(current_app.config))
    first, second = (introductions.person_row(db, introduction[f"{side}_id"]) for side in ("first", "second"))
    flash(f"Introduction sent: {first['first_name']} {first['last_name']} and {second['first_name']} "
          f"{second['last_name']} each have an email to accept or decline.", "success")
    return redirect(url_for("attendee.me", _anchor="introduce"))


@bp.get("/introductions/<token>")
@limiter.limit(PER_ADDRESS_CEILING)
def answer_page(token):
    """Who introduces you to whom, and the two buttons, the one whose link was opened
    (?answer=accept or decline) first. Records nothing."""
    return render_template("attendee/introduction.html", **introductions.by_token(get_db(), token),
                           asked=request.args.get("answer"))


@bp.post("/introductions/<token>")
@limiter.limit(PER_ADDRESS_CEILING)
def answer(token):
    accept = request.form.get("answer") == "accept"
    if not accept and request.form.get("answer") != "decline":
        raise Invalid("choose Accept or Decline")
    found = introductions.answer(get_db(), token, accept)
    return render_template("attendee/introduction.html", **found, just_answered=True)

bp.register_error_handler(KioskError, domain_error)  # the phone pages' own error page
