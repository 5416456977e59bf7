"""Headshots: a person's photo, kept twice. `attendees.photo` holds a badge-size copy
(800 px, orientation applied, re-encoded) that badges, /me and the organiser pages read;
the `headshots` table holds the upload itself, for its owner to download at full size
(a LinkedIn profile photo).

The original keeps its pixels and its EXIF Orientation tag: it is not re-encoded (a
photographer's JPEG stays as sharp as it was shot) and every browser, phone and LinkedIn
turns it upright from the tag. What it loses is where it was taken: the GPS block of its
EXIF and any XMP packet (which can repeat the GPS position) are removed before it is
stored. Photos are per person: setting one registration's photo sets every registration's
(the `attendees_person_photo_sync` trigger), and the original is keyed by the person.

Others see a photo only when its holder chose `share_photo`, and only their contacts:
on /me, in digest cards (a small JPEG attached inline) and as a vCard PHOTO of at most
40 KB.
"""

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps

from .attendees import get_attendee
from .checkins import badge_holder
from .codes import parse_badge_code
from .db import now, query, write
from .kiosks import confirm_kiosk_now
from .errors import Conflict, Invalid, NotFound
from .events import get_event
from .images import decoding, open_image

MAX_BYTES = 15 * 1024 * 1024  # a full-size JPEG from a 24-megapixel camera is 8-12 MB
BADGE_PIXELS = 800  # a side: enough for a badge at 300 dpi, light for the database
CARD_MAX_BYTES = 40 * 1024  # a vCard PHOTO: address books and phones take this without fuss
CARD_SIDES = (320, 240, 160, 100)  # 320: sharp on a phone's full-screen contact card
CARD_QUALITIES = (85, 70, 55, 40)
REFUSAL = "that file is not a photo Pillow can read (use JPEG or PNG)"
GPS_IFD = 0x8825
EXIF_HEADER = b"Exif\0\0"
MIME = {"JPEG": "image/jpeg", "PNG": "image/png"}
SUFFIX = {"JPEG": "jpg", "PNG": "png"}


@dataclass
class Headshot:
    """An upload, checked: its badge-size copy and the original without GPS."""
    badge: bytes
    original: bytes
    format: str
    width: int
    height: int


def prepare(data):
    """Check an upload (size, format, pixels declared, a decode that completes) and make
    its two copies; Invalid with the reason when it is no photo we take."""
    if len(data) > MAX_BYTES:
        raise Invalid(f"the photo is larger than {MAX_BYTES // (1024 * 1024)} MB; please use a smaller one")
    with open_image(data, refusal=REFUSAL) as probe:
        image_format, (width, height) = probe.format, probe.size
        try:
            probe.verify()  # a truncated or disguised file fails here
        except (OSError, ValueError, SyntaxError):
            raise Invalid(REFUSAL)
    original = without_location(data, image_format)
    with open_image(original, refusal=REFUSAL) as stored:
        if stored.getexif().get_ifd(GPS_IFD):  # a file laid out in a way the walk below missed
            raise Invalid("the photo's location (GPS) could not be removed; export it without location")
    return Headshot(badge=_badge_copy(data), original=original, format=image_format, width=width,
                    height=height)


def _badge_copy(data):
    with decoding():
        image = open_image(data, refusal=REFUSAL)
        image.draft("RGB", (BADGE_PIXELS, BADGE_PIXELS))  # a JPEG decodes at 1/2 to 1/8 scale
        try:
            image = ImageOps.exif_transpose(image).convert("RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise Invalid(REFUSAL)
    image.thumbnail((BADGE_PIXELS, BADGE_PIXELS))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


# ---------- taking the place out of an original, without touching its pixels ----------

def without_location(data, image_format):
    """The file with its GPS EXIF and XMP removed, every other byte as it was."""
    return _jpeg_without_location(data) if image_format == "JPEG" else _png_without_location(data)


def _exif_without_gps(tiff):
    """EXIF data (TIFF structure) without its GPS block."""
    exif = Image.Exif()
    exif.load(tiff)
    if GPS_IFD not in exif:
        return tiff
    del exif[GPS_IFD]
    return exif.tobytes()[len(EXIF_HEADER):]


def _jpeg_without_location(data):
    """Walk the segments before the image data: APP1 Exif loses its GPS block, APP1 XMP
    goes; everything from the start of scan on is copied unchanged."""
    out, at = [data[:2]], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the compressed pixels follow
            break
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        segment = data[at:at + 2 + length]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(EXIF_HEADER):
            exif = EXIF_HEADER + _exif_without_gps(payload[len(EXIF_HEADER):])
            segment = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
        elif marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/"):
            segment = b""
        out.append(segment)
        at += 2 + length
    out.append(data[at:])
    return b"".join(out)


def _png_without_location(data):
    """Copy the chunks, leaving out text chunks (where XMP lives) and the eXIf chunk's GPS."""
    out, at = [data[:8]], 8
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at:at + 12 + length]
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            chunk = b""
        elif kind == b"eXIf":
            exif = _exif_without_gps(chunk[8:-4])
            chunk = struct.pack(">I4s", len(exif), kind) + exif + struct.pack(">I", zlib.crc32(kind + exif))
        out.append(chunk)
        at += 12 + length
    return b"".join(out)


