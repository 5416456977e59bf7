"""JSON API for kiosks, and /healthz for monitoring.

Kiosks authenticate with `Authorization: Bearer <token>`, so this blueprint is
exempt from CSRF (no cookie is trusted for writes). An organiser's logged-in
session may read (badge PDFs, search). Every answer is JSON with `result` and a
human `message`; a malformed request gets a 4xx, never a 500.
"""

import io
import json

import segno
import zxingcpp
from flask import Blueprint, Response, current_app, g, jsonify, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from PIL import Image

from badges import DEFAULT_LAYOUT

from .. import __version__, headshots

from ..attendees import list_attendees
from ..badge_printing import PrinterError, badge_pdf, record_print, send_to_printer
from ..checkins import check_in, public_person, walk_in
from ..codes import parse_badge_code
from ..connections import pair
from ..db import get_db
from ..errors import Forbidden, Invalid, KioskError, NotFound, Unauthorised
from ..images import MAX_FRAME_PIXELS, decoding, open_image
from ..kiosks import authenticate, print_command
from ..phones import issue_activation
from .limits import PER_ADDRESS_CEILING, identity_key, limiter

bp = Blueprint("api", __name__)
MAX_JSON_BYTES = 64 * 1024
MAX_FRAME_BYTES = 2 * 1024 * 1024
SEARCH_LIMIT = 20


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok", version=__version__)


@bp.errorhandler(KioskError)
def domain_error(exc):
    return jsonify(result=exc.result, message=str(exc)), exc.status


def bearer_kiosk(slug=None):
    header = request.environ.get("HTTP_AUTHORIZATION", "")
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
    """The request's JSON object, whose `required` members are non-empty strings and whose
    others are strings, true/false or null; else Invalid (a 400 saying what is wrong)."""
    body = _parsed(_json_bytes(request.environ))
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    for name in required:
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise Invalid(f"'{name}' is required and must be a string")
    for name, value in body.items():
        if value is not None and not isinstance(value, (str, bool)):
            raise Invalid(f"'{name}' must be a string")
        if not _storable(name) or (isinstance(value, str) and not _storable(value)):
            raise Invalid("the body holds a broken character (half of a UTF-16 surrogate pair)")
    return body


def _storable(text):
    """Whether SQLite can store it: JSON may carry "\\ud800", half of a UTF-16 pair, which
    is no character and has no UTF-8."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_bytes(environ):
    """The body, read from the WSGI input itself, when it is JSON (by its Content-Type) and
    at most MAX_JSON_BYTES; else b"" (no JSON object). Werkzeug's get_json makes these
    checks through a stream wrapper and its parsed headers: a tenth of a kiosk scan's time
    (bench/request_overhead.py)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length > MAX_JSON_BYTES:
        raise Invalid(f"the request body is larger than {MAX_JSON_BYTES // 1024} KB")
    if not _is_json(environ.get("CONTENT_TYPE", "")):
        return b""
    if length < 0:  # no length: a chunked body the server has read to its end, or none
        if not environ.get("wsgi.input_terminated"):
            return b""
        data = environ["wsgi.input"].read(MAX_JSON_BYTES + 1)
        if len(data) > MAX_JSON_BYTES:
            raise Invalid(f"the request body is larger than {MAX_JSON_BYTES // 1024} KB")
        return data
    return environ["wsgi.input"].read(length)


def _is_json(content_type):
    """application/json, or application/something+json, as werkzeug's Request.is_json."""
    mimetype = content_type.partition(";")[0].strip().lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _parsed(data):
    try:
        return json.loads(data) if data else None
    except (ValueError, RecursionError):  # not JSON; or "[[[[...", nested deeper than the parser goes
        return None


def answer(result):
    return current_app.response_class(result.json(), result.status, mimetype="application/json")


@bp.get("/api/v1/kiosk")
def kiosk_info():
    """Who this kiosk is: its event, workshop, mode and printing."""
    kiosk = require_kiosk()
    return jsonify(
        result="ok", name=kiosk["name"], mode=kiosk["mode"], layout=kiosk["layout"],
        printing=kiosk["printing"], workshop=kiosk["workshop"] or "",
        workshop_title=kiosk["workshop_title"] or "",
        event={key: kiosk["event"][key] for key in ("slug", "name", "timezone")},
    )


@bp.post("/api/v1/events/<slug>/checkins")
def checkins(slug):
    """A check-in by badge (`code`) or by a self-service name-search result (`pick`). A badge
    scan may ask for `activate`: the answer then carries the one-time QR for the phone."""
    kiosk = require_kiosk(slug)
    body = json_body("nonce")
    picked = bool(body.get("pick"))
    code = _picked_code(kiosk, body["pick"]) if picked else _required(body, "code")
    result = check_in(get_db(), slug, code, body["nonce"], kiosk=kiosk, by_search=picked,
                      workshop=body.get("workshop") or None, at=body.get("at"))
    activation = None
    if body.get("activate") is True and not picked and result.arrived \
            and not (result.registered_here or result.replay):
        # Only the person arriving: a code typed or scanned for someone already in (a
        # badge code is no secret; at a workshop kiosk, in since the morning) never opens
        # their identity on another phone, nor one for a programme's person this scan
        # registered here. A new check-in by name prints the badge its holder lacks, and
        # is marked so that badge never brings up a phone QR.
        activation = issue_activation(get_db(), kiosk, result.attendee["code"])
    if not activation:
        return answer(result)  # as stored for a replay
    reply = {**result.body(), "activation_svg": _qr_svg(f"{current_app.config['BASE_URL']}/me/{activation}")}
    return jsonify(reply), result.status

