"""Attendees: validation shared by every way in (CSV import, organiser form, walk-in),
adding, editing, revoking, listing and searching."""

import re
import unicodedata
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from .codes import new_badge_code, new_private_key
from .db import now, query, write
from .errors import Conflict, Forbidden, Invalid, NotFound
from .events import get_event
from .people import (CONSENT_FIELDS, OPT_IN_FIELDS, add_person, email_key, joining_row,
                     programme_person_row, registration_at)
from .phones import end_all_sessions, extend_sessions

TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "organisation": 200,
    "role": 200,
    "pronouns": 40,
    "linkedin_url": 300,
}
TRUE_WORDS = {"yes", "y", "true", "t", "1", "on", "x"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "off"}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LIST_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "organisation",
    "role",
    "code",
    "share_email",
    "share_linkedin",
    "allow_scan",
    "allow_suggest",
    "share_photo",
    "has_photo",
    "checked_in_at",
)


def clean_text(value):
    """NFC, whitespace folded to single spaces (a quoted CSV cell may hold newlines)."""
    return " ".join(unicodedata.normalize("NFC", str(value or "")).split())


def normalised_email(text):
    """The address as mail servers take it (the domain lower-cased, Unicode normalised),
    or ValueError with the reason. email-validator refuses what the mail run would choke
    on later: invisible characters, a domain that cannot exist, a missing dot."""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{text!r} is not a valid email address: {exc}")


def parse_bool(value):
    """True/False from yes/no/true/false/1/0/y/n (any case); None when blank."""
    if isinstance(value, bool):
        return value
    word = clean_text(value).lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def clean_linkedin(value):
    url = clean_text(value)
    if not url:
        return ""
    if "://" not in url and re.match(r"^(www\.)?linkedin\.com/", url, re.I):
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) address like https://www.linkedin.com/in/name")
    return url


def web_link(url):
    """The URL if it is an http(s) address, else "": what may be rendered as a link, even
    for data that reached the database some other way than our validated forms."""
    url = str(url or "")
    return url if urlsplit(url).scheme.lower() in ("http", "https") and "://" in url else ""


def clean_attendee(values, defaults):
    """Validate one attendee's fields.

    `values` maps field names to raw strings (missing keys are blank);
    `defaults` gives share_email / share_linkedin / allow_scan for blanks.
    Returns (record, problems) where problems is a list of (field, reason).
    """
    record, problems = {}, []
    for field, limit in TEXT_LIMITS.items():
        text = clean_text(values.get(field))
        if CONTROL.search(text):
            problems.append((field, "contains control characters"))
        elif len(text) > limit:
            problems.append((field, f"longer than {limit} characters"))
        record[field] = text
    if not record["first_name"]:
        problems.append(("first_name", "required"))
    if not record["email"]:
        problems.append(("email", "required"))
    else:
        try:
            record["email"] = normalised_email(record["email"])
        except ValueError as exc:
            problems.append(("email", str(exc)))
    try:
        record["linkedin_url"] = clean_linkedin(record["linkedin_url"])
    except ValueError as exc:
        problems.append(("linkedin_url", str(exc)))
    for field in CONSENT_FIELDS + OPT_IN_FIELDS:
        try:
            choice = parse_bool(values.get(field))
        except ValueError as exc:
            problems.append((field, str(exc)))
            continue
        if choice is None and field in defaults:
            choice = defaults[field]
        if choice is not None:  # a blank opt-in is left out: it keeps what the person chose
            record[field] = int(choice)
    return record, problems


def consent_changed(current, record):
    """Whether `record` changes any consent choice `current` holds (it may omit opt-ins)."""
    return any(field in record and current[field] != record[field]
               for field in CONSENT_FIELDS + OPT_IN_FIELDS)


def event_defaults(event):
    return {field: bool(event[f"default_{field}"]) for field in CONSENT_FIELDS}


def _require_clean(values, event):
    record, problems = clean_attendee(values, event_defaults(event))
    if problems:
        raise Invalid("; ".join(f"{field}: {reason}" for field, reason in problems))
    return record


