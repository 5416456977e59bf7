"""Organiser mail pages: outbox status, previews, a test to oneself, sending all in the
background with progress, retrying failures, and the .eml files written without SMTP."""

import threading

from flask import (
    Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
    url_for,
)

from .. import digests, messages
from ..attendees import get_attendee, list_attendees
from ..db import connect, get_db
from ..errors import KioskError
from ..events import get_event
from ..mail import Envelope, Permanent, Temporary, mailer_from_config, saved_messages
from .auth import require_organiser

bp = Blueprint("mail", __name__, url_prefix="/admin/events/<slug>/mail")
bp.before_request(require_organiser)
_jobs = {}  # (slug, kind) -> {"thread", "done", "total", "summary"}
# A message shown inside the mail page's sandboxed frame: styles only, framed by this site only.
FRAMED_MAIL = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
               "X-Frame-Options": "SAMEORIGIN"}
_jobs_lock = threading.Lock()


@bp.errorhandler(KioskError)
def domain_error(exc):
    return render_template("admin/error.html", message=str(exc)), exc.status


@bp.get("")
def outbox(slug):
    db = get_db()
    event = get_event(db, slug)
    smtp = bool(current_app.config["SMTP_HOST"])
    files = [] if smtp else [(name, message) for name, message in saved_messages(current_app.config["MAIL_DIR"])
                             if f".{slug}." in name]
    return render_template(
        "admin/mail.html", event=event, outbox=digests.status_counts(db, slug), smtp=smtp,
        files=files[:200], attendees=list_attendees(db, slug), jobs=_jobs_for(slug),
        kinds=digests.MESSAGE_KINDS,
    )


@bp.get("/preview/<int:attendee_id>")
def preview(slug, attendee_id):
    db = get_db()
    event = get_event(db, slug)
    message = messages.readable(messages.build(db, event, request.args.get("kind", "digest"),
                                             get_attendee(db, event, attendee_id), with_notes=False))
    if request.args.get("format") == "text":
        return Response(message.get_body(("plain",)).get_content(), mimetype="text/plain")
    return Response(message.get_body(("html",)).get_content(), mimetype="text/html",
                    headers=FRAMED_MAIL)


@bp.post("/test")
def send_test(slug):
    """The chosen attendee's mail, to the organiser's own address, without the attendee's
    notes and tags (theirs alone); the outbox is untouched."""
    db = get_db()
    event = get_event(db, slug)
    person = get_attendee(db, event, int(request.form.get("attendee_id", 0)))
    kind = request.form.get("kind", "digest")
    mailer = mailer_from_config(current_app.config).open()
    try:
        mailer.send(Envelope.of(messages.build(db, event, kind, person, to=g.user["email"], with_notes=False), g.user["email"]))
    except (Temporary, Permanent) as exc:
        flash(f"The test was not sent: {exc}", "error")
    else:
        flash(f"Sent {person['first_name']}'s {kind} to {g.user['email']}.", "success")
    finally:
        mailer.close()
    return redirect(url_for("mail.outbox", slug=slug))


@bp.post("/send")
def send_all(slug):
    """Ask first, with how many will go (and, for digests before the event is over, a
    box to tick to send anyway); then send every due message of a kind in the
    background, the page showing progress."""
    db = get_db()
    event = get_event(db, slug)
    kind = request.form.get("kind", "digest")
    if kind not in digests.KINDS:
        abort(400)
    options = {"include_unconnected": "include_unconnected" in request.form,
               "attach_badge": "attach_badge" in request.form, "force": "force" in request.form}
    early = kind == "digest" and digests.too_early(event)
    if request.form.get("confirm") != "yes" or (early and not options["force"]):
        due = digests.planned(db, event, kind, include_unconnected=options["include_unconnected"])
        return render_template("admin/mail_confirm.html", event=event, kind=kind, due=due, options=options,
                               early=early, opens=digests.digests_from(event).isoformat())
    with _jobs_lock:
        job = _jobs.get((slug, kind))
        if job and job["thread"].is_alive():
            flash("Already sending.", "error")
            return redirect(url_for("mail.outbox", slug=slug))
        job = {"done": 0, "total": 0, "summary": ""}
        job["thread"] = threading.Thread(
            target=_send_in_background, daemon=True,
            args=(current_app._get_current_object(), slug, kind, options, job))
        _jobs[(slug, kind)] = job
        job["thread"].start()
    flash(f"Sending {kind}s: this page shows the progress.", "success")
    return redirect(url_for("mail.outbox", slug=slug))


def _send_in_background(app, slug, kind, options, job):
    with app.app_context():
        db = connect(app.config["DATABASE"])
        try:
            def progress(done, total):
                job.update(done=done, total=total)
            report = digests.send(db, slug, kind, mailer_from_config(app.config), on_progress=progress, **options)
            job["summary"] = report.summary()
        except KioskError as exc:
            job["summary"] = f"Stopped: {exc}"
        except Exception as exc:  # the page must stop showing "sending", whatever happened
            app.logger.exception("sending %ss for %s stopped", kind, slug)
            job["summary"] = f"Stopped by an unexpected error: {exc}"
        finally:
            db.close()


def _jobs_for(slug):
    return {kind: job for (job_slug, kind), job in _jobs.items() if job_slug == slug}


@bp.post("/<int:outbox_id>/retry")
def retry(slug, outbox_id):
    digests.retry_failed(get_db(), slug, outbox_id)
    flash("Queued again: it goes with the next send.", "success")
    return redirect(url_for("mail.outbox", slug=slug))


@bp.get("/files/<name>")
def saved_file(slug, name):
    """One .eml written without SMTP, shown as its HTML (or text) part."""
    for file_name, message in saved_messages(current_app.config["MAIL_DIR"]):
        if file_name == name and f".{slug}." in name:
            body = message.get_body(("html", "plain"))
            return Response(body.get_content(), mimetype=body.get_content_type(),
                            headers=FRAMED_MAIL)
    abort(404)