PICK_SECONDS = 300


def _required(body, name):
    if not isinstance(body.get(name), str) or not body[name].strip():
        raise Invalid(f"'{name}' is required and must be a string")
    return body[name]


def _qr_svg(link):
    svg = io.BytesIO()
    segno.make_qr(link, error="m").save(svg, kind="svg", scale=6, border=4, xmldecl=False)
    return svg.getvalue().decode()


def _pick_signer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="kiosk-search-pick")


def _pick(kiosk, attendee):
    """What a self-service search result carries instead of the badge code: a signed,
    short-lived reference for this kiosk only, from which no badge can be made."""
    return _pick_signer().dumps([kiosk["id"], attendee["id"]])


def _picked_code(kiosk, pick):
    try:
        kiosk_id, attendee_id = _pick_signer().loads(pick, max_age=PICK_SECONDS)
    except (BadSignature, ValueError, TypeError):
        raise Invalid("this search result has expired; search again")
    row = get_db().execute("SELECT code FROM attendees WHERE id = ?", [attendee_id]).fetchone()
    if kiosk_id != kiosk["id"] or row is None:
        raise Invalid("this search result has expired; search again")
    return row[0]


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


@bp.get("/api/v1/events/<slug>/attendees")
@limiter.limit("120 per minute", key_func=identity_key)
@limiter.limit(PER_ADDRESS_CEILING)
def attendees(slug):
    """Name search for kiosks. Self-service kiosks see first name, last initial and
    organisation only, and need two letters: enough to find oneself, not to list people."""
    kiosk = kiosk_or_organiser(slug)
    query = request.args.get("q", "")
    self_service = kiosk is not None and kiosk["mode"] == "self"
    if sum(ch.isalnum() for ch in query) < (2 if self_service else 1):  # "a." is one letter
        return jsonify(result="ok", attendees=[])
    found = list_attendees(get_db(), slug, query, limit=SEARCH_LIMIT)
    if self_service:
        people = [{"first_name": a["first_name"], "last_initial": a["last_name"][:1],
                   "organisation": a["organisation"], "pick": _pick(kiosk, a)}
                  for a in found if not a["revoked_at"]]
    else:
        people = [{**public_person(a), "email": a["email"], "checked_in_at": a["checked_in_at"],
                   "revoked": bool(a["revoked_at"])} for a in found]
    return jsonify(result="ok", attendees=people)


@bp.get("/api/v1/events/<slug>/badges/<code>.pdf")
def badge(slug, code):
    """One badge as PDF, for printing at the door. Records nothing (a GET)."""
    kiosk = kiosk_or_organiser(slug)
    code = parse_badge_code(code)
    if code is None:
        raise NotFound("no such badge: a badge code is 13 letters and digits")
    return Response(_badge(slug, code, kiosk), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="badge-{code}.pdf"',
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
        try:
            send_to_printer(print_command(kiosk, current_app.config["PRINT_COMMAND"]), _badge(slug, code, kiosk))
        except PrinterError as exc:  # a stopped CUPS queue too: see send_to_printer
            current_app.logger.warning("print command failed for kiosk %s: %s", kiosk["name"], exc)
            return jsonify(result=exc.result, message=str(exc)), exc.status
    count = record_print(get_db(), slug, code, kiosk)
    return jsonify(result="printed", message="Badge printed.", print_count=count)


@bp.get("/api/v1/events/<slug>/headshots/<code>")
def headshot_sitter(slug, code):
    """Headshot mode, step one: whose badge this is, before the camera counts down."""
    _headshot_kiosk(slug)
    holder = headshots.sitter(get_db(), slug, code)
    return jsonify(result="ok", attendee={**public_person(holder), "has_photo": holder["has_photo"]})


@bp.post("/api/v1/events/<slug>/headshots/<code>")
def take_headshot(slug, code):
    """Headshot mode, step two: the photo they chose to keep (a JPEG or PNG body)."""
    kiosk = _headshot_kiosk(slug)
    holder, photo = headshots.take(get_db(), slug, code, request.get_data(), kiosk)
    return jsonify(result="saved", message=f"Photo saved for {holder['first_name']}.",
                   attendee=public_person(holder), width=photo.width, height=photo.height), 201


def _headshot_kiosk(slug):
    kiosk = require_kiosk(slug)
    if kiosk["mode"] != "staffed":
        raise Forbidden("headshots are taken at a staffed kiosk")
    return kiosk


@bp.post("/api/v1/events/<slug>/decode")
def decode(slug):
    """Camera fallback for browsers without BarcodeDetector: a JPEG/PNG frame in, the
    QR text out, decoded here with zxing-cpp (no internet needed)."""
    require_kiosk(slug)
    if (request.content_length or 0) > MAX_FRAME_BYTES:
        raise Invalid("the frame is larger than 2 MB; send a downscaled JPEG")
    refusal = "the body must be a JPEG or PNG image"
    image = open_image(request.get_data(), max_pixels=MAX_FRAME_PIXELS, refusal=refusal)
    with decoding():
        try:
            image.load()
        except (OSError, ValueError, Image.DecompressionBombError):
            raise Invalid(refusal)
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        return jsonify(result="none", message="no QR code in this frame")
    return jsonify(result="ok", text=found[0].text)
