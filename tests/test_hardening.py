"""Issue 10's holes, each pinned: what an attacker or a careless input did before, and
what they get now (a refusal that says why, and nothing recorded)."""

import io
import os
import stat
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from conftest import post_form
from kiosk import images
from kiosk.headshots import set_photo
from kiosk.errors import Invalid
from kiosk.kiosks import create_kiosk
from kiosk.users import create_user
from test_connections import count, open_event


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def door(client, db):
    people = open_event(db, "today")
    return client, people, create_kiosk(db, "today", "Door")[1]


# 3. Pair mode exchanges details both ways: both people must allow it.
def test_pair_mode_refuses_when_the_first_badge_holder_said_no(door, db):
    client, people, token = door
    answer = client.post("/api/v1/events/today/connections", headers=bearer(token),
                         json={"scanner": people["bob"]["code"], "scanned": people["zoe"]["code"],
                               "nonce": uuid.uuid4().hex})
    assert answer.status_code == 403
    assert answer.get_json()["message"] == "Bob has chosen not to exchange details."
    assert count(db) == 0


# 7. A small file declaring an enormous picture is refused before it is decoded.
def bomb_png(side=7700):
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def test_a_decompression_bomb_is_refused_at_once_by_decode_and_photo_upload(door, db):
    client, people, token = door
    bomb = bomb_png()
    assert len(bomb) < 200_000
    started = time.monotonic()
    answer = client.post("/api/v1/events/today/decode", data=bomb, headers=bearer(token))
    assert answer.status_code == 400 and "7700 x 7700 pixels" in answer.get_json()["message"]
    with pytest.raises(Invalid, match="7700 x 7700 pixels"):
        set_photo(db, "today", people["zoe"]["id"], bomb)
    assert time.monotonic() - started < 1
    assert db.execute("SELECT photo FROM attendees WHERE id = ?", [people["zoe"]["id"]]).fetchone()[0] is None


def test_only_jpeg_and_png_are_read_so_no_postscript_reaches_ghostscript(door, db):
    """Pillow hands EPS to Ghostscript (a process without a time limit); the camera frame
    and the photo upload read JPEG and PNG only."""
    client, people, token = door
    eps = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 1 3000000 {pop} for\nshowpage\n")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    for data in (eps, gif.getvalue()):
        started = time.monotonic()
        answer = client.post("/api/v1/events/today/decode", data=data, headers=bearer(token))
        assert answer.status_code == 400 and "JPEG or PNG" in answer.get_json()["message"]
        with pytest.raises(Invalid):
            set_photo(db, "today", people["zoe"]["id"], data)
        assert time.monotonic() - started < 1


def test_only_a_few_images_decode_at_once_and_the_rest_are_told_to_retry(door, monkeypatch):
    client, _, token = door
    monkeypatch.setattr(images, "WAIT_SECONDS", 0.2)
    frame = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(frame, "PNG")
    held = [images.decoding() for _ in range(images.DECODES_AT_ONCE)]
    for slot in held:
        slot.__enter__()
    try:
        busy = client.post("/api/v1/events/today/decode", data=frame.getvalue(), headers=bearer(token))
        assert client.get("/healthz").status_code == 200
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    assert busy.status_code == 503 and busy.get_json()["result"] == "busy"
    assert "try again" in busy.get_json()["message"]
    answer = client.post("/api/v1/events/today/decode", data=frame.getvalue(), headers=bearer(token))
    assert answer.get_json()["result"] == "none"


# 10. A stored answer is the asking kiosk's: another event's kiosk replaying its nonce learns nothing.
def test_another_events_kiosk_replaying_a_nonce_gets_its_own_answer(door, db):
    client, people, token = door
    other = open_event(db, "other")
    other_token = create_kiosk(db, "other", "Door B")[1]
    nonce = "shared-nonce-1"
    first = client.post("/api/v1/events/today/checkins", headers=bearer(token),
                        json={"code": people["zoe"]["code"], "nonce": nonce})
    assert first.get_json()["attendee"]["last_name"] == "Ångström"
    replay = client.post("/api/v1/events/other/checkins", headers=bearer(other_token),
                         json={"code": "ZZZZZZZZZZZZZ", "nonce": nonce})
    assert replay.status_code == 404 and "Ångström" not in replay.get_data(as_text=True)
    mine = client.post("/api/v1/events/other/checkins", headers=bearer(other_token),
                       json={"code": other["ann"]["code"], "nonce": "shared-nonce-2"})
    assert mine.status_code == 201
    again = client.post("/api/v1/events/today/checkins", headers=bearer(token),
                        json={"code": people["zoe"]["code"], "nonce": nonce})
    assert again.get_json() == first.get_json(), "each kiosk's own replays still work"


