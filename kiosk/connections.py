"""'I met you': recording connections, the attendee's own list, consent, and the
organiser's insight (leaderboard, per workshop, over time, who met whom).

Rules: one connection per (event, scanner, scanned); a repeat succeeds and may add
to the note; nobody connects with themselves; someone who chose not to exchange
details (allow_scan = 0) cannot be recorded; scanning closes with the event's
window. In a *mutual* event each person sees the other; in a *one-way* event only
the scanner gets the contact and the scanned person sees how many saved them.
A contact's email and LinkedIn are shown only where that contact agreed to share them.
"""

from datetime import datetime, timezone

from .attendees import web_link
from .checkins import (HOLDER_COLUMNS, badge_holder, badge_holders, is_open, per_ten_minutes, public_person,
                       scan_workshop)
from .codes import parse_badge_code
from .db import now, query, write
from .errors import Invalid, NotFound
from .events import get_event, local_iso
from .kiosks import kiosk_event
from .nonces import Answer, answered, check_nonce

TAGS = ("follow up", "mentor", "research", "job")  # the quick tags a person ticks
FOLLOW_UP, FOLLOWED_UP = "follow up", "followed up"
MARKS = (FOLLOWED_UP,)  # kept in the same column, set by their own button, not a tick box
NOTE_LIMIT = 1000
CONSENT_CHOICES = ("share_email", "share_linkedin", "allow_scan", "allow_suggest", "share_photo")


# A scanned badge's holder, and whether they have been checked into any of the event's
# workshops: two people of whom one has not cannot have met at one. (Asked as the
# checkins_once index's own expression, it is answered from the index: workshop ids are
# never 0, and the door check-in's row is not read.)
SCAN_COLUMNS = f"""{HOLDER_COLUMNS}, EXISTS (SELECT 1 FROM checkins c WHERE c.attendee_id = a.id
                                           AND coalesce(c.workshop_id, 0) > 0) AS in_workshop"""


def attendee_by_code(db, event, code_text):
    return badge_holder(db, event, parse_badge_code(code_text), SCAN_COLUMNS)


def clean_tags(tags):
    chosen = [tag for tag in TAGS + MARKS if tag in set(tags or ())]
    return ",".join(chosen)


def record(db, event_slug, scanner, scanned_code, *, via, note="", tags=(), workshop=None,
           nonce=None, kiosk=None):
    """Record that `scanner` (an attendee row) met the holder of `scanned_code`. A replayed
    nonce gets its first answer and writes nothing (nonces.answered)."""
    if nonce is not None:
        check_nonce(nonce)
    event = get_event(db, event_slug)
    return answered(db, nonce, kiosk, lambda: _meeting(
        db, event, scanner, attendee_by_code(db, event, scanned_code), via, note, tags,
        scan_workshop(db, event, kiosk, workshop)))


def _meeting(db, event, scanner, scanned, via, note, tags, workshop):
    """In the write transaction that reads the badges (see checkins.py: one transaction a
    scan): the answer to `scanner` meeting `scanned` (a row or None), saved unless refused."""
    moment = datetime.now(timezone.utc)
    person = public_person(scanned) if scanned else None
    refusal = _refusal(event, scanner, scanned, person, via, moment)
    if refusal:
        return refusal
    stamp = moment.isoformat(timespec="seconds")
    workshop_id = workshop["id"] if workshop else _shared_workshop(db, scanner, scanned, stamp)
    note = " ".join(str(note or "").split())[:NOTE_LIMIT]
    return _save(db, event, scanner, scanned, person, workshop_id, via, note, clean_tags(tags), stamp)


def _refusal(event, scanner, scanned, person, via, moment):
    """Why this meeting cannot be recorded (an answer), or None. `person`: what the
    answer may show of `scanned`."""
    if scanned is None:
        return Answer(404, "unknown", "That badge is not one of this event's badges.")
    if scanner["revoked_at"] or scanned["revoked_at"]:
        return Answer(409, "revoked", "This badge is no longer valid.", attendee=person)
    if scanner["id"] == scanned["id"]:
        return Answer(422, "self", "That is your own badge: scan someone else's to save them.")
    if not is_open(event, moment):
        return Answer(410, "closed", f"{event['name']} is over: new connections are closed.")
    if not scanned["allow_scan"]:
        return Answer(403, "not_allowed", f"{scanned['first_name']} has chosen not to exchange details.",
                      attendee=person)
    if via == "kiosk" and not scanner["allow_scan"]:
        # Pair mode exchanges details both ways, so the first badge's holder must agree too.
        return Answer(403, "not_allowed", f"{scanner['first_name']} has chosen not to exchange details.",
                      attendee=public_person(scanner))
    return None


