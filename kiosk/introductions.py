"""Introductions (paying it forward): a person introduces two of their own contacts.

Both get an email with the introducer's note and a link to a page where they accept or
decline (a POST: mail scanners open links, so a GET records nothing). Each link holds a
one-time token of its own; only its hash is kept. When both accept within 14 days they
are each other's contacts, each seeing only what the other shares. A decline is never
told to anyone: to the other person and the introducer the introduction simply waits
until it expires, and a declined or ignored one shares nothing.

Rules: only between two of the introducer's own contacts (people they met at any event
of the programme, or were introduced to), who have not met and are not introduced
already (one open introduction per pair, whoever made it; one declined stays open until
it expires, so asking again cannot reveal the answer); at most DAILY_LIMIT a day per
introducer. The leaderboard counts introductions both people accepted.
"""

import secrets
from datetime import datetime, timedelta, timezone

from .codes import token_hash
from .connections import contact_fields
from .db import query, write
from .errors import Conflict, Forbidden, Invalid, KioskError, NotFound

NOTE_LIMIT = 500
DAILY_LIMIT = 10
OPEN_DAYS = 14

# The people a person has as contacts across their programme (person ids): whom they
# saved, who saved them at a mutual event (unless they removed them), and whom an
# introduction both accepted made theirs. A CTE for queries with :me (a person id).
CONTACTS = """contacts(pid) AS MATERIALIZED (
    SELECT o.person_id FROM attendees m
      JOIN connections c ON c.event_id = m.event_id AND c.scanner_id = m.id
      JOIN attendees o ON o.id = c.scanned_id
    WHERE m.person_id = :me AND o.revoked_at IS NULL
    UNION SELECT o.person_id FROM attendees m
      JOIN connections c ON c.scanned_id = m.id
      JOIN events e ON e.id = c.event_id AND e.exchange_mode = 'mutual'
      JOIN attendees o ON o.id = c.scanner_id
    WHERE m.person_id = :me AND c.hidden_by_scanned = 0 AND o.revoked_at IS NULL
    UNION SELECT i.second_id FROM introductions i
    WHERE i.first_id = :me AND i.first_answer = 'accepted' AND i.second_answer = 'accepted'
    UNION SELECT i.first_id FROM introductions i
    WHERE i.second_id = :me AND i.first_answer = 'accepted' AND i.second_answer = 'accepted')"""
# One row of each person, for a join (a person's rows share name, details and choices).
ROW_OF = "(SELECT min(id) FROM attendees WHERE person_id = {})"


class TooMany(KioskError):
    status = 429
    result = "too_many"


def contacts(db, person_id):
    """The person's contacts (not revoked), by name: person_id, names, role, organisation."""
    return query(db, f"""WITH {CONTACTS}
                         SELECT a.person_id, a.first_name, a.last_name, a.role, a.organisation
                         FROM contacts k JOIN attendees a ON a.id = {ROW_OF.format('k.pid')}
                         WHERE a.revoked_at IS NULL
                         ORDER BY a.last_name COLLATE NOCASE, a.first_name COLLATE NOCASE""",
                 {"me": person_id})


def have_met(db, one, other):
    """Whether two people are connected already: a connection either way at any event,
    or an introduction both accepted."""
    return bool(db.execute(
        """SELECT 1 FROM attendees a JOIN connections c ON c.event_id = a.event_id AND c.scanner_id = a.id
           JOIN attendees b ON b.id = c.scanned_id
           WHERE (a.person_id = :one AND b.person_id = :other) OR (a.person_id = :other AND b.person_id = :one)
           UNION ALL
           SELECT 1 FROM introductions WHERE first_id = min(:one, :other) AND second_id = max(:one, :other)
             AND first_answer = 'accepted' AND second_answer = 'accepted' LIMIT 1""",
        {"one": one, "other": other}).fetchone())


def clean_note(note):
    """Plain text on one line, at most NOTE_LIMIT characters."""
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"the note is longer than {NOTE_LIMIT} characters: shorten it")
    return note