def new_attendee_row(event, record, source, stamp, person_row=None):
    """Everything a new attendee row needs beyond its validated fields. `person_row`, a
    row of the same person at another event of the programme, makes it their registration:
    same code, key and choices. A row for a new person has no person_id until
    `insert_attendees` gives it one."""
    if person_row is not None:
        row = joining_row(person_row, record)
        if consent_changed(person_row, row):
            row.update(consent_at=stamp, consent_source=source)
    else:
        defaults = {field: int(value) for field, value in event_defaults(event).items()}
        row = {**defaults, **{field: 0 for field in OPT_IN_FIELDS}, **record, "person_id": None,
               "code": new_badge_code(), "private_key": new_private_key(),
               "consent_at": stamp, "consent_source": source}
    return {**row, "event_id": event["id"], "created_at": stamp, "updated_at": stamp}


def insert_attendees(db, event, rows):
    """Insert new attendee rows (from `new_attendee_row`), and a person for each row that
    starts one; a returning person's phones stay theirs through this event too. Inside
    the caller's write transaction."""
    returning = [row["person_id"] for row in rows if row["person_id"] is not None]
    for row in rows:
        if row["person_id"] is None:
            row["person_id"] = add_person(db, event.get("programme_id"), row)
    by_shape = {}
    for row in rows:  # a joining person's row carries more of the columns than a new one's
        by_shape.setdefault(tuple(row), []).append(row)
    for keys, group in by_shape.items():
        db.conn.executemany(f"INSERT INTO attendees ({', '.join(keys)}) "
                            f"VALUES ({', '.join(':' + key for key in keys)})", group)
    for person_id in returning:
        extend_sessions(db, registration_at(db, person_id, event["id"], "a.id"))


def add_attendee(db, event_slug, values, source="organiser"):
    event = get_event(db, event_slug)
    record = _require_clean(values, event)
    with write(db):
        if _find_id_by_email(db, event, record["email"]):
            raise Conflict(f"{record['email']} is already registered for this event")
        joining = programme_person_row(db, event.get("programme_id"), record["email"])
        insert_attendees(db, event, [new_attendee_row(event, record, source, now(), joining)])
    return find_attendee(db, event_slug, record["email"])


def update_attendee(db, event_slug, attendee_id, values, source="organiser", *, may_change_email=True):
    """Correct an attendee's details. `may_change_email` False (staff accounts): the email
    stays, since it is where the private link goes (the lost-link page mails it there)."""
    event = get_event(db, event_slug)
    record = _require_clean(values, event)
    with write(db):
        current = get_attendee(db, event, attendee_id)
        if not may_change_email and email_key(record["email"]) != email_key(current["email"]):
            raise Forbidden("only an organiser can change an attendee's email: it is where their "
                            "private link is sent")
        other = _find_id_by_email(db, event, record["email"])
        elsewhere = programme_person_row(db, event.get("programme_id"), record["email"], "a.person_id")
        if (other and other != current["id"]) or (elsewhere and elsewhere["person_id"] != current["person_id"]):
            raise Conflict(f"{record['email']} belongs to another attendee")
        stamp = now()
        record["updated_at"] = stamp
        if consent_changed(current, record):
            record.update(consent_at=stamp, consent_source=source)
        db["attendees"].update(current["id"], record)
    return get_attendee(db, event, attendee_id)


def set_revoked(db, event_slug, attendee_id, revoked):
    """Revoke (lost badge, cancelled ticket) or restore; a revoked badge cannot check in."""
    event = get_event(db, event_slug)
    with write(db):
        attendee = get_attendee(db, event, attendee_id)
        db["attendees"].update(
            attendee["id"], {"revoked_at": now() if revoked else None}
        )
    return get_attendee(db, event, attendee_id)


def get_attendee(db, event, attendee_id):
    rows = query(
        db,
        "SELECT * FROM attendees WHERE event_id = ? AND id = ?",
        [event["id"], attendee_id],
    )
    if not rows:
        raise NotFound(f"no attendee {attendee_id} in event {event['slug']!r}")
    return rows[0]


