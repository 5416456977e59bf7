"""The organiser's attendee list: filters with their counts, sorts, pages of 50, and the
same selection as CSV. Plain functions over a db, used by the page and the exports."""

import math
from dataclasses import dataclass

from .attendees import search_expression
from .db import query
from .events import get_event, local_iso

PER_PAGE = 50
# Each filter is a condition on `a` (the attendee) and `c` (their door check-in).
FILTERS = {
    "all": ("Everyone", "1"),
    "checked_in": ("Checked in", "c.id IS NOT NULL"),
    "not_checked_in": ("Not yet", "c.id IS NULL AND a.revoked_at IS NULL"),
    "printed": ("Badge printed", "a.badge_printed_at IS NOT NULL"),
    "not_printed": ("Not printed", "a.badge_printed_at IS NULL AND a.revoked_at IS NULL"),
    "revoked": ("Revoked", "a.revoked_at IS NOT NULL"),
    "walk_in": ("Walk-ins", "EXISTS (SELECT 1 FROM consent_log l WHERE l.attendee_id = a.id"
                            " AND l.source = 'walk-in')"),
    "has_photo": ("Has photo", "a.has_photo"),
}
SORTS = {
    "name": ("Name", "a.last_name COLLATE NOCASE, a.first_name COLLATE NOCASE, a.id"),
    "organisation": ("Organisation", "a.organisation = '', a.organisation COLLATE NOCASE, "
                                     "a.last_name COLLATE NOCASE, a.first_name COLLATE NOCASE, a.id"),
    "checked_in": ("Check-in time", "c.at IS NULL, c.at DESC, a.id"),
}
COLUMNS = """a.id, a.first_name, a.last_name, a.email, a.organisation, a.role, a.code,
             a.share_email, a.share_linkedin, a.allow_scan, a.revoked_at, a.badge_printed_at,
             a.print_count, a.has_photo, c.at AS checked_in_at"""
CSV_COLUMNS = ("email", "first_name", "last_name", "organisation", "role", "code",
               "checked_in_at", "badge_printed_at", "revoked_at")


@dataclass
class Selection:
    """What the organiser asked the list for; unknown values fall back to the defaults."""

    search: str = ""
    status: str = "all"
    sort: str = "name"
    page: int = 1

    def __post_init__(self):
        self.status = self.status if self.status in FILTERS else "all"
        self.sort = self.sort if self.sort in SORTS else "name"
        self.page = max(int(self.page), 1)


def _source(selection):
    """FROM clause and parameters: with a search, start from the index's matches."""
    match = search_expression(selection.search)
    source = (
        "(SELECT rowid AS id FROM attendee_search WHERE attendee_search MATCH :match) m "
        "CROSS JOIN attendees a ON a.id = m.id" if match else "attendees a"
    )
    return (f"{source} LEFT JOIN checkins c ON c.attendee_id = a.id AND c.workshop_id IS NULL",
            match)


def filter_counts(db, event, search=""):
    """How many attendees each filter shows (within the search, when there is one)."""
    selection = Selection(search=search)
    source, match = _source(selection)
    if selection.search.strip() and not match:
        return dict.fromkeys(FILTERS, 0)
    sums = ", ".join(f"sum({condition})" for _, condition in FILTERS.values())
    row = db.execute(f"SELECT {sums} FROM {source} WHERE a.event_id = :event",
                     {"event": event["id"], "match": match}).fetchone()
    return {name: total or 0 for name, total in zip(FILTERS, row)}


def select(db, event, selection, *, limit=None, offset=0):
    """The attendees the selection shows, in its order; a page of them with `limit`."""
    source, match = _source(selection)
    if selection.search.strip() and not match:
        return []  # only punctuation was typed: nothing can match
    where = f"a.event_id = :event AND {FILTERS[selection.status][1]}"
    order = SORTS[selection.sort][1]
    params = {"event": event["id"], "match": match}
    if not limit:
        return query(db, f"SELECT {COLUMNS} FROM {source} WHERE {where} ORDER BY {order}", params)
    # A page: find its ids first (the listing index answers that without reading rows),
    # then read just those fifty rows, rather than every matching row before the sort.
    ids = [row[0] for row in db.execute(
        f"SELECT a.id FROM {source} WHERE {where} ORDER BY {order} LIMIT {int(limit)} "
        f"OFFSET {int(offset)}", params)]
    rows = query(db, f"""SELECT {COLUMNS} FROM attendees a LEFT JOIN checkins c
                         ON c.attendee_id = a.id AND c.workshop_id IS NULL
                         WHERE a.id IN ({", ".join("?" * len(ids))})""", ids)
    position = {attendee_id: i for i, attendee_id in enumerate(ids)}
    return sorted(rows, key=lambda row: position[row["id"]])


def attendee_page(db, event_slug, selection):
    """One page of the list, with the counts per filter and how many pages there are."""
    event = get_event(db, event_slug)
    counts = filter_counts(db, event, selection.search)
    pages = max(math.ceil(counts[selection.status] / PER_PAGE), 1)
    selection.page = min(selection.page, pages)
    rows = select(db, event, selection, limit=PER_PAGE, offset=(selection.page - 1) * PER_PAGE)
    return {"event": event, "attendees": rows, "counts": counts, "pages": pages,
            "selection": selection}


def csv_rows(db, event_slug, selection):
    """Everyone the selection shows, times with the event's UTC offset."""
    event = get_event(db, event_slug)
    rows = select(db, event, selection)
    for row in rows:
        for column in ("checked_in_at", "badge_printed_at", "revoked_at"):
            row[column] = local_iso(event, row[column])
    return rows