def introduce(db, introducer, first_id, second_id, note, moment=None):
    """Record that `introducer` (a person's attendee row) introduces two of their contacts
    (person ids). Returns (the introduction row, {person id: its answer token})."""
    note = clean_note(note)
    moment = moment or datetime.now(timezone.utc)
    me = introducer["person_id"]
    try:
        first_id, second_id = sorted((int(first_id), int(second_id)))
    except (TypeError, ValueError):
        raise Invalid("choose the two people to introduce")
    if first_id == second_id:
        raise Invalid("choose two different people")
    if me in (first_id, second_id):
        raise Invalid("you cannot introduce yourself: choose two of your contacts")
    tokens = {first_id: secrets.token_urlsafe(32), second_id: secrets.token_urlsafe(32)}
    with write(db):
        _check_pair(db, me, first_id, second_id, moment)
        programme = db.execute("SELECT programme_id FROM people WHERE id = ?", [me]).fetchone()[0]
        cursor = db.execute(
            """INSERT INTO introductions (programme_id, introducer_id, first_id, second_id, note,
                   first_token_hash, second_token_hash, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [programme, me, first_id, second_id, note, token_hash(tokens[first_id]),
             token_hash(tokens[second_id]), _iso(moment), _iso(moment + timedelta(days=OPEN_DAYS))])
    return query(db, "SELECT * FROM introductions WHERE id = ?", [cursor.lastrowid])[0], tokens


def _check_pair(db, me, first_id, second_id, moment):
    """Refuse (with the reason) what may not be introduced, and past the day's limit."""
    mine = {row["person_id"]: row for row in contacts(db, me)}
    if first_id not in mine or second_id not in mine:
        raise Forbidden("you can only introduce people you have met yourself")
    first, second = mine[first_id], mine[second_id]
    names = f"{first['first_name']} {first['last_name']} and {second['first_name']} {second['last_name']}"
    if have_met(db, first_id, second_id):
        raise Conflict(f"{names} have met already")
    if _open_for_pair(db, first_id, second_id, moment):
        raise Conflict(f"{names} have been introduced already: that introduction is still open")
    for person in (first, second):
        if db.execute("SELECT mail_opt_out_at FROM attendees WHERE person_id = ? LIMIT 1",
                      [person["person_id"]]).fetchone()[0]:
            raise Conflict(f"{person['first_name']} {person['last_name']} asked for no more mail, "
                           "so cannot be introduced")
    made_today = db.execute("SELECT count(*) FROM introductions WHERE introducer_id = ? AND created_at > ?",
                            [me, _iso(moment - timedelta(days=1))]).fetchone()[0]
    if made_today >= DAILY_LIMIT:
        raise TooMany(f"you have made {DAILY_LIMIT} introductions in the last 24 hours: "
                      "that is the most a day, try again tomorrow")


def _open_for_pair(db, first_id, second_id, moment):
    return db.execute("""SELECT 1 FROM introductions WHERE first_id = ? AND second_id = ? AND expires_at > ?
                         AND NOT (first_answer IS 'accepted' AND second_answer IS 'accepted')""",
                      [first_id, second_id, _iso(moment)]).fetchone() is not None


def _iso(moment):
    return moment.isoformat(timespec="seconds")


def withdraw(db, introduction_id):
    """Take back an introduction whose mail could not go (nobody can have answered it)."""
    with write(db):
        db.execute("DELETE FROM introductions WHERE id = ?", [introduction_id])


def status(introduction, moment=None):
    """What the introducer is told: "accepted" (both did), "expired", else "waiting"
    (a decline, too, waits until it expires: nobody is told who declined)."""
    if introduction["first_answer"] == "accepted" and introduction["second_answer"] == "accepted":
        return "accepted"
    if introduction["expires_at"] <= _iso(moment or datetime.now(timezone.utc)):
        return "expired"
    return "waiting"


def made_by(db, person_id):
    """The introductions a person made, newest first, each with both names and its status."""
    rows = query(db, f"""SELECT i.*, f.first_name AS first_first_name, f.last_name AS first_last_name,
                                s.first_name AS second_first_name, s.last_name AS second_last_name
                         FROM introductions i JOIN attendees f ON f.id = {ROW_OF.format('i.first_id')}
                         JOIN attendees s ON s.id = {ROW_OF.format('i.second_id')}
                         WHERE i.introducer_id = ? ORDER BY i.created_at DESC, i.id DESC""", [person_id])
    return [{**row, "status": status(row)} for row in rows]


# ---------- answering ----------

def by_token(db, token):
    """The introduction an answer link opens, seen by the person it was sent to: the row,
    `side` ("first" or "second"), `me` and `other` (attendee rows), `introducer`'s names.
    NotFound for a link that is not (or no longer) one."""
    digest = token_hash(str(token or ""))
    rows = query(db, "SELECT * FROM introductions WHERE first_token_hash = ? OR second_token_hash = ?",
                 [digest, digest])
    if not rows:
        raise NotFound("this introduction link is not valid (it may have been withdrawn)")
    introduction = rows[0]
    side, other_side = ("first", "second") if introduction["first_token_hash"] == digest else ("second", "first")
    me, other, introducer = (person_row(db, introduction[f"{who}_id"])
                             for who in (side, other_side, "introducer"))
    return {"introduction": introduction, "side": side, "me": me, "other": other, "introducer": introducer,
            "answer": introduction[f"{side}_answer"], "status": status(introduction),
            "closes_on": closing_day(introduction)}


def closing_day(introduction):
    """"9 December 2026": the day an introduction expires (UTC)."""
    day = datetime.fromisoformat(introduction["expires_at"])
    return f"{day.day} {day:%B %Y}"


def person_row(db, person_id):
    return query(db, f"SELECT * FROM attendees WHERE id = {ROW_OF.format('?')}", [person_id])[0]


def answer(db, token, accept, moment=None):
    """Accept or decline through one's own link, once, while the introduction is open.
    Returns the view of `by_token` after the answer."""
    moment = moment or datetime.now(timezone.utc)
    with write(db):
        found = by_token(db, token)
        introduction, side = found["introduction"], found["side"]
        if found["answer"]:
            raise Conflict(f"you have already {found['answer']} this introduction")
        if introduction["expires_at"] <= _iso(moment):
            raise Conflict("this introduction has expired: nothing was shared")
        db.execute(f"UPDATE introductions SET {side}_answer = ? WHERE id = ?",
                   ["accepted" if accept else "declined", introduction["id"]])
    return by_token(db, token)


def introduced_contacts(db, person_id):
    """The people an accepted introduction made this person's contacts, newest first, each
    showing only what they share, and who introduced them."""
    rows = query(db, f"""SELECT o.*, i.created_at AS introduced_at,
                                b.first_name AS by_first_name, b.last_name AS by_last_name
                         FROM introductions i
                         JOIN attendees o ON o.id = {ROW_OF.format(
                             'CASE WHEN i.first_id = :me THEN i.second_id ELSE i.first_id END')}
                         JOIN attendees b ON b.id = {ROW_OF.format('i.introducer_id')}
                         WHERE :me IN (i.first_id, i.second_id) AND o.revoked_at IS NULL
                           AND i.first_answer = 'accepted' AND i.second_answer = 'accepted'
                         ORDER BY i.created_at DESC, i.id DESC""", {"me": person_id})
    return [{**contact_fields(row), "introduced_by": f"{row['by_first_name']} {row['by_last_name']}".strip(),
             "at": row["introduced_at"], "workshop": "", "note": "", "tags": []} for row in rows]


def introduction_counts(db, person_ids):
    """{person id: introductions they made that both people accepted}, for the leaderboard."""
    ids = list(person_ids)
    if not ids:
        return {}
    return dict(db.execute(
        f"""SELECT introducer_id, count(*) FROM introductions
            WHERE introducer_id IN ({','.join('?' * len(ids))})
              AND first_answer = 'accepted' AND second_answer = 'accepted'
            GROUP BY introducer_id""", ids).fetchall())


def for_page(db, person_id):
    """What /me shows of introductions: the contacts one may introduce, the people
    introduced to this person, and the introductions they made."""
    return {"introducible": contacts(db, person_id), "introduced": introduced_contacts(db, person_id),
            "introductions_made": made_by(db, person_id), "introduction_note_limit": NOTE_LIMIT}


def personal(db, person_id, *, with_notes=True):
    """The introductions a person made or was part of, for their data download: names, the
    note (left out for an organiser: it was written to the two people), when, their own
    answer and the status (never the other person's answer)."""
    rows = query(db, f"""SELECT i.*, b.first_name || ' ' || b.last_name AS introducer,
                                f.first_name || ' ' || f.last_name AS first, s.first_name || ' ' || s.last_name AS second
                         FROM introductions i
                         JOIN attendees b ON b.id = {ROW_OF.format('i.introducer_id')}
                         JOIN attendees f ON f.id = {ROW_OF.format('i.first_id')}
                         JOIN attendees s ON s.id = {ROW_OF.format('i.second_id')}
                         WHERE :me IN (i.introducer_id, i.first_id, i.second_id) ORDER BY i.created_at, i.id""",
                 {"me": person_id})
    return [{"introducer": row["introducer"], "introduced": [row["first"], row["second"]],
             "note": row["note"] if with_notes else "",
             "at": row["created_at"], "status": status(row),
             **({"my_answer": row[f"{side}_answer"]} if (side := _side(row, person_id)) else {})}
            for row in rows]


def _side(introduction, person_id):
    return {introduction["first_id"]: "first", introduction["second_id"]: "second"}.get(person_id)