def _save(db, event, scanner, scanned, person, workshop_id, via, note, tags, stamp):
    """Under the write lock: the connection, or the note and tags added to an earlier one."""
    first = scanned["first_name"]
    # Insert first: a new meeting (the common case) is one statement; a repeat does nothing here.
    if db.execute(
        """INSERT INTO connections (event_id, scanner_id, scanned_id, workshop_id, via, note, tags, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
        [event["id"], scanner["id"], scanned["id"], workshop_id, via, note, tags, stamp],
    ).rowcount:
        return Answer(201, "created", f"Saved: you met {first}.", attendee=person)
    existing = db.execute(
        "SELECT id, note, tags FROM connections WHERE event_id = ? AND scanner_id = ? AND scanned_id = ?",
        [event["id"], scanner["id"], scanned["id"]],
    ).fetchone()
    merged_note = existing[1] if not note or note in existing[1] else " ".join(
        part for part in (existing[1], note) if part)
    merged_tags = clean_tags(set(existing[2].split(",")) | set(tags.split(",")))
    db.execute("UPDATE connections SET note = ?, tags = ? WHERE id = ?",
               [merged_note[:NOTE_LIMIT], merged_tags, existing[0]])
    return Answer(200, "already", f"You had already saved {first}.", attendee=person)


def _shared_workshop(db, scanner, scanned, moment):
    """A workshop both people were checked into at `moment` (the latest they both
    entered, not yet over), or None: then they met at the event, not at a workshop.
    Someone else's check-in is never taken as where two people met."""
    if not (scanner.get("in_workshop", True) and scanned.get("in_workshop", True)):
        return None  # one of them has been at no workshop (SCAN_COLUMNS)
    row = db.execute(
        """SELECT w.id FROM workshops w
           JOIN checkins a ON a.workshop_id = w.id AND a.attendee_id = :scanner AND a.at <= :at
           JOIN checkins b ON b.workshop_id = w.id AND b.attendee_id = :scanned AND b.at <= :at
           WHERE w.ends_at IS NULL OR w.ends_at = '' OR w.ends_at >= :at
           ORDER BY max(a.at, b.at) DESC LIMIT 1""",
        {"scanner": scanner["id"], "scanned": scanned["id"], "at": moment},
    ).fetchone()
    return row[0] if row else None


def pair(db, event_slug, scanner_code, scanned_code, nonce, *, kiosk=None, workshop=None, note=""):
    """Kiosk pair mode: two badges scanned one after the other record A met B."""
    check_nonce(nonce)
    event = kiosk_event(db, event_slug, kiosk)
    codes = [parse_badge_code(scanner_code), parse_badge_code(scanned_code)]

    def meeting():  # in the write transaction, after a replay's stored answer is looked for
        scanner, scanned = badge_holders(db, event, codes, SCAN_COLUMNS)
        if scanner is None:
            raise NotFound("the first badge is not one of this event's badges")
        return _meeting(db, event, scanner, scanned, "kiosk", note, (), scan_workshop(db, event, kiosk, workshop))

    return answered(db, nonce, kiosk, meeting)


def contact_fields(other):
    """What a contact shows of someone: never more than they agreed to share."""
    return {
        "first_name": other["first_name"], "last_name": other["last_name"],
        "role": other["role"], "organisation": other["organisation"],
        "pronouns": other["pronouns"], "code": other["code"],
        "email": other["email"] if other["share_email"] else "",
        "linkedin_url": web_link(other["linkedin_url"]) if other["share_linkedin"] else "",
        "shares_photo": bool(other["share_photo"] and other["has_photo"]),
    }


def people_met(db, me):
    """The people `me` (one registration) met at its event, newest first: those they
    saved and, in a mutual event, those who saved them. Notes and tags are only ever
    the reader's own."""
    return contacts(db, me["person_id"], registration_id=me["id"])


# What a contact row carries: the other person (what they share is filtered by
# contact_fields), the meeting, and the event it was at.
_CONTACT_COLUMNS = """o.id AS other_id, o.person_id AS other_person_id, o.first_name, o.last_name, o.role,
    o.organisation, o.pronouns, o.code, o.email, o.share_email, o.linkedin_url, o.share_linkedin,
    o.share_photo, o.has_photo, c.id AS connection_id, c.at, c.via, w.title AS workshop,
    e.id AS event_id, e.slug AS event_slug, e.name AS event_name, e.starts_at AS event_starts_at,
    e.timezone AS event_timezone"""


def contacts(db, person_id, *, registration_id=None, connection_id=None):
    """Everyone a person met, over all their registrations (a programme's events), or one
    registration's: a row per meeting, newest event first, newest meeting first within it.
    Each event's exchange mode decides whether people who saved them count. One query,
    whatever the number of contacts or events; CROSS JOIN keeps SQLite starting from the
    person's registrations (by index) rather than scanning every connection.
    `connection_id`: that one meeting only (a list of one, or empty)."""
    only = "AND a.id = :registration" if registration_id is not None else ""
    one = "AND c.id = :connection" if connection_id is not None else ""
    sql = f"""
        WITH mine AS (SELECT a.id, a.event_id, ev.exchange_mode FROM attendees a
                      JOIN events ev ON ev.id = a.event_id WHERE a.person_id = :person {only})
        SELECT {_CONTACT_COLUMNS}, c.note, c.tags, 1 AS mine
        FROM mine m CROSS JOIN connections c ON c.event_id = m.event_id AND c.scanner_id = m.id
        JOIN attendees o ON o.id = c.scanned_id JOIN events e ON e.id = c.event_id
        LEFT JOIN workshops w ON w.id = c.workshop_id
        WHERE o.revoked_at IS NULL {one}
        UNION ALL
        SELECT {_CONTACT_COLUMNS}, '' AS note, '' AS tags, 0 AS mine
        FROM mine m CROSS JOIN connections c ON c.scanned_id = m.id
        JOIN attendees o ON o.id = c.scanner_id JOIN events e ON e.id = c.event_id
        LEFT JOIN workshops w ON w.id = c.workshop_id
        WHERE m.exchange_mode = 'mutual' AND c.hidden_by_scanned = 0 AND o.revoked_at IS NULL {one}
          AND NOT EXISTS (SELECT 1 FROM connections back WHERE back.event_id = m.event_id
                          AND back.scanner_id = m.id AND back.scanned_id = c.scanner_id)
        ORDER BY event_starts_at DESC, event_id DESC, at DESC, connection_id DESC"""
    params = {"person": person_id, "registration": registration_id, "connection": connection_id}
    return [_contact(r) for r in query(db, sql, params)]


def meeting(db, me, connection_id):
    """One meeting on the list of `me`'s person (any event of their programme), or NotFound."""
    found = contacts(db, me["person_id"], connection_id=connection_id)
    if not found:
        raise NotFound("no such connection of yours")
    return found[0]


def _contact(r):
    return {**contact_fields(r), "other_id": r["other_id"], "other_person_id": r["other_person_id"],
            "connection_id": r["connection_id"], "at": r["at"], "note": r["note"],
            "tags": [t for t in r["tags"].split(",") if t], "workshop": r["workshop"] or "",
            "via": r["via"], "mine": bool(r["mine"]),
            "event": {"id": r["event_id"], "slug": r["event_slug"], "name": r["event_name"],
                      "starts_at": r["event_starts_at"], "timezone": r["event_timezone"]}}


def met_pairs(db, event):
    """(me, other) for every pair in an event where `other` is on `me`'s list: the same
    people `people_met` lists, for everyone at once (digests queue from it)."""
    sql = """SELECT c.scanner_id, c.scanned_id FROM connections c JOIN attendees o ON o.id = c.scanned_id
             WHERE c.event_id = :e AND o.revoked_at IS NULL"""
    if event["exchange_mode"] == "mutual":
        sql += """ UNION SELECT c.scanned_id, c.scanner_id FROM connections c JOIN attendees o ON o.id = c.scanner_id
                   WHERE c.event_id = :e AND c.hidden_by_scanned = 0 AND o.revoked_at IS NULL"""
    return db.execute(sql, {"e": event["id"]}).fetchall()


def matching(people, search):
    """The people whose name, role or organisation contains `search` (any case)."""
    words = search.casefold().split()
    return [p for p in people if all(
        word in f"{p['first_name']} {p['last_name']} {p['role']} {p['organisation']}".casefold()
        for word in words)]


def saved(db, me, scanned):
    """`me`'s own record of having met `scanned` (at, note, tags), or None."""
    rows = query(db, "SELECT id, at, note, tags FROM connections WHERE scanner_id = ? AND scanned_id = ?",
                 [me["id"], scanned["id"]])
    return {**rows[0], "tags": [t for t in rows[0]["tags"].split(",") if t]} if rows else None


def contact_of(db, me, connection_id):
    """The other person of one of `me`'s connections (at any event of their programme),
    with `mine_id`, `me`'s registration there; or NotFound. In a one-way event only the
    scanner's: the scanned person must not learn who saved them."""
    rows = query(db, """SELECT o.id, o.first_name, o.last_name, m.id AS mine_id FROM connections c
                        JOIN events e ON e.id = c.event_id
                        JOIN attendees m ON m.id IN (c.scanner_id, c.scanned_id) AND m.person_id = :person
                        JOIN attendees o ON o.id = CASE WHEN c.scanner_id = m.id THEN c.scanned_id ELSE c.scanner_id END
                        WHERE c.id = :id AND (c.scanner_id = m.id OR e.exchange_mode = 'mutual')""",
                 {"person": me["person_id"], "id": connection_id})
    if not rows:
        raise NotFound("no such connection of yours")
    return rows[0]


def saved_me_count(db, me):
    return db.execute("SELECT count(*) FROM connections WHERE scanned_id = ?", [me["id"]]).fetchone()[0]


def _own_tags(db, me, connection_id):
    """The tags on a connection `me` (any registration of theirs) recorded, or NotFound."""
    row = db.execute("""SELECT tags FROM connections WHERE id = ?
                        AND scanner_id IN (SELECT id FROM attendees WHERE person_id = ?)""",
                     [connection_id, me["person_id"]]).fetchone()
    if row is None:
        raise NotFound("no such connection of yours")
    return {tag for tag in row[0].split(",") if tag}


def edit_note(db, me, connection_id, note, tags=()):
    """Change the note and quick tags on a connection `me` recorded, at any event of
    their programme; the followed-up mark stays as it was."""
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"the note is longer than {NOTE_LIMIT} characters")
    with write(db):
        kept = _own_tags(db, me, connection_id) & set(MARKS)
        db.execute("UPDATE connections SET note = ?, tags = ? WHERE id = ?",
                   [note, clean_tags(set(tags or ()) & set(TAGS) | kept), connection_id])


