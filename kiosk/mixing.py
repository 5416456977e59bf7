"""How a programme's cohort mixes, for its organisers: who met whom between organisations
(a matrix), how many people met someone from another organisation, and how the network
grew event by event.

Everything is counted in persons (a fellow at three events is one) and in pairs of
persons who met (met at two events, or each saving the other, is one pair). A person's
organisation is the one they have now; a blank one is "No organisation" and never counts
as "another" organisation. Revoked people are left out.
"""

from datetime import datetime

from .db import query
from .events import zone
from .programmes import get_programme, programme_events

MATRIX_SIZE = 12  # the largest organisations get a row each; the rest share one
OTHERS = "Other organisations"
NONE = "No organisation"


def mixing(db, programme_slug):
    programme = get_programme(db, programme_slug)
    people = {row["person_id"]: row["organisation"].strip() for row in query(
        db, """SELECT a.person_id, a.organisation FROM attendees a JOIN events e ON e.id = a.event_id
               WHERE e.programme_id = ? AND a.revoked_at IS NULL GROUP BY a.person_id""", [programme["id"]])}
    meetings = _meetings(db, programme["id"], people)
    pairs = {(m["a"], m["b"]) for m in meetings}
    return {"programme": programme, "people": len(people), "pairs": len(pairs),
            "matrix": matrix(people, pairs), "across": across(people, pairs),
            "growth": growth(db, programme["id"], meetings)}


def _meetings(db, programme_id, people):
    """Each pair of (non-revoked) persons who met, once per event: {a, b, event_id}, a < b."""
    rows = db.execute(
        """SELECT DISTINCT min(s.person_id, d.person_id), max(s.person_id, d.person_id), c.event_id
           FROM connections c JOIN events e ON e.id = c.event_id
           JOIN attendees s ON s.id = c.scanner_id JOIN attendees d ON d.id = c.scanned_id
           WHERE e.programme_id = ?""", [programme_id])
    return [{"a": a, "b": b, "event_id": event} for a, b, event in rows if a in people and b in people]


def _label(organisation):
    return organisation or NONE


def matrix(people, pairs, size=MATRIX_SIZE):
    """{labels, sizes (people each), rows: [(label, [count per label])], top}: pairs of
    persons who met, by their organisations, the largest organisations first (by people),
    the rest as one, "No organisation" last."""
    sizes = {}
    for organisation in people.values():
        sizes[_label(organisation)] = sizes.get(_label(organisation), 0) + 1
    ranked = sorted(sizes, key=lambda org: (org == NONE, -sizes[org], org.casefold()))
    labels = ranked[:size] + ([OTHERS] if len(ranked) > size else [])
    index = {org: min(i, size) for i, org in enumerate(ranked)}
    people_per_label = [0] * len(labels)
    for organisation in people.values():
        people_per_label[index[_label(organisation)]] += 1
    counts = [[0] * len(labels) for _ in labels]
    for a, b in pairs:
        i, j = index[_label(people[a])], index[_label(people[b])]
        counts[i][j] += 1
        if i != j:
            counts[j][i] += 1
    return {"labels": labels, "sizes": people_per_label, "rows": list(zip(labels, counts)),
            "top": max((max(row) for row in counts), default=0)}


def across(people, pairs):
    """{people, count, percent}: how many of the programme's people met at least one person
    from another organisation (both organisations known)."""
    mixed = set()
    for a, b in pairs:
        if people[a] and people[b] and people[a].casefold() != people[b].casefold():
            mixed.update((a, b))
    total = len(people)
    return {"people": total, "count": len(mixed), "percent": round(100 * len(mixed) / total) if total else 0}


def growth(db, programme_id, meetings):
    """Event by event, in the order held: its month, the pairs who met there and the people
    in them, and the network so far (pairs and people, each counted once)."""
    rows, seen_pairs, seen_people = [], set(), set()
    for event in programme_events(db, programme_id):
        here = {(m["a"], m["b"]) for m in meetings if m["event_id"] == event["id"]}
        people_here = {p for pair in here for p in pair}
        seen_pairs |= here
        seen_people |= people_here
        rows.append({"event": event, "month": _month(event), "pairs": len(here), "people": len(people_here),
                     "pairs_so_far": len(seen_pairs), "people_so_far": len(seen_people)})
    return rows


def _month(event):
    return datetime.fromisoformat(event["starts_at"]).astimezone(zone(event["timezone"])).strftime("%B %Y")
