"""Digests and invites through a real SMTP server (aiosmtpd on loopback): content,
consent, vCards, exactly once, retries, failures, a killed run, unsubscribing, .eml files."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT, post_form
from kiosk.attendee_import import import_attendees
from kiosk.attendees import add_attendee, find_attendee
from kiosk.checkins import check_in
from kiosk.connections import record
from kiosk.db import connect, migrate
from kiosk.digests import send
from kiosk.events import create_event
from kiosk.mail import FileMailer, MailUnavailable, SMTPMailer
from test_connections import parse_vcards

PEOPLE = (
    "First Name,Last Name,Email,Organisation,Job Title,LinkedIn,share_email,share_linkedin,allow_scan\n"
    "Zoë,Ångström,zoe@example.org,Karolinska,FY1,https://www.linkedin.com/in/zoe,yes,yes,yes\n"
    "Ann,Lee,ann@example.org,Barts,Consultant,https://www.linkedin.com/in/ann,no,yes,yes\n"
    "Cy,Dee,cy@example.org,UCL,Registrar,,yes,no,yes\n"
    "Dora,Eve,dora@example.org,<script>alert(1)</script>,Student,javascript:alert(1),yes,yes,yes\n"
    "Lone,Wolf,lone@example.org,Nowhere,Student,,yes,yes,yes\n"
)


def make_event(db, slug="after", mode="mutual", arrived=(), ended=True):
    """The event, its people and connections, those named in `arrived` checked in; then it ends."""
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    create_event(db, slug, "Networking for Medics", start.isoformat(),
                 (start + timedelta(hours=8)).isoformat(), mode=mode)
    import_attendees(db, slug, PEOPLE.replace(",javascript:alert(1),", ",,").encode())
    who = {e.split("@")[0]: find_attendee(db, slug, e) for e in
           ("zoe@example.org", "ann@example.org", "cy@example.org", "dora@example.org", "lone@example.org")}
    record(db, slug, who["ann"], who["zoe"]["code"], via="phone", note="Cardiology; send the paper, soon")
    record(db, slug, who["ann"], who["cy"]["code"], via="phone")
    record(db, slug, who["zoe"], who["dora"]["code"], via="phone")
    for name in arrived:
        check_in(db, slug, who[name]["code"], uuid.uuid4().hex)
    if ended:
        end_event(db, slug)
    return who


def end_event(db, slug):
    """The event is over (and its grace period): digests may go."""
    ended = datetime.now(timezone.utc) - timedelta(hours=3)
    db.execute("UPDATE events SET starts_at = ?, ends_at = ?, grace_minutes = 60 WHERE slug = ?",
               [(ended - timedelta(hours=8)).isoformat(), ended.isoformat(), slug])


def mailer(app):
    from kiosk.mail import mailer_from_config

    return mailer_from_config(app.config)


def run(app, db, kind="digest", **options):
    with app.app_context():
        return send(db, "after", kind, mailer(app), **options)


def by_recipient(recorder):
    return {m["To"].addresses[0].addr_spec: m for m in recorder.parsed()}


def test_every_attendee_with_a_connection_gets_one_digest(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    report = run(smtp_app, db)
    assert sorted(report.sent) == ["ann@example.org", "cy@example.org", "dora@example.org", "zoe@example.org"]
    mail = by_recipient(recorder)
    assert set(mail) == set(report.sent), "lone@ has no connection and gets nothing"
    ann = mail["ann@example.org"]
    assert ann["Subject"] == "Your 2 connections from Networking for Medics"
    assert ann["From"].addresses[0].addr_spec == "events@medics.example"
    text = ann.get_body(("plain",)).get_content()
    html = ann.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Zoë Ångström" in body and "Cy Dee" in body
        assert "zoe@example.org" in body, "Zoë shares her email"
        assert "cy@example.org" in body
        assert "https://www.linkedin.com/in/zoe" in body
        assert "Cardiology; send the paper, soon" in body
        assert "Follow up within a few days" in body
    assert 'href="mailto:zoe@example.org?subject=' in html
    assert "<img" not in html and "http://" not in html.replace("https://", "")


def test_consent_decides_what_a_contact_shows(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    run(smtp_app, db)
    zoe = by_recipient(recorder)["zoe@example.org"]  # mutual: Ann saved her, she saved Dora
    body = zoe.get_body(("plain",)).get_content()
    assert "Ann Lee" in body and "https://www.linkedin.com/in/ann" in body
    assert "ann@example.org" not in body, "Ann does not share her email"
    assert "Cardiology" not in body, "Ann's note is Ann's"
    cards = parse_vcards(vcf_of(zoe))
    ann_card = next(c for c in cards if c["FN"] == "Ann Lee")
    assert "EMAIL;TYPE=INTERNET" not in ann_card and ann_card["URL"] == "https://www.linkedin.com/in/ann"


def vcf_of(message):
    (part,) = [p for p in message.iter_attachments() if p.get_filename() == "contacts.vcf"]
    assert part.get_content_type() == "text/vcard"
    return part.get_payload(decode=True).decode("utf-8")


def test_the_vcard_parses_back_card_by_card(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    run(smtp_app, db)
    text = vcf_of(by_recipient(recorder)["ann@example.org"])
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    cards = parse_vcards(text)
    assert [c["FN"] for c in cards] == ["Cy Dee", "Zoë Ångström"] or [c["FN"] for c in cards] == ["Zoë Ångström", "Cy Dee"]
    zoe = next(c for c in cards if c["FN"] == "Zoë Ångström")
    assert zoe["N"] == "Ångström;Zoë;;;" and zoe["VERSION"] == "3.0"
    assert zoe["NOTE"].endswith("\\nCardiology\\; send the paper\\, soon")
    assert zoe["ORG"] == "Karolinska" and zoe["TITLE"] == "FY1"
    cy = next(c for c in cards if c["FN"] == "Cy Dee")
    assert cy["EMAIL;TYPE=INTERNET"] == "cy@example.org" and "URL" not in cy


def test_markup_in_names_is_escaped_in_the_html(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    run(smtp_app, db)
    html = by_recipient(recorder)["zoe@example.org"].get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_running_again_sends_nothing_twice(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    first = run(smtp_app, db)
    second = run(smtp_app, db)
    assert len(first.sent) == 4 and second.sent == [] and second.skipped == 4
    assert len(recorder.messages) == 4
    ids = {m["Message-ID"] for m in recorder.parsed()}
    assert len(ids) == 4 and all(i.endswith("@medics.example>") for i in ids)


def test_a_temporary_failure_is_retried(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    recorder.replies = ["451 4.3.0 Mailbox busy, try later"]
    report = run(smtp_app, db)
    assert len(report.retry) == 1 and len(report.sent) == 3
    row = db.execute("SELECT status, last_error, next_try_at FROM outbox WHERE status != 'sent'").fetchone()
    assert row[0] == "retry" and row[1].startswith("451") and row[2]
    assert run(smtp_app, db).sent == [], "not before its time"
    db.execute("UPDATE outbox SET next_try_at = '2000-01-01' WHERE status = 'retry'")
    assert run(smtp_app, db).sent == report.retry
    assert len(recorder.messages) == 4


def test_a_permanent_failure_is_reported_and_can_be_retried(smtp_app, smtp_server, db, organiser):
    recorder, _ = smtp_server
    make_event(db)
    recorder.replies = ["550 5.1.1 No such user"]
    report = run(smtp_app, db)
    assert len(report.failed) == 1 and report.failed[0][1] == "550 5.1.1 No such user"
    assert "failed: " in report.summary() and "550 5.1.1 No such user" in report.summary()
    page = organiser.get("/admin/events/after/mail").get_data(as_text=True)
    assert "550 5.1.1 No such user" in page
    outbox_id = db.execute("SELECT id FROM outbox WHERE status = 'failed'").fetchone()[0]
    post_form(organiser, f"/admin/events/after/mail/{outbox_id}/retry")
    assert run(smtp_app, db).sent == [report.failed[0][0]]


def test_server_down_is_a_clear_error_and_nothing_is_marked(app, db):
    make_event(db)
    with pytest.raises(MailUnavailable, match="cannot reach the mail server"):
        with app.app_context():
            send(db, "after", "digest", SMTPMailer("127.0.0.1", 1, security="none"))
    assert db.execute("SELECT count(*) FROM outbox WHERE status != 'queued'").fetchone()[0] == 0


def test_cli_send_digests_reports(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    runner = smtp_app.test_cli_runner()
    result = runner.invoke(args=["send-digests", "after", "--dry-run"])
    assert result.exit_code == 0 and result.output.startswith("would send 4")
    assert recorder.messages == []
    result = runner.invoke(args=["send-digests", "after", "--only", "zoe@example.org"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 1, skipped 0")
    assert recorder.recipients() == ["zoe@example.org"]
    result = runner.invoke(args=["send-digests", "after"])
    assert result.output.startswith("sent 3, skipped 1")
    result = runner.invoke(args=["send-digests", "after", "--only", "ghost@example.org"])
    assert result.exit_code == 1 and "no attendee with email" in result.output


def test_cli_server_down(app, db):
    make_event(db)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")
    result = app.test_cli_runner().invoke(args=["send-digests", "after"])
    assert result.exit_code == 1 and "cannot reach the mail server" in result.output
    assert "Traceback" not in result.output


def test_suggestions_show_only_people_who_arrived_and_opted_in_and_never_contact_details(smtp_app, smtp_server, db):
    """Issue 11.2: --include-unconnected mailed people who never came the email and LinkedIn
    of strangers. Now: only to people who checked in, naming only people who checked in
    and chose to be suggested (recorded in their consent history), with no contact details."""
    recorder, _ = smtp_server
    who = make_event(db, arrived=("zoe", "cy", "lone"))
    db.execute("UPDATE attendees SET allow_suggest = 1, consent_source = 'attendee' WHERE email IN (?, ?)",
               ["zoe@example.org", "dora@example.org"])  # Dora never arrived
    assert db.execute("SELECT allow_suggest FROM consent_log WHERE attendee_id = ? ORDER BY id DESC",
                      [who["zoe"]["id"]]).fetchone() == (1,)
    add_attendee(db, "after", {"first_name": "Absent", "email": "absent@example.org"}, source="import")
    run(smtp_app, db, include_unconnected=True)
    mail = by_recipient(recorder)
    assert "absent@example.org" not in mail, "someone who never came gets no suggestions"
    assert "cy@example.org" in mail and "zoe@example.org" in mail, "their digests, as before"
    lone = mail["lone@example.org"]
    assert lone["Subject"] == "People you could still reach from Networking for Medics"
    for body in (lone.get_body(("plain",)).get_content(), lone.get_body(("html",)).get_content()):
        assert "Zoë Ångström" in body and "Karolinska" in body
        assert "Cy Dee" not in body, "Cy did not opt in to suggestions"
        assert "Dora" not in body, "Dora never checked in"
        assert "zoe@example.org" not in body and "linkedin.com" not in body and "mailto:" not in body
    assert not list(lone.iter_attachments())


def test_invites_carry_the_private_link_and_optionally_the_badge(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db)
    report = run(smtp_app, db, kind="invite", attach_badge=True)
    assert len(report.sent) == 5
    invite = by_recipient(recorder)["lone@example.org"]
    assert f"https://kiosk.test/me/{who['lone']['private_key']}" in invite.get_body(("plain",)).get_content()
    (badge,) = list(invite.iter_attachments())
    assert badge.get_filename() == "badge.pdf" and badge.get_payload(decode=True).startswith(b"%PDF")


def test_one_click_unsubscribe(smtp_app, smtp_server, db, client):
    recorder, _ = smtp_server
    make_event(db)
    run(smtp_app, db, kind="invite")
    invite = by_recipient(recorder)["zoe@example.org"]
    assert invite["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [part.strip(" <>") for part in invite["List-Unsubscribe"].split(",")]
    assert https.startswith("https://kiosk.test/unsubscribe/") and mailto.startswith("mailto:events@medics.example")
    path = https.replace("https://kiosk.test", "")
    page = client.get(path)
    assert page.status_code == 200 and "No more mail from this event?" in page.get_data(as_text=True)
    assert find_attendee(db, "after", "zoe@example.org")["mail_opt_out_at"] is None, "a GET only asks"
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})  # as a mail client does
    assert response.status_code == 200
    assert find_attendee(db, "after", "zoe@example.org")["mail_opt_out_at"]
    report = run(smtp_app, db)
    assert "zoe@example.org" not in report.sent
    assert client.post("/unsubscribe/forged-token").status_code == 404


def test_eml_files_without_smtp(app, db, organiser, tmp_path):
    make_event(db)
    app.config["MAIL_DIR"] = str(tmp_path / "mail")
    with app.app_context():
        report = send(db, "after", "digest", FileMailer(app.config["MAIL_DIR"]))
    assert len(report.sent) == 4
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 4
    page = organiser.get("/admin/events/after/mail").get_data(as_text=True)
    assert "Your 2 connections from Networking for Medics" in page
    name = files[0].name
    preview = organiser.get(f"/admin/events/after/mail/files/{name}")
    assert preview.status_code == 200 and "Networking for Medics" in preview.get_data(as_text=True)
    assert organiser.get("/admin/events/after/mail/files/..%2Fsecret_key").status_code == 404


def test_preview_and_test_send(smtp_app, smtp_server, db, organiser):
    """The organiser sees the attendee's mail but never the attendee's notes or tags
    (the README: they belong to their writer alone); the real digest keeps them."""
    recorder, _ = smtp_server
    who = make_event(db)
    db.execute("UPDATE connections SET tags = 'follow-up-secret' WHERE note != ''")
    page = organiser.get(f"/admin/events/after/mail?attendee_id={who['ann']['id']}").get_data(as_text=True)
    assert "Notes and tags are left out of the preview and the test: only the attendee sees them." in page
    html = organiser.get(f"/admin/events/after/mail/preview/{who['ann']['id']}?format=html")
    assert "Zoë Ångström" in html.get_data(as_text=True) and html.mimetype == "text/html"
    text = organiser.get(f"/admin/events/after/mail/preview/{who['ann']['id']}?format=text")
    assert text.mimetype == "text/plain" and "Zoë Ångström" in text.get_data(as_text=True)
    for preview in (html, text):
        assert "Cardiology" not in preview.get_data(as_text=True)
        assert "follow-up-secret" not in preview.get_data(as_text=True)
    post_form(organiser, "/admin/events/after/mail/test", {"attendee_id": who["ann"]["id"]})
    assert recorder.recipients() == ["organiser@example.org"]
    (test_mail,) = recorder.parsed()
    for part in (test_mail.get_body(("plain",)).get_content(), test_mail.get_body(("html",)).get_content(),
                 vcf_of(test_mail)):
        assert "Ångström" in part and "Cardiology" not in part and "follow-up-secret" not in part
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0, "a test is not the real send"


def cli_event(tmp_path, port, people):
    """An event whose `people` attendees each saved the next one, and the environment
    for running the real CLI against it and the test's SMTP server."""
    database = tmp_path / "cli.db"
    env = {**os.environ, "KIOSK_DATABASE": str(database), "KIOSK_SECRET_KEY": "k",
           "KIOSK_SMTP_HOST": "127.0.0.1", "KIOSK_SMTP_PORT": str(port), "KIOSK_SMTP_SECURITY": "none",
           "KIOSK_BASE_URL": "https://kiosk.test"}
    db = connect(database)
    migrate(db)
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    create_event(db, "after", "Networking for Medics", start.isoformat(), (start + timedelta(hours=8)).isoformat())
    rows = ["Name,Email"] + [f"Person {i},p{i}@example.org" for i in range(people)]
    import_attendees(db, "after", "\n".join(rows).encode())
    everyone = [find_attendee(db, "after", f"p{i}@example.org") for i in range(people)]
    for i in range(people):
        record(db, "after", everyone[i], everyone[(i + 1) % people]["code"], via="phone")
    end_event(db, "after")
    db.close()
    return env, [sys.executable, "-m", "flask", "--app", "kiosk", "send-digests", "after"]


