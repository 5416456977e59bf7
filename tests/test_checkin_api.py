"""The check-in API: every outcome, nonce replays, tokens, malformed requests, races."""

import http.client
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from conftest import ORGANISER, ROOT, post_form
from kiosk import create_app
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee, set_revoked
from kiosk.db import connect, write
from kiosk.events import add_workshop, create_event, server_zone, update_event
from kiosk.checkins import check_in
from kiosk.kiosks import SETTINGS_SECONDS, authenticate, create_kiosk, revoke_kiosk
from kiosk.nonces import answered

PEOPLE = (
    "First Name,Last Name,Email,Organisation\n"
    "Zoë,Ångström,zoe@example.org,Karolinska\n"
    "Ann,Lee,ann@example.org,Barts\n"
    "Bob,Adams,bob@example.org,Charité\n"
)


class Door:
    """An open event with people and kiosks, and helpers to call the API as a kiosk."""

    def __init__(self, client, db):
        self.client, self.db = client, db
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        create_event(db, "today", "Networking for Medics", start.isoformat(),
                     (start + timedelta(hours=8)).isoformat())
        add_workshop(db, "today", "peers", "Peer networking")
        import_attendees(db, "today", PEOPLE.encode())
        self.code = {e: find_attendee(db, "today", e)["code"]
                     for e in ("zoe@example.org", "ann@example.org", "bob@example.org")}
        self.token = create_kiosk(db, "today", "Door 1")[1]
        self.self_token = create_kiosk(db, "today", "Self", mode="self")[1]
        self.workshop_token = create_kiosk(db, "today", "Room 1", "peers")[1]

    def post(self, path, body, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.client.post(f"/api/v1/events/today/{path}", json=body, headers=headers, **kwargs)

    def scan(self, code, nonce=None, token=None, **extra):
        return self.post("checkins", {"code": code, "nonce": nonce or uuid.uuid4().hex, **extra}, token)

    def count(self, where="1"):
        return self.db.execute(f"SELECT count(*) FROM checkins WHERE {where}").fetchone()[0]


@pytest.fixture
def door(client, db):
    return Door(client, db)


def test_first_scan_checks_in(door):
    response = door.scan(door.code["zoe@example.org"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["result"] == "checked_in"
    assert body["message"] == "Welcome to Networking for Medics, Zoë!"
    assert body["attendee"]["first_name"] == "Zoë" and "email" not in body["attendee"]
    assert body["checked_in_at"]
    assert door.count() == 1


def test_second_scan_is_already_checked_in_with_the_time(door):
    first = door.scan(door.code["zoe@example.org"]).get_json()
    response = door.scan(door.code["zoe@example.org"])
    assert response.status_code == 200
    assert response.get_json()["result"] == "already_checked_in"
    assert response.get_json()["checked_in_at"] == first["checked_in_at"]
    assert door.count() == 1


@pytest.mark.parametrize("form", [
    "https://kiosk.test/b/{code}", "HTTPS://KIOSK.TEST/B/{code}", "{lower}", "  {code}\n",
])
def test_code_as_url_or_any_case(door, form):
    code = door.code["ann@example.org"]
    assert door.scan(form.format(code=code, lower=code.lower())).status_code == 201


@pytest.mark.parametrize("payload", [
    "ZZZZZZZZZZZZZ", "https://example.com/some/other/qr", "WIFI:S:venue;T:WPA;P:secret;;", "x",
])
def test_unknown_or_foreign_code(door, payload):
    response = door.scan(payload)
    assert response.status_code == 404
    assert response.get_json()["result"] == "unknown"
    assert door.count() == 0


def test_revoked_badge(door):
    set_revoked(door.db, "today", find_attendee(door.db, "today", "bob@example.org")["id"], True)
    response = door.scan(door.code["bob@example.org"])
    assert response.status_code == 409 and response.get_json()["result"] == "revoked"
    assert door.count() == 0


def test_closed_event(door, db):
    create_event(db, "past", "Past", "2026-01-01T09:00", "2026-01-01T17:00")
    import_attendees(db, "past", b"Name,Email\nA B,a@example.org\n")
    token = create_kiosk(db, "past", "Door")[1]
    code = find_attendee(db, "past", "a@example.org")["code"]
    response = door.client.post("/api/v1/events/past/checkins", json={"code": code, "nonce": "n" * 10},
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 410 and response.get_json()["result"] == "closed"


def test_replayed_nonce_gives_the_first_answer_and_records_nothing(door):
    nonce = uuid.uuid4().hex
    first = door.scan(door.code["zoe@example.org"], nonce)
    again = door.scan(door.code["zoe@example.org"], nonce)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json() == again.get_json()
    unknown = door.scan("ZZZZZZZZZZZZZ", "n-unknown-1")
    assert door.scan("ZZZZZZZZZZZZZ", "n-unknown-1").get_json() == unknown.get_json()
    assert door.count() == 1
    assert door.db.execute("SELECT count(*) FROM api_replies").fetchone()[0] == 2


def test_workshop_kiosk_records_workshop_and_door(door):
    response = door.scan(door.code["ann@example.org"], token=door.workshop_token)
    assert response.status_code == 201
    assert response.get_json()["workshop"] == "peers"
    assert "Welcome to Peer networking, Ann!" == response.get_json()["message"]
    assert door.count("workshop_id IS NULL") == 1 and door.count("workshop_id IS NOT NULL") == 1
    assert door.scan(door.code["ann@example.org"], token=door.workshop_token).status_code == 200


def test_workshop_named_in_the_body(door):
    assert door.scan(door.code["ann@example.org"], workshop="peers").get_json()["workshop"] == "peers"
    assert door.scan(door.code["bob@example.org"], workshop="nope").status_code == 404


def test_queued_scan_keeps_its_time(door):
    at = (datetime.now(timezone.utc) - timedelta(minutes=7)).replace(microsecond=0)
    body = door.scan(door.code["zoe@example.org"], at=at.isoformat()).get_json()
    assert body["checked_in_at"] == at.isoformat()
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    body = door.scan(door.code["ann@example.org"], at=future).get_json()
    assert body["checked_in_at"] < future


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
def test_token_required(door, headers):
    response = door.client.post("/api/v1/events/today/checkins",
                                json={"code": door.code["zoe@example.org"], "nonce": "n" * 10}, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["result"] == "unauthorised"
    assert door.count() == 0


def test_revoked_kiosk_token_stops_working(door):
    assert door.scan(door.code["zoe@example.org"]).status_code == 201  # the token is known now
    revoke_kiosk(door.db, "today", "Door 1")
    assert door.scan(door.code["ann@example.org"]).status_code == 401
    assert door.count() == 1


def test_a_kiosk_revoked_on_the_organisers_page_stops_at_its_next_scan(app, door):
    """The page promises 'that device can no longer check anyone in': not even for the
    seconds this process keeps a kiosk's authentication."""
    assert door.scan(door.code["zoe@example.org"]).status_code == 201
    staff = app.test_client()
    post_form(staff, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    page = post_form(staff, "/admin/events/today/kiosks/revoke", {"name": "Door 1"}, follow_redirects=True)
    assert "can no longer check anyone in" in page.get_data(as_text=True)
    assert door.scan(door.code["ann@example.org"]).status_code == 401
    assert door.count() == 1


def test_an_event_closed_or_a_kiosk_reissued_meanwhile_applies_at_the_next_scan(door):
    assert door.scan(door.code["zoe@example.org"]).status_code == 201
    update_event(door.db, "today", ends=(datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat(),
                 grace_minutes=0)
    assert door.scan(door.code["ann@example.org"]).get_json()["result"] == "closed"
    _, new_token = create_kiosk(door.db, "today", "Door 1")
    assert door.scan(door.code["bob@example.org"]).status_code == 401
    assert door.scan(door.code["bob@example.org"], token=new_token).get_json()["result"] == "closed"


def test_a_kiosk_authenticated_while_its_revocation_commits_is_not_kept(door, app):
    other = connect(app.config["DATABASE"])
    with write(door.db):
        revoke_kiosk(door.db, "today", "Door 1")
        assert authenticate(other, door.token, "today") is not None, "not revoked until the commit"
    assert authenticate(other, door.token, "today") is None
    other.close()


@pytest.mark.parametrize("change, then", [
    ("DELETE FROM workshops WHERE slug = 'peers'", 201),  # the kiosk stands at the door now
    ("UPDATE kiosks SET revoked_at = '2026-01-01' WHERE name = 'Room 1'", 401),
    ("DELETE FROM events WHERE slug = 'today'", 401),
])
def test_a_kiosk_changed_by_another_process_is_told_to_send_again_then_answered_afresh(door, app, change, then):
    """Within the seconds this process keeps an authentication, a write from a kiosk that
    another process changed meanwhile is neither recorded on stale settings nor a 500:
    it is answered 503 (the kiosk's queue sends it again) and then as the kiosk now is."""
    assert door.scan(door.code["zoe@example.org"], token=door.workshop_token).status_code == 201
    other = sqlite3.connect(app.config["DATABASE"])  # no triggers: as another process
    other.execute("PRAGMA foreign_keys = ON")
    other.execute(change)
    other.commit()
    other.close()
    nonce = uuid.uuid4().hex
    first = door.scan(door.code["ann@example.org"], nonce, token=door.workshop_token)
    assert first.status_code == 503 and "sent again" in first.get_json()["message"]
    again = door.scan(door.code["ann@example.org"], nonce, token=door.workshop_token)
    assert again.status_code == then, again.get_json()
    if then == 201:
        assert again.get_json().get("workshop", "") == "" and door.count("workshop_id IS NULL") == 2


def _revoked_by_another_process(app, kiosk_name):
    other = sqlite3.connect(app.config["DATABASE"])  # no triggers: as the command line would
    other.execute("UPDATE kiosks SET revoked_at = '2026-01-01' WHERE name = ?", [kiosk_name])
    other.commit()
    other.close()


@pytest.mark.parametrize("write", ["print", "photo"])
def test_a_print_or_a_photo_from_a_kiosk_revoked_elsewhere_records_nothing(door, app, write):
    """Every kiosk write checks the kiosk's row in its transaction, not only scans: 503
    (nothing done), then 401 once authenticated afresh."""
    from headshot_files import jpeg

    code = door.code["zoe@example.org"]
    bearer = {"Authorization": f"Bearer {door.token}"}
    assert door.client.post(f"/api/v1/events/today/badges/{code}/print", headers=bearer).status_code == 200

    def send():
        if write == "print":
            return door.client.post(f"/api/v1/events/today/badges/{code}/print", headers=bearer)
        return door.client.post(f"/api/v1/events/today/headshots/{code}", data=jpeg(), headers=bearer,
                                content_type="image/jpeg")

    _revoked_by_another_process(app, "Door 1")
    assert [send().status_code, send().status_code] == [503, 401]
    assert door.db.execute("SELECT print_count, has_photo FROM attendees WHERE code = ?", [code]).fetchone() == (1, 0)


def test_a_kiosk_revoked_elsewhere_shows_no_phone_qr(door, app):
    from kiosk.phones import issue_activation

    kiosk = authenticate(door.db, door.token, "today")
    assert issue_activation(door.db, kiosk, door.code["zoe@example.org"])
    _revoked_by_another_process(app, "Door 1")
    assert issue_activation(door.db, kiosk, door.code["ann@example.org"]) is None


@pytest.mark.parametrize("path, body", [
    ("checkins", {"code": "{zoe}", "workshop": "\ud800"}),
    ("walk-ins", {"first_name": "Ad\udc80a", "email": "ada@example.org"}),
    ("connections", {"scanner": "{zoe}", "scanned": "{ann}", "note": "met at \udc80"}),
    ("connections", {"scanner": "{zoe}", "scanned": "{ann}", "\ud800": "x"}),
])
def test_half_a_surrogate_pair_is_a_400_not_a_500(door, path, body):
    """JSON may carry "\\ud800": no character, and nothing SQLite can store."""
    codes = {"{zoe}": door.code["zoe@example.org"], "{ann}": door.code["ann@example.org"]}
    body = {key: codes.get(value, value) for key, value in body.items()}
    response = door.post(path, {**body, "nonce": uuid.uuid4().hex})
    assert response.status_code == 400 and "broken character" in response.get_json()["message"]
    assert door.count() == 0 and door.db.execute("SELECT count(*) FROM connections").fetchone()[0] == 0


def test_a_kiosk_reissued_by_the_command_line_stops_within_seconds(live_server):
    """Another process (the command line) cannot tell the server: the old token works
    for at most SETTINGS_SECONDS more."""
    scan = {"code": "NOT-A-BADGE", "nonce": uuid.uuid4().hex}
    assert _post_json(live_server, scan)[0] == 404  # authenticated: an unknown badge
    env = {**os.environ, "KIOSK_DATABASE": str(live_server.database), "KIOSK_SECRET_KEY": "live-test-secret"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "create-kiosk", "medics-demo", "Front door"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    deadline = time.monotonic() + SETTINGS_SECONDS + 3
    while _post_json(live_server, {**scan, "nonce": uuid.uuid4().hex})[0] != 401:
        assert time.monotonic() < deadline, "the re-issued kiosk's old token still works"
        time.sleep(0.2)


def _post_json(server, body):
    request = urllib.request.Request(f"{server.url}/api/v1/events/medics-demo/checkins", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {server.token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


@pytest.mark.parametrize("body, message", [
    (None, "JSON object"),
    ([], "JSON object"),
    ({"nonce": "n" * 10}, "'code' is required"),
    ({"code": "ABC"}, "'nonce' is required"),
    ({"code": 12, "nonce": "n" * 10}, "'code' must be a string"),
    ({"nonce": "n" * 10}, "'code' is required"),
    ({"code": "ABCDEFGHJKMNP", "nonce": "short"}, "nonce must be"),
    ({"code": "ABCDEFGHJKMNP", "nonce": "n" * 10, "workshop": {"x": 1}}, "must be a string"),
    ({"code": "ABCDEFGHJKMNP", "nonce": "n" * 10, "at": "yesterday"}, "not an ISO date-time"),
])
def test_malformed_bodies(door, body, message):
    response = door.post("checkins", body)
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_not_json_at_all(door):
    response = door.client.post("/api/v1/events/today/checkins", data=b"\xff\x00garbage",
                                headers={"Authorization": f"Bearer {door.token}",
                                         "Content-Type": "application/json"})
    assert response.status_code == 400 and response.is_json


@pytest.mark.parametrize("content_type, status", [
    ("application/json; charset=utf-8", 201), ("Application/JSON", 201), ("application/problem+json", 201),
    ("text/plain", 400), ("application/x-www-form-urlencoded", 400), ("", 400),
])
def test_a_json_body_is_known_by_its_content_type(door, content_type, status):
    body = json.dumps({"code": door.code["zoe@example.org"], "nonce": uuid.uuid4().hex})
    response = door.client.post("/api/v1/events/today/checkins", data=body, content_type=content_type,
                                headers={"Authorization": f"Bearer {door.token}"})
    assert response.status_code == status
    assert status == 201 or "JSON object" in response.get_json()["message"]


@pytest.mark.parametrize("length, terminated, status", [
    ("twelve", False, 400),  # a broken length: no body
    ("", False, 400),  # no length, and a server that does not end the input: no body
    ("", True, 201),  # no length, and a server that ends the input (a chunked body): read to its end
])
def test_a_body_without_a_usable_length(door, length, terminated, status):
    response = door.post("checkins", {"code": door.code["zoe@example.org"], "nonce": uuid.uuid4().hex},
                         environ_overrides={"CONTENT_LENGTH": length, "wsgi.input_terminated": terminated})
    assert response.status_code == status
    assert status == 201 or "JSON object" in response.get_json()["message"]
    assert door.count() == (status == 201)


def test_a_chunked_body_is_read_whole_and_a_huge_one_refused(live_server):
    """No Content-Length: the server reads the chunks to their end; the same size limit holds."""
    def send_chunked(body):
        connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=5)
        connection.request("POST", "/api/v1/events/medics-demo/checkins", body=iter([body[:7], body[7:]]),
                           encode_chunked=True, headers={"Authorization": f"Bearer {live_server.token}",
                                                         "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    status, answer = send_chunked(json.dumps({"code": "NOT-A-BADGE", "nonce": uuid.uuid4().hex}).encode())
    assert (status, answer["result"]) == (404, "unknown")  # read and answered
    status, answer = send_chunked(json.dumps({"code": "A" * 100_000, "nonce": uuid.uuid4().hex}).encode())
    assert status == 400 and "larger than 64 KB" in answer["message"]


def test_huge_body(door):
    response = door.post("checkins", {"code": "A" * 100_000, "nonce": "n" * 10})
    assert response.status_code == 400 and "larger than" in response.get_json()["message"]


def test_wrong_method_is_json(door):
    response = door.client.get("/api/v1/events/today/checkins")
    assert response.status_code == 405 and response.is_json


def test_concurrent_scans_of_one_badge_record_one_checkin(app, door):
    """Two doors, same badge, same moment, separate connections and threads."""
    code = door.code["zoe@example.org"]
    results, barrier = [], threading.Barrier(8)

    def scan():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/events/today/checkins",
                               json={"code": code, "nonce": uuid.uuid4().hex},
                               headers={"Authorization": f"Bearer {door.token}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=scan) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 7 + [201]
    assert door.count() == 1


@pytest.mark.parametrize("path, table", [("checkins", "checkins"), ("connections", "connections"),
                                         ("walk-ins", "checkins")])
def test_one_nonce_sent_by_eight_threads_at_once_is_answered_and_recorded_once(app, door, path, table):
    """Requests racing with one nonce: only the first records anything (a walk-in: one
    person registered), and each gets the same answer."""
    zoe, ann = door.code["zoe@example.org"], door.code["ann@example.org"]
    body = {"code": zoe, "scanner": zoe, "scanned": ann, "nonce": uuid.uuid4().hex,
            "first_name": "Wanda", "email": "wanda@example.org"}
    answers, barrier = [], threading.Barrier(8)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/events/today/{path}", json=body,
                               headers={"Authorization": f"Bearer {door.token}"})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and all(answer == answers[0] for answer in answers)
    assert answers[0][0] == 201
    assert door.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
    assert door.db.execute("SELECT count(*) FROM api_replies").fetchone()[0] == 1
    assert door.db.execute("SELECT count(*) FROM attendees").fetchone()[0] == 3 + (path == "walk-ins")


def test_a_second_request_with_a_nonce_does_nothing_but_answer(door):
    """Whatever it would do (here: check in someone else), a request whose nonce has an
    answer gets that answer, marked as a replay, and does none of it."""
    kiosk = authenticate(door.db, door.token, "today")
    first = check_in(door.db, "today", door.code["zoe@example.org"], "race-nonce-1", kiosk=kiosk)
    second = answered(door.db, "race-nonce-1", kiosk, lambda: check_in(
        door.db, "today", door.code["ann@example.org"], uuid.uuid4().hex, kiosk=kiosk))
    assert (second.status, second.body()) == (first.status, first.body()) and first.result == "checked_in"
    assert second.replay, "answered as a replay: never a new phone QR"
    assert door.count() == 1, "Ann was not checked in"
    assert door.db.execute("SELECT count(*) FROM api_replies").fetchone()[0] == 1


def test_search_staffed_kiosk(door):
    response = door.client.get("/api/v1/events/today/attendees?q=zoe",
                               headers={"Authorization": f"Bearer {door.token}"})
    (person,) = response.get_json()["attendees"]
    assert person["last_name"] == "Ångström" and person["email"] == "zoe@example.org"
    assert person["checked_in_at"] is None


@pytest.mark.parametrize("query, expected", [
    ("zoe", ["Zoë"]), ("ANG", ["Zoë"]), ("charite", ["Bob"]), ("a", ["Bob", "Ann", "Zoë"]),
    ("ann lee", ["Ann"]), ("barts", ["Ann"]), ("lee ann", ["Ann"]), ("\"'*", []), ("x" * 300, []),
])
def test_search_is_prefix_and_accent_insensitive(door, query, expected):
    response = door.client.get("/api/v1/events/today/attendees", query_string={"q": query},
                               headers={"Authorization": f"Bearer {door.token}"})
    assert response.status_code == 200
    assert [p["first_name"] for p in response.get_json()["attendees"]] == expected


def test_search_self_service_shows_little(door):
    headers = {"Authorization": f"Bearer {door.self_token}"}
    response = door.client.get("/api/v1/events/today/attendees?q=zo", headers=headers)
    (person,) = response.get_json()["attendees"]
    assert person.pop("pick") and person == {"first_name": "Zoë", "last_initial": "Å", "organisation": "Karolinska"}
    assert door.client.get("/api/v1/events/today/attendees?q=z", headers=headers).get_json()["attendees"] == []


def test_search_needs_a_token(door):
    assert door.client.get("/api/v1/events/today/attendees?q=zoe").status_code == 401


def test_walk_in_registers_checks_in_and_counts_prints(door):
    nonce = uuid.uuid4().hex
    response = door.post("walk-ins", {"nonce": nonce, "first_name": "Wanda", "last_name": "Walker",
                                      "email": "wanda@example.org", "organisation": "UCL",
                                      "share_email": False, "allow_scan": True})
    assert response.status_code == 201
    body = response.get_json()
    assert body["attendee"]["first_name"] == "Wanda" and not body["attendee"]["badge_printed"]
    wanda = find_attendee(door.db, "today", "wanda@example.org")
    assert (wanda["consent_source"], wanda["share_email"], wanda["allow_scan"]) == ("walk-in", 0, 1)
    assert door.post("walk-ins", {"nonce": nonce, "first_name": "Wanda", "email": "wanda@example.org"}
                     ).get_json() == body, "a replayed walk-in registers nobody new"
    code = body["attendee"]["code"]
    printed = door.post(f"badges/{code}/print", {})
    assert printed.get_json() == {"result": "printed", "message": "Badge printed.", "print_count": 1}
    assert door.post(f"badges/{code}/print", {}).get_json()["print_count"] == 2


def test_walk_in_errors(door):
    response = door.post("walk-ins", {"nonce": "n" * 10, "first_name": "Zed", "email": "zoe@example.org"})
    assert response.status_code == 409 and "already registered" in response.get_json()["message"]
    response = door.post("walk-ins", {"nonce": "m" * 10, "first_name": "Zed", "email": "not-an-email"})
    assert response.status_code == 400 and "is not a valid email address" in response.get_json()["message"]
    response = door.post("walk-ins", {"nonce": "o" * 10, "first_name": "Zed", "email": "zed@example.org"},
                         token=door.self_token)
    assert response.status_code == 403


def test_kiosk_info(door):
    response = door.client.get("/api/v1/kiosk", headers={"Authorization": f"Bearer {door.workshop_token}"})
    body = response.get_json()
    assert body["event"] == {"slug": "today", "name": "Networking for Medics", "timezone": server_zone()}
    assert (body["name"], body["mode"], body["workshop"], body["printing"]) == ("Room 1", "staffed", "peers", "browser")
    assert door.client.get("/api/v1/kiosk").status_code == 401


def test_server_side_printing_runs_the_print_command(door, tmp_path):
    out = tmp_path / "printed.pdf"
    token = create_kiosk(door.db, "today", "Printer kiosk", printing="server",
                         print_command=f"tee {out}", layout="brother-62x100")[1]
    code = door.code["ann@example.org"]
    response = door.post(f"badges/{code}/print", {}, token=token)
    assert response.get_json()["print_count"] == 1
    assert out.read_bytes().startswith(b"%PDF")
    bad = create_kiosk(door.db, "today", "Broken printer", printing="server", print_command="false")[1]
    response = door.post(f"badges/{code}/print", {}, token=bad)
    assert response.status_code == 503 and response.get_json()["result"] == "printer_failed"


def test_camera_frame_is_decoded_on_the_server(door, app):
    from badges import render_badges
    from pdf_checks import open_pdf, page_image

    pdf = io.BytesIO()
    render_badges([{"first_name": "Ann", "last_name": "Lee", "code": door.code["ann@example.org"]}], pdf,
                  event_name="E", base_url="https://kiosk.test", layout="4x3in")
    frame = io.BytesIO()
    page_image(open_pdf(pdf.getvalue())[0], 100).convert("RGB").save(frame, "JPEG", quality=70)
    headers = {"Authorization": f"Bearer {door.token}", "Content-Type": "image/jpeg"}
    response = door.client.post("/api/v1/events/today/decode", data=frame.getvalue(), headers=headers)
    assert response.get_json() == {"result": "ok", "text": f"HTTPS://KIOSK.TEST/B/{door.code['ann@example.org']}"}
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(blank, "JPEG")
    response = door.client.post("/api/v1/events/today/decode", data=blank.getvalue(), headers=headers)
    assert response.get_json()["result"] == "none"
    response = door.client.post("/api/v1/events/today/decode", data=b"not an image", headers=headers)
    assert response.status_code == 400


def test_state_survives_a_new_app_on_the_same_file(door, app):
    door.scan(door.code["zoe@example.org"])
    again = create_app({"INSTANCE_PATH": app.instance_path, "DATABASE": app.config["DATABASE"],
                        "SECRET_KEY": "x"})
    db = connect(again.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1


def test_live_view_counts_and_charts_arrivals(door, organiser):
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=45)
    start -= timedelta(minutes=start.minute % 10)
    door.scan(door.code["zoe@example.org"], at=start.isoformat())
    door.scan(door.code["ann@example.org"], at=(start + timedelta(minutes=3)).isoformat())
    door.scan(door.code["bob@example.org"], at=(start + timedelta(minutes=25)).isoformat(),
              token=door.workshop_token)
    page = organiser.get("/admin/events/today/live").get_data(as_text=True)
    assert '<strong id="arrived">3</strong> checked in' in page
    assert "<strong>3</strong> expected" in page
    bars = re.findall(r'<rect [^>]*height="([\d.]+)"><title>(\d\d:\d\d): (\d+)</title>', page)
    assert [int(n) for _, _, n in bars] == [2, 0, 1]
    assert float(bars[0][0]) > float(bars[2][0]) > 0
    assert re.search(r"<td>Peer networking</td><td></td><td class=\"num\">1</td>", page)
    assert 'data-refresh="15"' in page and "js/refresh.js" in page


def test_a_read_only_disk_is_a_clear_503_and_nothing_is_half_written(app, door):
    from kiosk.db import _WRITERS, _writer

    with _WRITERS:  # (as every use of the writer is)
        writes = _writer(os.path.realpath(app.config["DATABASE"]))  # the connection requests write on
    writes.execute("PRAGMA query_only = ON")  # what a read-only or full disk does to writes
    try:
        response = door.scan(door.code["zoe@example.org"], nonce="while-read-only")
        assert response.status_code == 503
        assert response.get_json()["result"] == "unavailable"
        assert "Nothing was lost" in response.get_json()["message"]
    finally:
        writes.execute("PRAGMA query_only = OFF")
    assert door.count() == 0
    assert door.db.execute("SELECT count(*) FROM api_replies").fetchone()[0] == 0
    assert door.scan(door.code["zoe@example.org"], nonce="while-read-only").status_code == 201, \
        "the kiosk's queued retry goes through once the disk is back"
