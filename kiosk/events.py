"""Events and their workshops: create, change, delete; the time zone every time is shown in."""

import os
import re
from datetime import datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .db import now, query, write
from .errors import Conflict, Invalid, NotFound

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EXCHANGE_MODES = ("mutual", "one-way")
# Long enough for any real title; short enough that one pasted paragraph cannot
# stretch every page that lists it.
NAME_LIMIT = 200
YEARS_AHEAD_OR_BEHIND = 10
UTC_ALIASES = {"Etc/UTC", "Etc/Universal", "Etc/Zulu", "Etc/UCT", "Universal", "Zulu", "UCT"}
EVENT_FIELDS = ("slug", "name", "starts", "ends", "tz", "venue", "mode", "grace_minutes")


class NeedsConfirmation(Conflict):
    """The change is allowed, but only once the organiser has confirmed it."""


def check_slug(slug, what="slug"):
    if not SLUG.match(slug or ""):
        raise Invalid(
            f"{what} {slug!r} must be lower-case letters, digits and hyphens (up to 64)"
        )
    return slug


def check_name(text, what):
    """A name or title: required, one line, at most NAME_LIMIT characters."""
    text = " ".join(str(text or "").split())
    if not text:
        raise Invalid(f"the {what} is required")
    if len(text) > NAME_LIMIT:
        raise Invalid(f"the {what} is {len(text)} characters long; keep it to {NAME_LIMIT}")
    return text


@cache
def zone_names():
    """Every IANA time zone name this machine knows, sorted (for the picker)."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


def canonical_zone(name):
    """The IANA name as spelt in the database, matched ignoring case: europe/paris is
    Europe/Paris."""
    text = str(name or "").strip()
    by_lower = {zone_name.lower(): zone_name for zone_name in zone_names()}
    found = by_lower.get(text.lower())
    if found is None:
        raise Invalid(f"unknown time zone {text!r} (use a name like Europe/London)")
    return found


def zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r} (use a name like Europe/London)")


def server_zone():
    """The server's own IANA zone (TZ, then /etc/localtime), the default for new events."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    for candidate in candidates:
        try:
            found = canonical_zone(candidate)
        except Invalid:
            continue
        return "UTC" if found in UTC_ALIASES else found
    return "UTC"


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