def mark_followed_up(db, me, connection_id, done=True):
    """Mark (or unmark) a contact `me` recorded as followed up: digests stop reminding."""
    with write(db):
        tags = _own_tags(db, me, connection_id)
        tags = tags | {FOLLOWED_UP} if done else tags - {FOLLOWED_UP}
        db.execute("UPDATE connections SET tags = ? WHERE id = ?", [clean_tags(tags), connection_id])


def remove(db, me, connection_id):
    """Take the other person of this connection out of `me`'s list (and so `me`'s digest
    and contacts): `me`'s own record of them at that event is deleted; a record they made
    of `me` is only hidden from `me`, their note and their list untouched. Returns the contact."""
    with write(db):
        contact = contact_of(db, me, connection_id)
        pair = {"me": contact["mine_id"], "other": contact["id"]}
        db.execute("DELETE FROM connections WHERE scanner_id = :me AND scanned_id = :other", pair)
        db.execute("UPDATE connections SET hidden_by_scanned = 1 WHERE scanner_id = :other AND scanned_id = :me",
                   pair)
    return contact


def set_choices(db, me, *, share_email, share_linkedin, allow_scan, allow_suggest, share_photo,
                leaderboard_opt_out):
    """The attendee's own sharing choices; consent changes are stamped with time and source."""
    choices = {"share_email": int(bool(share_email)), "share_linkedin": int(bool(share_linkedin)),
               "allow_scan": int(bool(allow_scan)), "allow_suggest": int(bool(allow_suggest)),
               "share_photo": int(bool(share_photo))}
    stamp = now()
    with write(db):
        update = {**choices, "leaderboard_opt_out": int(bool(leaderboard_opt_out)), "updated_at": stamp}
        if any(choices[k] != me[k] for k in CONSENT_CHOICES):
            update.update(consent_at=stamp, consent_source="attendee")
        db["attendees"].update(me["id"], update)


