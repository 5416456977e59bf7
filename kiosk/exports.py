"""CSV written for spreadsheets (cells that a spreadsheet would run as a formula are
neutralised), and the attendance export."""

import csv
import io

from .db import query
from .events import get_event, local_iso

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Prefix a quote to text that starts like a formula (CSV injection); numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows, columns):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return out.getvalue()


ATTENDANCE_COLUMNS = ("email", "first_name", "last_name", "organisation", "role",
                      "checked_in_at", "workshops")


def attendance_rows(db, event_slug):
    """One row per attendee: when they checked in at the door (ISO, with the event's UTC
    offset; empty when they did not) and the workshops they attended (slugs, `;`)."""
    event = get_event(db, event_slug)
    rows = query(
        db,
        """SELECT a.email, a.first_name, a.last_name, a.organisation, a.role,
                  c.at AS checked_in_at,
                  (SELECT group_concat(slug, ';') FROM (
                       SELECT w.slug FROM checkins wc JOIN workshops w ON w.id = wc.workshop_id
                       WHERE wc.attendee_id = a.id ORDER BY w.slug)) AS workshops
           FROM attendees a
           LEFT JOIN checkins c ON c.attendee_id = a.id AND c.workshop_id IS NULL
           WHERE a.event_id = ?
           ORDER BY a.last_name COLLATE NOCASE, a.first_name COLLATE NOCASE, a.id""",
        [event["id"]],
    )
    for row in rows:
        row["checked_in_at"] = local_iso(event, row["checked_in_at"])
        row["workshops"] = row["workshops"] or ""
    return rows