def test_a_long_run_renders_in_worker_processes_and_sends_each_once(smtp_server, tmp_path):
    """Over digests.PARALLEL_FROM messages the CLI renders in forked workers."""
    recorder, port = smtp_server
    env, command = cli_event(tmp_path, port, people=130)
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("sent 130, skipped 0")
    assert sorted(recorder.recipients()) == sorted(f"p{i}@example.org" for i in range(130))
    subjects = {m["Subject"] for m in recorder.parsed()}
    assert subjects == {"Your 2 connections from Networking for Medics"}


def test_killed_run_then_rerun_delivers_everyone_once(smtp_server, tmp_path):
    """SIGKILL in the middle of a run; the rerun finishes it; at most the message in
    flight at the kill arrives twice, and the rerun's report names it."""
    recorder, port = smtp_server
    env, command = cli_event(tmp_path, port, people=130)  # over PARALLEL_FROM: worker processes
    rerun = kill_and_rerun(recorder, env, command)
    received = recorder.recipients()
    twice = {r for r in received if received.count(r) > 1}
    for email in twice:
        assert email in rerun.stdout and "may have arrived twice" in rerun.stdout


def kill_and_rerun(recorder, env, command, people=130):
    """SIGKILL the command once a few messages arrived (slowly), run it again; every one
    of the `people` received at least one message and at most one received two."""
    recorder.delay = 0.3
    process = subprocess.Popen(command, cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while len(recorder.messages) < 4:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    recorder.delay = 0
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    received = recorder.recipients()
    assert sorted(set(received)) == sorted(f"p{i}@example.org" for i in range(people))
    assert len(received) - len(set(received)) <= 1
    return rerun


def test_send_all_from_the_page_runs_in_the_background(smtp_app, smtp_server, db, organiser):
    from kiosk.views.mail import _jobs

    recorder, _ = smtp_server
    make_event(db)
    asked = post_form(organiser, "/admin/events/after/mail/send", {"kind": "digest"}).get_data(as_text=True)
    assert "Send 4 digests and follow-ups?" in asked and "Yes, send 4" in asked and not recorder.messages
    response = post_form(organiser, "/admin/events/after/mail/send", {"kind": "digest", "confirm": "yes"},
                         follow_redirects=True)
    assert "Sending digests" in response.get_data(as_text=True)
    _jobs[("after", "digest")]["thread"].join(timeout=20)
    page = organiser.get("/admin/events/after/mail").get_data(as_text=True)
    assert "Digests: sent 4, skipped 0" in page
    assert len(recorder.messages) == 4