def leaderboard(db, event_slug, limit=10):
    """Super connectors: most distinct people met (either direction), counted as persons
    over the whole programme when the event is in one (a person met at two events counts
    once); people who opted out (a programme-wide choice) or whose badge is revoked are
    left out. Each row: person_id, first_name, last_name, organisation, people."""
    event = get_event(db, event_slug)
    where, params = connection_scope(event)
    return query(
        db,
        f"""WITH pairs AS (SELECT scanner_id AS me, scanned_id AS other FROM connections c WHERE {where}
                           UNION ALL
                           SELECT scanned_id, scanner_id FROM connections c WHERE {where})
            SELECT a.person_id, a.first_name, a.last_name, a.organisation, count(DISTINCT o.person_id) AS people
            FROM pairs JOIN attendees a ON a.id = pairs.me JOIN attendees o ON o.id = pairs.other
            WHERE a.leaderboard_opt_out = 0 AND a.revoked_at IS NULL
            GROUP BY a.person_id ORDER BY people DESC, a.last_name, a.first_name LIMIT :limit""",
        {**params, "limit": limit},
    )


def connection_scope(event):
    """(SQL condition on connections `c`, params): the event's programme's connections when
    it is in one, else the event's own."""
    if event.get("programme_id"):
        return ("c.event_id IN (SELECT id FROM events WHERE programme_id = :programme)",
                {"programme": event["programme_id"]})
    return "c.event_id = :event", {"event": event["id"]}


