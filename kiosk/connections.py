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
from .checkins import badge_holder, is_open, per_ten_minutes, public_person
from .codes import parse_badge_code
from .db import now, query, write
from .errors import Invalid, NotFound
from .events import get_event, get_workshop, local_iso
from .kiosks import kiosk_event
from .nonces import Answer, answered, check_nonce, replayed

TAGS = ("follow up", "mentor", "research", "job")
NOTE_LIMIT = 1000
CONSENT_CHOICES = ("share_email", "share_linkedin", "allow_scan", "allow_suggest", "share_photo")


def attendee_by_code(db, event, code_text):
    return badge_holder(db, event, parse_badge_code(code_text))


def clean_tags(tags):
    chosen = [tag for tag in TAGS if tag in set(tags or ())]
    return ",".join(chosen)


def record(db, event_slug, scanner, scanned_code, *, via, note="", tags=(), workshop=None,
           nonce=None, kiosk=None):
    """Record that `scanner` (an attendee row) met the holder of `scanned_code`."""
    return record_at(db, get_event(db, event_slug), scanner, scanned_code, via=via, note=note, tags=tags,
                     workshop=workshop, nonce=nonce, kiosk=kiosk)


def record_at(db, event, scanner, scanned_code, *, via, note="", tags=(), workshop=None, nonce=None,
              kiosk=None):
    """`record` for an event row the caller has already read. Everything but the writes
    (reading the badge's holder, checking the rules, finding a shared workshop) happens
    before the write lock."""
    if nonce is not None:
        check_nonce(nonce)
    note = " ".join(str(note or "").split())[:NOTE_LIMIT]
    workshop_row = get_workshop(db, event, workshop) if workshop else None
    earlier = replayed(db, nonce, kiosk)
    if earlier:
        return earlier
    scanned = attendee_by_code(db, event, scanned_code)
    refusal = _refusal(event, scanner, scanned, via)
    if refusal:  # nothing to write but the answer, when there is a nonce to keep it for
        return answered(db, nonce, kiosk, lambda: refusal) if nonce else refusal
    stamp = now()
    workshop_id = workshop_row["id"] if workshop_row else _shared_workshop(db, scanner, scanned, stamp)
    return answered(db, nonce, kiosk, lambda: _save(db, event, scanner, scanned, workshop_id, via, note,
                                                    clean_tags(tags), stamp))


def _refusal(event, scanner, scanned, via):
    """Why this meeting cannot be recorded (an answer), or None."""
    if scanned is None:
        return Answer(404, "unknown", "That badge is not one of this event's badges.")
    person = public_person(scanned)
    if scanner["revoked_at"] or scanned["revoked_at"]:
        return Answer(409, "revoked", "This badge is no longer valid.", attendee=person)
    if scanner["id"] == scanned["id"]:
        return Answer(422, "self", "That is your own badge: scan someone else's to save them.")
    if not is_open(event, datetime.now(timezone.utc)):
        return Answer(410, "closed", f"{event['name']} is over: new connections are closed.")
    if not scanned["allow_scan"]:
        return Answer(403, "not_allowed", f"{scanned['first_name']} has chosen not to exchange details.",
                      attendee=person)
    if via == "kiosk" and not scanner["allow_scan"]:
        # Pair mode exchanges details both ways, so the first badge's holder must agree too.
        return Answer(403, "not_allowed", f"{scanner['first_name']} has chosen not to exchange details.",
                      attendee=public_person(scanner))
    return None