def _find_id_by_email(db, event, email):
    row = db.execute(
        "SELECT id FROM attendees WHERE event_id = ? AND email = ?",
        [event["id"], email],
    ).fetchone()
    return row[0] if row else None


def find_attendee(db, event_slug, email):
    event = get_event(db, event_slug)
    attendee_id = _find_id_by_email(db, event, clean_text(email))
    if attendee_id is None:
        raise NotFound(f"no attendee with email {email!r} in event {event_slug!r}")
    return get_attendee(db, event, attendee_id)


def list_attendees(db, event_slug, search="", limit=None):
    """Attendees with their door check-in time, by name. `search` finds people by the
    start of any word of their name, email or organisation, ignoring case and accents
    ("zoe ang" finds Zoë Ångström)."""
    event = get_event(db, event_slug)
    match = search_expression(search)
    if clean_text(search) and not match:
        return []  # only punctuation was typed: nothing can match
    # With a query, start from the search index's matches (CROSS JOIN fixes that order),
    # rather than walking every attendee of the event and testing each one.
    source = (
        "(SELECT rowid AS id FROM attendee_search WHERE attendee_search MATCH :match) m "
        "CROSS JOIN attendees a ON a.id = m.id" if match else "attendees a"
    )
    sql = f"""
        SELECT a.*, c.at AS checked_in_at
        FROM {source}
        LEFT JOIN checkins c ON c.attendee_id = a.id AND c.workshop_id IS NULL
        WHERE a.event_id = :event
        ORDER BY a.last_name COLLATE NOCASE, a.first_name COLLATE NOCASE, a.id"""
    if limit:
        sql += f" LIMIT {int(limit)}"
    return query(db, sql, {"event": event["id"], "match": match})


def search_expression(search):
    """An FTS5 query: every word typed must start a word of the record."""
    words = re.findall(r"\w+", clean_text(search).casefold())
    return " ".join(f'"{word}"*' for word in words)


def attendee_counts(db, event):
    """How many are registered, checked in at the door, and revoked."""
    row = db.execute(
        """SELECT count(*),
                  count(c.id),
                  count(a.revoked_at)
           FROM attendees a
           LEFT JOIN checkins c ON c.attendee_id = a.id AND c.workshop_id IS NULL
           WHERE a.event_id = ?""",
        [event["id"]],
    ).fetchone()
    return dict(zip(("registered", "checked_in", "revoked"), row))


def connection_count(db, attendee):
    """How many people this attendee met (scanned or was scanned by)."""
    return db.execute(
        "SELECT count(*) FROM connections WHERE scanner_id = :id OR scanned_id = :id",
        {"id": attendee["id"]}).fetchone()[0]


def consent_history(db, attendee):
    """Every consent choice as it was made, oldest first."""
    return query(db, "SELECT * FROM consent_log WHERE attendee_id = ? ORDER BY at, id",
                 [attendee["id"]])


def public_listing(attendee):
    """The listing shape of `list-attendees`: booleans as booleans, no private key."""
    row = {column: attendee.get(column) for column in LIST_COLUMNS}
    for field in CONSENT_FIELDS + OPT_IN_FIELDS + ("has_photo",):
        row[field] = bool(row[field])
    return row


def private_link(db, event_slug, email, base_url):
    """The attendee's /me/ link: whoever holds it acts as the attendee on a phone."""
    attendee = find_attendee(db, event_slug, email)
    return f"{base_url}/me/{attendee['private_key']}"


def new_private_link(db, event_slug, attendee_id):
    """Replace an attendee's private key: the old link, and every phone it activated,
    stop working (a forwarded invite, a lost phone)."""
    event = get_event(db, event_slug)
    with write(db):
        attendee = get_attendee(db, event, attendee_id)
        db["attendees"].update(attendee["id"], {"private_key": new_private_key(), "updated_at": now()})
        db.execute("DELETE FROM person_aliases WHERE kind = 'key' AND person_id = ?", [attendee["person_id"]])
        end_all_sessions(db, attendee["id"])
