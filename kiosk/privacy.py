"""Data rights: what is held about an attendee, as JSON; deleting their connections or
their whole record; purging a past event's personal data while keeping anonymous counts."""

from datetime import datetime, timedelta, timezone

from . import introductions
from .connections import contacts
from .db import now, query, write
from .errors import Invalid
from .headshots import about
from .events import get_event
from .introduction_mail import forget_introduction_mail
from .mail import forget_saved

PROFILE = ("first_name", "last_name", "email", "organisation", "role", "pronouns", "linkedin_url",
           "share_email", "share_linkedin", "allow_scan", "allow_suggest", "share_photo",
           "leaderboard_opt_out", "consent_at",
           "consent_source", "code", "badge_printed_at", "print_count", "mail_opt_out_at",
           "revoked_at", "created_at", "updated_at")


def personal_data(db, attendee, *, for_organiser=False):
    """Everything held about this attendee (their private key aside: they hold it). An
    organiser answering a request gets it without the attendee's notes and tags, which
    only their writer ever sees (the attendee downloads them from their own page)."""
    people = contacts(db, attendee["person_id"])  # at every event of their programme
    if for_organiser:
        people = [{key: value for key, value in p.items() if key not in ("note", "tags")} for p in people]
    mine = "IN (SELECT id FROM attendees WHERE person_id = ?)"  # every event of their programme
    person = [attendee["person_id"]]
    return {
        "event": query(db, "SELECT slug, name, starts_at, ends_at FROM events WHERE id = ?",
                       [attendee["event_id"]])[0],
        "registrations": query(db, f"""SELECT e.slug, e.name, e.starts_at, a.created_at AS registered_at
                                        FROM attendees a JOIN events e ON e.id = a.event_id
                                        WHERE a.id {mine} ORDER BY e.starts_at""", person),
        "profile": {key: attendee[key] for key in PROFILE},
        "has_photo": attendee["photo"] is not None,
        "headshot": about(db, attendee["person_id"]),  # the photo itself: a download of its own on /me
        "consent_history": query(db, f"""SELECT at, source, share_email, share_linkedin, allow_scan, allow_suggest,
                                                share_photo
                                         FROM consent_log WHERE attendee_id {mine} ORDER BY at, id""", person),
        "checkins": query(db, f"""SELECT e.slug AS event, c.at, coalesce(w.title, 'door') AS place
                                  FROM checkins c JOIN events e ON e.id = c.event_id
                                  LEFT JOIN workshops w ON w.id = c.workshop_id
                                  WHERE c.attendee_id {mine} ORDER BY c.at""", person),
        "people_met": people,
        "devices": query(db, f"""SELECT device, created_at, last_seen_at, ended_at FROM attendee_sessions
                                 WHERE attendee_id {mine} ORDER BY id""", person),
        "saved_by": db.execute(f"SELECT count(*) FROM connections WHERE scanned_id {mine}", person).fetchone()[0],
        "mail": query(db, f"SELECT kind, status, sent_at FROM outbox WHERE attendee_id {mine} ORDER BY id", person),
        "introductions": introductions.personal(db, attendee["person_id"], with_notes=not for_organiser),
    }


def delete_connections(db, attendee):
    """Every connection the person is part of, either way, at every event of their
    programme, and the introductions that made them someone's contact; returns how many."""
    rows = "(SELECT id FROM attendees WHERE person_id = ?)"
    with write(db):
        met = db.execute(f"DELETE FROM connections WHERE scanner_id IN {rows} OR scanned_id IN {rows}",
                         [attendee["person_id"]] * 2).rowcount
        introduced = db.execute("DELETE FROM introductions WHERE ? IN (first_id, second_id)",
                                [attendee["person_id"]]).rowcount
    return met + introduced


def delete_attendee(db, attendee, mail_dir=None):
    """The whole record: check-ins, connections, consent history and queued mail go with
    it (foreign keys cascade), and so do the kiosks' stored answers that name them and
    the copies of their mail saved in `mail_dir` (an address and a private link each)."""
    with write(db):
        sent = _message_ids(db, "attendee_id IN (SELECT id FROM attendees WHERE person_id = "
                                "(SELECT person_id FROM attendees WHERE id = ?))", attendee["id"])
        introduced = [row[0] for row in db.execute(
            "SELECT id FROM introductions WHERE ? IN (introducer_id, first_id, second_id)", [attendee["person_id"]])]
        for code in _codes_of(db, attendee):  # kiosks' stored answers name them by any code they held
            db.execute("DELETE FROM api_replies WHERE body LIKE ?", [f'%"code": "{code}"%'])
        # The person goes (every event of their programme), and with them each registration.
        db.execute("DELETE FROM people WHERE id = (SELECT person_id FROM attendees WHERE id = ?)",
                   [attendee["id"]])
    if mail_dir:
        forget_saved(mail_dir, sent)
        forget_introduction_mail(mail_dir, introduced)


def _codes_of(db, attendee):
    return [attendee["code"]] + [row[0] for row in db.execute(
        "SELECT value FROM person_aliases WHERE kind IN ('code', 'retired') AND person_id = ?",
        [attendee["person_id"]])]


def _message_ids(db, where, value):
    return [row[0] for row in db.execute(f"SELECT message_id FROM outbox WHERE {where}", [value])]


def purge(db, event_slug, older_than_days, mail_dir=None):
    """Remove a past event's personal data (with its mail saved in `mail_dir`), keeping its
    anonymous counts (event_summaries) and the event, its workshops and its name.
    Returns the counts kept."""
    event = get_event(db, event_slug)
    ended = datetime.fromisoformat(event["ends_at"])
    if ended > datetime.now(timezone.utc) - timedelta(days=older_than_days):
        raise Invalid(f"{event['name']} ended {ended:%Y-%m-%d}, less than {older_than_days} days ago")
    eid = event["id"]
    with write(db):
        counts = {
            "attendees": db.execute("SELECT count(*) FROM attendees WHERE event_id = ?", [eid]).fetchone()[0],
            "checked_in": db.execute("SELECT count(*) FROM checkins WHERE event_id = ? AND workshop_id IS NULL",
                                     [eid]).fetchone()[0],
            "connections": db.execute("SELECT count(*) FROM connections WHERE event_id = ?", [eid]).fetchone()[0],
            "people_connected": db.execute(
                """SELECT count(*) FROM (SELECT scanner_id FROM connections WHERE event_id = ?
                   UNION SELECT scanned_id FROM connections WHERE event_id = ?)""", [eid, eid]).fetchone()[0],
        }
        db.execute("""INSERT OR REPLACE INTO event_summaries
                      (event_id, attendees, checked_in, connections, people_connected, purged_at)
                      VALUES (?, ?, ?, ?, ?, ?)""", [eid, *counts.values(), now()])
        sent = _message_ids(db, "event_id = ?", eid)
        db.execute("DELETE FROM api_replies WHERE kiosk_id IN (SELECT id FROM kiosks WHERE event_id = ?)", [eid])
        db.execute("DELETE FROM attendees WHERE event_id = ?", [eid])
        db.execute("DELETE FROM kiosks WHERE event_id = ?", [eid])
    if mail_dir:
        forget_saved(mail_dir, sent)
    return counts


def parse_age(text):
    """'90d' (or '90') as a number of days."""
    value = str(text).strip().lower().removesuffix("d")
    if not value.isdigit():
        raise Invalid(f"--older-than takes a number of days like 90d, not {text!r}")
    return int(value)
