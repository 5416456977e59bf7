"""People: one per attendee of a standalone event, one per email across a programme.

An attendee row is a person's registration for one event. Within a programme every row
of a person carries the same badge code, private key, details and consent choices; the
`attendees_person_sync` trigger copies a change made to one row to the others, so any
way of changing a row (the organiser's form, an import, /me) changes the person. The
codes and keys a person held before their events joined a programme stay valid as
aliases (`person_aliases`): a badge already printed or a link already mailed still works.
"""

import string
from datetime import datetime, timedelta, timezone

from .db import query

# What a person's rows share, the badge included (the rest is the registration: the event and
# what happened there).
SHARED_FIELDS = (
    "person_id", "first_name", "last_name", "email", "organisation", "role", "pronouns",
    "linkedin_url", "share_email", "share_linkedin", "allow_scan", "allow_suggest",
    "share_photo", "consent_at", "consent_source", "code", "private_key", "revoked_at",
    "leaderboard_opt_out", "mail_opt_out_at", "badge_printed_at", "print_count",
)
# Consent choices every event sets a default for (a later event's default never overrides
# the person's), and those off until the person opts in (a blank import cell keeps theirs).
CONSENT_FIELDS = ("share_email", "share_linkedin", "allow_scan")
OPT_IN_FIELDS = ("allow_suggest", "share_photo")
REGISTRATION = "a.*, e.slug AS event_slug"
# A person's row without its photo: what joining another event copies.
SHARED_COLUMNS = ", ".join(f"a.{field}" for field in SHARED_FIELDS)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def email_key(email):
    """When two addresses are the same person: equal once ASCII letters are lower-cased, as
    SQLite's NOCASE compares them (the email columns' collation). Nothing else is folded:
    straße@ and strasse@, or É@ and é@, may well be two mailboxes, so two people."""
    return email.translate(_ASCII_LOWER)


def person_id_for(db, kind, value):
    """The person holding a badge code (kind "code") or private key (kind "key"), now or
    before their events joined a programme, or who held a lost badge's code (kind
    "retired"); None when nobody does."""
    if not value:
        return None
    column = {"code": "code", "key": "private_key", "retired": None}[kind]
    row = db.execute(f"SELECT id FROM people WHERE {column} = ?", [value]).fetchone() if column else None
    if row is None:
        row = db.execute("SELECT person_id FROM person_aliases WHERE kind = ? AND value = ?",
                         [kind, value]).fetchone()
    return row[0] if row else None


def registrations(db, person_id, columns="a.id, e.slug AS event_slug"):
    """A person's rows (by default light: no photo), with their events' times, earliest first."""
    return query(db, f"""SELECT {columns}, e.starts_at AS event_starts_at, e.ends_at AS event_ends_at,
                                e.grace_minutes AS event_grace_minutes
                         FROM attendees a JOIN events e ON e.id = a.event_id
                         WHERE a.person_id = ? ORDER BY e.starts_at, e.id""", [person_id])


def registration_at(db, person_id, event_id, columns="a.*"):
    rows = query(db, f"SELECT {columns} FROM attendees a WHERE a.person_id = ? AND a.event_id = ?",
                 [person_id, event_id])
    return rows[0] if rows else None


def current_registration(db, person_id, moment=None):
    """The registration a badge or a link opens (row and event_slug): the event open now;
    else the latest one held so far; else (before the first) the next one. None when the
    person is gone. Chosen over light rows, then the one chosen is read whole."""
    chosen = pick_current(registrations(db, person_id), moment)
    if chosen is None:
        return None
    return query(db, f"SELECT {REGISTRATION} FROM attendees a JOIN events e ON e.id = a.event_id WHERE a.id = ?",
                 [chosen["id"]])[0]


def pick_current(rows, moment=None):
    """Of rows from `registrations`, the one on now, else the latest held, else the first."""
    if not rows:
        return None
    moment = moment or datetime.now(timezone.utc)

    def window(row):
        grace = timedelta(minutes=row["event_grace_minutes"])
        return (datetime.fromisoformat(row["event_starts_at"]) - grace,
                datetime.fromisoformat(row["event_ends_at"]) + grace)

    open_now = [row for row in rows if window(row)[0] <= moment <= window(row)[1]]
    held = [row for row in rows if window(row)[0] <= moment]
    return (open_now or held or [rows[0]])[-1]


def programme_person_rows(db, event):
    """For an event in a programme: a row of each person registered at its other events,
    by `email_key` (what a new registration there joins). {} for a standalone event."""
    if not event.get("programme_id"):
        return {}
    rows = query(db, f"""SELECT {SHARED_COLUMNS} FROM attendees a JOIN events e ON e.id = a.event_id
                         WHERE e.programme_id = ? AND a.event_id != ?
                         GROUP BY a.person_id""", [event["programme_id"], event["id"]])
    return {email_key(row["email"]): row for row in rows}


def programme_person_row(db, programme_id, email, columns=SHARED_COLUMNS):
    """A row of the programme's person with this email, or None (also for no programme)."""
    if not programme_id:
        return None
    rows = query(db, f"""SELECT {columns} FROM people p JOIN attendees a ON a.person_id = p.id
                         WHERE p.programme_id = ? AND p.email = ? LIMIT 1""", [programme_id, email])
    return rows[0] if rows else None


def joining_row(person_row, record):
    """A new registration for a person already in the programme: their code, key and
    choices, with the details this registration brings (a new organisation, a new year;
    a blank keeps what the person had). Consent choices follow the person; only an
    explicit yes/no to an opt-in (a CSV's allow_suggest or share_photo column) changes one."""
    row = {field: person_row[field] for field in SHARED_FIELDS}
    for field, value in record.items():
        if field in CONSENT_FIELDS or value == "":
            continue
        row[field] = value
    return row


def add_person(db, programme_id, row):
    """Insert the people row for a new person (before their first registration)."""
    cursor = db.execute(
        "INSERT INTO people (programme_id, email, code, private_key, created_at) VALUES (?, ?, ?, ?, ?)",
        [programme_id, row["email"], row["code"], row["private_key"], row["created_at"]])
    return cursor.lastrowid


def rows_for_code(db, code, columns="*"):
    """Every row of the person a code names (any event): their badge's, an alias, or a code
    retired since (a lost badge still names its owner in mail sent before)."""
    person_id = person_id_for(db, "code", code) or person_id_for(db, "retired", code)
    if person_id is None:
        return []
    return query(db, f"SELECT {columns} FROM attendees WHERE person_id = ? ORDER BY id", [person_id])
