"""Programmes: a series of events (a fellowship's monthly workshops) whose people are one.

An event joins a programme when it is created or later. Joining with attendees already
registered makes each of them the programme's person with that email: someone new to the
programme keeps their badge code and link; someone already in it takes the programme's
code and link, and the ones they held for this event stay valid as aliases.
"""

from .db import now, query, write
from .errors import Conflict, NotFound
from .events import check_name, check_slug, get_event
from .people import CONSENT_FIELDS, OPT_IN_FIELDS, SHARED_FIELDS, programme_person_row

CONSENT = CONSENT_FIELDS + OPT_IN_FIELDS + ("consent_at", "consent_source")


def create_programme(db, slug, name):
    check_slug(slug, "programme slug")
    row = {"slug": slug, "name": check_name(name, "programme name"), "created_at": now()}
    with write(db):
        if db.execute("SELECT 1 FROM programmes WHERE slug = ?", [slug]).fetchone():
            raise Conflict(f"a programme with slug {slug!r} already exists")
        db["programmes"].insert(row)
    return get_programme(db, slug)


def get_programme(db, slug):
    rows = query(db, "SELECT * FROM programmes WHERE slug = ?", [slug])
    if not rows:
        raise NotFound(f"no programme {slug!r}")
    return rows[0]


def programme_of(db, event):
    """The event's programme row, or None."""
    if not event.get("programme_id"):
        return None
    return query(db, "SELECT * FROM programmes WHERE id = ?", [event["programme_id"]])[0]


def list_programmes(db):
    """Programmes with how many events and people each has, newest first."""
    return query(db, """SELECT p.*,
                          (SELECT count(*) FROM events e WHERE e.programme_id = p.id) AS events,
                          (SELECT count(*) FROM people x WHERE x.programme_id = p.id) AS people
                        FROM programmes p ORDER BY p.created_at DESC, p.id DESC""")


def programme_events(db, programme_id):
    """The programme's events, in the order they are held."""
    return query(db, "SELECT * FROM events WHERE programme_id = ? ORDER BY starts_at, id", [programme_id])


def programme_locked(db, event):
    """An event in a programme with attendees stays in it: they carry its badges."""
    return bool(event["programme_id"]) and bool(
        db.execute("SELECT 1 FROM attendees WHERE event_id = ? LIMIT 1", [event["id"]]).fetchone())


def set_event_programme(db, event_slug, programme_slug):
    """Put an event in a programme ("" or None: in none). An event whose attendees already
    share a programme's badges cannot leave it or move to another."""
    with write(db):
        event = get_event(db, event_slug)
        programme = get_programme(db, programme_slug) if programme_slug else None
        target = programme["id"] if programme else None
        if event["programme_id"] == target:
            return get_event(db, event_slug)
        if programme_locked(db, event):
            raise Conflict(f"{event['name']} has attendees carrying the badges of its programme: "
                           "an event with attendees cannot leave its programme")
        db.execute("UPDATE events SET programme_id = ? WHERE id = ?", [target, event["id"]])
        if target is not None:
            for row in query(db, "SELECT * FROM attendees WHERE event_id = ?", [event["id"]]):
                _join(db, target, row)
    return get_event(db, event_slug)


def _join(db, programme_id, row):
    """Make a standalone attendee row the programme's person with its email."""
    person = programme_person_row(db, programme_id, row["email"], "a.*")
    if person is None:
        db.execute("UPDATE people SET programme_id = ? WHERE id = ?", [programme_id, row["person_id"]])
        return
    old_person = row["person_id"]
    chosen, aliases = _merged(person, row)
    row_photo = _row_photo_wins(db, person, row)
    # The row becomes the person's; its own person goes (their code and key stay valid here).
    db.execute("UPDATE person_aliases SET person_id = ? WHERE person_id = ?", [person["person_id"], old_person])
    if row_photo:
        db.execute("DELETE FROM headshots WHERE person_id = ?", [person["person_id"]])
    db.execute("UPDATE OR IGNORE headshots SET person_id = ? WHERE person_id = ?", [person["person_id"], old_person])
    db.execute("UPDATE attendees SET person_id = ? WHERE id = ?", [person["person_id"], row["id"]])
    db.execute("DELETE FROM people WHERE id = ?", [old_person])
    if chosen["code"] != person["code"]:  # the programme's badge was the lost one
        db.execute("UPDATE person_aliases SET kind = 'retired' WHERE kind = 'code' AND person_id = ?",
                   [person["person_id"]])
    db.conn.executemany("INSERT OR IGNORE INTO person_aliases (kind, value, person_id) VALUES (?, ?, ?)",
                        [(kind, value, person["person_id"]) for kind, value in aliases])
    sets = ", ".join(f"{field} = :{field}" for field in chosen)
    db.execute(f"UPDATE attendees SET {sets} WHERE id = :id", {**chosen, "id": row["id"]})
    photo = row["photo"] if row_photo else person["photo"]
    db.execute("UPDATE attendees SET photo = ? WHERE person_id = ? AND photo IS NOT ?",
               [photo, person["person_id"], photo])


def _merged(person, row):
    """What the person is after `row` joins them: (shared fields, aliases to keep)."""
    chosen = {field: person[field] for field in SHARED_FIELDS}
    aliases = [("key", row["private_key"])]
    if person["revoked_at"] and not row["revoked_at"]:
        # The programme's badge was revoked (lost) and this one is good: it becomes theirs.
        chosen.update(code=row["code"], revoked_at=None, badge_printed_at=row["badge_printed_at"],
                      print_count=row["print_count"])
        aliases.append(("retired", person["code"]))  # for mail already sent (unsubscribe), never a badge
    else:  # a lost badge stays dead
        aliases.append(("retired" if row["revoked_at"] else "code", row["code"]))
    if _choice_rank(row) > _choice_rank(person):
        chosen.update({field: row[field] for field in CONSENT})
    # An opt-out made on either side stands.
    chosen["mail_opt_out_at"] = min(filter(None, (person["mail_opt_out_at"], row["mail_opt_out_at"])), default=None)
    chosen["leaderboard_opt_out"] = max(person["leaderboard_opt_out"], row["leaderboard_opt_out"])
    return chosen, aliases


def _choice_rank(row):
    """Choices the person made themselves beat an import's or an event's defaults; then the newest."""
    return (row["consent_source"] == "attendee", row["consent_at"])


def _row_photo_wins(db, person, row):
    """Both have a photo: the one whose full-size original is newer (or the only one)."""
    if row["photo"] is None:
        return False
    if person["photo"] is None:
        return True
    taken = dict(db.execute("SELECT person_id, created_at FROM headshots WHERE person_id IN (?, ?)",
                            [person["person_id"], row["person_id"]]).fetchall())
    return taken.get(row["person_id"], "") > taken.get(person["person_id"], "")
