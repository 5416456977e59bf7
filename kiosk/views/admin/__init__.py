"""Organiser pages, one module per area: events, attendees, imports, badges, kiosks,
insight (live, connections, leaderboard). Every route needs a logged-in organiser or
staff member (`require_login`); `organiser_only` marks what staff may not do. Views
parse the form, call one domain function and render; a domain error is flashed and
the form shown again with what was typed.
"""

from flask import Blueprint, flash, redirect, render_template, url_for

from ...errors import KioskError
from ...events import local_time
from ..auth import require_login, require_organiser

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_login)
UPLOAD_MAX_AGE_SECONDS = 24 * 3600


@bp.app_template_filter("local_time")
def local_time_filter(iso, event):
    return local_time(event, iso)


def index():
    """The site root: organisers land on their events (or the login page)."""
    return redirect(url_for("admin.events"))


@bp.errorhandler(KioskError)
def domain_error(exc):
    """An unknown event or attendee in the URL, and the like: a page that says so."""
    return render_template("admin/error.html", message=str(exc)), exc.status


def created_from_form(create, message, target):
    """A list page's "New ..." form: an organiser creates the thing (`create()`), then is told
    `message(thing)` and sent to `target(thing)`. None (show the page again, with the form as
    typed) when the domain refused, its reason flashed; staff accounts are refused."""
    refused = require_organiser()
    if refused:
        return refused
    try:
        made = create()
    except KioskError as exc:
        flash(str(exc), "error")
        return None
    flash(message(made), "success")
    return redirect(target(made))


def _int(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


from . import attendees, badges, events, imports, insight, kiosks, mixing, photos, programmes  # noqa: E402,F401  (routes)
