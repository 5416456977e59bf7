"""The CLI of the interface contract, through Flask's runner and once as a real process."""

import json
import os
import stat
import subprocess
import sys

import pytest

from conftest import ROOT, post_form

CSV = "First Name,Last Name,Email,Organisation\nAnn,Lee,ann@example.org,St Mary's\nBob,Ray,bob@example.org,=cmd()\n"


def invoke(runner, *args, **kwargs):
    return runner.invoke(args=list(args), **kwargs)


@pytest.fixture
def imported(runner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    result = invoke(runner, "import-attendees", "spring", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_create_admin_with_password(runner, client):
    result = invoke(runner, "create-admin", "new@example.org", "--password", "a long password")
    assert result.exit_code == 0
    response = post_form(client, "/login", {"email": "new@example.org", "password": "a long password"})
    assert response.status_code == 302


def test_create_admin_prompts_for_the_password(runner):
    result = invoke(runner, "create-admin", "p@example.org", input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output


def test_create_admin_refuses_a_short_password(runner):
    result = invoke(runner, "create-admin", "p@example.org", "--password", "short")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output


def test_create_event_and_workshop(runner, db):
    result = invoke(runner, "create-event", "autumn", "--name", "Autumn Meetup",
                    "--starts", "2026-10-01T18:00", "--ends", "2026-10-01T21:00",
                    "--mode", "one-way", "--timezone", "Europe/London")
    assert result.exit_code == 0, result.output
    event = db.execute("SELECT * FROM events WHERE slug = 'autumn'").fetchone()
    assert event is not None
    row = dict(zip([d[0] for d in db.execute("SELECT * FROM events").description], event))
    assert row["exchange_mode"] == "one-way"
    assert row["starts_at"] == "2026-10-01T17:00:00+00:00"  # 18:00 BST
    result = invoke(runner, "add-workshop", "autumn", "cv-clinic", "--title", "CV clinic",
                    "--room", "B2", "--starts", "2026-10-01T18:30", "--ends", "2026-10-01T19:30")
    assert result.exit_code == 0, result.output
    assert db.execute("SELECT title, room FROM workshops").fetchall() == [("CV clinic", "B2")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["create-event", "Bad Slug", "--name", "X", "--starts", "2026-01-01T09:00", "--ends", "2026-01-01T10:00"], "lower-case letters"),
        (["create-event", "x", "--name", "X", "--starts", "tomorrow", "--ends", "2026-01-01T10:00"], "not an ISO date-time"),
        (["create-event", "x", "--name", "X", "--starts", "2026-01-01T11:00", "--ends", "2026-01-01T10:00"], "must end after it starts"),
        (["create-event", "x", "--name", "X", "--starts", "2026-01-01T09:00", "--ends", "2026-01-01T10:00", "--timezone", "Mars/Base"], "unknown time zone"),
        (["create-event", "spring", "--name", "X", "--starts", "2026-01-01T09:00", "--ends", "2026-01-01T10:00"], "already exists"),
    ],
)
def test_create_event_errors(runner, args, message):
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["add-workshop", "nope", "ws", "--title", "T"],
        ["import-attendees", "nope", "{csv}"],
        ["list-attendees", "nope"],
        ["create-kiosk", "nope", "Door"],
        ["private-link", "nope", "ann@example.org"],
    ],
)
def test_unknown_event_slug_is_a_clear_error(runner, imported, args):
    args = [a.replace("{csv}", str(imported)) for a in args]
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert "no event with slug 'nope'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_import_reports_and_lists(runner, imported):
    result = invoke(runner, "list-attendees", "spring", "--format", "json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["email"] for r in rows] == ["ann@example.org", "bob@example.org"]
    assert set(rows[0]) == {"email", "first_name", "last_name", "organisation", "role", "code",
                            "share_email", "share_linkedin", "allow_scan", "allow_suggest",
                            "share_photo", "has_photo", "checked_in_at"}
    assert rows[0]["share_email"] is True and rows[0]["checked_in_at"] is None


def test_list_attendees_csv_neutralises_formulas(runner, imported):
    result = invoke(runner, "list-attendees", "spring", "--format", "csv")
    assert result.output.splitlines()[0].startswith("email,first_name")
    assert "'=cmd()" in result.output


def test_list_attendees_table(runner, imported):
    result = invoke(runner, "list-attendees", "spring")
    assert "Ann" in result.output and "2 attendees" in result.output


def test_import_dry_run_and_bad_file(runner, tmp_path, db):
    path = tmp_path / "bad.csv"
    path.write_text("Name,Email\nA B,a@example.org\nC D,broken\n")
    result = invoke(runner, "import-attendees", "spring", str(path))
    assert result.exit_code == 1
    assert "line 3: email: 'broken' is not a valid email address: An email address must have an @-sign." in result.output
    assert db["attendees"].count == 0
    path.write_text("Name,Email\nA B,a@example.org\n")
    result = invoke(runner, "import-attendees", "spring", str(path), "--dry-run")
    assert result.exit_code == 0 and "would import 1 attendees" in result.output
    assert db["attendees"].count == 0


def test_import_missing_file(runner, tmp_path):
    result = invoke(runner, "import-attendees", "spring", str(tmp_path / "missing.csv"))
    assert result.exit_code == 1
    assert "missing.csv" in result.output and "Traceback" not in result.output


def test_create_kiosk_prints_token_last(runner, db):
    result = invoke(runner, "create-kiosk", "spring", "Door 1")
    assert result.exit_code == 0
    token = result.output.split()[-1]
    assert len(token) >= 40
    stored = db.execute("SELECT token_hash FROM kiosks").fetchone()[0]
    assert token not in stored  # only the hash is kept


def test_private_link_prints_url_last(runner, imported, db):
    result = invoke(runner, "private-link", "spring", "ANN@example.org")
    link = result.output.split()[-1]
    key = db.execute("SELECT private_key FROM attendees WHERE email = 'ann@example.org'").fetchone()[0]
    assert link == f"https://kiosk.test/me/{key}"
    result = invoke(runner, "private-link", "spring", "ghost@example.org")
    assert result.exit_code == 1 and "no attendee with email" in result.output


def test_demo_is_repeatable_and_keeps_codes(runner, db):
    first = invoke(runner, "demo")
    assert first.exit_code == 0, first.output
    codes = dict(db.execute("SELECT email, code FROM attendees").fetchall())
    second = invoke(runner, "demo")
    assert second.exit_code == 0
    assert dict(db.execute("SELECT email, code FROM attendees").fetchall()) == codes
    assert len(codes) >= 30
    assert db.execute("SELECT count(*) FROM workshops w JOIN events e ON e.id = w.event_id "
                      "WHERE e.slug = 'medics-demo'").fetchone()[0] == 2
    names = " ".join(row[0] for row in db.execute("SELECT first_name || last_name FROM attendees"))
    assert "王" in names and "محمد" in names and "Наталья" in names
    events = db.execute("SELECT count(*), count(DISTINCT programme_id) FROM events "
                        "WHERE programme_id IS NOT NULL").fetchone()
    assert events == (3, 1), "the demo is a programme of three monthly workshops"
    at_all_three = db.execute("SELECT count(*) FROM (SELECT person_id FROM attendees GROUP BY person_id "
                              "HAVING count(*) = 3 AND count(DISTINCT code) = 1)").fetchone()[0]
    assert at_all_three >= 10, "some people registered for all three, with one badge"
    assert db.execute("SELECT count(DISTINCT event_id) FROM connections").fetchone()[0] == 2, \
        "people met last month and this month"
    last_month = db.execute("""SELECT min(c.at) >= e.starts_at AND max(c.at) <= e.ends_at, count(DISTINCT k.id)
                               FROM events e JOIN connections c ON c.event_id = e.id
                               JOIN checkins k ON k.event_id = e.id
                               WHERE e.slug = 'medics-leadership'""").fetchone()
    assert last_month == (1, 18), "met and checked in during last month's workshop, not today"
    assert db.execute("SELECT count(*) FROM attendees a JOIN events e ON e.id = a.event_id "
                      "WHERE e.slug = 'medics-entrepreneurs' AND a.allow_suggest").fetchone()[0] >= 5, \
        "next month's workshop has people to suggest"
    link = second.output.split("phone page")[1].split()[-1]
    assert invoke(runner, "private-link", "medics-leadership", "natalia.ivanova@example.org").output.split()[-1] \
        == link, "the fellow's link printed is hers, for every workshop"


def test_cli_as_a_real_process(tmp_path):
    env = {**os.environ, "KIOSK_DATABASE": str(tmp_path / "cli.db"), "KIOSK_SECRET_KEY": "x"}
    flask = [sys.executable, "-m", "flask", "--app", "kiosk"]
    run = subprocess.run(
        [*flask, "create-event", "e1", "--name", "E", "--starts", "2026-01-01T09:00",
         "--ends", "2026-01-01T17:00"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([*flask, "list-attendees", "missing"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "no event with slug 'missing'" in run.stderr
    assert "Traceback" not in run.stderr


def test_backup_while_writing_restores_to_a_working_service(app, runner, db, tmp_path):
    """A backup taken while check-ins are being written is consistent and serves again."""
    import threading
    import uuid
    from datetime import datetime, timedelta, timezone

    from kiosk import create_app
    from kiosk.attendee_import import import_attendees
    from kiosk.checkins import check_in
    from kiosk.db import connect
    from kiosk.events import create_event

    start = datetime.now(timezone.utc) - timedelta(hours=1)
    create_event(db, "live", "Live", start.isoformat(), (start + timedelta(hours=4)).isoformat())
    import_attendees(db, "live", ("Name,Email\n" + "\n".join(f"P {i},p{i}@x.org" for i in range(400))).encode())
    codes = [row[0] for row in db.execute("SELECT code FROM attendees WHERE event_id = 2")]
    stop = threading.Event()

    def write_checkins():
        writer = connect(app.config["DATABASE"])
        for code in codes:
            if stop.is_set():
                break
            check_in(writer, "live", code, uuid.uuid4().hex)
        writer.close()

    thread = threading.Thread(target=write_checkins)
    thread.start()
    result = runner.invoke(args=["backup", str(tmp_path / "copy.db")])
    stop.set()
    thread.join()
    assert result.exit_code == 0 and "integrity check: ok" in result.output
    restored = create_app({"INSTANCE_PATH": str(tmp_path / "restored"), "DATABASE": str(tmp_path / "copy.db"),
                           "SECRET_KEY": "x"})
    copy = connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM attendees").fetchone()[0] == 400
    checkins = copy.execute("SELECT count(*) FROM checkins").fetchone()[0]
    assert checkins == copy.execute("SELECT count(*) FROM api_replies").fetchone()[0], "each write whole or absent"
    assert restored.test_client().get("/healthz").status_code == 200
    assert runner.invoke(args=["backup", str(tmp_path / "copy.db")]).exit_code == 1, "never overwrites"


def test_backups_and_the_database_are_private_and_a_missing_folder_is_a_clear_error(app, runner, tmp_path):
    assert stat.S_IMODE(os.stat(app.config["DATABASE"]).st_mode) == 0o600
    assert runner.invoke(args=["backup", str(tmp_path / "nightly.db")]).exit_code == 0
    assert stat.S_IMODE((tmp_path / "nightly.db").stat().st_mode) == 0o600
    missing = runner.invoke(args=["backup", str(tmp_path / "no-such-folder" / "nightly.db")])
    assert missing.exit_code == 1
    assert "no-such-folder does not exist" in missing.output and "Traceback" not in missing.output
