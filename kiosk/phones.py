"""Phones an attendee's identity is open on.

Opening a private link (or the one-time QR a kiosk shows after a badge scan) and
confirming binds the phone: a random session id goes into its signed cookie and only
its hash is stored here, with a short device description, creation and last-seen
times and an expiry. The attendee sees these devices on /me and can end any of them;
replacing the private link, revoking the badge or erasing the record ends them all.
"""

import re
import secrets
from datetime import datetime, timedelta, timezone

from .codes import token_hash
from .db import now, query, write
from .people import current_registration, person_id_for

KEEP_AFTER_EVENT = timedelta(days=30)  # to look back at /me and download contacts
ACTIVATION_SECONDS = 300               # the kiosk's QR: shown 30 s, valid 5 minutes to confirm
SEEN_EVERY = timedelta(minutes=5)      # last-seen is written at most this often (no write per page)
ATTENDEE = "a.*, e.slug AS event_slug"


def open_session(db, attendee, user_agent=""):
    """Bind a phone to `attendee`; returns (session token for the cookie, expiry)."""
    token = secrets.token_urlsafe(32)
    expires = session_expiry(db, attendee)
    stamp = now()
    with write(db):
        db.execute(
            """INSERT INTO attendee_sessions (attendee_id, token_hash, device, created_at, last_seen_at, expires_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [attendee["id"], token_hash(token), device_name(user_agent), stamp, stamp,
             expires.isoformat(timespec="seconds")],
        )
    return token, expires


def session_expiry(db, attendee):
    """A month after scanning closes at the person's last event (in a programme, the last
    they are registered for), and never less than a month from now."""
    events = query(db, """SELECT e.ends_at, e.grace_minutes FROM attendees a JOIN events e ON e.id = a.event_id
                          WHERE a.person_id = (SELECT person_id FROM attendees WHERE id = ?)""", [attendee["id"]])
    closes = max(datetime.fromisoformat(e["ends_at"]) + timedelta(minutes=e["grace_minutes"]) for e in events)
    return max(closes + KEEP_AFTER_EVENT, datetime.now(timezone.utc) + KEEP_AFTER_EVENT)


def extend_sessions(db, attendee):
    """A person registered for one more event of their programme: the phones they use now
    stay theirs until a month after it (one phone for the whole series)."""
    db.execute(f"""UPDATE attendee_sessions SET expires_at = max(expires_at, ?)
                   WHERE attendee_id IN {_ROWS_OF_PERSON} AND ended_at IS NULL AND expires_at > ?""",
               [session_expiry(db, attendee).isoformat(timespec="seconds"), attendee["id"], now()])


def session_attendee(db, token):
    """(attendee with event_slug, session id) for a live session token, else (None, None)."""
    if not token:
        return None, None
    rows = query(
        db,
        f"""SELECT {ATTENDEE}, e.programme_id, s.id AS session_id, s.last_seen_at
            FROM attendee_sessions s JOIN attendees a ON a.id = s.attendee_id
            JOIN events e ON e.id = a.event_id
            WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND a.revoked_at IS NULL""",
        [token_hash(token), now()],
    )
    if not rows:
        return None, None
    row = rows[0]
    if row.pop("programme_id") is not None:  # the person's event open now, else the latest
        current = current_registration(db, row["person_id"])
        row = {**current, "session_id": row["session_id"], "last_seen_at": row["last_seen_at"]}
    if datetime.fromisoformat(row.pop("last_seen_at")) < datetime.now(timezone.utc) - SEEN_EVERY:
        with write(db):
            db.execute("UPDATE attendee_sessions SET last_seen_at = ? WHERE id = ?", [now(), row["session_id"]])
    return row, row.pop("session_id")


def devices(db, attendee):
    """The phones this identity is open on, most recently seen first."""
    return query(
        db,
        """SELECT id, device, created_at, last_seen_at FROM attendee_sessions
           WHERE attendee_id IN (SELECT id FROM attendees WHERE person_id = ?) AND ended_at IS NULL
             AND expires_at > ? ORDER BY last_seen_at DESC, id DESC""",
        [attendee["person_id"], now()],
    )


def end_session(db, attendee, session_id):
    """End one of the attendee's own sessions (another phone, or this one)."""
    with write(db):
        db.execute(f"UPDATE attendee_sessions SET ended_at = ? WHERE id = ? AND attendee_id IN {_ROWS_OF_PERSON} "
                   "AND ended_at IS NULL", [now(), session_id, attendee["id"]])


