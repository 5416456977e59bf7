"""Rate limits (Flask-Limiter, in this process's memory): they slow down guessing of
badge codes and passwords and keep one phone or address from flooding the service.

At a venue every phone on the Wi-Fi shares one address (NAT), so a limit counts per
identity where the request has one: the attendee a phone belongs to, the kiosk whose
token it carries, the account a login tries. A generous ceiling per address still stops
one machine inventing identities. Anonymous visitors count per address. Behind a reverse
proxy the address is the real client's (run.py trusts KIOSK_TRUSTED_PROXIES).
"""

import functools
from hashlib import sha256

from flask import g, request
from flask.globals import request_ctx
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])


def init_limits(app):
    """Limits live on the views that need them (`@limiter.limit`), and each such decorator
    checks its own limits when its view runs. Flask-Limiter also checks every request in a
    before_request hook, for application-wide and blueprint limits; this service has none
    (tests/test_rate_limits.py holds it to that), so the hook only cost every page and
    kiosk request a third of a bare /healthz. Its after-request (rate-limit headers) and
    teardown hooks stay, but run only for requests a limit was checked on."""
    limiter.init_app(app)
    if app.config.get("RATELIMIT_ENABLED", True):
        app.before_request_funcs[None].remove(limiter._check_request_limit)
    for hooks in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
        hooks[:] = [_only_when_limited(hook) if _is_limiters(hook) else hook for hook in hooks]


def _is_limiters(hook):
    return getattr(getattr(hook, "func", hook), "__qualname__", "").startswith("Limiter.")


def _only_when_limited(hook):
    """Flask-Limiter keeps a request's limit state on the request context, made by the
    first limit check; a request without one has no headers to add and nothing to reset."""

    @functools.wraps(hook)
    def run(value):
        if hasattr(request_ctx._get_current_object(), "_limiter_request_context"):
            return hook(value)
        return value

    return run


def limits_everywhere(app):
    """Limits that would apply to every request, or to a whole blueprint: none are set."""
    manager = limiter.limit_manager
    return [*manager.application_limits, *manager.default_limits,
            *(limit for name in app.blueprints for limit in manager.blueprint_limits(app, name))]

# 300 phones behind one address, each opening a few badge pages a minute.
PER_ADDRESS_CEILING = "1200 per minute"


def attendee_key():
    """The attendee this phone belongs to, else its address. Never a bearer token: these
    pages check none, so a made-up one per request would be a fresh identity each time."""
    attendee = g.get("attendee")
    return f"attendee:{attendee['id']}" if attendee else f"address:{request.remote_addr}"


def identity_key():
    """For the kiosk API, whose views refuse an unknown token: the attendee this browser
    belongs to, else the kiosk token it carries, else its address."""
    header = request.headers.get("Authorization", "")
    if not g.get("attendee") and header.lower().startswith("bearer ") and header[7:].strip():
        return "kiosk:" + sha256(header[7:].strip().encode()).hexdigest()
    return attendee_key()


def login_key():
    """The account a login tries, so guessing one password is slow wherever it comes from."""
    return "login:" + request.form.get("email", "").strip().casefold()
