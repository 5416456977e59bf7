"""Event check-in and badge-scanning kiosk service: the Flask application factory."""

import functools
import logging
import os
import secrets
import sqlite3
from pathlib import Path

from flask import Flask, g, has_request_context, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from flask_wtf.csrf import CSRFProtect

from .views.errors import error_page

# The one place the version lives: pyproject.toml, /healthz, the footer and the CLI read it.
__version__ = "0.3.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent

csrf = CSRFProtect()

DEFAULTS = {
    "BASE_URL": "http://127.0.0.1:8000",
    "SMTP_HOST": "",
    "SMTP_PORT": 587,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_SECURITY": "starttls",
    "MAIL_FROM": "kiosk@localhost",
    "MAIL_FROM_NAME": "",  # the display name on From; empty: the event's name
    "MAIL_PER_MINUTE": 0,  # a provider's sending limit; 0 sends as fast as the server takes
    "FONT_DIR": "",
    # The server-printing kiosks' default command (an argument list, run without a shell,
    # the badge PDF on its standard input); `create-kiosk --print-command` sets one per kiosk.
    "PRINT_COMMAND": "",
    # A CSV export of a large event is a few MB; anything far bigger is a mistake.
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    # Staff leave organiser pages open all day: a token valid for the session, not an hour.
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "RATELIMIT_HEADERS_ENABLED": True,
}


class KioskFlask(Flask):
    """Flask, for an app whose views and hooks are all plain functions."""

    def ensure_sync(self, func):
        # Flask asks, for the view and each hook of every request (eight for a scan), whether
        # it is a coroutine function: a tenth of a bare /healthz. None is here
        # (test_every_view_and_hook_is_synchronous), so the answer is the function itself.
        return func


def create_app(test_config=None):
    """Build the app: defaults, then KIOSK_* environment variables, then test_config
    (which may also name an INSTANCE_PATH, where the secret key and uploads live; else
    KIOSK_INSTANCE_PATH, else instance/ in the checkout)."""
    test_config = test_config or {}
    instance_path = test_config.get("INSTANCE_PATH") or os.environ.get("KIOSK_INSTANCE_PATH")
    app = KioskFlask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("KIOSK")
    app.config.from_mapping(test_config)
    _private_folder(app.instance_path)  # the secret key, uploads, mail
    app.config.setdefault("DATABASE", os.path.join(app.instance_path, "kiosk.db"))
    app.config.setdefault("MAIL_DIR", os.path.join(app.instance_path, "mail"))
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    app.config["SECRET_KEY"] = _secret_key(app)

    # Behind a reverse proxy, run.py has waitress put the real client's address and scheme
    # into the request (KIOSK_TRUSTED_PROXIES): rate limits, Secure cookies and CSRF use them.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # before_every_request checks every request
    csrf.init_app(app)
    hooks = app.before_request_funcs[None]  # without Flask-WTF's own, which that setting makes do nothing
    hooks[:] = [hook for hook in hooks if not getattr(hook, "__qualname__", "").startswith("CSRFProtect.")]
    app.before_request(functools.partial(before_every_request, app))

    from .views.limits import init_limits

    init_limits(app)

    from . import db

    db.init_app(app)

    from . import cli
    from .views import admin, api, attendee, auth, door, errors, introductions, mail, uploads

    app.request_class = uploads.UploadRequest  # photo uploads may be larger
    app.register_blueprint(auth.bp)
    app.register_blueprint(attendee.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(door.bp)
    app.register_blueprint(mail.bp)
    app.register_blueprint(introductions.bp)
    cli.register(app)
    errors.init_app(app)
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    app.session_interface = SessionOverHTTPS()
    app.register_error_handler(sqlite3.OperationalError, storage_unavailable)
    app.add_url_rule("/", endpoint="index", view_func=admin.index)
    app.jinja_env.globals["version"] = __version__
    return app


# Where CSRF does not apply: the JSON API authenticates with bearer tokens, not cookies;
# RFC 8058's one-click unsubscribe is proven by its signed token.
CSRF_EXEMPT_BLUEPRINTS = frozenset({"api"})
CSRF_EXEMPT_ENDPOINTS = frozenset({"attendee.unsubscribe"})


def csrf_applies(endpoint):
    """Whether a form post to this endpoint must carry the CSRF token (None: no such page).
    A set lookup, where Flask-WTF's exemptions look up the view and its blueprint."""
    return endpoint is not None and endpoint not in CSRF_EXEMPT_ENDPOINTS \
        and endpoint.partition(".")[0] not in CSRF_EXEMPT_BLUEPRINTS


def before_every_request(app):
    """The one hook before every request (each hook costs a kiosk scan as much as some of
    its SQL). Who is asking, an organiser (g.user) or an attendee's phone (g.attendee):
    nobody, unless the request has cookies (kiosks and /healthz send none). And
    Flask-WTF's CSRF check, with the method looked at first and the exemptions a set
    lookup (csrf_applies; its own hook looks up the view and its blueprint first, a tenth
    of a bare /healthz on every GET)."""
    context = g._get_current_object()  # (two requests may share an app context: nothing carries over)
    context.user = context.attendee = context.attendee_session = None  # also on a refused form's page
    environ = request.environ
    # Upper-cased as werkzeug routes it: a "post" reaches the POST view.
    if environ["REQUEST_METHOD"].upper() in app.config["WTF_CSRF_METHODS"] and app.config["WTF_CSRF_ENABLED"] \
            and csrf_applies(request.endpoint):
        csrf.protect()
    if "HTTP_COOKIE" in environ:
        from .views.attendee import load_attendee  # (the views import this package)
        from .views.auth import load_user

        load_user()
        load_attendee()


# No inline scripts anywhere (the kiosk's script is a file); inline style attributes are
# allowed for the charts' colours. blob: serves the kiosk's badge PDF frame and QR image.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "frame-src 'self' blob:", "connect-src 'self'",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Our own pages get the Referer (Flask-WTF's CSRF check over HTTPS needs it); other
    # sites get nothing, not even our address.
    ("Referrer-Policy", "same-origin"),
)
# Pages differ by the session cookie: caches must not hand one person's page to another,
# whether or not this request carried the cookie.
VARY_COOKIE = ("Vary", "Cookie")