def _event_times(starts, ends, tz):
    """Start and end as UTC ISO strings, checked: the end after the start, and both within
    ten years of today (a typed 20266 or 1926 is a typo, not an event)."""
    starts_at, ends_at = parse_time(starts, tz, "start"), parse_time(ends, tz, "end")
    if ends_at <= starts_at:
        raise Invalid("the event must end after it starts")
    today = datetime.now(timezone.utc)
    span = timedelta(days=365 * YEARS_AHEAD_OR_BEHIND + YEARS_AHEAD_OR_BEHIND // 4)
    for label, iso in (("start", starts_at), ("end", ends_at)):
        if abs(datetime.fromisoformat(iso) - today) > span:
            raise Invalid(f"the {label} must be within {YEARS_AHEAD_OR_BEHIND} years of today")
    return starts_at, ends_at


def _grace(minutes):
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise Invalid("the grace period is a whole number of minutes")
    if minutes < 0:
        raise Invalid("the grace period cannot be negative")
    if minutes > MAX_GRACE_MINUTES:
        raise Invalid(f"the grace period is 0 to {MAX_GRACE_MINUTES} minutes (a week)")
    return minutes


def _mode(mode):
    if mode not in EXCHANGE_MODES:
        raise Invalid(f"exchange mode must be one of {', '.join(EXCHANGE_MODES)}")
    return mode


def create_event(db, slug, name, starts, ends, *, mode="mutual", venue="", tz=None,
                 grace_minutes=120):
    check_slug(slug, "event slug")
    tz = canonical_zone(tz) if tz else server_zone()
    starts_at, ends_at = _event_times(starts, ends, tz)
    row = {
        "slug": slug,
        "name": check_name(name, "event name"),
        "venue": _venue(venue),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": tz,
        "exchange_mode": _mode(mode),
        "grace_minutes": _grace(grace_minutes),
        "created_at": now(),
    }
    with write(db):
        if db.execute("SELECT 1 FROM events WHERE slug = ?", [slug]).fetchone():
            raise Conflict(f"an event with slug {slug!r} already exists")
        db["events"].insert(row)
    return get_event(db, slug)


def _venue(venue):
    venue = " ".join(str(venue or "").split())
    if len(venue) > NAME_LIMIT:
        raise Invalid(f"the venue is {len(venue)} characters long; keep it to {NAME_LIMIT}")
    return venue


def update_event(db, event_slug, *, confirm_mode=False, **changes):
    """Change an event: any of slug, name, starts, ends, tz, venue, mode, grace_minutes
    (None leaves a field as it is). A new time zone keeps the clock times of the event and
    its workshops (09:00 stays 09:00, now in the new zone). Changing the exchange mode once
    people have connected changes what they share, so it needs `confirm_mode`. Badge codes
    never change."""
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {', '.join(sorted(unknown))}")
    changes = {key: value for key, value in changes.items() if value is not None}
    with write(db):
        event = get_event(db, event_slug)
        tz = canonical_zone(changes["tz"]) if "tz" in changes else event["timezone"]
        row = {
            "slug": check_slug(changes.get("slug", event_slug), "event slug"),
            "name": check_name(changes.get("name", event["name"]), "event name"),
            "venue": _venue(changes.get("venue", event["venue"])),
            "timezone": tz,
            "exchange_mode": _mode(changes.get("mode", event["exchange_mode"])),
            "grace_minutes": _grace(changes.get("grace_minutes", event["grace_minutes"])),
        }
        row["starts_at"], row["ends_at"] = _event_times(
            changes.get("starts", wall_clock(event, event["starts_at"])),
            changes.get("ends", wall_clock(event, event["ends_at"])), tz)
        if row["slug"] != event_slug and db.execute("SELECT 1 FROM events WHERE slug = ?",
                                              [row["slug"]]).fetchone():
            raise Conflict(f"an event with slug {row['slug']!r} already exists")
        if row["exchange_mode"] != event["exchange_mode"] and not confirm_mode:
            connected = activity(db, event)["connections"]
            if connected:
                raise NeedsConfirmation(
                    f"{connected} connections were made in {event['exchange_mode']} mode; "
                    f"switching to {row['exchange_mode']} changes what those people share. "
                    "Confirm to change it anyway.")
        db["events"].update(event["id"], row)
        if {"starts", "ends", "tz"} & set(changes):
            _move_workshops(db, event, {**event, **row})
    return get_event(db, row["slug"])


def _move_workshops(db, before, after):
    """Keep each workshop's clock times in a new zone, then check they still fall within
    the event's days."""
    for workshop in list_workshops(db, before):
        times = {}
        for column in ("starts_at", "ends_at"):
            if workshop[column] and before["timezone"] != after["timezone"]:
                times[column] = parse_time(wall_clock(before, workshop[column]),
                                           after["timezone"])
        workshop.update(times)
        _check_within_event(after, workshop)
        if times:
            db["workshops"].update(workshop["id"], times)


def wall_clock(event, iso):
    """A stored UTC time as the event's local clock time, without an offset
    (what a datetime-local field shows)."""
    if not iso:
        return ""
    local = datetime.fromisoformat(iso).astimezone(zone(event["timezone"]))
    return local.replace(tzinfo=None).isoformat(timespec="minutes")


def _check_within_event(event, workshop):
    """A workshop's times fall within the event's days (local midnight to midnight)."""
    starts, ends = workshop.get("starts_at"), workshop.get("ends_at")
    if starts and ends and ends <= starts:
        raise Invalid(f"workshop {workshop['title']!r} must end after it starts")
    tz = zone(event["timezone"])
    first, last = (datetime.fromisoformat(event[column]).astimezone(tz).date()
                   for column in ("starts_at", "ends_at"))
    opens = datetime.combine(first, time(), tz)
    closes = datetime.combine(last + timedelta(days=1), time(), tz)
    for iso in (starts, ends):
        if iso and not opens <= datetime.fromisoformat(iso) <= closes:
            raise Invalid(f"workshop {workshop['title']!r} must be within the event's days "
                          f"({first:%d %b %Y} to {last:%d %b %Y})")


def activity(db, event, workshop=None):
    """How many check-ins and connections an event (or one of its workshops) holds:
    what a deletion would take with it."""
    column, key = ("workshop_id", workshop["id"]) if workshop else ("event_id", event["id"])
    checkins = db.execute(f"SELECT count(*) FROM checkins WHERE {column} = ?", [key]).fetchone()[0]
    connections = db.execute(f"SELECT count(*) FROM connections WHERE {column} = ?",
                             [key]).fetchone()[0]
    return {"checkins": checkins, "connections": connections}


def _refuse_unconfirmed(what, counts, confirmed):
    if (counts["checkins"] or counts["connections"]) and not confirmed:
        raise NeedsConfirmation(
            f"{what} has {counts['checkins']} check-ins and {counts['connections']} connections; "
            "type the event's name to confirm deleting them with it")


def delete_event(db, slug, *, confirmed=False):
    """Delete an event with everything in it. One with check-ins or connections needs
    `confirmed` (the organiser typed its name; --yes on the command line)."""
    with write(db):
        event = get_event(db, slug)
        _refuse_unconfirmed(f"event {event['name']!r}", activity(db, event), confirmed)
        db.execute("DELETE FROM events WHERE id = ?", [event["id"]])
    return event


def delete_workshop(db, event_slug, workshop_slug, *, confirmed=False):
    """Delete a workshop and its check-ins; connections made there stay, without a place."""
    with write(db):
        event = get_event(db, event_slug)
        workshop = get_workshop(db, event, workshop_slug)
        _refuse_unconfirmed(f"workshop {workshop['title']!r}", activity(db, event, workshop),
                            confirmed)
        db.execute("DELETE FROM workshops WHERE id = ?", [workshop["id"]])
    return workshop


def get_event(db, slug):
    rows = query(db, "SELECT * FROM events WHERE slug = ?", [slug])
    if not rows:
        raise NotFound(f"no event with slug {slug!r}")
    return rows[0]


def list_events(db):
    return query(
        db,
        """SELECT e.*, (SELECT count(*) FROM attendees a WHERE a.event_id = e.id)
               AS attendee_count, p.name AS programme_name, p.slug AS programme_slug
           FROM events e LEFT JOIN programmes p ON p.id = e.programme_id ORDER BY e.starts_at DESC"""
    )


def _workshop_row(event, title, room, starts, ends):
    tz = event["timezone"]
    row = {
        "title": check_name(title, "workshop title"),
        "room": _venue(room),
        "starts_at": parse_time(starts, tz, "start") if starts else None,
        "ends_at": parse_time(ends, tz, "end") if ends else None,
    }
    _check_within_event(event, row)
    return row


def add_workshop(db, event_slug, slug, title, *, room="", starts=None, ends=None):
    event = get_event(db, event_slug)
    check_slug(slug, "workshop slug")
    row = _workshop_row(event, title, room, starts, ends)
    with write(db):
        taken = db.execute(
            "SELECT 1 FROM workshops WHERE event_id = ? AND slug = ?",
            [event["id"], slug],
        ).fetchone()
        if taken:
            raise Conflict(f"event {event_slug!r} already has a workshop {slug!r}")
        db["workshops"].insert({"event_id": event["id"], "slug": slug, **row})
    return get_workshop(db, event, slug)


def update_workshop(db, event_slug, slug, *, title, room="", starts=None, ends=None):
    """Change a workshop's title, room and times (its slug stays: exports name it)."""
    event = get_event(db, event_slug)
    row = _workshop_row(event, title, room, starts, ends)
    with write(db):
        workshop = get_workshop(db, event, slug)
        db["workshops"].update(workshop["id"], row)
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
    """A stored UTC time shown in the event's own time zone, for people (pages, emails,
    the door screen)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(zone(event["timezone"]))
    return moment.strftime("%a %d %b %Y %H:%M")


def local_iso(event, iso):
    """A stored UTC time as ISO 8601 with the event's UTC offset, for exports."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(zone(event["timezone"])).isoformat(
        timespec="seconds")
