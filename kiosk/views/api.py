"""JSON API for kiosks, and /healthz for monitoring.

Kiosks authenticate with `Authorization: Bearer <token>`, so this blueprint is
exempt from CSRF (no cookie is trusted for writes). An organiser's logged-in
session may read (badge PDFs, search). Every answer is JSON with `result` and a
human `message`; a malformed request gets a 4xx, never a 500.
"""

import io
import shlex

import segno
import zxingcpp
from flask import Blueprint, Response, current_app, g, jsonify, request
from PIL import Image, UnidentifiedImageError
from werkzeug.exceptions import HTTPException

from badges import DEFAULT_LAYOUT

from .. import __version__

from ..attendees import list_attendees, private_link_by_code
from ..badge_printing import PrinterError, badge_pdf, record_print, send_to_printer
from ..checkins import check_in, public_person, walk_in
from ..connections import pair
from ..db import get_db
from ..errors import Invalid, KioskError, Unauthorised
from ..kiosks import authenticate
from .limits import PER_ADDRESS_CEILING, identity_key, limiter

bp = Blueprint("api", __name__)
MAX_JSON_BYTES = 64 * 1024
MAX_FRAME_BYTES = 2 * 1024 * 1024
SEARCH_LIMIT = 20


class Forbidden(KioskError):
    status = 403
    result = "forbidden"


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok", version=__version__)


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


def bearer_kiosk(slug=None):
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    return authenticate(get_db(), token, slug)


def require_kiosk(slug=None):
    kiosk = bearer_kiosk(slug)
    if kiosk is None:
        raise Unauthorised("a valid kiosk token is required (Authorization: Bearer <token>)")
    return kiosk


def kiosk_or_organiser(slug):
    """The calling kiosk; None for a logged-in organiser; 401 for anyone else."""
    kiosk = bearer_kiosk(slug)
    if kiosk is None and g.user is None:
        raise Unauthorised("a valid kiosk token is required (Authorization: Bearer <token>)")
    return kiosk


def json_body(*required):
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise Invalid(f"the request body is larger than {MAX_JSON_BYTES // 1024} KB")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    for name in required:
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise Invalid(f"'{name}' is required and must be a string")
    for name, value in body.items():
        if value is not None and not isinstance(value, (str, bool)):
            raise Invalid(f"'{name}' must be a string")
    return body


def answer(result):
    return jsonify(result.body()), result.status


@bp.get("/api/v1/kiosk")
def kiosk_info():
    """Who this kiosk is: its event, workshop, mode and printing."""
    kiosk = require_kiosk()
    return jsonify(
        result="ok", name=kiosk["name"], mode=kiosk["mode"], layout=kiosk["layout"],
        printing=kiosk["printing"], workshop=kiosk["workshop"] or "",
        workshop_title=kiosk["workshop_title"] or "",
        event={"slug": kiosk["event_slug"], "name": kiosk["event_name"]},
    )


@bp.post("/api/v1/events/<slug>/checkins")
def checkins(slug):
    kiosk = require_kiosk(slug)
    body = json_body("code", "nonce")
    return answer(check_in(get_db(), slug, body["code"], body["nonce"], kiosk=kiosk,
                           workshop=body.get("workshop") or None, at=body.get("at")))


@bp.post("/api/v1/events/<slug>/walk-ins")
def walk_ins(slug):
    kiosk = require_kiosk(slug)
    if kiosk["mode"] != "staffed":
        raise Forbidden("walk-ins are registered at a staffed kiosk")
    body = json_body("nonce", "first_name", "email")
    return answer(walk_in(get_db(), slug, body, body["nonce"], kiosk=kiosk))


@bp.post("/api/v1/events/<slug>/connections")
def pair_connection(slug):
    """Kiosk pair mode: badge A then badge B records that A met B."""
    kiosk = require_kiosk(slug)
    body = json_body("scanner", "scanned", "nonce")
    return answer(pair(get_db(), slug, body["scanner"], body["scanned"], body["nonce"], kiosk=kiosk,
                       workshop=body.get("workshop") or None, note=body.get("note") or ""))