# 11. Who met whom is for organisers only.
def test_staff_cannot_open_who_met_whom(client, db):
    open_event(db, "today")
    create_user(db, "staff@example.org", "door staff password", role="staff")
    post_form(client, "/login", {"email": "staff@example.org", "password": "door staff password"})
    assert client.get("/admin/events/today/connections").status_code == 403
    assert "/connections" not in client.get("/admin/events/today").get_data(as_text=True)


# 12. Bad input is a 4xx that says why, never a 500.
def test_odd_input_gets_a_clear_4xx(door, organiser, runner):
    client, people, token = door
    zoe = people["zoe"]["code"]
    deep = client.post("/api/v1/events/today/checkins", data="[" * 30000,
                       headers={**bearer(token), "Content-Type": "application/json"})
    assert deep.status_code == 400 and deep.get_json()["message"] == "the body must be a JSON object"
    year_one = client.post("/api/v1/events/today/checkins", headers=bearer(token),
                           json={"code": zoe, "nonce": "nonce-year-1", "at": "0001-01-01T00:00:00+14:00"})
    assert year_one.status_code == 400 and "out of range" in year_one.get_json()["message"]
    newline = client.get(f"/api/v1/events/today/badges/AB%0A{zoe}.pdf", headers=bearer(token))
    assert newline.status_code == 404 and newline.is_json
    badge = client.get(f"/api/v1/events/today/badges/{zoe}%0A.pdf", headers=bearer(token))
    assert badge.status_code == 200 and badge.headers["Content-Disposition"] == f'inline; filename="badge-{zoe}.pdf"'
    preview = organiser.get("/admin/events/today/badges/preview.png?sort=nope")
    assert preview.status_code == 400 and "unknown order &#39;nope&#39;" in preview.get_data(as_text=True)
    result = runner.invoke(args=["create-event", "big", "--name", "Big", "--starts", "2026-01-01T09:00",
                                 "--ends", "2026-01-01T10:00", "--grace-minutes", "99999999999999"])
    assert result.exit_code == 1 and "the grace period is 0 to 10080 minutes" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# 16. A failed badge download answers on the page with the choices kept; the CSRF token
# never lands in an address.
def test_a_failed_badge_download_puts_no_token_in_the_url(organiser):
    answer = post_form(organiser, "/admin/events/spring/badges", {"layout": "a4-8", "sort": "last_name"})
    assert answer.status_code == 422 and "Location" not in answer.headers
    assert "unknown badge stock" in answer.get_data(as_text=True)


# 17. (The lead's tests hold the database and backups.) The instance folder, with the
# secret key and the saved mail, is its owner's only.
def test_the_instance_folder_is_its_owners_only(tmp_path):
    from kiosk import create_app

    create_app({"INSTANCE_PATH": str(tmp_path / "fresh")})
    assert stat.S_IMODE(os.stat(tmp_path / "fresh").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "fresh" / "secret_key").st_mode) == 0o600


def test_an_instance_folder_left_open_is_made_private_at_start(tmp_path):
    """An instance/ an older release or a checkout left 0755 is tightened, not only a new one."""
    from kiosk import create_app

    (tmp_path / "old").mkdir()
    os.chmod(tmp_path / "old", 0o755)
    create_app({"INSTANCE_PATH": str(tmp_path / "old"), "SECRET_KEY": "k"})
    assert stat.S_IMODE(os.stat(tmp_path / "old").st_mode) == 0o700


