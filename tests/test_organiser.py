"""Organiser essentials without a browser: change and delete events and workshops, time
zones, limits, check-in by hand and its undo, the attendee list, attendance export, and
the command-line contract for all of it (issue 13)."""

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from conftest import post_form
from kiosk.attendee_import import import_attendees
from kiosk.attendee_list import PER_PAGE, Selection, attendee_page
from kiosk.attendees import find_attendee
from kiosk.checkins import check_in, undo_check_in, walk_in
from kiosk.connections import pair
from kiosk.errors import Conflict, Invalid, NotFound
from kiosk.events import (NeedsConfirmation, add_workshop, canonical_zone, create_event,
                          delete_event, delete_workshop, get_event, get_workshop, update_event,
                          update_workshop)

PEOPLE = ("First Name,Last Name,Email,Organisation\n"
          "Zoë,Ångström,zoe@example.org,Karolinska\n"
          "Ann,Lee,ann@example.org,Barts\n"
          "Bob,Adams,bob@example.org,Charité\n")


@pytest.fixture
def today(db):
    """An event happening now in London, with a workshop, three people, two check-ins
    (one also at the workshop) and a connection."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    create_event(db, "today", "Networking for Medics", start.isoformat(),
                 (start + timedelta(hours=8)).isoformat(), tz="Europe/London")
    add_workshop(db, "today", "peers", "Peer networking")
    import_attendees(db, "today", PEOPLE.encode())
    code = {e: find_attendee(db, "today", e)["code"] for e in
            ("zoe@example.org", "ann@example.org", "bob@example.org")}
    check_in(db, "today", code["zoe@example.org"], "nonce-zoe-1", workshop="peers")
    check_in(db, "today", code["ann@example.org"], "nonce-ann-1")
    pair(db, "today", code["zoe@example.org"], code["ann@example.org"], "nonce-pair-1", workshop="peers")
    return code


def invoke(runner, *args):
    return runner.invoke(args=list(args))


def one_line_error(result):
    """A CLI failure: non-zero exit, one clear line, no traceback."""
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


# ---- 1. change and remove ----

def test_edit_event_keeps_badge_codes_and_every_field_changes(db, today):
    before = {a: find_attendee(db, "today", a)["code"] for a in today}
    event = update_event(db, "today", name="Medics Night", venue="Great Hall", grace_minutes=30,
                         starts="2026-12-01T18:00", ends="2026-12-01T22:00", slug="medics-night")
    assert (event["name"], event["venue"], event["grace_minutes"]) == ("Medics Night", "Great Hall", 30)
    assert event["starts_at"] == "2026-12-01T18:00:00+00:00"  # London is on GMT in December
    assert {a: find_attendee(db, "medics-night", a)["code"] for a in today} == before


def test_new_time_zone_keeps_clock_times_of_event_and_workshops(db):
    create_event(db, "conf", "Conf", "2026-06-10T09:00", "2026-06-10T17:00", tz="UTC")
    add_workshop(db, "conf", "ws", "Workshop", starts="2026-06-10T10:00", ends="2026-06-10T11:00")
    event = update_event(db, "conf", tz="europe/paris")
    assert event["timezone"] == "Europe/Paris"
    assert event["starts_at"] == "2026-06-10T07:00:00+00:00"  # 09:00 in Paris (CEST)
    assert get_workshop(db, event, "ws")["starts_at"] == "2026-06-10T08:00:00+00:00"


def test_changing_exchange_mode_after_connections_needs_confirmation(db, today):
    with pytest.raises(NeedsConfirmation, match="1 connections were made in mutual mode"):
        update_event(db, "today", mode="one-way")
    assert get_event(db, "today")["exchange_mode"] == "mutual"
    assert update_event(db, "today", mode="one-way", confirm_mode=True)["exchange_mode"] == "one-way"


def test_mode_changes_freely_before_anyone_connects(db):
    assert update_event(db, "spring", mode="one-way")["exchange_mode"] == "one-way"


def test_edit_and_delete_workshop(db, today):
    event = get_event(db, "today")
    update_workshop(db, "today", "peers", title="Peers, round two", room="B2")
    assert get_workshop(db, event, "peers")["title"] == "Peers, round two"
    with pytest.raises(NeedsConfirmation, match="1 check-ins and 1 connections"):
        delete_workshop(db, "today", "peers")
    delete_workshop(db, "today", "peers", confirmed=True)
    with pytest.raises(NotFound):
        get_workshop(db, event, "peers")
    # The door check-ins stay; only the workshop's own went. The connection stays, placeless.
    assert db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 2
    assert db.execute("SELECT workshop_id FROM connections").fetchall() == [(None,)]


def test_delete_event_with_activity_needs_confirmation(db, today):
    with pytest.raises(NeedsConfirmation, match="type the event's name"):
        delete_event(db, "today")
    delete_event(db, "today", confirmed=True)
    with pytest.raises(NotFound):
        get_event(db, "today")
    for table in ("attendees", "checkins", "connections", "workshops", "consent_log"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    assert db.execute("SELECT count(*) FROM attendee_search").fetchone()[0] == 0


def test_empty_event_deletes_without_typing(db):
    delete_event(db, "spring")
    with pytest.raises(NotFound):
        get_event(db, "spring")


# ---- 2 and 3: zones and limits ----

@pytest.mark.parametrize("typed, zone", [("europe/paris", "Europe/Paris"), ("EUROPE/LONDON", "Europe/London"),
                                         ("America/New_York", "America/New_York"), (" utc ", "UTC")])
def test_time_zone_names_ignore_case(typed, zone):
    assert canonical_zone(typed) == zone


def test_unknown_time_zone_is_refused():
    with pytest.raises(Invalid, match="unknown time zone 'Mars/Olympus'"):
        canonical_zone("Mars/Olympus")


@pytest.mark.parametrize("changes, message", [
    ({"name": "x" * 201}, "the event name is 201 characters long; keep it to 200"),
    ({"name": "  "}, "the event name is required"),
    ({"venue": "v" * 300}, "the venue is 300 characters long"),
    ({"starts": "2046-03-14T09:00", "ends": "2046-03-14T17:00"}, "within 10 years of today"),
    ({"starts": "1999-03-14T09:00"}, "within 10 years of today"),
    ({"ends": "2026-03-14T08:00"}, "the event must end after it starts"),
    ({"grace_minutes": -5}, "cannot be negative"),
    ({"tz": "Nowhere/Else"}, "unknown time zone"),
])
def test_event_limits(db, changes, message):
    with pytest.raises(Invalid, match=re.escape(message)):
        update_event(db, "spring", **changes)
    assert get_event(db, "spring")["name"] == "Spring Networking", "nothing half-written"


def test_kiosk_names_are_limited_too(db):
    from kiosk.kiosks import create_kiosk
    with pytest.raises(Invalid, match="the kiosk name is 201 characters long; keep it to 200"):
        create_kiosk(db, "spring", "k" * 201)


@pytest.mark.parametrize("title, starts, message", [
    ("t" * 201, None, "the workshop title is 201 characters long"),
    ("Late", "2026-03-15T10:00", "must be within the event's days (14 Mar 2026 to 14 Mar 2026)"),
    ("Early", "2026-03-13T23:00", "must be within the event's days"),
])
def test_workshop_limits(db, title, starts, message):
    with pytest.raises(Invalid, match=re.escape(message)):
        add_workshop(db, "spring", "ws", title, starts=starts)


def test_moving_the_event_off_its_workshops_days_is_refused(db):
    add_workshop(db, "spring", "ws", "Morning", starts="2026-03-14T10:00")
    with pytest.raises(Invalid, match="must be within the event's days"):
        update_event(db, "spring", starts="2026-03-20T09:00", ends="2026-03-20T17:00")


# ---- 5. check in by hand, undo ----

def test_organiser_checks_in_and_undoes_from_the_attendee_page(organiser, db, today):
    bob = find_attendee(db, "today", "bob@example.org")
    url = f"/admin/events/today/attendees/{bob['id']}"
    page = post_form(organiser, f"{url}/checkin", {"action": "check_in"}, follow_redirects=True)
    assert "Welcome to Networking for Medics, Bob!" in page.get_data(as_text=True)
    assert organiser.get("/admin/events/today").get_data(as_text=True).count("<strong>3</strong> checked in") == 1
    page = post_form(organiser, f"{url}/checkin", {"action": "undo"}, follow_redirects=True).get_data(as_text=True)
    assert "Bob is no longer checked in." in page
    assert "organiser@example.org checked them in" in page
    assert "organiser@example.org undid the check-in of" in page
    assert "<strong>2</strong> checked in" in organiser.get("/admin/events/today").get_data(as_text=True)


def test_attendee_page_shows_where_when_prints_connections_and_consent(organiser, db, today):
    zoe = find_attendee(db, "today", "zoe@example.org")
    page = organiser.get(f"/admin/events/today/attendees/{zoe['id']}").get_data(as_text=True)
    assert "at the door" in page
    assert "Peer networking (" in page
    assert "<dt>Connections</dt>\n    <dd>1</dd>" in page
    assert "not printed" in page
    assert "(import): email shared, LinkedIn shared, may be scanned" in page
    assert ">Undo check-in</button>" in page


def test_undo_takes_back_workshops_and_the_door_counts_follow(db, today):
    undo_check_in(db, "today", "zoe@example.org", actor="desk")
    assert db.execute("SELECT count(*) FROM checkins WHERE attendee_id = "
                      "(SELECT id FROM attendees WHERE email = 'zoe@example.org')").fetchone()[0] == 0
    log = db.execute("SELECT action, workshops, actor FROM checkin_log").fetchall()
    assert log == [("undo", "peers", "desk")]
    with pytest.raises(Conflict, match="Zoë Ångström is not checked in"):
        undo_check_in(db, "today", "zoe@example.org", actor="desk")


# ---- 6. walk-in with a known email ----

def test_walk_in_with_a_registered_email_offers_that_person(db, today):
    answer = walk_in(db, "today", {"first_name": "Zed", "email": "ZOE@example.org"}, "walk-in-nonce-1")
    assert (answer.status, answer.result) == (409, "already_registered")
    assert answer.attendee["code"] == today["zoe@example.org"]
    assert "Check in this person instead?" in answer.message
    assert db.execute("SELECT count(*) FROM attendees").fetchone()[0] == 3


# ---- 4. the list ----

@pytest.fixture
def crowd(db):
    """120 people: every third checked in, every fifth printed, one revoked, one walk-in."""
    lines = ["First Name,Last Name,Email,Organisation"]
    lines += [f"P{i:03},Person{i:03},p{i}@example.org,Org {i % 7}" for i in range(120)]
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    create_event(db, "crowd", "Crowd", start.isoformat(), (start + timedelta(hours=8)).isoformat())
    import_attendees(db, "crowd", "\n".join(lines).encode())
    for i in range(0, 120, 3):
        check_in(db, "crowd", find_attendee(db, "crowd", f"p{i}@example.org")["code"], f"crowd-nonce-{i}")
    db.execute("UPDATE attendees SET badge_printed_at = '2026-01-01T00:00:00+00:00' WHERE id % 5 = 0")
    db.execute("UPDATE attendees SET revoked_at = '2026-01-01T00:00:00+00:00' WHERE email = 'p1@example.org'")
    walk_in(db, "crowd", {"first_name": "Walter", "last_name": "Walk", "email": "walter@example.org"},
            "crowd-walk-in-1")


def test_list_pages_filters_and_counts(db, crowd):
    listing = attendee_page(db, "crowd", Selection())
    assert len(listing["attendees"]) == PER_PAGE and listing["pages"] == 3
    counts = listing["counts"]
    assert counts["all"] == 121
    assert counts["checked_in"] == 41  # 40 plus the walk-in
    assert counts["not_checked_in"] == 121 - 41 - 1  # the revoked one is neither
    assert counts["revoked"] == 1 and counts["walk_in"] == 1 and counts["has_photo"] == 0
    third = attendee_page(db, "crowd", Selection(page=3))["attendees"]
    assert len(third) == 21
    walk_ins = attendee_page(db, "crowd", Selection(status="walk_in"))["attendees"]
    assert [a["email"] for a in walk_ins] == ["walter@example.org"]


def test_sorts(db, crowd):
    by_time = attendee_page(db, "crowd", Selection(sort="checked_in"))["attendees"]
    times = [a["checked_in_at"] for a in by_time if a["checked_in_at"]]
    assert times == sorted(times, reverse=True)
    by_org = attendee_page(db, "crowd", Selection(sort="organisation"))["attendees"]
    orgs = [a["organisation"] for a in by_org if a["organisation"]]
    assert orgs == sorted(orgs, key=str.casefold)


def test_list_page_shows_counts_and_pages(organiser, crowd):
    page = organiser.get("/admin/events/crowd/attendees?status=checked_in&sort=name").get_data(as_text=True)
    assert re.search(r'aria-current="page">\s*Checked in <strong class="count">41</strong>', page)
    assert page.count("<tr class=") == 41
    page = organiser.get("/admin/events/crowd/attendees?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in page and 'rel="prev"' in page and 'rel="next"' in page


def test_list_csv_follows_the_filter(organiser, crowd):
    text = organiser.get("/admin/events/crowd/attendees.csv?status=revoked").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["email"] for r in rows] == ["p1@example.org"]
    assert rows[0]["revoked_at"] == "2026-01-01T00:00:00+00:00"


# ---- 9. attendance ----

def test_attendance_export_from_page_and_cli_agree(organiser, runner, db, today, tmp_path):
    out = tmp_path / "attendance.csv"
    result = invoke(runner, "export-attendance", "today", "-o", str(out))
    assert result.exit_code == 0 and "wrote 3 attendees" in result.output
    page = organiser.get("/admin/events/today/attendance.csv")
    assert page.mimetype == "text/csv"
    text = out.read_bytes().decode()
    assert page.get_data(as_text=True) == text
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(text))}
    assert list(next(csv.reader(io.StringIO(text)))) == [
        "email", "first_name", "last_name", "organisation", "role", "checked_in_at", "workshops"]
    zoe, bob = rows["zoe@example.org"], rows["bob@example.org"]
    assert zoe["workshops"] == "peers"
    moment = datetime.fromisoformat(zoe["checked_in_at"])
    london = moment.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")).utcoffset()
    assert moment.utcoffset() == london, "times carry the event's UTC offset"
    assert (bob["checked_in_at"], bob["workshops"]) == ("", "")


def test_example_csv_imports_as_it_is(organiser, db):
    example = organiser.get("/admin/events/spring/import/example.csv")
    assert example.mimetype == "text/csv"
    result = import_attendees(db, "spring", example.data)
    assert result.created == 2 and result.warnings == []


# ---- the command line ----

def test_cli_update_event(runner, db):
    result = invoke(runner, "update-event", "spring", "--name", "Spring Fling", "--timezone",
                    "europe/paris", "--venue", "Hall", "--mode", "one-way", "--grace-minutes", "15",
                    "--starts", "2026-03-14T10:00", "--ends", "2026-03-14T18:00")
    assert result.exit_code == 0, result.output
    assert "updated event spring: Spring Fling, 2026-03-14T10:00 to 2026-03-14T18:00 (Europe/Paris)" in result.output
    event = get_event(db, "spring")
    assert (event["venue"], event["exchange_mode"], event["grace_minutes"]) == ("Hall", "one-way", 15)
    assert event["starts_at"] == "2026-03-14T09:00:00+00:00"


def test_cli_update_mode_after_connections_needs_yes(runner, db, today):
    line = one_line_error(invoke(runner, "update-event", "today", "--mode", "one-way"))
    assert "run again with --yes" in line
    assert invoke(runner, "update-event", "today", "--mode", "one-way", "--yes").exit_code == 0


def test_cli_delete_needs_yes(runner, db, today):
    assert "add --yes to confirm" in one_line_error(invoke(runner, "delete-workshop", "today", "peers"))
    assert "add --yes to confirm" in one_line_error(invoke(runner, "delete-event", "today"))
    assert get_event(db, "today")
    assert invoke(runner, "delete-workshop", "today", "peers", "--yes").exit_code == 0
    assert invoke(runner, "delete-event", "today", "--yes").exit_code == 0
    with pytest.raises(NotFound):
        get_event(db, "today")


def test_cli_checkin_and_undo_by_code_or_email(runner, db, today):
    result = invoke(runner, "checkin", "today", today["bob@example.org"].lower())
    assert result.exit_code == 0 and "Welcome to Networking for Medics, Bob!" in result.output
    result = invoke(runner, "checkin", "today", "bob@example.org")
    assert result.exit_code == 0 and "already checked in" in result.output
    result = invoke(runner, "undo-checkin", "today", "BOB@example.org")
    assert result.exit_code == 0 and "Bob Adams is no longer checked in" in result.output
    assert "Bob Adams is not checked in" in one_line_error(invoke(runner, "undo-checkin", "today", "bob@example.org"))
    actors = db.execute("SELECT action, actor FROM checkin_log ORDER BY id").fetchall()
    assert actors == [("check_in", "command line"), ("undo", "command line")]


def test_cli_checkin_on_a_closed_event_fails(runner, db, today):
    import_attendees(db, "spring", b"Name,Email\nAnn Lee,ann@example.org\n")
    assert "Check-in for Spring Networking is closed." in one_line_error(
        invoke(runner, "checkin", "spring", "ann@example.org"))


@pytest.mark.parametrize("args, message", [
    (["update-event", "nope", "--name", "X"], "no event with slug 'nope'"),
    (["delete-event", "nope", "--yes"], "no event with slug 'nope'"),
    (["delete-workshop", "today", "nope", "--yes"], "event 'today' has no workshop 'nope'"),
    (["checkin", "nope", "x@example.org"], "no event with slug 'nope'"),
    (["checkin", "today", "nobody@example.org"], "no attendee with badge code or email 'nobody@example.org'"),
    (["undo-checkin", "today", "ZZZZZZZZZZZZZ"], "no attendee with badge code or email 'ZZZZZZZZZZZZZ'"),
    (["export-attendance", "nope", "-o", "out.csv"], "no event with slug 'nope'"),
    (["update-event", "today", "--timezone", "Mars/Base"], "unknown time zone 'Mars/Base'"),
])
def test_cli_unknown_names_exit_with_one_line(runner, today, args, message):
    assert message in one_line_error(invoke(runner, *args))


def test_cli_import_with_map(runner, db, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Delegate,Contact,Employer name,Notes\nAnn Lee,ann@example.org,St Mary's,x\n")
    assert "no email column" in invoke(runner, "import-attendees", "spring", str(path)).output
    result = invoke(runner, "import-attendees", "spring", str(path), "--map", "Delegate=full_name",
                    "--map", "Contact=email", "--map", "Employer name=organisation", "--map", "Notes=")
    assert result.exit_code == 0, result.output
    assert find_attendee(db, "spring", "ann@example.org")["organisation"] == "St Mary's"
    assert "unknown field 'phone'" in one_line_error(
        invoke(runner, "import-attendees", "spring", str(path), "--map", "Notes=phone"))


def test_cli_import_warns_about_messy_values(runner, db, tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text("Name,Email,LinkedIn\nJane Smith,jane@example.org,@jane\n")
    result = runner.invoke(args=["import-attendees", "spring", str(path)])
    assert result.exit_code == 0
    assert "warning: line 2: linkedin_url:" in result.output and "'@jane'" in result.output


def test_create_event_defaults_to_the_server_zone(runner, db):
    from kiosk.events import server_zone
    assert invoke(runner, "create-event", "z", "--name", "Z", "--starts", "2026-12-01T09:00",
                  "--ends", "2026-12-01T10:00").exit_code == 0
    assert get_event(db, "z")["timezone"] == server_zone()


# ---- 8 ----

def test_private_link_says_which_base_url_it_used(runner, db, app):
    import_attendees(db, "spring", b"Name,Email\nAnn Lee,ann@example.org\n")
    result = invoke(runner, "private-link", "spring", "ann@example.org")
    assert result.output.split()[-1].startswith("https://kiosk.test/me/")
    app.config["BASE_URL"] = "http://127.0.0.1:8000"
    result = invoke(runner, "private-link", "spring", "ann@example.org")
    assert "KIOSK_BASE_URL is not set, so the link points at http://127.0.0.1:8000" in result.output


def test_event_page_warns_when_badges_point_at_localhost_but_server_listens_on_all(app, organiser):
    warning = "phones scanning a badge cannot reach that address"
    assert warning not in organiser.get("/admin/events/spring").get_data(as_text=True)
    app.config.update(LISTEN_HOST="0.0.0.0", BASE_URL="http://localhost:8000")
    assert warning in organiser.get("/admin/events/spring").get_data(as_text=True)


def test_demo_banner_has_the_ready_kiosk_link():
    from kiosk.cli import demo_banner
    banner = demo_banner({"event": "medics-demo", "email": "e", "password": "p", "kiosk_token": "TOK",
                          "programme": "Medics Fellowship", "events": 3, "fellow": "Natalia", "fellow_key": "KEY"},
                         "http://localhost:8000")
    assert "http://localhost:8000/door#token=TOK" in banner


# ---- 7. badge page choices ----

@pytest.mark.parametrize("form, message", [
    ({"layout": "a6", "start_at": "99"}, "the start position must be a number from 1 to 1: a6 has 1 badge on a page"),
    ({"layout": "avery-l4785-a4", "start_at": "99"}, "from 1 to 10"),
    ({"layout": "avery-l4785-a4", "start_at": "two"}, "the start position must be a number"),
    ({"layout": "avery-l4785-a4", "start_at": "²"}, "the start position must be a number"),  # isdigit(), not int()
    ({"layout": "napkin"}, "unknown badge stock 'napkin'"),
])
def test_badge_page_bad_choices_get_a_message_and_no_broken_image(organiser, db, form, message):
    import_attendees(db, "spring", b"Name,Email\nAnn Lee,ann@example.org\n")
    response = post_form(organiser, "/admin/events/spring/badges", {**form, "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page.replace("&#39;", "'")
    assert 'class="preview"' not in page
    assert db.execute("SELECT count(badge_printed_at) FROM attendees").fetchone()[0] == 0


def test_a_superscript_digit_as_start_position_is_a_message_not_a_500(organiser, db):
    import_attendees(db, "spring", b"Name,Email\nAnn Lee,ann@example.org\n")
    page = organiser.get("/admin/events/spring/badges?start_at=%C2%B2")
    picture = organiser.get("/admin/events/spring/badges/preview.png?start_at=%C2%B2")
    assert (page.status_code, picture.status_code) == (422, 400)
    for response in (page, picture):
        assert "the start position must be a number" in response.get_data(as_text=True)


# ---- 12. looks finished ----

def test_who_met_whom_gives_fourteen_organisations_fourteen_colours_and_a_legend():
    from kiosk.charts import network_picture
    nodes = [{"id": i, "organisation": f"Hospital {i % 14}", "last_name": f"L{i}", "first_name": "F"}
             for i in range(42)]
    picture = network_picture({"nodes": nodes, "edges": [(0, 1)]})
    colours = {n["organisation"]: n["colour"] for n in picture["nodes"]}
    assert len(set(colours.values())) == 14
    assert sorted(org for org, _ in picture["legend"]) == sorted(colours)


def test_more_organisations_than_colours_share_one_named_in_the_legend():
    from kiosk.charts import OTHER, PALETTE, network_picture
    nodes = [{"id": i, "organisation": f"Org {i:02}", "last_name": "L", "first_name": "F"} for i in range(20)]
    picture = network_picture({"nodes": nodes, "edges": []})
    assert len({n["colour"] for n in picture["nodes"]}) == len(PALETTE) + 1
    assert picture["legend"][-1] == ("4 other organisations", OTHER)


def test_arrival_bars_carry_their_values_and_an_axis(organiser, db, today):
    page = organiser.get("/admin/events/today/live").get_data(as_text=True)
    assert re.findall(r'<text class="value"[^>]*>(\d+)</text>', page) == ["2"]
    assert page.count('<line class="axis"') == 2
    assert re.search(r'<text class="axis-label"[^>]*>2</text>', page)


def test_kiosk_where_shows_the_workshop_title(organiser, db, today):
    from kiosk.kiosks import create_kiosk
    create_kiosk(db, "today", "Room kiosk", "peers")
    page = organiser.get("/admin/events/today").get_data(as_text=True)
    assert re.search(r"Room kiosk.*?</td>\s*<td>Peer networking</td>", page, re.S)


def test_event_page_groups_its_tasks_before_during_after(organiser):
    page = organiser.get("/admin/events/spring").get_data(as_text=True)
    headings = re.findall(r'<nav class="phases".*?</nav>', page, re.S)[0]
    assert re.findall(r"<h2>(\w+)</h2>", headings) == ["Before", "During", "After"]
    assert headings.count('class="button"') == 3, "one main task per phase, the rest secondary"


def test_staff_check_people_in_but_cannot_change_the_event(app, client, db, today):
    from kiosk.users import create_user
    create_user(db, "desk@example.org", "desk password 123", "staff")
    post_form(client, "/login", {"email": "desk@example.org", "password": "desk password 123"})
    bob = find_attendee(db, "today", "bob@example.org")
    page = post_form(client, f"/admin/events/today/attendees/{bob['id']}/checkin", {"action": "check_in"},
                     follow_redirects=True).get_data(as_text=True)
    assert "Welcome to Networking for Medics, Bob!" in page
    assert "desk@example.org checked them in" in page
    for url in ("/admin/events/today/edit", "/admin/events/today/delete",
                "/admin/events/today/workshops/peers/delete"):
        response = post_form(client, url, {"name": "Hijacked", "confirm_name": "Networking for Medics"})
        assert response.status_code in (302, 403)
    assert get_event(db, "today")["name"] == "Networking for Medics"
    assert get_workshop(db, get_event(db, "today"), "peers")


def test_new_event_form_offers_every_zone_and_defaults_to_the_servers(organiser):
    from kiosk.events import server_zone
    page = organiser.get("/admin/").get_data(as_text=True)
    assert f'list="zone-names" autocomplete="off" spellcheck="false"\n    value="{server_zone()}"' in page
    zones = re.findall(r'<option value="([^"]+)">', page.split('<datalist id="zone-names">')[1].split("</datalist>")[0])
    assert {"Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"} <= set(zones)


def test_event_created_on_the_page_with_a_lower_case_zone(organiser, db):
    response = post_form(organiser, "/admin/", {"name": "Paris", "slug": "paris", "starts": "2026-12-01T09:00",
                                                "ends": "2026-12-01T17:00", "timezone": "europe/paris",
                                                "mode": "mutual", "grace_minutes": "60"})
    assert response.status_code == 302
    event = get_event(db, "paris")
    assert (event["timezone"], event["starts_at"]) == ("Europe/Paris", "2026-12-01T08:00:00+00:00")


def test_has_photo_filter_follows_photos_added_and_removed(db, crowd):
    from PIL import Image

    from kiosk.headshots import set_photo
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 40), "teal").save(jpeg, "JPEG")
    walter = find_attendee(db, "crowd", "walter@example.org")
    set_photo(db, "crowd", walter["id"], jpeg.getvalue())
    listing = attendee_page(db, "crowd", Selection(status="has_photo"))
    assert listing["counts"]["has_photo"] == 1
    assert [a["email"] for a in listing["attendees"]] == ["walter@example.org"]
    set_photo(db, "crowd", walter["id"], b"")
    assert attendee_page(db, "crowd", Selection(status="has_photo"))["counts"]["has_photo"] == 0
