"""Issue 10, item 4: email addresses are validated and normalised wherever they enter,
and one message that cannot be sent fails alone, with its reason, while the rest go."""

import pytest

from conftest import post_form
from kiosk.attendee_import import ImportRefused, import_attendees
from kiosk.attendees import add_attendee, find_attendee
from kiosk.digests import send
from kiosk.errors import Invalid
from kiosk.users import create_user
from test_digests import make_event, mailer

ZERO_WIDTH = "ann\u200b@example.org"


def test_invisible_characters_are_refused_everywhere_an_address_enters(organiser, db, runner):
    with pytest.raises(ImportRefused) as refused:
        import_attendees(db, "spring", f"Name,Email\nAnn Lee,{ZERO_WIDTH}\n".encode())
    assert refused.value.problems == ["line 2: email: 'ann\\u200b@example.org' is not a valid email address: "
                                      "The email address contains unsafe characters: ZERO WIDTH SPACE."]
    with pytest.raises(Invalid, match="is not a valid email address"):
        add_attendee(db, "spring", {"first_name": "Ann", "email": ZERO_WIDTH})
    page = post_form(organiser, "/admin/events/spring/attendees/new", {"first_name": "Ann", "email": ZERO_WIDTH})
    assert "is not a valid email address" in page.get_data(as_text=True)
    with pytest.raises(Invalid, match="is not a valid email address"):
        create_user(db, "staff\u200b@example.org", "door staff password", role="staff")
    result = runner.invoke(args=["create-admin", "x\u200b@example.org", "--password", "long enough password"])
    assert result.exit_code == 1 and "is not a valid email address" in result.output
    assert db.execute("SELECT count(*) FROM attendees").fetchone()[0] == 0


def test_addresses_are_normalised(db):
    person = add_attendee(db, "spring", {"first_name": "Zoë", "email": " Zoe@Example.ORG "})
    assert person["email"] == "Zoe@example.org"
    intl = add_attendee(db, "spring", {"first_name": "Jürgen", "email": "jürgen@bücher.example"})
    assert intl["email"] == "jürgen@bücher.example"
    assert find_attendee(db, "spring", "zoe@EXAMPLE.org")["id"] == person["id"]


@pytest.fixture
def ascii_smtp_server():
    """A real SMTP server without SMTPUTF8: it cannot take an internationalised address."""
    from aiosmtpd.controller import Controller

    from conftest import SMTPRecorder, free_port

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    yield recorder, controller.port
    controller.stop()


def test_one_bad_address_fails_alone_and_says_why(app, ascii_smtp_server, db):
    """Addresses written before validation existed, or an internationalised one this mail
    server cannot take, fail with their reason; everyone else gets their digest."""
    recorder, port = ascii_smtp_server
    smtp_app = app
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none", MAIL_FROM="events@medics.example")
    make_event(db)
    db.execute("UPDATE attendees SET email = ? WHERE email = 'ann@example.org'", [ZERO_WIDTH])
    db.execute("UPDATE attendees SET email = 'zoë@example.org' WHERE email = 'zoe@example.org'")
    with smtp_app.app_context():
        report = send(db, "after", "digest", mailer(smtp_app))
    assert sorted(report.sent) == ["cy@example.org", "dora@example.org"]
    reasons = dict(report.failed)
    assert set(reasons) == {ZERO_WIDTH, "zoë@example.org"}
    assert "SMTPUTF8" in reasons["zoë@example.org"]
    assert sorted(recorder.recipients()) == ["cy@example.org", "dora@example.org"]
    failed = db.execute("SELECT count(*) FROM outbox WHERE status = 'failed' AND last_error != ''").fetchone()[0]
    assert failed == 2


def test_erasing_an_attendee_removes_their_saved_mail(app, db, organiser, tmp_path):
    """Issue 10, item 15: the .eml copies (an address and a private link) go with the record."""
    from kiosk.mail import FileMailer

    who = make_event(db)
    app.config["MAIL_DIR"] = str(tmp_path / "mail")
    with app.app_context():
        send(db, "after", "invite", FileMailer(app.config["MAIL_DIR"]))
    files = list((tmp_path / "mail").glob("*.eml"))
    assert any(b"ann@example.org" in f.read_bytes() for f in files)
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)
    answer = post_form(organiser, f"/admin/events/after/attendees/{who['ann']['id']}/delete", {"confirm": "yes"})
    assert answer.status_code == 302
    left = list((tmp_path / "mail").glob("*.eml"))
    assert len(left) == len(files) - 1
    assert not any(b"ann@example.org" in f.read_bytes() for f in left)
    assert who["ann"]["private_key"] not in organiser.get("/admin/events/after/mail").get_data(as_text=True)


def test_the_web_send_job_always_ends_with_a_summary(app, db, organiser, tmp_path):
    """An unexpected failure (here the mail folder is a file) stops the job with a message;
    the page no longer shows 'sending' for ever."""
    from kiosk.views.mail import _jobs

    make_event(db)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    app.config["MAIL_DIR"] = str(blocked)
    post_form(organiser, "/admin/events/after/mail/send", {"kind": "invite", "confirm": "yes"})
    _jobs[("after", "invite")]["thread"].join(10)
    page = organiser.get("/admin/events/after/mail").get_data(as_text=True)
    assert "Invites: Stopped by an unexpected error" in page and "sending 0 of" not in page
