"""Issue 12, item 1 and the contract for scripts: a programme's events share their people.
One badge code checks in at every event, one private link and one phone serve them all,
consent choices are one set, and events that join later keep the badges and links their
people already hold."""

import json
import uuid
from datetime import datetime, timedelta

import pytest

from conftest import PROGRAMME_FEB, PROGRAMME_JAN, held, post_form
from kiosk.attendee_import import import_attendees
from kiosk.connections import record
from kiosk.attendees import find_attendee, new_private_link, update_attendee
from kiosk.errors import Conflict
from kiosk.events import create_event
from kiosk.kiosks import create_kiosk
from kiosk.programmes import create_programme, set_event_programme
from test_connections import activate

JAN, FEB = PROGRAMME_JAN, PROGRAMME_FEB


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def scan(client, token, slug, code):
    return client.post(f"/api/v1/events/{slug}/checkins", headers=bearer(token),
                       json={"nonce": uuid.uuid4().hex, "code": code})


def listed(runner, slug):
    result = runner.invoke(args=["list-attendees", slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["email"].casefold(): row for row in map(json.loads, result.output.splitlines())}


def test_the_command_line_builds_a_programme_whose_people_keep_one_code_and_link(runner, tmp_path):
    assert runner.invoke(args=["create-programme", "fellows", "--name", "Fellowship"]).exit_code == 0
    for slug, day in (("jan", "2027-01-14"), ("feb", "2027-02-11")):
        made = runner.invoke(args=["create-event", slug, "--name", slug, "--starts", f"{day}T09:00",
                                   "--ends", f"{day}T17:00", "--timezone", "Europe/London",
                                   "--programme", "fellows"])
        assert made.exit_code == 0 and "part of fellows" in made.output
    for slug, text in (("jan", JAN), ("feb", FEB)):
        (tmp_path / f"{slug}.csv").write_text(text)
        assert runner.invoke(args=["import-attendees", slug, str(tmp_path / f"{slug}.csv")]).exit_code == 0
    jan, feb = listed(runner, "jan"), listed(runner, "feb")
    assert jan["zoe@example.org"]["code"] == feb["zoe@example.org"]["code"]
    assert jan["ann@example.org"]["code"] != feb["bob@example.org"]["code"]
    assert feb["zoe@example.org"]["organisation"] == jan["zoe@example.org"]["organisation"] == \
        "Karolinska Institutet", "one person, one set of details: the newer import's"
    assert jan["zoe@example.org"]["has_photo"] is False
    links = {runner.invoke(args=["private-link", slug, "ZOE@example.org"]).output.split()[-1]
             for slug in ("jan", "feb")}
    assert len(links) == 1 and links.pop().startswith("https://kiosk.test/me/")
    unknown = runner.invoke(args=["create-event", "x", "--name", "x", "--starts", "2027-03-01T09:00",
                                  "--ends", "2027-03-01T17:00", "--programme", "nope"])
    assert unknown.exit_code == 1 and "no programme 'nope'" in unknown.output
    assert "no event" in runner.invoke(args=["list-attendees", "x"]).output, "nothing half-made"


def test_one_badge_checks_in_at_every_event_and_a_returning_fellow_is_registered_at_the_door(client, fellowship):
    db = fellowship
    ann = find_attendee(db, "jan", "ann@example.org")  # at January only
    token = create_kiosk(db, "feb", "Door")[1]
    answer = scan(client, token, "feb", ann["code"])
    assert answer.status_code == 201 and answer.get_json()["message"] == "Welcome to Workshop feb, Ann!"
    assert find_attendee(db, "feb", "ann@example.org")["code"] == ann["code"]
    stranger = create_kiosk(db, "mar", "Door")[1]
    create_event(db, "other", "Elsewhere", "2027-01-01T09:00", "2027-01-01T10:00")
    assert scan(client, stranger, "mar", ann["code"]).get_json()["result"] == "closed", \
        "March has not opened: nobody is registered by a closed door"
    assert db.execute("SELECT count(*) FROM attendees WHERE event_id = "
                      "(SELECT id FROM events WHERE slug = 'mar')").fetchone()[0] == 0


def test_a_badge_from_another_programme_or_none_is_unknown(client, fellowship, db):
    held(db, "solo", -0.05)
    import_attendees(db, "solo", b"email,first_name\nzoe@example.org,Zoe\n")
    solo = find_attendee(db, "solo", "zoe@example.org")
    token = create_kiosk(db, "feb", "Door")[1]
    answer = scan(client, token, "feb", solo["code"])
    assert answer.status_code == 404 and answer.get_json()["result"] == "unknown"
    assert solo["code"] != find_attendee(db, "feb", "zoe@example.org")["code"], \
        "the same email outside the programme is another person"


def test_the_badge_page_opens_the_event_on_now_else_the_latest(client, fellowship, db):
    zoe = find_attendee(db, "jan", "zoe@example.org")
    import_attendees(db, "mar", b"email,first_name\nzoe@example.org,Zoe\n")
    assert "Workshop feb" in client.get(f"/b/{zoe['code']}").get_data(as_text=True)
    db.execute("UPDATE events SET starts_at = '2026-01-01T09:00:00+00:00', ends_at = '2026-01-01T10:00:00+00:00' "
               "WHERE slug = 'feb'")
    page = client.get(f"/b/{zoe['code']}").get_data(as_text=True)
    assert "Workshop jan" in page and "Workshop mar" not in page, "January is the latest held"


def test_one_phone_one_link_and_one_set_of_choices_for_the_whole_programme(client, fellowship, db):
    jan_zoe = find_attendee(db, "jan", "zoe@example.org")
    activate(client, jan_zoe)  # the January invite's link, opened during February
    me = client.get("/me").get_data(as_text=True)
    assert "Hi Zoë" in me and "Workshop feb" in me
    assert post_form(client, "/me/choices", {"share_linkedin": "yes"}).status_code == 302  # email off
    rows = db.execute("SELECT share_email, share_linkedin, consent_source FROM attendees "
                      "WHERE email = 'zoe@example.org'").fetchall()
    assert rows == [(0, 1, "attendee")] * 2
    history = db.execute("SELECT count(*) FROM consent_log l JOIN attendees a ON a.id = l.attendee_id "
                         "WHERE a.email = 'zoe@example.org' AND l.share_email = 0").fetchone()[0]
    assert history == 2, "the change is in the consent history of each registration"
    new_private_link(db, "feb", find_attendee(db, "feb", "zoe@example.org")["id"])
    assert "Hi Zoë" not in client.get("/me").get_data(as_text=True), "a new link ends every phone"
    assert client.get(f"/me/{jan_zoe['private_key']}").status_code == 404


def test_an_event_joining_later_merges_its_people_and_their_old_badges_and_links_still_work(client, db, runner):
    held(db, "jan", -30)
    held(db, "feb", -0.05)
    import_attendees(db, "jan", JAN.encode())
    import_attendees(db, "feb", FEB.encode())
    old = {slug: find_attendee(db, slug, "zoe@example.org") for slug in ("jan", "feb")}
    old_bob = find_attendee(db, "feb", "bob@example.org")
    assert old["jan"]["code"] != old["feb"]["code"]
    assert runner.invoke(args=["create-programme", "fellows", "--name", "Fellowship"]).exit_code == 0
    for slug in ("jan", "feb"):
        joined = runner.invoke(args=["update-event", slug, "--programme", "fellows"])
        assert joined.exit_code == 0, joined.output
    jan, feb = listed(runner, "jan"), listed(runner, "feb")
    assert jan["zoe@example.org"]["code"] == feb["zoe@example.org"]["code"] == old["jan"]["code"]
    assert feb["bob@example.org"]["code"] == old_bob["code"], "someone new to the programme keeps theirs"
    assert db.execute("SELECT count(*) FROM people WHERE email = 'zoe@example.org'").fetchone()[0] == 1
    token = create_kiosk(db, "feb", "Door")[1]
    answer = scan(client, token, "feb", old["feb"]["code"])  # February's badge, printed before the merge
    assert answer.status_code == 201 and answer.get_json()["attendee"]["first_name"] == "Zoë"
    assert client.get(f"/me/{old['feb']['private_key']}").status_code == 200, "February's link still opens"
    left = runner.invoke(args=["update-event", "feb", "--programme", ""])
    assert left.exit_code == 1 and "cannot leave its programme" in left.output


def test_a_revoked_badge_stays_dead_after_its_event_joins_a_programme(client, db, runner):
    held(db, "jan", -30)
    held(db, "feb", -0.05)
    import_attendees(db, "jan", JAN.encode())
    import_attendees(db, "feb", FEB.encode())
    lost = find_attendee(db, "feb", "zoe@example.org")
    db.execute("UPDATE attendees SET revoked_at = '2027-02-01T00:00:00+00:00' WHERE id = ?", [lost["id"]])
    runner.invoke(args=["create-programme", "fellows", "--name", "Fellowship"])
    for slug in ("jan", "feb"):
        runner.invoke(args=["update-event", slug, "--programme", "fellows"])
    token = create_kiosk(db, "feb", "Door")[1]
    assert scan(client, token, "feb", lost["code"]).status_code == 404
    assert scan(client, token, "feb", find_attendee(db, "jan", "zoe@example.org")["code"]).status_code == 201


def test_when_the_programmes_badge_was_lost_the_good_badge_of_the_joining_event_becomes_theirs(client, db):
    create_programme(db, "fellows", "Fellowship")
    held(db, "jan", -30, programme="fellows")
    held(db, "feb", -0.05)
    import_attendees(db, "jan", JAN.encode())
    import_attendees(db, "feb", FEB.encode())
    lost = find_attendee(db, "jan", "zoe@example.org")
    db.execute("UPDATE attendees SET revoked_at = '2027-01-20T00:00:00+00:00' WHERE id = ?", [lost["id"]])
    good = find_attendee(db, "feb", "zoe@example.org")
    set_event_programme(db, "feb", "fellows")
    token = create_kiosk(db, "feb", "Door")[1]
    assert scan(client, token, "feb", lost["code"]).status_code == 404
    assert scan(client, token, "feb", good["code"]).status_code == 201
    assert find_attendee(db, "jan", "zoe@example.org")["code"] == good["code"]


def test_erasing_my_record_erases_me_from_every_event_of_the_programme(client, fellowship, db):
    activate(client, find_attendee(db, "jan", "zoe@example.org"))
    assert post_form(client, "/me/delete", {"confirm": "yes", "what": "everything"}).status_code == 200
    assert db.execute("SELECT count(*) FROM attendees WHERE email = 'zoe@example.org'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM people WHERE email = 'zoe@example.org'").fetchone()[0] == 0


def test_a_later_import_keeps_a_fellows_own_choices_and_reads_the_opt_in_columns(fellowship, db):
    zoe = find_attendee(db, "feb", "zoe@example.org")
    db.execute("UPDATE attendees SET share_email = 0, consent_source = 'attendee' WHERE id = ?", [zoe["id"]])
    import_attendees(db, "mar", b"email,first_name,allow_suggest,share_photo\n"
                                b"zoe@example.org,Zoe,yes,no\nnew@example.org,New,no,yes\n")
    march = find_attendee(db, "mar", "zoe@example.org")
    assert march["share_email"] == 0, "the event's default does not override her own choice"
    assert (march["allow_suggest"], march["share_photo"]) == (1, 0)
    assert find_attendee(db, "jan", "zoe@example.org")["allow_suggest"] == 1, "one set of choices"
    new = find_attendee(db, "mar", "new@example.org")
    assert (new["allow_suggest"], new["share_photo"]) == (0, 1)


def test_organisers_create_a_programme_and_put_an_event_in_it_on_the_pages(organiser, db):
    made = post_form(organiser, "/admin/programmes", {"name": "Fellowship 2027", "slug": "fellows"})
    assert made.status_code == 302
    saved = post_form(organiser, "/admin/events/spring/edit",
                      {"name": "Spring Networking", "slug": "spring", "starts": "2026-03-14T09:00",
                       "ends": "2026-03-14T17:00", "timezone": "Europe/London", "mode": "mutual",
                       "grace_minutes": "120", "programme": "fellows"})
    assert saved.status_code == 302
    page = organiser.get("/admin/programmes").get_data(as_text=True)
    assert "Fellowship 2027" in page and "Spring Networking" in page
    assert "part of" in organiser.get("/admin/events/spring").get_data(as_text=True)
    again = post_form(organiser, "/admin/programmes", {"name": "Other", "slug": "fellows"})
    assert "already exists" in again.get_data(as_text=True)


def test_a_badge_printed_for_one_workshop_is_printed_for_the_programme_and_emails_stay_one_person(fellowship, db):
    zoe = find_attendee(db, "jan", "zoe@example.org")
    db.execute("UPDATE attendees SET badge_printed_at = '2027-01-10T09:00:00+00:00', print_count = 1 "
               "WHERE id = ?", [zoe["id"]])
    assert find_attendee(db, "feb", "zoe@example.org")["badge_printed_at"] == "2027-01-10T09:00:00+00:00", \
        "a fellow keeps their badge: February's unprinted list does not hold her"
    bob = find_attendee(db, "feb", "bob@example.org")
    with pytest.raises(Conflict, match="belongs to another attendee"):
        update_attendee(db, "feb", bob["id"], {**bob, "email": "ann@example.org"})  # Ann is January's


def test_my_data_download_holds_every_event_of_the_programme(client, fellowship, db):
    import_attendees(db, "jan", b"email,first_name\nbob@example.org,Bob\n")
    for slug in ("jan", "feb"):  # Zoe met Bob at both, and at January the scanning was open then
        db.execute("UPDATE events SET ends_at = '2100-01-01T00:00:00+00:00' WHERE slug = ?", [slug])
        record(db, slug, find_attendee(db, slug, "zoe@example.org"), find_attendee(db, slug, "bob@example.org")["code"],
               via="phone")
    db.execute("UPDATE connections SET at = '2026-01-01T10:00:00+00:00' WHERE event_id = "
               "(SELECT id FROM events WHERE slug = 'jan')")
    activate(client, find_attendee(db, "jan", "zoe@example.org"))
    token = create_kiosk(db, "feb", "Door")[1]
    scan(client, token, "feb", find_attendee(db, "feb", "zoe@example.org")["code"])
    data = json.loads(client.get("/me/data.json").get_data())
    assert [r["slug"] for r in data["registrations"]] == ["jan", "feb"]
    assert [c["event"] for c in data["checkins"]] == ["feb"]
    assert len(data["consent_history"]) >= 2
    assert [p["event"]["slug"] for p in data["people_met"]] == ["feb", "jan"]


def test_the_organisers_attendee_page_names_the_persons_other_events(organiser, fellowship, db):
    zoe = find_attendee(db, "feb", "zoe@example.org")
    page = organiser.get(f"/admin/events/feb/attendees/{zoe['id']}").get_data(as_text=True)
    assert "Also registered at" in page and ">jan</a>" in page
    bob = find_attendee(db, "feb", "bob@example.org")
    assert "Also registered at" not in organiser.get(f"/admin/events/feb/attendees/{bob['id']}").get_data(as_text=True)


def test_a_walk_in_with_a_programme_email_is_that_person(client, fellowship, db):
    token = create_kiosk(db, "feb", "Door")[1]
    answer = client.post("/api/v1/events/feb/walk-ins", headers=bearer(token),
                         json={"nonce": uuid.uuid4().hex, "first_name": "Ann", "email": "ANN@example.org"})
    assert answer.status_code == 201
    assert answer.get_json()["attendee"]["code"] == find_attendee(db, "jan", "ann@example.org")["code"]


def test_a_phone_stays_bound_through_every_event_the_person_registers_for(client, fellowship, db):
    activate(client, find_attendee(db, "jan", "zoe@example.org"))
    import_attendees(db, "mar", b"email,first_name\nzoe@example.org,Zoe\n")
    expires = datetime.fromisoformat(db.execute("SELECT expires_at FROM attendee_sessions").fetchone()[0])
    march_ends = datetime.fromisoformat(db.execute("SELECT ends_at FROM events WHERE slug = 'mar'").fetchone()[0])
    assert expires >= march_ends + timedelta(days=30)