class SecurityHeaders:
    """WSGI middleware: every response gets SECURITY_HEADERS (and Vary: Cookie) unless it
    set its own. At the WSGI edge it is a few list operations on the header list, for
    error pages too; as a Flask after_request hook, werkzeug's header validation and the
    hook machinery cost every request a tenth of a bare /healthz."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start(status, headers, *exc_info):
            present = {name.lower() for name, _ in headers}
            headers.extend(header for header in SECURITY_HEADERS if header[0].lower() not in present)
            if "vary" not in present:
                headers.append(VARY_COOKIE)
            return start_response(status, headers, *exc_info)

        return self.app(environ, start)


class SessionOverHTTPS(SecureCookieSessionInterface):
    """The organiser's session cookie is Secure whenever the request came over HTTPS
    (directly, or through the reverse proxy run.py trusts: KIOSK_TRUSTED_PROXIES).

    Most requests (kiosks, phones, /healthz) carry no session cookie: they get an empty
    session without building a signing serializer (nor parsing a Cookie header when there
    is none: a tenth of a kiosk scan's time in Flask), and the serializer, built once per
    set of keys, is shared by the requests that do."""

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)

    def open_session(self, app, request):
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or request.cookies.get(self.get_cookie_name(app)) is None):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified:  # nothing to write, nothing to delete
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        # Flask's order: fallbacks first, the current key last (it signs).
        return self._serializer((*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key))

    @functools.lru_cache(maxsize=4)  # one interface per app, a few keys at most
    def _serializer(self, keys):
        return URLSafeTimedSerializer(list(keys), salt=self.salt, serializer=self.serializer,
                                      signer_kwargs={"key_derivation": self.key_derivation,
                                                     "digest_method": self.digest_method})


STORAGE_TROUBLE = ("readonly", "disk is full", "disk i/o error", "unable to open", "database is locked")


def storage_unavailable(exc):
    """A read-only or full disk: a clear 503, and nothing half-written (the transaction
    rolled back). Kiosks keep their scans in their offline queue and resend them."""
    if not any(words in str(exc).lower() for words in STORAGE_TROUBLE):
        raise exc
    logging.getLogger(__name__).error("storage unavailable: %s", exc)
    if request.path.startswith("/api/"):
        message = ("The service cannot save right now (its disk is full or read-only). "
                   "Nothing was lost; try again shortly.")
        return jsonify(result="unavailable", message=message), 503
    return error_page(503)


def _private_folder(path):
    """Make `path` its owner's only (0700), also when an older release or a checkout made
    it 0755; a folder someone else owns stays as it is, with a warning."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except PermissionError:
        logging.getLogger(__name__).warning("cannot make %s private (0700): it is not this user's", path)


def _secret_key(app):
    """The configured key, else one generated once into instance/ so sessions survive restarts."""
    configured = app.config.get("SECRET_KEY")
    if configured:
        return str(configured)
    path = Path(app.instance_path) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    logging.getLogger(__name__).info("generated a new secret key in %s", path)
    return path.read_text().strip()
