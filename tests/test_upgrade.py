"""Upgrades keep data: a database written by each earlier release opens with today's code
with every badge code, check-in, connection, note, consent choice and sent mail intact,
and every private link, kiosk token and login issued before still working.

The databases were built once by each release's own code (tests/fixtures/build_release_db.py,
driven through that release's command line and HTTP service) and committed with what
they issued, so this test needs no git history.
"""

import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.build_release_db import snapshot
import kiosk
from kiosk import create_app
from kiosk.db import _statements, connect
from kiosk.checkins import badge_holder
from kiosk.digests import send
from kiosk.events import get_event
from kiosk.programmes import create_programme, set_event_programme
from kiosk.schema import MIGRATIONS

FIXTURES = sorted(p for p in (Path(__file__).parent / "fixtures").glob("v*") if (p / "kiosk.db").exists())


@pytest.fixture(params=FIXTURES, ids=[p.name for p in FIXTURES])
def release(request, tmp_path):
    """(app on a copy of the release's database, what the release issued)."""
    issued = json.loads((request.param / "issued.json").read_text())
    database = tmp_path / "kiosk.db"
    shutil.copy(request.param / "kiosk.db", database)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE": str(database),
                      "SECRET_KEY": issued["secret_key"], "BASE_URL": issued["base_url"]})
    return app, issued


def test_there_is_a_fixture_for_every_release():
    """Each release commits the database its own code built (CONTRIBUTING, Releasing)."""
    names = [p.name for p in FIXTURES]
    assert names[:1] == ["v0.1.0"] and f"v{kiosk.__version__}" in names
    for folder in FIXTURES:
        assert json.loads((folder / "issued.json").read_text())["release"] == folder.name[1:]


def test_the_database_is_whole_after_the_upgrade(release):
    app, _ = release
    db = sqlite3.connect(app.config["DATABASE"])
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_every_record_survives(release):
    app, issued = release
    now = recorded(app.config["DATABASE"])
    before = issued["recorded"]
    for kind in ("attendees", "checkins", "connections", "outbox", "consent_log"):
        assert before[kind], f"the fixture holds no {kind}"
        assert now[kind] == before[kind], kind


