"""Printing an event's badges: whom to print, rendering through `badges`, recording prints.

Used alike by `flask --app kiosk badges`, the organiser's badge page and the
kiosk API's single-badge PDF.
"""

import io
import os
import re
import subprocess
from pathlib import Path

from badges import LAYOUTS, SORT_KEYS, get_layout, render_badges, sort_badges

from .codes import parse_badge_code
from .db import now, query, write
from .kiosks import confirm_kiosk_now
from .errors import Invalid, KioskError, NotFound
from .events import get_event

COLUMNS = """id, first_name, last_name, role, organisation, pronouns, code, revoked_at,
             badge_printed_at, photo IS NOT NULL AS has_photo"""
PREVIEW_DPI = 110
SORTS = tuple(SORT_KEYS)
LAYOUT_NAMES = tuple(LAYOUTS)

PRINT_TIMEOUT_SECONDS = 30
CUPS_JOB = re.compile(rb"request id is (\S+)-(\d+)")


class PrinterError(KioskError):
    """The printer did not take the badge; the message says why, for the kiosk's staff."""

    status = 503
    result = "printer_failed"


def select_for_printing(db, event_slug, *, attendees=(), only_unprinted=False, sort="last_name"):
    """The event and the badge records to print: the named attendees (email or badge
    code), or everyone not revoked (only those never printed, if asked), in order."""
    event = get_event(db, event_slug)
    if sort not in SORTS:
        raise Invalid(f"unknown order {sort!r}; choose one of {', '.join(SORTS)}")
    if attendees:
        rows = [_named(db, event, name) for name in attendees]
    else:
        sql = f"SELECT {COLUMNS} FROM attendees WHERE event_id = ? AND revoked_at IS NULL"
        if only_unprinted:
            sql += " AND badge_printed_at IS NULL"
        rows = sort_badges(query(db, sql, [event["id"]]), by=sort)
    return event, [_record(db, row) for row in rows]


def _named(db, event, name):
    code = parse_badge_code(name)
    rows = query(
        db,
        f"SELECT {COLUMNS} FROM attendees WHERE event_id = ? AND (email = ? OR code = ?)",
        [event["id"], name.strip(), code],
    )
    if not rows:
        raise NotFound(f"no attendee with email or badge code {name!r} in event {event['slug']!r}")
    if rows[0]["revoked_at"]:
        raise Invalid(f"the badge of {name} is revoked; restore it before printing")
    return rows[0]


def _record(db, row):
    """The row itself (not a copy: a 50,000-badge run holds every record) with its photo
    as a function, loaded when drawn, so a long run never holds every photo at once."""
    if row["has_photo"]:
        row["photo"] = lambda: db.execute("SELECT photo FROM attendees WHERE id = ?", [row["id"]]).fetchone()[0]
    return row


def print_badges(db, event_slug, out, *, base_url, layout, attendees=(), only_unprinted=False,
                 sort="last_name", start_at=1, font_dir=None, on_badge=None, record=True,
                 limit=None):
    """Render the chosen badges (the first `limit` of them) as a PDF into `out` and,
    unless record=False, note when each was printed. Returns the renderer's report."""
    event, records = select_for_printing(
        db, event_slug, attendees=attendees, only_unprinted=only_unprinted, sort=sort
    )
    records = records[:limit]
    if not records:
        raise Invalid("no badges to print" + (": every badge has been printed" if only_unprinted else ""))
    try:
        report = render_badges(
            records, out, event_name=event["name"], base_url=base_url, layout=layout,
            font_dir=font_dir or None, start_at=start_at, on_badge=on_badge,
        )
    except ValueError as exc:  # an unknown layout or a start position off the sheet
        raise Invalid(str(exc))
    if record:
        with write(db):
            mark_printed(db, [r["id"] for r in records])
    return report


def mark_printed(db, attendee_ids):
    """Note a print of each badge: when it was last printed, and how many times."""
    stamp = now()
    db.conn.executemany(
        "UPDATE attendees SET badge_printed_at = ?, print_count = print_count + 1 WHERE id = ?",
        [(stamp, attendee_id) for attendee_id in attendee_ids],
    )


