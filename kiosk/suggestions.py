"""People to meet next time: suggestions on /me and in digests.

Who may be suggested: only people who opted in (consent `allow_suggest`, off until they
tick it), not revoked, not you, and never anyone you already met (a connection either
way, at any event of the programme) or were introduced to. Where you could meet them:
in a programme, at one of its events still to come (they are registered for it); at a
standalone event, which has no next time, among the people who checked in there (so
someone who met nobody can still look them up: the 0.2.0 "people you could still reach").

Ranked by, in turn: from another organisation or another year (role) than you; met by
more of your contacts; more workshops in common (both checked in); then by name. Each
says why in words. Only a suggested person's name, role and organisation ever leave this
module: never an email, LinkedIn, photo or badge code.

One query per reader, set-based over the whole programme (bench/suggestions.py).
"""

from datetime import datetime, timezone

from .db import query
from .introductions import CONTACTS

LIMIT = 8
SEPARATOR = "\x1f"  # between workshop titles in one column

# The pool: people who agreed to be suggested, at a programme event still to come or,
# for a standalone event, checked in at it (found from the event's check-ins, an index
# away, not by reading every registration: a digest run asks once per recipient).
PROGRAMME_POOL = """
    SELECT DISTINCT a.person_id FROM events e JOIN attendees a ON a.event_id = e.id
    WHERE e.programme_id = :programme AND e.starts_at > :now
      AND a.allow_suggest = 1 AND a.revoked_at IS NULL AND a.person_id != :me"""
EVENT_POOL = """
    SELECT DISTINCT a.person_id FROM checkins c JOIN attendees a ON a.id = c.attendee_id
    WHERE c.event_id = :event AND a.allow_suggest = 1 AND a.revoked_at IS NULL AND a.person_id != :me"""

SUGGESTIONS = """
WITH {contacts},
met(pid) AS (  -- anyone with a connection to me either way, seen by me or not, and my contacts
    SELECT o.person_id FROM attendees m
      JOIN connections c ON c.event_id = m.event_id AND c.scanner_id = m.id
      JOIN attendees o ON o.id = c.scanned_id WHERE m.person_id = :me
    UNION SELECT o.person_id FROM attendees m JOIN connections c ON c.scanned_id = m.id
      JOIN attendees o ON o.id = c.scanner_id WHERE m.person_id = :me
    UNION SELECT pid FROM contacts),
candidates(pid) AS MATERIALIZED (SELECT person_id FROM ({pool}) WHERE person_id NOT IN met),
via(pid, contact) AS (  -- my contacts who met each candidate
    SELECT x.person_id, y.person_id FROM candidates k JOIN attendees x ON x.person_id = k.pid
      JOIN connections c ON c.event_id = x.event_id AND c.scanner_id = x.id
      JOIN attendees y ON y.id = c.scanned_id WHERE y.person_id IN contacts
    UNION SELECT x.person_id, y.person_id FROM candidates k JOIN attendees x ON x.person_id = k.pid
      JOIN connections c ON c.scanned_id = x.id
      JOIN attendees y ON y.id = c.scanner_id WHERE y.person_id IN contacts),
shared(pid, workshop, title) AS (  -- workshops both of us checked in at
    SELECT DISTINCT x.person_id, w.id, w.title FROM attendees m
      JOIN checkins mc ON mc.attendee_id = m.id AND mc.workshop_id IS NOT NULL
      JOIN checkins xc ON xc.event_id = mc.event_id AND xc.workshop_id = mc.workshop_id
      JOIN attendees x ON x.id = xc.attendee_id
      JOIN workshops w ON w.id = mc.workshop_id
    WHERE m.person_id = :me AND x.person_id IN candidates)
SELECT x.first_name, x.last_name, x.role, x.organisation, coalesce(v.n, 0) AS via_contacts, w.titles AS workshops
FROM candidates k JOIN attendees x ON x.id = (SELECT min(id) FROM attendees WHERE person_id = k.pid)
LEFT JOIN (SELECT pid, count(*) AS n FROM via GROUP BY pid) v ON v.pid = k.pid
LEFT JOIN (SELECT pid, group_concat(title, char(31)) AS titles FROM shared GROUP BY pid) w ON w.pid = k.pid
"""


def suggestions(db, me, event, *, limit=LIMIT, moment=None):
    """Up to `limit` people `me` (an attendee row of `event`) could meet next, best first:
    dicts of first_name, last_name, role, organisation and `why` (words), nothing else."""
    moment = moment or datetime.now(timezone.utc)
    pool = PROGRAMME_POOL if event.get("programme_id") else EVENT_POOL
    rows = query(db, SUGGESTIONS.format(contacts=CONTACTS, pool=pool),
                 {"me": me["person_id"], "programme": event.get("programme_id"), "event": event["id"],
                  "now": moment.isoformat(timespec="seconds")})
    ranked = sorted((_with_reasons(row, me) for row in rows), key=_rank)
    return [{key: person[key] for key in ("first_name", "last_name", "role", "organisation", "why")}
            for person in ranked[:limit]]


def _differs(mine, theirs):
    """Another organisation or year: only when both are known."""
    mine, theirs = " ".join(mine.split()).casefold(), " ".join(theirs.split()).casefold()
    return bool(mine and theirs and mine != theirs)


def _with_reasons(row, me):
    workshops = sorted(set((row["workshops"] or "").split(SEPARATOR)) - {""})
    person = {**row, "workshops": workshops,
              "other_organisation": _differs(me["organisation"], row["organisation"]),
              "other_year": _differs(me["role"], row["role"])}
    return {**person, "why": why(person)}


def _rank(person):
    return (-(person["other_organisation"] + person["other_year"]), -person["via_contacts"],
            -len(person["workshops"]), person["last_name"].casefold(), person["first_name"].casefold())


def why(person):
    """"Another organisation · met by 3 of your contacts · also at Leadership"."""
    reasons = []
    if person["other_organisation"]:
        reasons.append("another organisation")
    if person["other_year"]:
        reasons.append("another year or role")
    if person["via_contacts"]:
        count = person["via_contacts"]
        reasons.append(f"met by {count} of your contacts" if count > 1 else "met by one of your contacts")
    if person["workshops"]:
        reasons.append("also at " + _joined(person["workshops"]))
    text = " · ".join(reasons) or "not met yet"
    return text[0].upper() + text[1:]


def _joined(titles):
    """"Leadership", "Leadership and Ethics", "Leadership, Ethics and Pitching", "4 of your workshops"."""
    if len(titles) > 3:
        return f"{len(titles)} of your workshops"
    if len(titles) == 1:
        return titles[0]
    return f"{', '.join(titles[:-1])} and {titles[-1]}"
