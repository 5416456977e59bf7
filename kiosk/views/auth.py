"""Organiser login and logout; every admin page requires a logged-in user."""

import functools
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import (
    Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session,
    url_for,
)

from ..db import get_db
from ..users import authenticate, end_sessions, get_user
from .limits import limiter, login_key

bp = Blueprint("auth", __name__)


# A login lasts a working day at the venue; then the password is asked again.
LOGIN_LIFETIME = timedelta(hours=16)


def load_user():
    """g.user: the logged-in account, while its session is live: signed with the account's
    current session version (logout and a new password raise it) and under 16 hours old.
    Called for requests with cookies (kiosk.before_every_request), which set g.user to None."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return  # no session to open (Vary: Cookie is always sent)
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = get_user(get_db(), user_id)
    logged_in = datetime.fromtimestamp(session.get("at", 0), timezone.utc)
    if (user is None or session.get("v") != user["session_version"]
            or datetime.now(timezone.utc) - logged_in > LOGIN_LIFETIME):
        session.clear()
        return
    g.user = user


def require_login():
    """A before_request hook for blueprints whose every page is for organisers."""
    if g.user is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def require_organiser():
    """A before_request hook (or a view's first call): staff accounts run the door
    (kiosks, walk-ins, badges, attendee corrections) but cannot import, export, delete,
    revoke or send mail."""
    refused = require_login()
    if refused is None and g.user["role"] != "organiser":
        abort(Response(render_template("admin/error.html",
                                       message="Only organisers can do this; your account is a staff account."),
                       status=403))
    return refused


def organiser_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return require_organiser() or view(*args, **kwargs)
    return wrapper


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=login_key)
@limiter.limit("30 per minute", methods=["POST"])
def login():
    if request.method == "POST":
        user = authenticate(get_db(), request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()  # a fresh session at login: no fixation
            session.update(user_id=user["id"], v=user["session_version"],
                           at=int(datetime.now(timezone.utc).timestamp()))
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
    return render_template("auth/login.html"), 200 if request.method == "GET" else 401


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends this session and every other one of the account (a shared or lost device)."""
    if g.user is not None:
        end_sessions(get_db(), g.user["id"])
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target):
    """Only a path on this site: a login link must not send people elsewhere."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("admin.events")