def test_every_kiosk_token_still_works_and_a_revoked_one_does_not(release):
    app, issued = release
    client = app.test_client()
    for name, token in issued["kiosk_tokens"].items():
        answer = client.get("/api/v1/kiosk", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, name
    revoked = client.get("/api/v1/kiosk", headers={"Authorization": f"Bearer {issued['revoked_kiosk_token']}"})
    assert revoked.status_code == 401


def test_every_private_link_still_opens_its_owners_page(release):
    app, issued = release
    people = {(a["event"], a["email"]): a for a in issued["recorded"]["attendees"]}
    links = [(people[event, email], link) for event, by_email in issued["private_links"].items()
             for email, link in by_email.items()]
    assert len(links) > 50
    for person, link in links:
        if not person["revoked_at"]:
            assert person["first_name"] in open_private_link(app.test_client(), link), person["email"]


def test_a_revoked_badge_holders_link_stays_dead(release):
    app, issued = release
    revoked = [a for a in issued["recorded"]["attendees"] if a["revoked_at"]]
    assert revoked
    for person in revoked:
        link = issued["private_links"][person["event"]][person["email"]]
        assert app.test_client().get(link.split(issued["base_url"])[1]).status_code == 404


def test_logins_issued_before_still_work(release):
    app, issued = release
    for email, password in (issued["organiser"], issued["staff"]):
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        answer = client.post("/login", data={"csrf_token": token, "email": email, "password": password})
        assert answer.status_code == 302, email
        assert client.get("/admin/").status_code == 200


def test_badge_codes_still_check_in_and_connect(release):
    """The first badge printed still answers at the door with its holder's name."""
    app, issued = release
    person = next(a for a in issued["recorded"]["attendees"] if a["event"] == "fellows-nov" and not a["revoked_at"])
    client = app.test_client()
    answer = client.post("/api/v1/events/fellows-nov/checkins", json={"code": person["code"], "nonce": "upgrade-0001"},
                         headers={"Authorization": f"Bearer {issued['kiosk_tokens']['door']}"})
    assert answer.status_code in (200, 201, 410), answer.get_json()
    assert answer.get_json()["attendee"]["first_name"] == person["first_name"]


def test_a_scan_answered_before_the_upgrade_replays_its_answer_and_records_nothing(release):
    """A kiosk's offline queue sends again, after the upgrade, a scan the old release
    answered: the same answer, and no second check-in."""
    app, issued = release
    scanned = issued["recorded"]["checkins"][0]  # the first scan: nonce fixture-000000
    code = next(a["code"] for a in issued["recorded"]["attendees"]
                if (a["event"], a["email"]) == (scanned["event"], scanned["email"]))
    before = recorded(app.config["DATABASE"])["checkins"]
    with app.app_context():
        db = connect(app.config["DATABASE"])
        stored = db.execute("SELECT body FROM api_replies WHERE nonce = 'fixture-000000'").fetchone()[0]
        db.close()
    first = json.loads(stored)
    answer = app.test_client().post(
        "/api/v1/events/fellows-nov/checkins", json={"code": code, "nonce": "fixture-000000"},
        headers={"Authorization": f"Bearer {issued['kiosk_tokens']['door']}"})
    assert answer.status_code == 201 and answer.get_json() == first
    assert recorded(app.config["DATABASE"])["checkins"] == before


def test_the_releases_events_join_a_programme_with_every_badge_and_link_still_working(release):
    """An organiser upgrades mid-series and joins the events they ran as islands: each
    person shared by both becomes one, and every badge printed and link mailed before
    still names them, at either event."""
    app, issued = release
    attendees = issued["recorded"]["attendees"]
    events = sorted({a["event"] for a in attendees})
    registered = {(a["event"], a["email"].casefold()) for a in attendees}
    with app.app_context():
        db = connect(app.config["DATABASE"])
        made = db.execute("SELECT slug FROM programmes").fetchone()  # releases from 0.3.0 built one
        programme = made[0] if made else create_programme(db, "series", "The series")["slug"]
        for slug in events:
            set_event_programme(db, slug, programme)
        emails = {a["email"].casefold() for a in attendees}
        assert len(registered) - len(emails) >= 20, "the fixture's events share people"
        assert db.execute("SELECT count(*) FROM people WHERE programme_id IS NOT NULL").fetchone()[0] == len(emails)
        for person in (a for a in attendees if not a["revoked_at"]):
            for slug in events:
                holder = badge_holder(db, get_event(db, slug), person["code"])
                assert (holder is not None) == ((slug, person["email"].casefold()) in registered), \
                    (person["email"], slug)
                if holder:
                    assert holder["first_name"] == person["first_name"]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    people = {(a["event"], a["email"]): a for a in attendees}
    for event, by_email in issued["private_links"].items():
        for email, link in list(by_email.items())[:15]:
            if not people[event, email]["revoked_at"]:
                assert people[event, email]["first_name"] in open_private_link(app.test_client(), link)


def open_private_link(client, link):
    """Open a /me/KEY link as a phone does (confirming when the page asks) and return /me."""
    path = link.split("://", 1)[1].split("/", 1)[1]
    answer = client.get(f"/{path}")
    form = re.search(r'<form[^>]*method="post"[^>]*>.*?name="csrf_token" value="([^"]+)"',
                     answer.get_data(as_text=True), re.S)
    if answer.status_code == 200 and form:
        answer = client.post(f"/{path}", data={"csrf_token": form.group(1)})
    assert answer.status_code in (302, 303), answer.status_code
    return client.get("/me").get_data(as_text=True)


def recorded(database):
    """What the fixture recorded, read with today's schema in the same terms as the
    builder's snapshot (by email and badge code, never by id). While the schema still
    has the shape v0.1.0 wrote, the builder's own queries are today's; a migration that
    changes the shape replaces this with queries over the new tables."""
    return snapshot(database)


def fixture_copy(tmp_path, release="v0.1.0"):
    database = tmp_path / "kiosk.db"
    shutil.copy(Path(__file__).parent / "fixtures" / release / "kiosk.db", database)
    return database


# A migration a later release might ship: it changes data in several statements, so a
# kill can land half-way. The tests below run the real mechanism with it appended, so they
# hold whether or not today's MIGRATIONS has steps pending for the fixture.
LATER_MIGRATION = """
ALTER TABLE attendees ADD COLUMN later_column TEXT NOT NULL DEFAULT '';
UPDATE attendees SET later_column = upper(email);
CREATE TABLE later_table (id INTEGER PRIMARY KEY, attendee_id INTEGER REFERENCES attendees(id));
INSERT INTO later_table (attendee_id) SELECT id FROM attendees;
UPDATE attendees SET first_name = first_name || '';
"""


@pytest.fixture
def later_release(monkeypatch):
    import kiosk.db

    monkeypatch.setattr(kiosk.db, "MIGRATIONS", [*MIGRATIONS, LATER_MIGRATION])
    return len(MIGRATIONS) + 1


def test_an_upgrade_keeps_a_copy_of_the_database_as_it_was(tmp_path, caplog, later_release):
    database = fixture_copy(tmp_path)
    original = database.read_bytes()
    version = sqlite3.connect(database).execute("PRAGMA user_version").fetchone()[0]
    assert version < later_release
    create_app({"DATABASE": str(database), "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    copy = tmp_path / f"kiosk.db.before-v{version + 1}"
    assert copy.exists(), list(tmp_path.iterdir())
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == version
    assert snapshot(copy)["attendees"] == snapshot(database)["attendees"]
    assert len(copy.read_bytes()) >= len(original) // 2
    assert str(copy) in caplog.text, "the log says where the copy is"


def test_a_new_or_current_database_gets_no_copy(tmp_path):
    config = {"DATABASE": str(tmp_path / "kiosk.db"), "INSTANCE_PATH": str(tmp_path / "i"), "SECRET_KEY": "x"}
    create_app(config)
    create_app(config)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("kiosk.db.before")) == []
    assert stat.S_IMODE((tmp_path / "kiosk.db").stat().st_mode) == 0o600


KILL_MIDWAY = """
import os, signal, sys
import kiosk.db as kdb
statements = kdb._statements
count = 0
def dying(script):
    global count
    for statement in statements(script):
        count += 1
        if count == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)
        yield statement
kdb._statements = dying
kdb.MIGRATIONS = [*kdb.MIGRATIONS, sys.argv[3]]
db = kdb.connect(sys.argv[1])
kdb.migrate(db, sys.argv[1])
"""


def test_a_migration_killed_half_way_leaves_the_database_as_it_was_and_runs_again(tmp_path, later_release):
    database = fixture_copy(tmp_path)
    before = snapshot(database)
    version = before["schema_version"]
    pending = sum(1 for script in [*MIGRATIONS, LATER_MIGRATION][version:] for _ in _statements(script))
    killed = subprocess.run([sys.executable, "-c", KILL_MIDWAY, str(database), str(pending - 2), LATER_MIGRATION],
                            cwd=Path(__file__).parent.parent)
    assert killed.returncode == -signal.SIGKILL
    after_kill = snapshot(database)
    assert after_kill == before, "nothing half-migrated"
    app = create_app({"DATABASE": str(database), "INSTANCE_PATH": str(tmp_path / "i"), "SECRET_KEY": "x"})
    db = sqlite3.connect(app.config["DATABASE"])
    assert db.execute("PRAGMA user_version").fetchone()[0] == later_release > version
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM later_table").fetchone()[0] == len(before["attendees"])


def test_a_database_from_a_newer_release_is_refused_with_a_clear_message(tmp_path):
    database = tmp_path / "kiosk.db"
    create_app({"DATABASE": str(database), "INSTANCE_PATH": str(tmp_path / "i"), "SECRET_KEY": "x"})
    sqlite3.connect(database).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    env = {**os.environ, "KIOSK_DATABASE": str(database), "KIOSK_SECRET_KEY": "x"}
    cli = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "version"], env=env,
                         capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert cli.returncode != 0
    assert "newer release" in cli.stderr and "Traceback" not in cli.stderr
    server = subprocess.run([sys.executable, "run.py", "--port", "1"], env=env, capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent, timeout=30)
    assert server.returncode != 0
    assert "newer release" in server.stderr and "Traceback" not in server.stderr


def test_a_digest_sent_before_the_upgrade_gets_no_follow_up_about_the_same_people(release):
    """The upgrade records whom each sent digest told about: the next run follows up only
    on people met since, so nobody hears about the same person twice."""
    app, _ = release
    with app.app_context():
        db = connect(app.config["DATABASE"])
        try:
            sent = db.execute("""SELECT a.email, e.slug FROM outbox o JOIN attendees a ON a.id = o.attendee_id
                                 JOIN events e ON e.id = o.event_id
                                 WHERE o.kind = 'digest' AND o.status = 'sent'""").fetchall()
            assert sent, "the fixture holds a sent digest"
            for email, slug in sent:
                assert send(db, slug, "digest", None, only=email, dry_run=True).sent == [], email
        finally:
            db.close()