def end_all_sessions(db, attendee_id):
    """Every phone the attendee's identity is open on (a replaced link, a revoked badge),
    at any event of their programme, and every kiosk QR not yet used to open it."""
    db.execute(f"UPDATE attendee_sessions SET ended_at = ? WHERE attendee_id IN {_ROWS_OF_PERSON} "
               "AND ended_at IS NULL", [now(), attendee_id])
    db.execute(f"DELETE FROM activations WHERE attendee_id IN {_ROWS_OF_PERSON}", [attendee_id])


# The rows of the person an attendee row belongs to (one per event of their programme).
_ROWS_OF_PERSON = "(SELECT id FROM attendees WHERE person_id = (SELECT person_id FROM attendees WHERE id = ?))"


# ---------- the kiosk's one-time activation QR ----------

def issue_activation(db, kiosk, code):
    """A one-time token for the QR a kiosk shows right after a badge scan of `code`; None
    when the person was ever checked in from a self-service name search, at any event of
    their programme (the badge printed for them then proves nothing: anyone can type a name)."""
    token = "a" + secrets.token_urlsafe(24)
    expires = datetime.now(timezone.utc) + timedelta(seconds=ACTIVATION_SECONDS)
    with write(db):
        attendee_id = db.execute(
            """SELECT a.id FROM attendees a
               WHERE a.event_id = (SELECT event_id FROM kiosks WHERE id = ? AND token_hash = ?
                                   AND revoked_at IS NULL) AND a.code = ? AND NOT EXISTS
               (SELECT 1 FROM checkins c JOIN attendees x ON x.id = c.attendee_id
                WHERE x.person_id = a.person_id AND c.by_search)""",
            [kiosk["id"], kiosk["token_hash"], code]).fetchone()
        if attendee_id is None:  # (also a kiosk revoked or re-issued since it was authenticated)
            return None
        db.execute("DELETE FROM activations WHERE expires_at < ?", [now()])
        db.execute("INSERT INTO activations (token_hash, attendee_id, kiosk_id, expires_at) VALUES (?, ?, ?, ?)",
                   [token_hash(token), attendee_id[0], kiosk["id"], expires.isoformat(timespec="seconds")])
    return token


def link_holder(db, key):
    """The attendee a /me/ link names: a private key, or an unused, unexpired activation
    token. Returns (attendee with event_slug, activation hash or None), or (None, None)."""
    if not key:
        return None, None
    person_id = person_id_for(db, "key", key)
    if person_id is not None:
        holder = current_registration(db, person_id)
        return (holder, None) if holder and not holder["revoked_at"] else (None, None)
    hashed = token_hash(key)
    rows = query(db, f"""SELECT {ATTENDEE} FROM activations t JOIN attendees a ON a.id = t.attendee_id
                         JOIN events e ON e.id = a.event_id
                         WHERE t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ?
                           AND a.revoked_at IS NULL""", [hashed, now()])
    return (rows[0], hashed) if rows else (None, None)


def use_activation(db, hashed):
    """Spend a one-time activation token; False when it was used (or expired) meanwhile."""
    with write(db):
        return db.execute("UPDATE activations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
                          "AND expires_at > ?", [now(), hashed, now()]).rowcount == 1


# ---------- a short name for the device, from its User-Agent ----------

_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_BROWSERS = (("EdgA?/", "Edge"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/|FxiOS/", "Firefox"),
             ("Chrome/|CriOS/|Chromium/", "Chrome"), ("Safari/", "Safari"))


def device_name(user_agent):
    """"Chrome on Android", "Safari on iPhone"...: enough to tell one's phones apart."""
    agent = user_agent or ""
    system = next((name for marker, name in _SYSTEMS if marker in agent), "")
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
