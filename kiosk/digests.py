"""Invites before the event and contact digests after it, through an outbox.

Digests wait for the event's end plus its grace period (while people can still scan)
unless forced. Each outbox row is created, with the people it tells about, before
anything is sent: an invite and a digest per attendee, then a follow-up ("2 more people
you met") for anyone met after their last one, so each person met is mailed once.
Each row goes queued -> sending -> sent | retry (a 4xx, tried again with backoff) | failed (a 5xx,
with the server's reply). A row is marked `sending` (committed) before its message
goes to the server and `sent` right after, so running again never sends a second
copy to anyone marked sent; after a killed run, only the one row left `sending` can
arrive twice, and the report names it. Each row has a fixed Message-ID.
"""

import multiprocessing
import os
import queue
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app

from .connections import met_pairs
from .db import connect, now, query, rehearsal, write
from .errors import Conflict, Invalid, NotFound
from .events import get_event, local_time
from .mail import Envelope, MailUnavailable, Permanent, Temporary
from .messages import build, mail_domain
from .suggestions import suggestions

KINDS = ("invite", "digest")  # what an organiser sends; a digest run also sends follow-ups
MESSAGE_KINDS = ("invite", "digest", "followup")
SENT_WITH = {"invite": ("invite",), "digest": ("digest", "followup")}
MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 5, 15, 60)


@dataclass
class Report:
    sent: list = field(default_factory=list)
    retry: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (email, reply)
    skipped: int = 0  # sent before, or opted out
    maybe_twice: list = field(default_factory=list)  # in flight when an earlier run was killed
    dry_run: bool = False

    def summary(self):
        verb = "would send" if self.dry_run else "sent"
        text = (f"{verb} {len(self.sent)}, skipped {self.skipped} (sent before or opted out), "
                f"retry later {len(self.retry)}, failed {len(self.failed)}")
        for email, reply in self.failed:
            text += f"\n  failed: {email}: {reply}"
        if self.maybe_twice:
            text += ("\n  sent again after an interrupted run (may have arrived twice): "
                     + ", ".join(self.maybe_twice))
        return text


class TooEarly(Conflict):
    """Digests asked for while people can still scan: refused unless forced."""

    result = "too_early"


def digests_from(event):
    """When digests may go: the end of the event plus its grace period (scanning closes)."""
    return datetime.fromisoformat(event["ends_at"]) + timedelta(minutes=event["grace_minutes"])


def too_early(event):
    return datetime.now(timezone.utc) < digests_from(event)


def refuse_early(event):
    opens = digests_from(event)
    if too_early(event):
        raise TooEarly(f"digests wait until {event['name']} is over: people can scan until "
                       f"{local_time(event, opens.isoformat())}, and digests sent now would miss whom they meet after")


def eligible(db, event, *, only=None):
    """Who may get mail: not revoked, not opted out (with whether they checked in)."""
    sql = """SELECT a.*, EXISTS (SELECT 1 FROM checkins c WHERE c.attendee_id = a.id) AS checked_in
             FROM attendees a
             WHERE a.event_id = :e AND a.revoked_at IS NULL AND a.mail_opt_out_at IS NULL"""
    if only:
        sql += " AND a.email = :only"
    return query(db, sql + " ORDER BY a.id", {"e": event["id"], "only": only})


def enqueue(db, event, kind, *, include_unconnected=False, only=None):
    """Create the outbox rows due now; returns how many are new. An invite per person; a
    digest per person who met someone (or, if asked, who checked in and met nobody, when
    someone may be suggested to them);
    a follow-up per person who met someone their earlier digests did not tell them about."""
    stamp = now()
    created = 0
    with write(db):
        people = eligible(db, event, only=only)
        if kind == "invite":
            return sum(_queue(db, event, person, "invite", 0, [], stamp) for person in people)
        told, followups = _told(db, event)
        new = {}
        for me, other in met_pairs(db, event):
            if other not in told.get(me, ()):
                new.setdefault(me, []).append(other)
        for person in people:
            contacts = new.get(person["id"], [])
            if person["id"] not in told and (contacts or (
                    include_unconnected and person["checked_in"] and suggestions(db, person, event))):
                created += _queue(db, event, person, "digest", 0, contacts, stamp)
            elif person["id"] in told and contacts:
                batch = followups.get(person["id"], 0) + 1
                created += _queue(db, event, person, "followup", batch, contacts, stamp)
    return created


