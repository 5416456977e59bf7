"""Invites before the event and contact digests after it, through an outbox.

One outbox row per (event, attendee, kind), created before anything is sent:
queued -> sending -> sent | retry (a 4xx, tried again with backoff) | failed (a 5xx,
with the server's reply). A row is marked `sending` (committed) before its message
goes to the server and `sent` right after, so running again never sends a second
copy to anyone marked sent; after a killed run, only the one row left `sending` can
arrive twice, and the report names it. Each row has a fixed Message-ID.
"""

import multiprocessing
import os
import queue
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import encoders, policy
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import formataddr, formatdate
from urllib.parse import quote

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer

from badges import DEFAULT_LAYOUT

from .attendees import web_link
from .badge_printing import badge_pdf
from .connections import people_met
from .db import connect, now, query, write
from .errors import Invalid, NotFound
from .events import get_event, local_time
from .mail import Envelope, MailUnavailable, Permanent, Temporary
from .vcard import vcards

KINDS = ("invite", "digest")
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


def eligible(db, event, kind, *, include_unconnected=False, only=None):
    """Who should get this kind of mail: not revoked, not opted out; for digests, people
    with a connection (in a mutual event, either way), plus everyone else if asked."""
    sql = """SELECT a.* FROM attendees a
             WHERE a.event_id = :e AND a.revoked_at IS NULL AND a.mail_opt_out_at IS NULL"""
    if kind == "digest" and not include_unconnected:
        either_way = "OR c.scanned_id = a.id" if event["exchange_mode"] == "mutual" else ""
        sql += f""" AND EXISTS (SELECT 1 FROM connections c
                    WHERE c.event_id = :e AND (c.scanner_id = a.id {either_way}))"""
    if only:
        sql += " AND a.email = :only"
    return query(db, sql + " ORDER BY a.id", {"e": event["id"], "only": only})


