"""Check-in at the door and at workshops, walk-ins, arrival figures.

Every kiosk request carries a nonce, and a replay gets the first answer (nonces.py).
Two doors scanning one badge at once record one check-in: the write lock is taken
(BEGIN IMMEDIATE) before looking for an earlier one.
"""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .attendees import add_attendee
from .codes import parse_badge_code
from .db import query, write
from .errors import Invalid
from .events import get_event, get_workshop
from .nonces import Answer, check_nonce, remember, replayed


def check_in(db, event_slug, code_text, nonce, *, kiosk=None, workshop=None, at=None, by_search=False):
    """Check the badge holder in at the door, or at a workshop (which also checks them
    into the event). `code_text` is a bare code or a scanned badge URL, any case;
    `by_search` marks a check-in from a self-service name search."""
    check_nonce(nonce)
    event = get_event(db, event_slug)
    workshop_row = _workshop(db, event, kiosk, workshop)
    with write(db):
        earlier = replayed(db, nonce, kiosk)
        if earlier:
            return earlier
        answer = _check_in(db, event, code_text, workshop_row, _moment(at), by_search)
        remember(db, nonce, kiosk, answer)
    return answer


def _workshop(db, event, kiosk, workshop_slug):
    if workshop_slug:
        return get_workshop(db, event, workshop_slug)
    if kiosk and kiosk["workshop_id"]:
        return query(db, "SELECT * FROM workshops WHERE id = ?", [kiosk["workshop_id"]])[0]
    return None


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


def _check_in(db, event, code_text, workshop, moment, by_search):
    code = parse_badge_code(code_text)
    found = query(db, "SELECT * FROM attendees WHERE event_id = ? AND code = ?",
                  [event["id"], code]) if code else []
    if not found:
        return Answer(404, "unknown", "Unknown badge: this code is not one of this event's badges.")
    attendee = found[0]
    person = public_person(attendee)
    if attendee["revoked_at"]:
        return Answer(409, "revoked", "This badge has been revoked. Please see the registration desk.",
                      attendee=person)
    if not is_open(event, moment):
        return Answer(410, "closed", f"Check-in for {event['name']} is closed.", attendee=person)
    stamp = moment.isoformat(timespec="seconds")
    door = _record(db, event, attendee, None, stamp, by_search)
    if workshop is None:
        first, at = door
    else:
        first, at = _record(db, event, attendee, workshop, stamp, by_search)
    where = workshop["title"] if workshop else event["name"]
    slug = workshop["slug"] if workshop else ""
    if first:
        return Answer(201, "checked_in", f"Welcome to {where}, {attendee['first_name']}!",
                      attendee=person, checked_in_at=at, workshop=slug)
    return Answer(200, "already_checked_in",
                  f"{attendee['first_name']} was already checked in to {where}.",
                  attendee=person, checked_in_at=at, workshop=slug)


def _record(db, event, attendee, workshop, stamp, by_search):
    """(True, time) for a new check-in, (False, earlier time) when there was one."""
    workshop_id = workshop["id"] if workshop else None
    earlier = db.execute(
        "SELECT at FROM checkins WHERE attendee_id = ? AND coalesce(workshop_id, 0) = ?",
        [attendee["id"], workshop_id or 0],
    ).fetchone()
    if earlier:
        return False, earlier[0]
    db.execute(
        "INSERT INTO checkins (event_id, attendee_id, workshop_id, at, by_search) VALUES (?, ?, ?, ?, ?)",
        [event["id"], attendee["id"], workshop_id, stamp, int(by_search)],
    )
    return True, stamp


def is_open(event, moment):
    """Check-in and scanning are open from `grace` before the start to `grace` after the end."""
    grace = timedelta(minutes=event["grace_minutes"])
    starts = datetime.fromisoformat(event["starts_at"]) - grace
    ends = datetime.fromisoformat(event["ends_at"]) + grace
    return starts <= moment <= ends


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
    check-in answer (201 with the new badge code, for printing)."""
    check_nonce(nonce)
    event = get_event(db, event_slug)
    earlier = replayed(db, nonce, kiosk)
    if earlier:
        return earlier
    if not is_open(event, datetime.now(timezone.utc)):
        return Answer(410, "closed", f"Check-in for {event['name']} is closed.")
    attendee = add_attendee(db, event_slug, values, source="walk-in")
    return check_in(db, event_slug, attendee["code"], nonce, kiosk=kiosk)


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
