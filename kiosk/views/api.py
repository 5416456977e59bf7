"""JSON API for kiosks, and /healthz for monitoring.

Kiosks authenticate with `Authorization: Bearer <token>`, so this blueprint is
exempt from CSRF (no cookies are trusted). An organiser's logged-in session is
accepted too, for the organiser pages. Errors are JSON: {"result", "message"}.
"""

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from badges import DEFAULT_LAYOUT

from ..badge_printing import badge_pdf
from ..db import get_db
from ..errors import KioskError, Unauthorised
from ..kiosks import authenticate

bp = Blueprint("api", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.errorhandler(KioskError)
def domain_error(exc):
    return jsonify(result=exc.result, message=str(exc)), exc.status


@bp.app_errorhandler(HTTPException)
def http_error(exc):
    """Under /api/ every error is JSON (a kiosk cannot read an HTML error page)."""
    if not request.path.startswith("/api/"):
        return exc
    result = (exc.name or "error").lower().replace(" ", "_")
    return jsonify(result=result, message=exc.description), exc.code


def authorised_kiosk(slug):
    """The calling kiosk for this event; None for a logged-in organiser; raises 401 otherwise."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    kiosk = authenticate(get_db(), slug, token)
    if kiosk is None and g.user is None:
        raise Unauthorised("a valid kiosk token is required (Authorization: Bearer <token>)")
    return kiosk


@bp.get("/api/v1/events/<slug>/badges/<code>.pdf")
def badge(slug, code):
    """One badge as PDF, for printing at the door."""
    kiosk = authorised_kiosk(slug)
    layout = request.args.get("layout") or (kiosk["layout"] if kiosk else DEFAULT_LAYOUT)
    config = current_app.config
    pdf = badge_pdf(get_db(), slug, code, base_url=config["BASE_URL"], layout=layout,
                    font_dir=config["FONT_DIR"])
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="badge-{code.upper()}.pdf"',
        "Cache-Control": "no-store",
    })
