"""Check-in at the door and at workshops, walk-ins, arrival figures.

Every kiosk request carries a nonce, and a replay gets the first answer (nonces.py).
Two doors scanning one badge at once record one check-in: the insert itself finds an
earlier one (checkins_once), under the write lock.

A scan reads its badge's holder in the same transaction as its writes. A read of its own
before it would be a second transaction, and SQLite drops a connection's page cache at
the start of every transaction after another connection's commit: with kiosks writing
all the time, each extra transaction re-reads the pages it touches. Measured on the
server: a read outside the write transaction ~25 us of CPU, inside ~3 us.
"""

import functools
import secrets
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .attendees import add_attendee, clean_text, insert_attendees, new_attendee_row
from .codes import parse_badge_code
from .db import now, query, write
from .errors import Conflict, Invalid, NotFound
from .events import get_event, get_workshop
from .people import SHARED_COLUMNS, person_id_for, registration_at
from .kiosks import kiosk_event, kiosk_workshop
from .nonces import Answer, answered, check_nonce


def check_in(db, event_slug, code_text, nonce, *, kiosk=None, workshop=None, at=None, by_search=False):
    """Check the badge holder in at the door, or at a workshop (which also checks them
    into the event). `code_text` is a bare code or a scanned badge URL, any case;
    `by_search` marks a check-in from a self-service name search."""
    check_nonce(nonce)
    code, moment = parse_badge_code(code_text), _moment(at)
    event = kiosk_event(db, event_slug, kiosk)
    return answered(db, nonce, kiosk, lambda: _check_in(db, event, code, scan_workshop(db, event, kiosk, workshop),
                                                        moment, kiosk, by_search))


def find_attendee_by_code_or_email(db, event, text):
    """The attendee a person named by badge code (or scanned badge URL) or by email."""
    text = clean_text(text)
    rows = query(db, "SELECT * FROM attendees WHERE event_id = ? AND (code = ? OR email = ?)",
                 [event["id"], parse_badge_code(text) or "", text])
    if not rows:
        raise NotFound(f"no attendee with badge code or email {text!r} in event {event['slug']!r}")
    return rows[0]


def check_in_by_hand(db, event_slug, code_or_email, *, actor):
    """An organiser or staff member checks someone in (the attendee page, the command
    line): the door's own check-in, noted in the check-in log with who did it."""
    event = get_event(db, event_slug)
    with write(db):
        attendee = find_attendee_by_code_or_email(db, event, code_or_email)
        answer = check_in(db, event_slug, attendee["code"], f"hand-{secrets.token_hex(8)}")
        if answer.status == 201:
            _log(db, event, attendee, "check_in", answer.checked_in_at, "", actor)
    return answer


def undo_check_in(db, event_slug, code_or_email, *, actor):
    """Take back a check-in made by mistake: the door's and the workshops' check-ins of
    this person go (so every count follows); the log keeps what was undone, by whom."""
    event = get_event(db, event_slug)
    with write(db):
        attendee = find_attendee_by_code_or_email(db, event, code_or_email)
        rows = query(db, """SELECT c.id, c.at, w.slug FROM checkins c
                            LEFT JOIN workshops w ON w.id = c.workshop_id
                            WHERE c.attendee_id = ? ORDER BY w.slug IS NOT NULL, w.slug""",
                     [attendee["id"]])
        if not rows:
            name = f"{attendee['first_name']} {attendee['last_name']}".strip()
            raise Conflict(f"{name} is not checked in")
        workshops = ";".join(row["slug"] for row in rows if row["slug"])
        door = next((row["at"] for row in rows if not row["slug"]), None)
        db.conn.executemany("DELETE FROM checkins WHERE id = ?", [(row["id"],) for row in rows])
        _log(db, event, attendee, "undo", door, workshops, actor)
    return attendee


def _log(db, event, attendee, action, checked_in_at, workshops, actor):
    db.execute(
        """INSERT INTO checkin_log (event_id, attendee_id, action, checked_in_at, workshops,
                                    actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [event["id"], attendee["id"], action, checked_in_at, workshops, actor, now()],
    )


def check_in_history(db, attendee):
    """Where and when this person checked in (door first, then workshops), and every
    check-in made or undone by hand."""
    checkins = query(db, """SELECT c.at, w.slug AS workshop, w.title AS workshop_title,
                                   k.name AS kiosk
                            FROM checkins c LEFT JOIN workshops w ON w.id = c.workshop_id
                            LEFT JOIN kiosks k ON k.id = c.kiosk_id
                            WHERE c.attendee_id = ? ORDER BY w.id IS NOT NULL, c.at""",
                     [attendee["id"]])
    log = query(db, "SELECT * FROM checkin_log WHERE attendee_id = ? ORDER BY id",
                [attendee["id"]])
    return checkins, log


def scan_workshop(db, event, kiosk, workshop_slug):
    """The workshop a scan is for: the one the request names, else its kiosk's, else None."""
    return get_workshop(db, event, workshop_slug) if workshop_slug else kiosk_workshop(kiosk)


def _moment(at):
    """When the scan happened: the kiosk's time for a queued scan, never in the future."""
    current = datetime.now(timezone.utc)
    if not at:
        return current
    try:
        moment = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"'at' {at!r} is not an ISO date-time")
    if moment.tzinfo is None:
        raise Invalid("'at' needs a time zone, like 2026-03-14T09:05:00Z")
    try:
        return min(moment.astimezone(timezone.utc), current)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
        raise Invalid(f"'at' {at!r} is out of range")