def enqueue(db, event, kind, **options):
    """Create the outbox rows that do not exist yet; returns how many are new."""
    people = eligible(db, event, kind, **options)
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    stamp = now()
    with write(db):
        before = db.execute("SELECT total_changes()").fetchone()[0]
        db.conn.executemany(
            """INSERT OR IGNORE INTO outbox (event_id, attendee_id, kind, message_id, created_at, recipient)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [(event["id"], p["id"], kind, f"<{kind}.{event['slug']}.{p['code']}@{domain}>", stamp, p["email"])
             for p in people],
        )
        return db.execute("SELECT total_changes()").fetchone()[0] - before


def send(db, event_slug, kind, mailer, *, only=None, dry_run=False, include_unconnected=False,
         attach_badge=False, on_progress=None):
    """Queue and send this kind of mail for an event; returns a Report. Raises
    MailUnavailable, having marked nothing sent, when the server cannot be reached."""
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}")
    event = get_event(db, event_slug)
    if only and not query(db, "SELECT 1 FROM attendees WHERE event_id = ? AND email = ?", [event["id"], only]):
        raise NotFound(f"no attendee with email {only!r} in event {event_slug!r}")
    report = Report(dry_run=dry_run)
    if dry_run:
        for person in eligible(db, event, kind, include_unconnected=include_unconnected, only=only):
            build(db, event, kind, person, attach_badge=attach_badge)  # every message renders
            report.sent.append(person["email"])
        return report
    enqueue(db, event, kind, include_unconnected=include_unconnected, only=only)
    rows = _due(db, event, kind, only)
    report.skipped = _skipped(db, event, kind, only)
    report.maybe_twice = [row["recipient"] for row in rows if row["status"] == "sending"]
    if not rows:
        return report
    mailer.open()
    try:
        for index, (row, envelope) in enumerate(_rendered(db, event, kind, rows, attach_badge), 1):
            _deliver(db, row, envelope, mailer, report)
            if on_progress:
                on_progress(index, len(rows))
    finally:
        mailer.close()
    return report


PARALLEL_FROM = 100  # below this, starting worker processes costs more than it saves


def _rendered(db, event, kind, rows, attach_badge):
    """(row, Envelope) for each row, rendered ahead of the sending. Rendering a digest
    costs more than its SMTP transaction, so a long run from a single-threaded process
    (the CLI) renders in forked worker processes on every core; a threaded server, where
    forking is unsafe, renders in a helper thread that overlaps the SMTP round trips."""
    job = (current_app._get_current_object(), db.execute("PRAGMA database_list").fetchone()[2],
           event, kind, attach_badge)
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
    app, _, event, kind, attach_badge = job or _renderer["job"]
    db = db or _renderer["db"]
    with app.app_context():
        person = query(db, "SELECT * FROM attendees WHERE id = ?", [row["attendee_id"]])[0]
        try:
            message = build(db, event, kind, person, message_id=row["message_id"], attach_badge=attach_badge)
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


def _due(db, event, kind, only):
    sql = """SELECT o.*, a.email FROM outbox o JOIN attendees a ON a.id = o.attendee_id
             WHERE o.event_id = :e AND o.kind = :k AND a.revoked_at IS NULL AND a.mail_opt_out_at IS NULL
               AND (o.status IN ('queued', 'sending') OR (o.status = 'retry' AND o.next_try_at <= :now))"""
    if only:
        sql += " AND a.email = :only"
    return query(db, sql + " ORDER BY o.id", {"e": event["id"], "k": kind, "now": now(), "only": only})


def _skipped(db, event, kind, only):
    sql = """SELECT count(*) FROM outbox o JOIN attendees a ON a.id = o.attendee_id
             WHERE o.event_id = ? AND o.kind = ? AND (o.status = 'sent' OR a.mail_opt_out_at IS NOT NULL)"""
    params = [event["id"], kind]
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


# ---------- the messages ----------

def build(db, event, kind, person, *, message_id=None, to=None, attach_badge=False):
    """The message for one attendee: plain text and HTML (inline styles, no remote
    images), contacts.vcf with a digest, the badge PDF with an invite if asked.
    `to` overrides the recipient (an organiser's test)."""
    config = current_app.config
    base = config["BASE_URL"]
    token = unsubscribe_token(person)
    context = {"event": event, "person": person, "base_url": base,
               "unsubscribe_url": f"{base}/unsubscribe/{token}",
               "when": lambda iso: local_time(event, iso)}
    attachments = []
    if kind == "invite":
        context["private_link"] = f"{base}/me/{person['private_key']}"
        subject = f"Your link for {event['name']}: save the people you meet"
        template = "invite"
        if attach_badge:
            attachments.append((badge_pdf(db, event["slug"], person["code"], base_url=base,
                                          layout=DEFAULT_LAYOUT, font_dir=config["FONT_DIR"]),
                                "application", "pdf", "badge.pdf"))
    else:
        people = people_met(db, person)
        context["people"] = people
        if people:
            count = len(people)
            subject = f"Your {count} connection{'s' if count != 1 else ''} from {event['name']}"
            template = "digest"
            attachments.append((vcards(people).encode("utf-8"), "text", "vcard", "contacts.vcf"))
        else:
            context["reachable"] = reachable(db, person)
            subject = f"People you could still reach from {event['name']}"
            template = "reach_out"
    recipient = to or (f"{person['first_name']} {person['last_name']}".strip(), person["email"])
    return compose(config["MAIL_FROM"], recipient, subject, render_template(f"email/{template}.txt", **context),
                   render_template(f"email/{template}.html", **context), attachments,
                   message_id=message_id or f"<{kind}.{event['slug']}.{person['code']}.preview@localhost>",
                   unsubscribe=(f"<{base}/unsubscribe/{token}>, "
                                f"<mailto:{config['MAIL_FROM']}?subject={quote('unsubscribe ' + token)}>"))


def compose(sender, to, subject, text, html, attachments, *, message_id, unsubscribe):
    """The MIME message. Built with the email package's classic classes: its modern
    EmailMessage parses and refolds every header and quoted-printable-encodes bodies in
    Python, five times the cost of the SMTP transaction itself (bench/digests.py)."""
    # Fixed random boundaries: the parts are base64, which has no "-", so no boundary can
    # collide with a body and the generator need not search the bodies for one.
    boundary = secrets.token_hex(12)
    body = MIMEMultipart("alternative", boundary=f"--alt-{boundary}")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(html, "html", "utf-8"))
    message = MIMEMultipart("mixed", boundary=f"--mix-{boundary}") if attachments else body
    if attachments:
        message.attach(body)
    for data, maintype, subtype, filename in attachments:
        part = MIMEBase(maintype, subtype, **({"charset": "utf-8"} if maintype == "text" else {}))
        part.set_payload(data)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        message.attach(part)
    name, address = to if isinstance(to, tuple) else ("", to)
    message["Subject"] = Header(subject, "utf-8")
    message["From"] = sender
    message["To"] = to_header(name, address)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = unsubscribe
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def to_header(name, address):
    """The To header. An internationalised address (jürgen@bücher.example) goes as raw
    UTF-8, as SMTPUTF8 wants (the surrogate escapes become its bytes on the wire)."""
    if address.isascii():
        return formataddr((name, address), charset="utf-8")
    name = formataddr((name, "x@x"), charset="utf-8").rsplit(" <", 1)[0] if name else ""
    raw = address.encode("utf-8").decode("ascii", "surrogateescape")
    return f"{name} <{raw}>" if name else raw


def readable(message):
    """A composed message as the modern EmailMessage (get_body, iter_attachments), for previews."""
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def reachable(db, person, limit=15):
    """For someone with no connection: consenting people from their workshops (or the event)."""
    people = query(
        db,
        """SELECT DISTINCT o.first_name, o.last_name, o.role, o.organisation,
                  CASE WHEN o.share_email THEN o.email ELSE '' END AS email,
                  CASE WHEN o.share_linkedin THEN o.linkedin_url ELSE '' END AS linkedin_url
           FROM attendees o
           WHERE o.event_id = :e AND o.id != :me AND o.revoked_at IS NULL AND o.allow_scan = 1
             AND (o.share_email = 1 OR (o.share_linkedin = 1 AND o.linkedin_url != ''))
             AND (NOT EXISTS (SELECT 1 FROM checkins WHERE attendee_id = :me AND workshop_id IS NOT NULL)
                  OR o.id IN (SELECT c2.attendee_id FROM checkins c1 JOIN checkins c2
                              ON c2.workshop_id = c1.workshop_id
                              WHERE c1.attendee_id = :me AND c1.workshop_id IS NOT NULL))
           ORDER BY o.last_name, o.first_name LIMIT :limit""",
        {"e": person["event_id"], "me": person["id"], "limit": limit},
    )
    return [{**p, "linkedin_url": web_link(p["linkedin_url"])} for p in people]


# ---------- unsubscribing ----------

def _unsubscribe_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(person):
    """Names the person by their badge code, never by row id: ids are reused after an
    erasure, while a code is random and unique, so the link can only ever act on them."""
    return _unsubscribe_signer().dumps({"code": person["code"]})


def unsubscriber(db, token):
    """The attendee a (signed) unsubscribe token names, or NotFound. Links from 0.1.0
    named a row id, which a later attendee may hold: they are no longer accepted."""
    try:
        named = _unsubscribe_signer().loads(token)
    except BadSignature:
        named = None
    if not isinstance(named, dict) or not isinstance(named.get("code"), str):
        raise NotFound("this unsubscribe link is not valid (links in mail sent by version 0.1.0 no longer "
                       "work: use the link in a newer message, or ask the organiser)")
    rows = query(db, "SELECT * FROM attendees WHERE code = ?", [named["code"]])
    if not rows:
        raise NotFound("this unsubscribe link is not valid")
    return rows[0]


def unsubscribe(db, token):
    """Opt the attendee out of further mail for the event (idempotent)."""
    person = unsubscriber(db, token)
    with write(db):
        db.execute("UPDATE attendees SET mail_opt_out_at = coalesce(mail_opt_out_at, ?) WHERE id = ?",
                   [now(), person["id"]])
    return person