def _save(db, event, scanner, scanned, workshop_id, via, note, tags, stamp):
    """Under the write lock: the connection, or the note and tags added to an earlier one."""
    person, first = public_person(scanned), scanned["first_name"]
    # Insert first: a new meeting (the common case) is one statement; a repeat does nothing here.
    if db.execute(
        """INSERT INTO connections (event_id, scanner_id, scanned_id, workshop_id, via, note, tags, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id""",
        [event["id"], scanner["id"], scanned["id"], workshop_id, via, note, tags, stamp],
    ).fetchone():
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
    event = kiosk_event(db, event_slug, kiosk)
    scanner = attendee_by_code(db, event, scanner_code)
    if scanner is None:
        raise NotFound("the first badge is not one of this event's badges")
    workshop = workshop or (kiosk["workshop"] if kiosk else None)
    return record_at(db, event, scanner, scanned_code, via="kiosk", note=note, nonce=nonce,
                     kiosk=kiosk, workshop=workshop)


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
    """The people `me` met, newest first: those they saved and, in a mutual event,
    those who saved them. Notes and tags are only ever the reader's own."""
    event = query(db, "SELECT * FROM events WHERE id = ?", [me["event_id"]])[0]
    other = """o.id AS other_id, o.first_name, o.last_name, o.role, o.organisation, o.pronouns, o.code,
               o.email, o.share_email, o.linkedin_url, o.share_linkedin, o.share_photo, o.has_photo"""
    sql = f"""
        SELECT c.id AS connection_id, c.at, c.note, c.tags, c.via, w.title AS workshop, {other}, 1 AS mine
        FROM connections c JOIN attendees o ON o.id = c.scanned_id
        LEFT JOIN workshops w ON w.id = c.workshop_id
        WHERE c.scanner_id = :me AND o.revoked_at IS NULL"""
    if event["exchange_mode"] == "mutual":
        sql += f"""
        UNION ALL
        SELECT c.id, c.at, '' AS note, '' AS tags, c.via, w.title AS workshop, {other}, 0 AS mine
        FROM connections c JOIN attendees o ON o.id = c.scanner_id
        LEFT JOIN workshops w ON w.id = c.workshop_id
        WHERE c.scanned_id = :me AND c.hidden_by_scanned = 0 AND o.revoked_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM connections back WHERE back.scanner_id = :me AND back.scanned_id = c.scanner_id)"""
    rows = query(db, f"SELECT * FROM ({sql}) ORDER BY at DESC, connection_id DESC", {"me": me["id"]})
    return [{**contact_fields(r), "other_id": r["other_id"], "connection_id": r["connection_id"],
             "at": r["at"], "note": r["note"],
             "tags": [t for t in r["tags"].split(",") if t], "workshop": r["workshop"] or "",
             "via": r["via"], "mine": bool(r["mine"])} for r in rows]


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
    """The other person of one of `me`'s connections, or NotFound. In a one-way event
    only the scanner's: the scanned person must not learn who saved them."""
    rows = query(db, """SELECT o.id, o.first_name, o.last_name FROM connections c
                        JOIN events e ON e.id = c.event_id
                        JOIN attendees o ON o.id = CASE WHEN c.scanner_id = :me THEN c.scanned_id ELSE c.scanner_id END
                        WHERE c.id = :id AND (c.scanner_id = :me
                                              OR (c.scanned_id = :me AND e.exchange_mode = 'mutual'))""",
                 {"me": me["id"], "id": connection_id})
    if not rows:
        raise NotFound("no such connection of yours")
    return rows[0]


def saved_me_count(db, me):
    return db.execute("SELECT count(*) FROM connections WHERE scanned_id = ?", [me["id"]]).fetchone()[0]


def edit_note(db, me, connection_id, note, tags=()):
    """Change the note and tags on a connection `me` recorded."""
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"the note is longer than {NOTE_LIMIT} characters")
    with write(db):
        changed = db.execute(
            "UPDATE connections SET note = ?, tags = ? WHERE id = ? AND scanner_id = ?",
            [note, clean_tags(tags), connection_id, me["id"]],
        ).rowcount
    if not changed:
        raise NotFound("no such connection of yours")


def remove(db, me, connection_id):
    """Take the other person of this connection out of `me`'s list (and so `me`'s digest
    and contacts): `me`'s own record of them is deleted; a record they made of `me` is
    only hidden from `me`, their note and their list untouched. Returns the contact."""
    with write(db):
        contact = contact_of(db, me, connection_id)
        pair = {"me": me["id"], "other": contact["id"]}
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
    """Super connectors: most distinct people met (either direction), opted-out people left out."""
    event = get_event(db, event_slug)
    return query(
        db,
        """SELECT a.first_name, a.last_name, a.organisation, count(DISTINCT other) AS people
           FROM (SELECT scanner_id AS me, scanned_id AS other FROM connections WHERE event_id = :e
                 UNION ALL
                 SELECT scanned_id, scanner_id FROM connections WHERE event_id = :e) pairs
           JOIN attendees a ON a.id = pairs.me
           WHERE a.leaderboard_opt_out = 0 AND a.revoked_at IS NULL
           GROUP BY a.id ORDER BY people DESC, a.last_name, a.first_name LIMIT :limit""",
        {"e": event["id"], "limit": limit},
    )


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