def _told(db, event):
    """{attendee: whom their digests and follow-ups tell about} for everyone who has had a
    digest queued, and {attendee: how many follow-ups}."""
    told, followups = {}, {}
    for attendee, contact in db.execute(
            """SELECT o.attendee_id, c.contact_id FROM outbox o LEFT JOIN outbox_contacts c ON c.outbox_id = o.id
               WHERE o.event_id = ? AND o.kind IN ('digest', 'followup')""", [event["id"]]):
        told.setdefault(attendee, set()).add(contact)
    for attendee, count in db.execute("""SELECT attendee_id, count(*) FROM outbox WHERE event_id = ?
                                         AND kind = 'followup' GROUP BY attendee_id""", [event["id"]]):
        followups[attendee] = count
    return told, followups


def _queue(db, event, person, kind, batch, contacts, stamp):
    suffix = f".{batch}" if batch else ""
    cursor = db.execute(
        """INSERT OR IGNORE INTO outbox (event_id, attendee_id, kind, batch, message_id, created_at, recipient)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [event["id"], person["id"], kind, batch,
         f"<{kind}.{event['slug']}.{person['code']}{suffix}@{mail_domain()}>", stamp, person["email"]])
    if cursor.rowcount:
        db.conn.executemany("INSERT INTO outbox_contacts (outbox_id, contact_id) VALUES (?, ?)",
                            [(cursor.lastrowid, contact) for contact in contacts])
    return cursor.rowcount


def send(db, event_slug, kind, mailer, *, only=None, dry_run=False, force=False, include_unconnected=False,
         attach_badge=False, on_progress=None):
    """Queue and send this kind of mail for an event; returns a Report. Digests before the
    event is over raise TooEarly unless forced. Raises MailUnavailable, having marked
    nothing sent, when the server cannot be reached. A dry run renders and counts what
    a real run would send now, and changes nothing."""
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}")
    event = get_event(db, event_slug)
    if only and not query(db, "SELECT 1 FROM attendees WHERE event_id = ? AND email = ?", [event["id"], only]):
        raise NotFound(f"no attendee with email {only!r} in event {event_slug!r}")
    if kind == "digest" and not (force or dry_run):
        refuse_early(event)
    report = Report(dry_run=dry_run)
    if dry_run:
        for row in planned(db, event, kind, include_unconnected=include_unconnected, only=only):
            _render(row, db, (current_app._get_current_object(), None, event, attach_badge))  # renders
            report.sent.append(row["email"])
        report.skipped = _skipped(db, event, kind, only)
        return report
    enqueue(db, event, kind, include_unconnected=include_unconnected, only=only)
    rows = _due(db, event, kind, only)
    report.skipped = _skipped(db, event, kind, only)
    report.maybe_twice = [row["recipient"] for row in rows if row["status"] == "sending"]
    if not rows:
        return report
    mailer.open()
    try:
        for index, (row, envelope) in enumerate(_rendered(db, event, rows, attach_badge), 1):
            _deliver(db, row, envelope, mailer, report)
            if on_progress:
                on_progress(index, len(rows))
    finally:
        mailer.close()
    return report


PARALLEL_FROM = 100  # below this, starting worker processes costs more than it saves


def _rendered(db, event, rows, attach_badge):
    """(row, Envelope) for each row, rendered ahead of the sending. Rendering a digest
    costs more than its SMTP transaction, so a long run from a single-threaded process
    (the CLI) renders in forked worker processes on every core; a threaded server, where
    forking is unsafe, renders in a helper thread that overlaps the SMTP round trips."""
    job = (current_app._get_current_object(), db.execute("PRAGMA database_list").fetchone()[2],
           event, attach_badge)
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if len(rows) >= PARALLEL_FROM and can_fork and (os.cpu_count() or 1) > 1:
        with multiprocessing.get_context("fork").Pool(os.cpu_count(), _start_renderer, (job,)) as pool:
            yield from zip(rows, pool.imap(_render, rows, chunksize=8))
        return
    yield from _rendered_in_thread(job, rows)


_renderer = {}  # in a worker: the job and its own database connection


def _start_renderer(job):
    _renderer["job"] = job
    _renderer["db"] = connect(job[1])


def _render(row, db=None, job=None):
    """One row's Envelope: in a worker process from its globals, or given db and job."""
    app, _, event, attach_badge = job or _renderer["job"]
    db = db or _renderer["db"]
    with app.app_context():
        person = query(db, "SELECT * FROM attendees WHERE id = ?", [row["attendee_id"]])[0]
        contacts = {int(contact) for contact in (row["contacts"] or "").split(",") if contact}
        try:
            message = build(db, event, row["kind"], person, contacts=contacts, message_id=row["message_id"],
                            attach_badge=attach_badge)
            return Envelope.of(message, person["email"])
        except Exception as exc:  # noqa: BLE001  one person's odd data fails their message alone
            return Unsendable(f"the message could not be written: {exc}")


@dataclass(frozen=True)
class Unsendable:
    """A message that could not be rendered, and why: marked failed, the run goes on."""

    reason: str


def _rendered_in_thread(job, rows, ahead=8):
    ready, stop = queue.Queue(maxsize=ahead), threading.Event()

    def render():
        own = connect(job[1])
        try:
            for row in rows:
                envelope = _render(row, own, job)
                while not stop.is_set():
                    try:
                        ready.put((row, envelope), timeout=0.2)
                        break
                    except queue.Full:
                        continue
        except Exception as exc:  # handed to the sending thread, raised there
            ready.put(exc)
        finally:
            own.close()
            ready.put(None)

    threading.Thread(target=render, daemon=True).start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()


def planned(db, event, kind, **options):
    """The outbox rows a real run would send now, found by doing it and undoing it."""
    with rehearsal(db):
        enqueue(db, event, kind, **options)
        return _due(db, event, kind, options.get("only"))


def _due(db, event, kind, only):
    kinds = ", ".join(f"'{k}'" for k in SENT_WITH[kind])
    sql = f"""SELECT o.*, a.email,
                     (SELECT group_concat(contact_id) FROM outbox_contacts WHERE outbox_id = o.id) AS contacts
              FROM outbox o JOIN attendees a ON a.id = o.attendee_id
              WHERE o.event_id = :e AND o.kind IN ({kinds}) AND a.revoked_at IS NULL
                AND a.mail_opt_out_at IS NULL
                AND (o.status IN ('queued', 'sending') OR (o.status = 'retry' AND o.next_try_at <= :now))"""
    if only:
        sql += " AND a.email = :only"
    return query(db, sql + " ORDER BY o.id", {"e": event["id"], "now": now(), "only": only})


def _skipped(db, event, kind, only):
    kinds = ", ".join(f"'{k}'" for k in SENT_WITH[kind])
    sql = f"""SELECT count(*) FROM outbox o JOIN attendees a ON a.id = o.attendee_id
              WHERE o.event_id = ? AND o.kind IN ({kinds})
                AND (o.status = 'sent' OR a.mail_opt_out_at IS NOT NULL)"""
    params = [event["id"]]
    if only:
        sql += " AND a.email = ?"
        params.append(only)
    return db.execute(sql, params).fetchone()[0]


def _deliver(db, row, envelope, mailer, report):
    email = row["email"]
    _set(db, row, status="sending", attempts=row["attempts"] + 1)
    try:
        if isinstance(envelope, Unsendable):
            raise Permanent(envelope.reason)
        mailer.send(envelope)
    except Temporary as exc:
        attempts = row["attempts"] + 1
        if attempts >= MAX_ATTEMPTS:
            _set(db, row, status="failed", last_error=str(exc))
            report.failed.append((email, str(exc)))
        else:
            wait = timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])
            _set(db, row, status="retry", last_error=str(exc),
                 next_try_at=(datetime.now(timezone.utc) + wait).isoformat(timespec="seconds"))
            report.retry.append(email)
    except Permanent as exc:
        _set(db, row, status="failed", last_error=str(exc))
        report.failed.append((email, str(exc)))
    except MailUnavailable:
        _set(db, row, status="queued", attempts=row["attempts"])  # it never left
        raise
    else:
        _set(db, row, status="sent", sent_at=now(), last_error="")
        report.sent.append(email)