# ---------- storing and reading ----------

def save(db, attendee, headshot, source):
    """Give the attendee's person this photo, inside the caller's write transaction."""
    db["attendees"].update(attendee["id"], {"photo": headshot.badge, "updated_at": now()})
    db.execute("""INSERT OR REPLACE INTO headshots (person_id, format, width, height, source, created_at, original)
                  VALUES (?, ?, ?, ?, ?, ?, ?)""",
               [attendee["person_id"], headshot.format, headshot.width, headshot.height, source, now(),
                headshot.original])


def set_photo(db, event_slug, attendee_id, data, source="organiser"):
    """Store an attendee's photo (or remove it, with empty data); returns the attendee."""
    event = get_event(db, event_slug)
    headshot = prepare(data) if data else None
    with write(db):
        attendee = get_attendee(db, event, attendee_id)
        if headshot:
            save(db, attendee, headshot, source)
        else:
            db["attendees"].update(attendee["id"], {"photo": None, "updated_at": now()})
            db.execute("DELETE FROM headshots WHERE person_id = ?", [attendee["person_id"]])
    return attendee


def sitter(db, event_slug, code_text):
    """The holder of a badge scanned at a kiosk in headshot mode; NotFound or Conflict
    (revoked) with what the kiosk shows."""
    holder = badge_holder(db, get_event(db, event_slug), parse_badge_code(code_text))
    if holder is None:
        raise NotFound("This is not one of this event's badges.")
    if holder["revoked_at"]:
        raise Conflict("This badge is no longer valid.")
    has_photo = db.execute("SELECT has_photo FROM attendees WHERE id = ?", [holder["id"]]).fetchone()[0]
    return {**holder, "has_photo": bool(has_photo)}


def take(db, event_slug, code_text, data, kiosk):
    """A kiosk's photo of the badge's holder: checked, then stored as their headshot, if
    the kiosk is as it was authenticated (confirm_kiosk)."""
    headshot = prepare(data)
    with write(db):
        confirm_kiosk_now(db, kiosk)
        holder = sitter(db, event_slug, code_text)
        save(db, holder, headshot, "kiosk")
    return holder, headshot


def original(db, person_id, columns="format, width, height, original"):
    """The person's photo at full size: {format, width, height, original}; or None."""
    rows = query(db, f"SELECT {columns} FROM headshots WHERE person_id = ?", [person_id])
    return rows[0] if rows else None


def about(db, person_id):
    """What /me says of the full-size photo (its size), without reading it."""
    return original(db, person_id, "format, width, height, source, created_at")


def visible_to(db, viewer, holder):
    """Whether `viewer` (an attendee row on a phone, or None) may see `holder`'s photo: their
    own; else only with the holder's consent, for someone at the same event (who scanned
    the badge) or who has the holder among their contacts (from any event)."""
    if viewer is None or not holder["photo"]:
        return False
    if viewer["person_id"] == holder["person_id"]:
        return True
    if not holder["share_photo"]:
        return False
    return viewer["event_id"] == holder["event_id"] or db.execute(
        """SELECT 1 FROM connections c
           JOIN attendees a ON a.id = c.scanner_id JOIN attendees b ON b.id = c.scanned_id
           JOIN events e ON e.id = c.event_id
           WHERE (a.person_id = :viewer AND b.person_id = :holder)
              OR (a.person_id = :holder AND b.person_id = :viewer AND e.exchange_mode = 'mutual'
                  AND c.hidden_by_scanned = 0)
           LIMIT 1""", {"viewer": viewer["person_id"], "holder": holder["person_id"]}).fetchone() is not None


def card_photo(photo):
    """A JPEG of at most CARD_MAX_BYTES from a badge-size photo: smaller and plainer
    until it fits (a noisy picture compresses badly)."""
    for side in CARD_SIDES:
        with decoding():
            image = Image.open(io.BytesIO(photo), formats=("JPEG",))
            image.draft("RGB", (side, side))
            image = image.convert("RGB")
        image.thumbnail((side, side))
        for quality in CARD_QUALITIES:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= CARD_MAX_BYTES:
                return out.getvalue()
    raise Invalid("the photo does not fit a contact card")  # 80 px at quality 40: never reached


def card_photos(db, contacts):
    """{person code: small JPEG} for the contacts whose photo their holder shares."""
    codes = [c["code"] for c in contacts if c.get("shares_photo")]
    if not codes:
        return {}
    marks = ", ".join("?" * len(codes))
    rows = db.execute(f"""SELECT code, photo FROM attendees WHERE id IN (
                              SELECT min(id) FROM attendees WHERE code IN ({marks}) AND share_photo = 1
                              AND photo IS NOT NULL GROUP BY code)""", codes).fetchall()
    return {code: card_photo(photo) for code, photo in rows}
