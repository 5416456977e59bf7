"""Organiser login and logout; every admin page requires a logged-in user."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from ..db import get_db
from ..users import authenticate, get_user
from .limits import limiter

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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
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
