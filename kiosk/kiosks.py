"""Kiosk devices: each has a bearer token for the JSON API, stored only as a hash."""

from .codes import new_kiosk_token, token_hash
from .db import now, write
from .errors import Invalid
from .events import get_event, get_workshop


def create_kiosk(db, event_slug, name, workshop_slug=None):
    """Register a kiosk, or issue a new token for an existing one of that name
    (the old token stops working). Returns (kiosk row, token): the token is shown once."""
    event = get_event(db, event_slug)
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("the kiosk needs a name, like 'Door 1'")
    workshop = get_workshop(db, event, workshop_slug) if workshop_slug else None
    token = new_kiosk_token()
    with write(db):
        db.execute(
            """INSERT INTO kiosks (event_id, name, workshop_id, token_hash, created_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (event_id, name) DO UPDATE
               SET workshop_id = excluded.workshop_id, token_hash = excluded.token_hash,
                   created_at = excluded.created_at, revoked_at = NULL""",
            [event["id"], name, workshop["id"] if workshop else None, token_hash(token), now()],
        )
    return list_kiosks(db, event_slug, name=name)[0], token


def list_kiosks(db, event_slug, name=None):
    event = get_event(db, event_slug)
    sql = """SELECT k.id, k.name, k.layout, k.created_at, k.revoked_at, w.slug AS workshop
             FROM kiosks k LEFT JOIN workshops w ON w.id = k.workshop_id
             WHERE k.event_id = ?"""
    params = [event["id"]]
    if name is not None:
        sql += " AND k.name = ?"
        params.append(name)
    return list(db.query(sql + " ORDER BY k.name", params))


def authenticate(db, event_slug, token):
    """The kiosk holding this bearer token for this event, or None (unknown, revoked,
    or another event's kiosk)."""
    if not token:
        return None
    rows = list(db.query(
        """SELECT k.* FROM kiosks k JOIN events e ON e.id = k.event_id
           WHERE k.token_hash = ? AND e.slug = ? AND k.revoked_at IS NULL""",
        [token_hash(token), event_slug],
    ))
    return rows[0] if rows else None
