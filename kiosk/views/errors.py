"""Error pages. Every 4xx/5xx a person can meet is a page in the product's look that
says what happened in plain words, what to do next, and offers a way back: phone-sized
on attendees' pages, the organiser's look elsewhere. Under /api/ every error is JSON
(a kiosk cannot read an HTML error page)."""

import logging

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .attendee import COOKIE

ATTENDEE_PATHS = ("/b/", "/B/", "/me", "/unsubscribe", "/lost-link")
# (title, what to do next) by status; {limit} is the largest upload.
WORDS = {
    400: ("That did not work", "Something in what was sent was not right. Go back and try again."),
    "csrf": ("This form has expired", "Its security check (the CSRF token) is missing or out of date: "
                                      "go back, reload the page and send the form again."),
    403: ("Not allowed", "This page is not open to you. If you think it should be, ask at the registration desk."),
    404: ("Nothing here", "There is no page at this address. Check the link, or go back to where you came from."),
    405: ("That did not work", "This address cannot be used that way. Go back and use the page's own buttons."),
    410: ("No longer available", "What you asked for has ended or was withdrawn."),
    413: ("Too large", "What you sent is larger than {limit} MB. Send a smaller file."),
    429: ("Slow down a little", "Too many tries in a short time. Wait a minute, then try again."),
    500: ("Something went wrong on our side", "It was not anything you did. Try again in a moment; "
                                              "if it keeps happening, tell the organisers."),
    503: ("Not available right now", "The service cannot save right now. Nothing was lost: try again shortly."),
}
# On a badge's page the same statuses say something about the badge.
BADGE_WORDS = {
    404: ("We do not know this badge", "Its code is not one of this service's badges. Scan the whole QR code "
                                       "again; if it still is not found, the badge may be from another service."),
    410: ("This badge is no longer valid", "It was cancelled or replaced. Its holder can get a new one at the "
                                           "registration desk."),
}


def init_app(app):
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, server_error)


def http_error(exc):
    if exc.code is None:  # abort(Response(...)): the page is already made
        return exc
    headers = _kept_headers(exc)
    if request.path.startswith("/api/"):
        result = (exc.name or "error").lower().replace(" ", "_")
        message = WORDS[413][1].format(limit=_upload_limit_mb()) if exc.code == 413 else exc.description
        return jsonify(result=result, message=message), exc.code, headers
    return error_page("csrf" if isinstance(exc, CSRFError) else exc.code, headers)


def _upload_limit_mb():
    """The largest body this route takes (photo routes take more than the rest)."""
    return (request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024)


def server_error(exc):
    logging.getLogger(__name__).error("unexpected error on %s", request.path,
                                      exc_info=getattr(exc, "original_exception", None) or exc)
    if request.path.startswith("/api/"):
        return jsonify(result="internal_server_error", message=WORDS[500][1]), 500
    return error_page(500)


def error_page(status, headers=None):
    """The page for an error status (or "csrf"): (html, status, headers)."""
    words = BADGE_WORDS if request.path[:3] in ("/b/", "/B/") else WORDS
    title, next_step = words.get(status) or WORDS.get(status) or WORDS[400 if status == "csrf" or status < 500 else 500]
    status = 400 if status == "csrf" else status
    next_step = next_step.format(limit=_upload_limit_mb())
    template = "attendee/error.html" if request.path.startswith(ATTENDEE_PATHS) else "error.html"
    return render_template(template, title=title, next_step=next_step, status=status,
                           identified=_identified()), status, headers or {}


def _identified():
    """Whether this browser belongs to an attendee (its cookie may not be read yet when
    the error comes early, as a too-large upload does)."""
    return bool(getattr(g, "attendee", None)) or COOKIE in request.cookies


def _kept_headers(exc):
    """Allow (405) and Retry-After (429) tell clients what to do: keep them."""
    kept = exc.get_response().headers
    return {name: kept[name] for name in ("Allow", "Retry-After") if name in kept}