def _check_in(db, event, code, workshop, moment, kiosk, by_search):
    """The answer to a scan of `code`, in the write transaction (so that two doors register
    a programme's returning person once)."""
    attendee = badge_holder(db, event, code)
    registered_here = attendee is None
    attendee = attendee or returning_person(db, event, code, is_open(event, moment))
    if attendee is None:
        return Answer(404, "unknown", "Unknown badge: this code is not one of this event's badges.")
    person = public_person(attendee)
    # A name anyone can type (self-service search) finding someone it does not check in
    # now: no badge code, so no badge (reprint) for whoever stands at the kiosk. Left out
    # of the stored answer too, which a replay of the nonce sends back.
    shown = {key: value for key, value in person.items() if key != "code"} if by_search else person
    if attendee["revoked_at"]:
        return Answer(409, "revoked", "This badge has been revoked. Please see the registration desk.",
                      attendee=shown)
    if not is_open(event, moment):
        return Answer(410, "closed", f"Check-in for {event['name']} is closed.", attendee=shown)
    stamp = moment.isoformat(timespec="seconds")
    arrived, at = _record(db, event, attendee, None, stamp, kiosk, by_search)
    first = arrived
    if workshop is not None:
        first, at = _record(db, event, attendee, workshop, stamp, kiosk, by_search)
    where = workshop["title"] if workshop else event["name"]
    slug = workshop["slug"] if workshop else ""
    if first:
        return Answer(201, "checked_in", f"Welcome to {where}, {attendee['first_name']}!",
                      attendee=person, checked_in_at=at, workshop=slug, registered_here=registered_here,
                      arrived=arrived)
    return Answer(200, "already_checked_in",
                  f"{attendee['first_name']} was already checked in to {where}.",
                  attendee=shown, checked_in_at=at, workshop=slug)


def _record(db, event, attendee, workshop, stamp, kiosk, by_search):
    """(True, time) for a new check-in, (False, earlier time) when there was one. The
    insert comes first (checkins_once makes a repeat do nothing): one statement for the
    common case, a second only for someone already in."""
    workshop_id = workshop["id"] if workshop else None
    inserted = db.execute(
        "INSERT INTO checkins (event_id, attendee_id, workshop_id, kiosk_id, at, by_search) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [event["id"], attendee["id"], workshop_id, kiosk["id"] if kiosk else None, stamp, int(by_search)],
    ).rowcount
    if inserted:
        return True, stamp
    earlier = db.execute(
        "SELECT at FROM checkins WHERE attendee_id = ? AND coalesce(workshop_id, 0) = ?",
        [attendee["id"], workshop_id or 0],
    ).fetchone()
    return False, earlier[0]


# What a scan needs of its badge's holder; never the photo (a blob of tens of KB).
HOLDER_COLUMNS = """a.id, a.event_id, a.person_id, a.first_name, a.last_name, a.organisation, a.role,
                    a.pronouns, a.code, a.badge_printed_at, a.print_count, a.revoked_at, a.allow_scan"""


def badge_holder(db, event, code, columns=HOLDER_COLUMNS):
    """The attendee holding this (parsed) badge code in this event, for a scan; or None."""
    return badge_holders(db, event, [code], columns)[0]


def badge_holders(db, event, codes, columns=HOLDER_COLUMNS):
    """The holders of these (parsed) badge codes in this event, in order (None where a code
    is no badge here), in one read. In a programme a code may be one the person held before
    their events were joined (an alias): it names the same person."""
    wanted = [code for code in codes if code]
    rows = query(db, f"SELECT {columns} FROM attendees a WHERE a.event_id = ? AND a.code IN "
                     f"({', '.join('?' * len(wanted))})", [event["id"], *wanted]) if wanted else []
    found = {row["code"]: row for row in rows}
    return [found.get(code) or _alias_holder(db, event, code, columns) for code in codes]


def _alias_holder(db, event, code, columns):
    if not code or not event.get("programme_id"):
        return None
    return registration_at(db, person_id_for(db, "code", code), event["id"], columns)


