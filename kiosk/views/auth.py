"""Organiser login and logout; every admin page requires a logged-in user."""

import functools
from urllib.parse import urlsplit

from flask import (
    Blueprint, Response, abort, flash, g, redirect, render_template, request, session, url_for,
)

from ..db import get_db
from ..users import authenticate, get_user
from .limits import limiter, login_key

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_user():
    user_id = session.get("user_id")
    g.user = get_user(get_db(), user_id) if user_id is not None else None


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
            session["user_id"] = user["id"]
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
    return render_template("auth/login.html"), 200 if request.method == "GET" else 401


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target):
    """Only a path on this site: a login link must not send people elsewhere."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("admin.events")
