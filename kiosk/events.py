"""Events and their workshops."""

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .db import now, query, write
from .errors import Conflict, Invalid, NotFound

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EXCHANGE_MODES = ("mutual", "one-way")


def check_slug(slug, what="slug"):
    if not SLUG.match(slug or ""):
        raise Invalid(
            f"{what} {slug!r} must be lower-case letters, digits and hyphens (up to 64)"
        )
    return slug


def zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r} (use a name like Europe/London)")


def parse_time(text, tz_name, what="time"):
    """An ISO date-time as a UTC ISO string; a time without an offset is local to the event."""
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise Invalid(f"{what} {text!r} is not an ISO date-time like 2026-03-14T09:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz_name))
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


# Check-in opens this long before the start and closes this long after the end.
MAX_GRACE_MINUTES = 7 * 24 * 60


def create_event(
    db,
    slug,
    name,
    starts,
    ends,
    *,
    mode="mutual",
    venue="",
    tz="UTC",
    grace_minutes=120,
):
    check_slug(slug, "event slug")
    name = (name or "").strip()
    if not name:
        raise Invalid("the event needs a name")
    if mode not in EXCHANGE_MODES:
        raise Invalid(f"exchange mode must be one of {', '.join(EXCHANGE_MODES)}")
    zone(tz)
    starts_at = parse_time(starts, tz, "start")
    ends_at = parse_time(ends, tz, "end")
    if ends_at <= starts_at:
        raise Invalid("the event must end after it starts")
    if not 0 <= int(grace_minutes) <= MAX_GRACE_MINUTES:
        raise Invalid(f"the grace period is 0 to {MAX_GRACE_MINUTES} minutes (a week)")
    with write(db):
        if db.execute("SELECT 1 FROM events WHERE slug = ?", [slug]).fetchone():
            raise Conflict(f"an event with slug {slug!r} already exists")
        db["events"].insert(
            {
                "slug": slug,
                "name": name,
                "venue": (venue or "").strip(),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "timezone": tz,
                "exchange_mode": mode,
                "grace_minutes": int(grace_minutes),
                "created_at": now(),
            }
        )
    return get_event(db, slug)


def get_event(db, slug):
    rows = query(db, "SELECT * FROM events WHERE slug = ?", [slug])
    if not rows:
        raise NotFound(f"no event with slug {slug!r}")
    return rows[0]


def list_events(db):
    return query(
        db,
        """SELECT e.*, (SELECT count(*) FROM attendees a WHERE a.event_id = e.id)
               AS attendee_count
           FROM events e ORDER BY e.starts_at DESC"""
    )


def add_workshop(db, event_slug, slug, title, *, room="", starts=None, ends=None):
    event = get_event(db, event_slug)
    check_slug(slug, "workshop slug")
    title = (title or "").strip()
    if not title:
        raise Invalid("the workshop needs a title")
    tz = event["timezone"]
    starts_at = parse_time(starts, tz, "start") if starts else None
    ends_at = parse_time(ends, tz, "end") if ends else None
    if starts_at and ends_at and ends_at <= starts_at:
        raise Invalid("the workshop must end after it starts")
    with write(db):
        taken = db.execute(
            "SELECT 1 FROM workshops WHERE event_id = ? AND slug = ?",
            [event["id"], slug],
        ).fetchone()
        if taken:
            raise Conflict(f"event {event_slug!r} already has a workshop {slug!r}")
        db["workshops"].insert(
            {
                "event_id": event["id"],
                "slug": slug,
                "title": title,
                "room": (room or "").strip(),
                "starts_at": starts_at,
                "ends_at": ends_at,
            }
        )
    return get_workshop(db, event, slug)


def get_workshop(db, event, slug):
    rows = query(
        db,
        "SELECT * FROM workshops WHERE event_id = ? AND slug = ?",
        [event["id"], slug],
    )
    if not rows:
        raise NotFound(f"event {event['slug']!r} has no workshop {slug!r}")
    return rows[0]


def list_workshops(db, event):
    return query(
        db,
        "SELECT * FROM workshops WHERE event_id = ? ORDER BY starts_at, title",
        [event["id"]],
    )


def local_time(event, iso):
    """A stored UTC time shown in the event's own time zone, for people."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(zone(event["timezone"]))
    return moment.strftime("%a %d %b %Y %H:%M")