def insight(db, event_slug):
    """The organiser's picture: totals, per workshop, over time, and who met whom."""
    event = get_event(db, event_slug)
    eid = event["id"]
    total = db.execute("SELECT count(*) FROM connections WHERE event_id = ?", [eid]).fetchone()[0]
    connected = db.execute(
        """SELECT count(DISTINCT id) FROM (SELECT scanner_id AS id FROM connections WHERE event_id = ?
           UNION SELECT scanned_id FROM connections WHERE event_id = ?)""", [eid, eid]).fetchone()[0]
    attendees = db.execute("SELECT count(*) FROM attendees WHERE event_id = ? AND revoked_at IS NULL",
                           [eid]).fetchone()[0]
    per_workshop = query(
        db,
        """SELECT coalesce(w.title, 'Not at a workshop') AS title, count(c.id) AS connections
           FROM connections c LEFT JOIN workshops w ON w.id = c.workshop_id
           WHERE c.event_id = ? GROUP BY w.id ORDER BY connections DESC""", [eid])
    times = [datetime.fromisoformat(r[0]) for r in db.execute(
        "SELECT at FROM connections WHERE event_id = ? ORDER BY at", [eid])]
    return {"event": event, "total": total, "connected": connected, "attendees": attendees,
            "per_workshop": per_workshop, "buckets": per_ten_minutes(times, event),
            "network": network(db, eid)}


def network(db, event_id):
    """Nodes (people in at least one connection) and edges, for the who-met-whom picture."""
    edges = db.execute("SELECT scanner_id, scanned_id FROM connections WHERE event_id = ?",
                       [event_id]).fetchall()
    ids = sorted({i for edge in edges for i in edge})
    nodes = query(db, f"""SELECT id, first_name, last_name, organisation FROM attendees
                          WHERE id IN ({','.join('?' * len(ids))})""", ids) if ids else []
    return {"nodes": nodes, "edges": edges}


# Never notes or tags: they belong to the person who wrote them.
EXPORT_COLUMNS = ("scanner_email", "scanned_email", "workshop", "at")


def export_rows(db, event_slug):
    """The organiser's export: who met whom, where and when (nothing any attendee wrote)."""
    event = get_event(db, event_slug)
    rows = query(
        db,
        """SELECT s.email AS scanner_email, d.email AS scanned_email,
                  coalesce(w.slug, '') AS workshop, c.at
           FROM connections c JOIN attendees s ON s.id = c.scanner_id
           JOIN attendees d ON d.id = c.scanned_id LEFT JOIN workshops w ON w.id = c.workshop_id
           WHERE c.event_id = ? ORDER BY c.at, c.id""", [event["id"]])
    for row in rows:
        row["at"] = local_iso(event, row["at"])  # in the event's zone, like every export
    return rows