def _set(db, row, **values):
    with write(db):
        db.execute(f"UPDATE outbox SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                   [*values.values(), row["id"]])


def retry_failed(db, event_slug, outbox_id):
    """The organiser's retry button: a failed message goes back in the queue."""
    event = get_event(db, event_slug)
    with write(db):
        changed = db.execute(
            "UPDATE outbox SET status = 'queued', attempts = 0 WHERE id = ? AND event_id = ? "
            "AND status IN ('failed', 'retry')", [outbox_id, event["id"]]).rowcount
    if not changed:
        raise NotFound("no failed message to retry")


def status_counts(db, event_slug):
    event = get_event(db, event_slug)
    counts = {(kind, status): n for kind, status, n in db.execute(
        "SELECT kind, status, count(*) FROM outbox WHERE event_id = ? GROUP BY kind, status", [event["id"]])}
    opted_out = db.execute("SELECT count(*) FROM attendees WHERE event_id = ? AND mail_opt_out_at IS NOT NULL",
                           [event["id"]]).fetchone()[0]
    problems = query(db, """SELECT o.id, o.kind, o.status, o.attempts, o.last_error, o.next_try_at, a.email
                            FROM outbox o JOIN attendees a ON a.id = o.attendee_id
                            WHERE o.event_id = ? AND o.status IN ('retry', 'failed', 'sending')
                            ORDER BY o.id""", [event["id"]])
    return {"counts": counts, "opted_out": opted_out, "problems": problems}