def returning_person(db, event, code, register):
    """A programme's person registered at its other events but not this one, whose badge
    was scanned at this event's door: registered here, as themselves, when `register`
    (the door is open; else their row elsewhere, to be told so). None otherwise."""
    person_id = person_id_for(db, "code", code) if event.get("programme_id") else None
    found = query(db, f"""SELECT a.id, {SHARED_COLUMNS} FROM people p JOIN attendees a ON a.person_id = p.id
                          WHERE p.id = ? AND p.programme_id = ? AND a.revoked_at IS NULL LIMIT 1""",
                  [person_id, event["programme_id"]]) if person_id else []
    if not found or not register:
        return found[0] if found else None
    insert_attendees(db, event, [new_attendee_row(event, {}, "door", now(), found[0])])
    return registration_at(db, person_id, event["id"], HOLDER_COLUMNS)


def is_open(event, moment):
    """Check-in and scanning are open from `grace` before the start to `grace` after the end."""
    starts, ends = _open_window(event["starts_at"], event["ends_at"], event["grace_minutes"])
    return starts <= moment <= ends


@functools.lru_cache(maxsize=256)  # asked at every scan, of the same few events
def _open_window(starts_at, ends_at, grace_minutes):
    grace = timedelta(minutes=grace_minutes)
    return datetime.fromisoformat(starts_at) - grace, datetime.fromisoformat(ends_at) + grace


def public_person(attendee):
    """What a kiosk shows about someone: no email, no private key."""
    return {
        "first_name": attendee["first_name"],
        "last_name": attendee["last_name"],
        "organisation": attendee["organisation"],
        "role": attendee["role"],
        "pronouns": attendee["pronouns"],
        "code": attendee["code"],
        "badge_printed": bool(attendee["badge_printed_at"]),
        "print_count": attendee["print_count"],
    }


def walk_in(db, event_slug, values, nonce, *, kiosk=None):
    """Register someone at the door and check them in, in one step. Returns the
    check-in answer (201 with the new badge code, for printing). Someone whose email
    is registered already is not registered twice: the answer (409 already_registered)
    names that person, so the door can check them in instead. Registering and checking
    in are one transaction with the stored answer: a replay registers nobody."""
    check_nonce(nonce)
    event = kiosk_event(db, event_slug, kiosk)
    return answered(db, nonce, kiosk, lambda: _walk_in(db, event, values, kiosk))


def _walk_in(db, event, values, kiosk):
    moment = datetime.now(timezone.utc)
    if not is_open(event, moment):
        return Answer(410, "closed", f"Check-in for {event['name']} is closed.")
    existing = query(db, "SELECT * FROM attendees WHERE event_id = ? AND email = ?",
                     [event["id"], clean_text(values.get("email"))])
    if existing:
        person = existing[0]
        return Answer(409, "already_registered",
                      f"{clean_text(values.get('email'))} is already registered, as "
                      f"{person['first_name']} {person['last_name']}. Check in this person instead?",
                      attendee=public_person(person))
    attendee = add_attendee(db, event["slug"], values, source="walk-in")
    return _check_in(db, event, attendee["code"], scan_workshop(db, event, kiosk, None), moment, kiosk, False)


BUCKET_MINUTES = 10


def arrivals(db, event_slug):
    """The organiser's live figures: expected and checked in, per workshop, and door
    arrivals per 10 minutes (event-local times)."""
    event = get_event(db, event_slug)
    expected, arrived = db.execute(
        """SELECT count(*), count(c.id) FROM attendees a
           LEFT JOIN checkins c ON c.attendee_id = a.id AND c.workshop_id IS NULL
           WHERE a.event_id = ? AND a.revoked_at IS NULL""",
        [event["id"]],
    ).fetchone()
    workshops = query(
        db,
        """SELECT w.slug, w.title, w.room, count(c.id) AS attended
           FROM workshops w LEFT JOIN checkins c ON c.workshop_id = w.id
           WHERE w.event_id = ? GROUP BY w.id ORDER BY w.starts_at, w.title""",
        [event["id"]],
    )
    times = [datetime.fromisoformat(row[0]) for row in db.execute(
        "SELECT at FROM checkins WHERE event_id = ? AND workshop_id IS NULL ORDER BY at",
        [event["id"]],
    )]
    return {"event": event, "expected": expected, "arrived": arrived, "workshops": workshops,
            "buckets": per_ten_minutes(times, event)}


def per_ten_minutes(times, event):
    """[(local start "HH:MM", count)] for every 10 minutes from the first arrival to the last."""
    if not times:
        return []
    size = timedelta(minutes=BUCKET_MINUTES)
    start = times[0].replace(minute=times[0].minute - times[0].minute % BUCKET_MINUTES,
                             second=0, microsecond=0)
    counts = [0] * (int((times[-1] - start) / size) + 1)
    for moment in times:
        counts[int((moment - start) / size)] += 1
    zone = ZoneInfo(event["timezone"])
    return [((start + i * size).astimezone(zone).strftime("%H:%M"), n) for i, n in enumerate(counts)]
