"""Data rights: consent history, the attendee's and the organiser's access and deletion,
purging a past event."""

import json
import uuid

from conftest import post_form
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee
from kiosk.checkins import check_in
from kiosk.connections import record
from kiosk.events import create_event
from kiosk.kiosks import create_kiosk
from test_connections import activate, open_event


def consent_history(db, attendee):
    return db.execute("SELECT source, share_email, share_linkedin, allow_scan FROM consent_log "
                      "WHERE attendee_id = ? ORDER BY id", [attendee["id"]]).fetchall()


def test_every_consent_change_is_recorded_with_time_and_source(client, organiser, db):
    import_attendees(db, "spring", b"Name,Email,share_email\nAnn Lee,ann@example.org,yes\n")
    ann = find_attendee(db, "spring", "ann@example.org")
    post_form(organiser, f"/admin/events/spring/attendees/{ann['id']}",
              {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.org", "allow_scan": "on"})
    import_attendees(db, "spring", b"Name,Email,share_email,share_linkedin\nAnn Lee,ann@example.org,yes,yes\n")
    import_attendees(db, "spring", b"Name,Email,share_email,share_linkedin\nAnn Lee,ann@example.org,yes,yes\n")
    assert consent_history(db, ann) == [("import", 1, 1, 1), ("organiser", 0, 0, 1), ("import", 1, 1, 1)]
    assert all(row[0] for row in db.execute("SELECT at FROM consent_log"))


def test_attendee_sees_downloads_and_deletes_their_data(app, client, db):
    people = open_event(db, "today")
    activate(client, people["ann"])
    post_form(client, f"/b/{people['zoe']['code']}", {"note": "cardiology"})
    post_form(client, "/me/choices", {"share_email": "on"})
    token = create_kiosk(db, "today", "Door")[1]
    check_in(db, "today", people["ann"]["code"], uuid.uuid4().hex, kiosk=None)
    app.test_client().post("/api/v1/events/today/checkins", headers={"Authorization": f"Bearer {token}"},
                           json={"code": people["ann"]["code"], "nonce": "ann-nonce-1"})

    response = client.get("/me/data.json")
    data = json.loads(response.data)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert data["profile"]["email"] == "ann@example.org"
    assert [c["source"] for c in data["consent_history"]] == ["import", "attendee"]
    assert data["people_met"][0]["first_name"] == "Zoë" and data["people_met"][0]["note"] == "cardiology"
    assert data["checkins"][0]["place"] == "door"
    assert [d["ended_at"] for d in data["devices"]] == [None], "the phone this identity is open on"
    assert people["ann"]["private_key"] not in response.get_data(as_text=True)

    post_form(client, "/me/delete", {"what": "connections", "confirm": "yes"})
    assert db.execute("SELECT count(*) FROM connections").fetchone()[0] == 0

    post_form(client, "/me/delete", {"what": "everything"})  # not confirmed: nothing happens
    assert find_attendee(db, "today", "ann@example.org")
    response = post_form(client, "/me/delete", {"what": "everything", "confirm": "yes"})
    assert "Your record and everything linked to it are deleted." in response.get_data(as_text=True)
    ann_id = people["ann"]["id"]
    for table, column in (("checkins", "attendee_id"), ("consent_log", "attendee_id"), ("outbox", "attendee_id")):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [ann_id]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM api_replies WHERE body LIKE ?",
                      [f"%{people['ann']['code']}%"]).fetchone()[0] == 0
    assert client.get("/me").status_code == 403, "this browser is nobody now"


def test_organiser_answers_access_and_deletion_requests(organiser, db):
    people = open_event(db, "today")
    record(db, "today", people["zoe"], people["cy"]["code"], via="phone", note="Zoë's own words", tags=["job"])
    download = organiser.get(f"/admin/events/today/attendees/{people['zoe']['id']}/data.json")
    data = json.loads(download.data)
    assert data["profile"]["email"] == "zoe@example.org" and len(data["people_met"]) == 1
    assert "Zoë's own words" not in download.get_data(as_text=True) and "tags" not in data["people_met"][0], \
        "notes and tags are their writer's alone, even in an organiser's download"
    post_form(organiser, f"/admin/events/today/attendees/{people['zoe']['id']}/delete", {"confirm": "yes"})
    assert db.execute("SELECT count(*) FROM attendees WHERE email = 'zoe@example.org'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM connections").fetchone()[0] == 0


def test_purge_keeps_anonymous_counts(runner, db):
    open_event(db, "today")
    result = runner.invoke(args=["purge", "today", "--older-than", "90d"])
    assert result.exit_code == 1 and "less than 90 days ago" in result.output
    create_event(db, "old", "Old Workshop", "2026-01-10T09:00", "2026-01-10T17:00")
    import_attendees(db, "old", b"Name,Email\nA B,a@example.org\nC D,c@example.org\n")
    old = {e: find_attendee(db, "old", e) for e in ("a@example.org", "c@example.org")}
    db.execute("INSERT INTO connections (event_id, scanner_id, scanned_id, via, at) VALUES (?, ?, ?, 'phone', '2026-01-10')",
               [old["a@example.org"]["event_id"], old["a@example.org"]["id"], old["c@example.org"]["id"]])
    result = runner.invoke(args=["purge", "old", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "attendees 2, checked in 0, connections 1, people connected 2" in result.output
    assert db.execute("SELECT count(*) FROM attendees WHERE event_id = ?", [old["a@example.org"]["event_id"]]).fetchone()[0] == 0
    assert db.execute("SELECT attendees, connections FROM event_summaries").fetchone() == (2, 1)
    assert db.execute("SELECT name FROM events WHERE slug = 'old'").fetchone()[0] == "Old Workshop"
    assert find_attendee(db, "today", "zoe@example.org"), "other events are untouched"
    assert runner.invoke(args=["purge", "old", "--older-than", "soon"]).exit_code == 1