def test_an_uploaded_attendee_list_is_the_service_users_only(app, organiser):
    """The list waits in instance/uploads for the organiser to confirm: names and addresses."""
    response = post_form(organiser, "/admin/events/spring/import",
                         {"file": (io.BytesIO(b"Name,Email\nAnn Lee,ann@example.org\n"), "people.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    (waiting,) = (Path(app.instance_path) / "uploads").glob("*.csv")
    assert stat.S_IMODE(waiting.stat().st_mode) == 0o600
    assert stat.S_IMODE(waiting.parent.stat().st_mode) == 0o700


# 1. The print command is server configuration: no web form sets it, and it runs without a shell.
def test_no_web_form_can_set_a_print_command(organiser, db, tmp_path):
    open_event(db, "today")
    planted = tmp_path / "planted"
    post_form(organiser, "/admin/events/today/kiosks",
              {"name": "Evil", "printing": "server", "print_command": f"touch {planted}"})
    assert db.execute("SELECT count(*) FROM kiosks WHERE print_command != ''").fetchone()[0] == 0
    assert "print_command" not in organiser.get("/admin/events/today").get_data(as_text=True)


def test_server_printing_takes_the_command_line_or_environment_command(app, db, runner, tmp_path):
    people = open_event(db, "today")
    out = tmp_path / "from-env.pdf"
    app.config["PRINT_COMMAND"] = f"tee {out}"
    token = create_kiosk(db, "today", "Desk", printing="server", default_print_command=app.config["PRINT_COMMAND"])[1]
    client = app.test_client()
    printed = client.post(f"/api/v1/events/today/badges/{people['zoe']['code']}/print", headers=bearer(token), json={})
    assert printed.get_json()["result"] == "printed" and out.read_bytes().startswith(b"%PDF")
    shell = tmp_path / "shell-ran"
    result = runner.invoke(args=["create-kiosk", "today", "Desk", "--printing", "server",
                                 "--print-command", f"echo hi; touch {shell}"])
    token = result.output.split()[-1]
    printed = client.post(f"/api/v1/events/today/badges/{people['zoe']['code']}/print", headers=bearer(token), json={})
    assert printed.get_json()["result"] == "printed" and not shell.exists(), "no shell: ';' is an argument"
    refused = runner.invoke(args=["create-kiosk", "today", "Desk", "--printing", "server",
                                  "--print-command", "no-such-printer-program -d X"])
    assert refused.exit_code == 1
    assert "the print command's program 'no-such-printer-program' is not installed" in refused.output


def test_a_failing_printer_is_reported_to_the_kiosk_and_nothing_counted(door, db, tmp_path):
    client, people, _ = door
    script = tmp_path / "printer"
    script.write_text("#!/bin/sh\necho 'lp: printer QL800 is out of labels' >&2\nexit 3\n")
    script.chmod(0o700)
    token = create_kiosk(db, "today", "Jammed", printing="server", print_command=str(script))[1]
    answer = client.post(f"/api/v1/events/today/badges/{people['zoe']['code']}/print", headers=bearer(token), json={})
    assert answer.status_code == 503
    assert answer.get_json()["message"] == (
        f"The printer did not take the badge: {script} exited with status 3: lp: printer QL800 is out of labels")
    assert db.execute("SELECT print_count FROM attendees WHERE id = ?", [people["zoe"]["id"]]).fetchone()[0] == 0


# 9. An unsubscribe link names one person for ever, even after their row id is reused.
def test_an_old_unsubscribe_link_never_acts_on_the_next_holder_of_an_id(app, client, db):
    from kiosk.attendees import add_attendee, find_attendee
    from kiosk.messages import unsubscribe_token
    from kiosk.privacy import delete_attendee

    people = open_event(db, "today")
    cy = people["cy"]  # the newest row: SQLite gives its id to the next attendee
    with app.test_request_context():
        token = unsubscribe_token(cy)
    delete_attendee(db, cy)
    newcomer = add_attendee(db, "today", {"first_name": "Dee", "email": "dee@example.org"})
    assert newcomer["id"] == cy["id"]
    assert client.post(f"/unsubscribe/{token}").status_code == 404
    assert find_attendee(db, "today", "dee@example.org")["mail_opt_out_at"] is None
    with app.test_request_context():
        own = unsubscribe_token(newcomer)
    assert client.post(f"/unsubscribe/{own}").status_code == 200
    assert find_attendee(db, "today", "dee@example.org")["mail_opt_out_at"]