@bp.get("/api/v1/events/<slug>/attendees/<code>/activation.svg")
def activation(slug, code):
    """The attendee's private link as a QR code, shown on the kiosk right after check-in
    ("scan to activate on your phone"). Kiosks only: it is what makes a phone theirs."""
    require_kiosk(slug)
    link = private_link_by_code(get_db(), slug, code, current_app.config["BASE_URL"])
    svg = io.BytesIO()
    segno.make_qr(link, error="m").save(svg, kind="svg", scale=6, border=4, xmldecl=False)
    return Response(svg.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/api/v1/events/<slug>/attendees")
@limiter.limit("120 per minute", key_func=identity_key)
@limiter.limit(PER_ADDRESS_CEILING)
def attendees(slug):
    """Name search for kiosks. Self-service kiosks see first name, last initial and
    organisation only, and need two letters: enough to find oneself, not to list people."""
    kiosk = kiosk_or_organiser(slug)
    query = request.args.get("q", "")
    self_service = kiosk is not None and kiosk["mode"] == "self"
    if len(query.strip()) < (2 if self_service else 1):
        return jsonify(result="ok", attendees=[])
    found = list_attendees(get_db(), slug, query, limit=SEARCH_LIMIT)
    if self_service:
        people = [{"first_name": a["first_name"], "last_initial": a["last_name"][:1],
                   "organisation": a["organisation"], "code": a["code"]}
                  for a in found if not a["revoked_at"]]
    else:
        people = [{**public_person(a), "email": a["email"], "checked_in_at": a["checked_in_at"],
                   "revoked": bool(a["revoked_at"])} for a in found]
    return jsonify(result="ok", attendees=people)


@bp.get("/api/v1/events/<slug>/badges/<code>.pdf")
def badge(slug, code):
    """One badge as PDF, for printing at the door. Records nothing (a GET)."""
    kiosk = kiosk_or_organiser(slug)
    return Response(_badge(slug, code, kiosk), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="badge-{code.upper()}.pdf"',
        "Cache-Control": "no-store",
    })


def _badge(slug, code, kiosk):
    layout = request.args.get("layout") or (kiosk["layout"] if kiosk else DEFAULT_LAYOUT)
    config = current_app.config
    return badge_pdf(get_db(), slug, code, base_url=config["BASE_URL"], layout=layout,
                     font_dir=config["FONT_DIR"])


@bp.post("/api/v1/events/<slug>/badges/<code>/print")
def print_badge(slug, code):
    """Count a print; on a kiosk set to server printing, print here with its command."""
    kiosk = require_kiosk(slug)
    if kiosk["printing"] == "server":
        command = shlex.split(kiosk["print_command"])
        try:
            send_to_printer(command, _badge(slug, code, kiosk))
        except PrinterError as exc:  # a stopped CUPS queue too: see send_to_printer
            current_app.logger.warning("print command failed for kiosk %s: %s", kiosk["name"], exc)
            return jsonify(result=exc.result, message=str(exc)), exc.status
    count = record_print(get_db(), slug, code)
    return jsonify(result="printed", message="Badge printed.", print_count=count)


@bp.post("/api/v1/events/<slug>/decode")
def decode(slug):
    """Camera fallback for browsers without BarcodeDetector: a JPEG/PNG frame in, the
    QR text out, decoded here with zxing-cpp (no internet needed)."""
    require_kiosk(slug)
    if (request.content_length or 0) > MAX_FRAME_BYTES:
        raise Invalid("the frame is larger than 2 MB; send a downscaled JPEG")
    try:
        image = Image.open(io.BytesIO(request.get_data()))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise Invalid("the body must be a JPEG or PNG image")
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        return jsonify(result="none", message="no QR code in this frame")
    return jsonify(result="ok", text=found[0].text)