def record_print(db, event_slug, code_text, kiosk):
    """Count one print of a badge at the door (the first or a reprint) by `kiosk`, as it
    is now (confirm_kiosk); returns the count."""
    event = get_event(db, event_slug)
    with write(db):
        confirm_kiosk_now(db, kiosk)
        row = db.execute(
            "SELECT id, revoked_at FROM attendees WHERE event_id = ? AND code = ?",
            [event["id"], parse_badge_code(code_text)],
        ).fetchone()
        if row is None or row[1]:
            raise NotFound("unknown or revoked badge")
        mark_printed(db, [row[0]])
        return db.execute("SELECT print_count FROM attendees WHERE id = ?", [row[0]]).fetchone()[0]


def badge_pdf(db, event_slug, code, *, base_url, layout, font_dir=None):
    """One attendee's badge as PDF bytes, for a kiosk printing at the door (records nothing)."""
    buffer = io.BytesIO()
    print_badges(db, event_slug, buffer, base_url=base_url, layout=layout, attendees=[code],
                 font_dir=font_dir, record=False)
    return buffer.getvalue()


def check_choice(layout, sort, start_at):
    """The badge page's choices, each with a message a person can act on."""
    if layout not in LAYOUT_NAMES:
        raise Invalid(f"unknown badge stock {layout!r}; choose one of {', '.join(LAYOUT_NAMES)}")
    if sort not in SORTS:
        raise Invalid(f"unknown order {sort!r}; choose one of {', '.join(SORTS)}")
    per_page = get_layout(layout).per_page
    if not isinstance(start_at, int) or not 1 <= start_at <= per_page:
        raise Invalid(f"the start position must be a number from 1 to {per_page}: "
                      f"{layout} has {per_page} badge{'s' if per_page > 1 else ''} on a page")

def send_to_printer(command, pdf, timeout=PRINT_TIMEOUT_SECONDS):
    """Run a kiosk's print command (an argument list; no shell) with the PDF on its
    standard input. With CUPS `lp`, also check the queue it went to is running: a
    stopped queue takes the job and keeps it, and the badge would come out later, if
    ever. Such a job is cancelled. Raises PrinterError with a message for the staff."""
    if not command:
        raise PrinterError("The printer did not take the badge: this kiosk has no print command "
                           "(create-kiosk --print-command, or KIOSK_PRINT_COMMAND)")
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=timeout, env=_c_locale())
    except subprocess.TimeoutExpired:
        raise PrinterError(f"The printer did not take the badge: {command[0]} did not finish within {timeout} s")
    except OSError as exc:
        raise PrinterError(f"The printer did not take the badge: {command[0]} could not start ({exc.strerror})")
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PrinterError(f"The printer did not take the badge: {command[0]} exited with status "
                           f"{done.returncode}" + (f": {said[-1][:200]}" if said else ""))
    job = CUPS_JOB.search(done.stdout)
    if Path(command[0]).name == "lp" and job:
        queue = job.group(1).decode()
        state = subprocess.run(["lpstat", "-p", queue], capture_output=True, text=True, timeout=timeout,
                               env=_c_locale()).stdout
        if re.search(rf"^printer {re.escape(queue)} disabled", state, re.M):
            subprocess.run(["cancel", f"{queue}-{job.group(2).decode()}"], capture_output=True,
                           timeout=timeout)
            raise PrinterError(f"The printer queue {queue} is stopped, so the badge was not printed. "
                               f"Start it again (cupsenable {queue}) and print once more.")


def _c_locale():
    """CUPS tools' messages in English, which is what is matched above."""
    return {**os.environ, "LC_ALL": "C", "LANG": "C"}


def preview_png(db, event_slug, *, layout, start_at=1, **options):
    """The first page of a print run as a PNG, for the organiser to check before printing."""
    import pypdfium2  # here, not at the top: the `badges` command never renders previews

    try:
        first_page = get_layout(layout).per_page - start_at + 1
    except ValueError as exc:
        raise Invalid(str(exc))
    pdf = io.BytesIO()
    print_badges(db, event_slug, pdf, layout=layout, start_at=start_at, record=False,
                 limit=max(first_page, 1), **options)
    image = pypdfium2.PdfDocument(pdf.getvalue())[0].render(scale=PREVIEW_DPI / 72).to_pil()
    png = io.BytesIO()
    image.save(png, "PNG", optimize=True)
    return png.getvalue()


def badge_counts(db, event):
    """How many badges can be printed, and how many of those have been."""
    row = db.execute(
        """SELECT count(*), count(badge_printed_at) FROM attendees
           WHERE event_id = ? AND revoked_at IS NULL""",
        [event["id"]],
    ).fetchone()
    return {"printable": row[0], "printed": row[1]}
