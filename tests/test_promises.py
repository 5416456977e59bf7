"""Issue 11: every promise the pages and mail make, held by a test: what is shared with
whom, removing, digests at the right time and their follow-ups, where people met,
error pages, the digest's actions, vCards read back with an independent parser
(vobject), and the mail's headers and encodings."""

import re
import uuid
from datetime import datetime, timezone

import pytest
import vobject

from conftest import post_form
from kiosk.checkins import check_in
from kiosk.connections import pair, record
from kiosk.db import connect
from kiosk.events import add_workshop
from test_connections import activate, count, met, open_event
from test_digests import by_recipient, make_event, run, vcf_of


# ---------- 3. Remove takes someone out of your list only ----------

def test_removing_someone_who_also_saved_you_leaves_their_record_and_note(app, client, people, db):
    activate(client, people["ann"])
    met(client, people["zoe"], note="Ann's note")
    zoe = app.test_client()
    activate(zoe, people["zoe"])
    met(zoe, people["ann"], note="Zoë's private note")
    own = count(db, "SELECT id FROM connections WHERE scanner_id = ?", people["ann"]["id"])
    post_form(client, f"/me/connections/{own}", {"action": "remove", "confirm": "yes"})
    page = client.get("/me").get_data(as_text=True)
    assert "is no longer in your list" in page
    assert "People you met (0)" in page, "both saved each other: Zoë's own record must not bring her back"
    assert db.execute("SELECT note FROM connections WHERE scanner_id = ?", [people["zoe"]["id"]]).fetchall() == [
        ("Zoë's private note",)], "Zoë's record and her note are hers"
    assert "Ann Lee" in zoe.get("/me").get_data(as_text=True)


def test_removing_a_saved_you_entry_never_deletes_the_other_persons_record(app, client, people, db):
    zoe = app.test_client()
    activate(zoe, people["zoe"])
    met(zoe, people["ann"], note="Zoë wrote this")
    activate(client, people["ann"])
    theirs = count(db, "SELECT id FROM connections")
    assert "saved you" in client.get("/me").get_data(as_text=True)
    post_form(client, f"/me/connections/{theirs}", {"action": "remove", "confirm": "yes"})
    assert "People you met (0)" in client.get("/me").get_data(as_text=True)
    assert db.execute("SELECT note FROM connections").fetchall() == [("Zoë wrote this",)]
    assert "Ann Lee" in zoe.get("/me").get_data(as_text=True)


# ---------- 4 and 5. Digests wait for the end; follow-ups; a true dry run ----------

def test_digests_wait_for_the_end_unless_forced(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db, ended=False)
    runner = smtp_app.test_cli_runner()
    refused = runner.invoke(args=["send-digests", "after"])
    assert refused.exit_code == 1 and "digests wait until Networking for Medics is over" in refused.output
    assert "--force" in refused.output and "Traceback" not in refused.output
    assert recorder.messages == [] and count(db, "SELECT count(*) FROM outbox") == 0
    forced = runner.invoke(args=["send-digests", "after", "--force"])
    assert forced.exit_code == 0 and forced.output.startswith("sent 4")


def test_the_page_asks_with_a_count_and_a_box_to_tick_before_the_end(smtp_app, smtp_server, db, organiser):
    from kiosk.views.mail import _jobs

    recorder, _ = smtp_server
    make_event(db, ended=False)
    asked = post_form(organiser, "/admin/events/after/mail/send", {"kind": "digest", "confirm": "yes"})
    page = asked.get_data(as_text=True)
    assert "Networking for Medics is not over" in page and "Send before the end anyway" in page
    assert "Send 4 digests" in page and not recorder.messages, "confirming without ticking the box sends nothing"
    invites = post_form(organiser, "/admin/events/after/mail/send", {"kind": "invite"}).get_data(as_text=True)
    assert "Send 5 invites?" in invites and not recorder.messages
    post_form(organiser, "/admin/events/after/mail/send", {"kind": "digest", "confirm": "yes", "force": "on"})
    _jobs[("after", "digest")]["thread"].join(timeout=20)
    assert len(recorder.messages) == 4


def test_people_met_after_a_send_get_one_follow_up_each(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db, ended=False)
    assert len(run(smtp_app, db, force=True).sent) == 4
    record(db, "after", who["ann"], who["dora"]["code"], via="phone", note="met at lunch")
    record(db, "after", who["lone"], who["zoe"]["code"], via="phone")
    dry = run(smtp_app, db, dry_run=True)
    assert sorted(dry.sent) == ["ann@example.org", "dora@example.org", "lone@example.org", "zoe@example.org"]
    assert count(db, "SELECT count(*) FROM outbox") == 4, "a dry run changes nothing"
    del recorder.messages[:]
    report = run(smtp_app, db, force=True)
    assert sorted(report.sent) == sorted(dry.sent), "the dry run counted what the real run did"
    mail = by_recipient(recorder)
    ann = mail["ann@example.org"]
    assert ann["Subject"] == "1 more person you met at Networking for Medics"
    text = ann.get_body(("plain",)).get_content()
    assert "Dora Eve" in text and "Zoë" not in text and "Cy Dee" not in text, "only whom Ann had not been told about"
    assert [card.fn.value for card in vobject.readComponents(vcf_of(ann))] == ["Dora Eve"]
    assert mail["lone@example.org"]["Subject"] == "Your 1 connection from Networking for Medics"
    assert mail["zoe@example.org"]["Subject"] == "1 more person you met at Networking for Medics"
    del recorder.messages[:]
    assert run(smtp_app, db, force=True).sent == [] and recorder.messages == [], "each person is mailed once"
    assert run(smtp_app, db, dry_run=True).sent == []


def test_a_dry_run_counts_only_what_a_real_run_would_send(smtp_app, smtp_server, db):
    make_event(db)
    assert len(run(smtp_app, db).sent) == 4
    again = run(smtp_app, db, dry_run=True)
    assert again.sent == [] and again.summary().startswith("would send 0, skipped 4")


def test_nobody_gets_an_empty_list_of_people_to_reach(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db, arrived=("lone", "zoe"))  # nobody chose to be suggested
    run(smtp_app, db, include_unconnected=True)
    assert "lone@example.org" not in by_recipient(recorder)


# ---------- 6. Where two people met ----------

@pytest.fixture
def workshop_people(db, people):
    add_workshop(db, "today", "cardio", "Careers in Cardiology")
    return people


def met_at(db, scanner, scanned):
    row = db.execute("""SELECT coalesce(w.title, '') FROM connections c LEFT JOIN workshops w ON w.id = c.workshop_id
                        WHERE c.scanner_id = ? AND c.scanned_id = ?""", [scanner["id"], scanned["id"]]).fetchone()
    return row[0]


def test_a_workshop_is_shown_only_where_both_were_or_its_kiosk_recorded_it(app, client, workshop_people, db):
    people = workshop_people
    check_in(db, "today", people["zoe"]["code"], uuid.uuid4().hex, workshop="cardio")
    record(db, "today", people["ann"], people["zoe"]["code"], via="phone")
    assert met_at(db, people["ann"], people["zoe"]) == "", "Ann never attended Careers in Cardiology"
    activate(client, people["ann"])
    assert "Careers in Cardiology" not in client.get("/me").get_data(as_text=True)
    assert "Met at Event today" in client.get("/me").get_data(as_text=True)

    check_in(db, "today", people["cy"]["code"], uuid.uuid4().hex, workshop="cardio")
    record(db, "today", people["cy"], people["zoe"]["code"], via="phone")
    assert met_at(db, people["cy"], people["zoe"]) == "Careers in Cardiology", "both were checked in"

    pair(db, "today", people["ann"]["code"], people["cy"]["code"], uuid.uuid4().hex, workshop="cardio")
    assert met_at(db, people["ann"], people["cy"]) == "Careers in Cardiology", "made at its kiosk"


def test_a_pair_kiosk_at_the_door_finds_the_workshop_both_were_in(db, workshop_people):
    people = workshop_people
    for who in ("zoe", "cy"):
        check_in(db, "today", people[who]["code"], uuid.uuid4().hex, workshop="cardio")
    check_in(db, "today", people["ann"]["code"], uuid.uuid4().hex)
    pair(db, "today", people["zoe"]["code"], people["cy"]["code"], uuid.uuid4().hex)
    assert met_at(db, people["zoe"], people["cy"]) == "Careers in Cardiology"
    pair(db, "today", people["ann"]["code"], people["zoe"]["code"], uuid.uuid4().hex)
    pair(db, "today", people["zoe"]["code"], people["ann"]["code"], uuid.uuid4().hex)
    assert met_at(db, people["ann"], people["zoe"]) == met_at(db, people["zoe"], people["ann"]) == "", \
        "Ann was at the door, not in Careers in Cardiology"


@pytest.fixture
def people(db):
    return open_event(db, "today")


# ---------- 7. Error pages ----------

def test_every_error_is_a_page_in_the_products_look_and_json_under_the_api(app, client, people, db):
    db.execute("UPDATE attendees SET revoked_at = '2026-01-01' WHERE id = ?", [people["cy"]["id"]])
    pages = {
        "/b/ZZZZZZZZZZZZZ": (404, "We do not know this badge"),
        f"/b/{people['cy']['code']}": (410, "This badge is no longer valid"),
        "/no/such/page": (404, "Nothing here"),
        "/me/contacts.vcf/extra": (404, "Nothing here"),
    }
    for url, (status, words) in pages.items():
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == status and words in page, url
        assert 'rel="stylesheet"' in page and "<a " in page, f"{url}: styled, with a way on"
    phone = client.get("/b/ZZZZZZZZZZZZZ").get_data(as_text=True)
    assert "phone.css" in phone and "Get your private link by email" in phone
    assert "app.css" in client.get("/no/such/page").get_data(as_text=True)

    not_allowed = client.post("/healthz")
    assert not_allowed.status_code == 405 and "That did not work" in not_allowed.get_data(as_text=True)
    assert "GET" in not_allowed.headers["Allow"]

    activate(client, people["ann"])
    huge = client.post(f"/b/{people['zoe']['code']}", data=b"x" * (11 * 1024 * 1024),
                       content_type="application/x-www-form-urlencoded")
    assert huge.status_code == 413 and "larger than 10 MB" in huge.get_data(as_text=True)
    assert "Back to your page" in huge.get_data(as_text=True)

    api = client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.get_json()["result"] == "not_found"


def test_rate_limited_and_crashing_pages_are_styled(app, client, people):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/me/crash", "crash", lambda: 1 / 0)
    crash = client.get("/me/crash")
    assert crash.status_code == 500 and "Something went wrong on our side" in crash.get_data(as_text=True)
    assert "ZeroDivisionError" not in crash.get_data(as_text=True)
    statuses = [client.get(f"/b/{people['zoe']['code']}") for _ in range(61)]
    limited = statuses[-1]
    assert limited.status_code == 429 and "Slow down a little" in limited.get_data(as_text=True)
    assert "phone.css" in limited.get_data(as_text=True)


# ---------- 11. Links that work on any device; a lost link sent again ----------

def test_the_digest_link_opens_the_recipients_page_on_any_device(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db)
    run(smtp_app, db)
    ann = by_recipient(recorder)["ann@example.org"]
    link = f"https://kiosk.test/me/{who['ann']['private_key']}"
    assert link in ann.get_body(("plain",)).get_content() and link in ann.get_body(("html",)).get_content()
    laptop = smtp_app.test_client()  # a browser that never opened anything
    assert "Open your private link first" in laptop.get("/me").get_data(as_text=True)
    activate(laptop, who["ann"])  # the link in the mail, opened as any private link is
    assert "Hi Ann" in laptop.get("/me").get_data(as_text=True)


def wait_for(predicate, seconds=10):
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_lost_link_is_sent_again_without_saying_who_is_registered(smtp_app, smtp_server, client, people):
    recorder, _ = smtp_server
    assert "Send me my link" in client.get("/lost-link").get_data(as_text=True)
    known = post_form(client, "/lost-link", {"email": "ZOE@example.org"}).get_data(as_text=True)
    unknown = post_form(client, "/lost-link", {"email": "nobody@example.org"}).get_data(as_text=True)
    assert known.replace("ZOE@example.org", "X") == unknown.replace("nobody@example.org", "X")
    wait_for(lambda: len(recorder.messages) == 1)
    (message,) = recorder.parsed()
    assert message["To"].addresses[0].addr_spec == "zoe@example.org"
    assert f"https://kiosk.test/me/{people['zoe']['private_key']}" in message.get_body(("plain",)).get_content()
    for _ in range(2):
        assert post_form(client, "/lost-link", {"email": "zoe@example.org"}).status_code == 200
    limited = post_form(client, "/lost-link", {"email": "Zoe@example.org"})
    assert limited.status_code == 429 and "Slow down" in limited.get_data(as_text=True)
    assert post_form(client, "/lost-link", {"email": "cy@example.org"}).status_code == 200, "per mailbox"
    assert "Lost your link?" in client.get("/me").get_data(as_text=True)


# ---------- 14. The digest's one-tap actions, tags, follow up first ----------

def test_each_contact_in_the_digest_has_its_actions_and_tags(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db, ended=False)
    record(db, "after", who["ann"], who["cy"]["code"], via="phone", tags=["follow up", "mentor"])
    run(smtp_app, db, force=True)
    ann = by_recipient(recorder)["ann@example.org"]
    html = ann.get_body(("html",)).get_content()
    text = ann.get_body(("plain",)).get_content()
    assert html.index("Cy Dee") < html.index("Zoë Ångström"), "people tagged follow up come first"
    assert text.index("Cy Dee") < text.index("Zoë Ångström")
    assert "[follow up, mentor]" in text and ">follow up</span>" in html
    mailto = re.search(r'href="(mailto:zoe@example.org\?[^"]+)"', html).group(1)
    from urllib.parse import parse_qs, unquote, urlsplit

    fields = parse_qs(urlsplit(mailto.replace("&amp;", "&")).query)
    assert fields["subject"] == ["Great to meet you at Networking for Medics"]
    assert fields["body"][0].startswith("Hi Zoë,\n\nIt was good to meet you at Networking for Medics on ")
    assert unquote(mailto).count("Ann") == 1, "signed by Ann"
    assert '>Email Zoë</a>' in html and re.search(r'href="https://www.linkedin.com/in/zoe"[^>]*>Connect on LinkedIn', html)
    assert "Connect on LinkedIn: https://www.linkedin.com/in/zoe" in text


# ---------- 15. vCards, read back with vobject ----------

def test_vcards_carry_where_when_notes_and_tags_and_nothing_a_spreadsheet_would_run(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db, ended=False)
    db.execute("UPDATE attendees SET organisation = '=HYPERLINK(\"http://evil\")', linkedin_url = ? WHERE id = ?",
               ["https://www.linkedin.com/in/zoë ångström", who["zoe"]["id"]])
    db.execute("UPDATE attendees SET linkedin_url = 'javascript:alert(1)', share_linkedin = 1 WHERE id = ?",
               [who["cy"]["id"]])
    record(db, "after", who["ann"], who["zoe"]["code"], via="phone", note="+44 call her", tags=["mentor"])
    run(smtp_app, db, force=True)
    cards = {card.fn.value: card for card in vobject.readComponents(vcf_of(by_recipient(recorder)["ann@example.org"]))}
    zoe, cy = cards["Zoë Ångström"], cards["Cy Dee"]
    note = zoe.note.value
    today = datetime.now(timezone.utc)
    assert note.startswith(f"Met at Networking for Medics on {today.day} {today:%B %Y}.")
    assert "Cardiology; send the paper, soon" in note and "+44 call her" in note
    assert zoe.categories.value == ["mentor"]
    assert zoe.url.value == "https://www.linkedin.com/in/zo%C3%AB%20%C3%A5ngstr%C3%B6m"
    assert zoe.org.value == ["'=HYPERLINK(\"http://evil\")"], "kept as text, never a formula"
    assert "url" not in cy.contents, "not an http(s) address: left out"
    assert cy.note.value.startswith("Met at Networking for Medics on ")


# ---------- 16. The mail's encodings and headers ----------

def test_text_is_quoted_printable_date_has_an_offset_and_from_has_a_name(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    smtp_app.config["MAIL_FROM_NAME"] = "Medics Network"
    run(smtp_app, db)
    raw = recorder.messages[0].content.decode("ascii")
    message = recorder.parsed()[0]
    text_part = message.get_body(("plain",))
    assert text_part["Content-Transfer-Encoding"] in ("quoted-printable", "8bit")
    assert "base64" not in str(message.get_body(("html",))["Content-Transfer-Encoding"])
    assert re.search(r"^Date: .* [+-]\d{4}\r$", raw, re.M) and "-0000" not in message["Date"]
    assert message["From"].addresses[0].display_name == "Medics Network"
    assert message["From"].addresses[0].addr_spec == "events@medics.example"


def test_from_names_the_event_when_no_organiser_name_is_configured(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    make_event(db)
    run(smtp_app, db)
    assert recorder.parsed()[0]["From"].addresses[0].display_name == "Networking for Medics"


def test_the_import_understands_allow_suggest_and_keeps_it_in_the_consent_history(db):
    from kiosk.attendee_import import import_attendees

    people = open_event(db, "today")
    assert people["zoe"]["allow_suggest"] == 0, "off unless someone opts in"
    import_attendees(db, "today", b"Email,First Name,allow_suggest\nzoe@example.org,Zo\xc3\xab,yes\n")
    history = db.execute("SELECT allow_suggest, source FROM consent_log WHERE attendee_id = ? ORDER BY id",
                         [people["zoe"]["id"]]).fetchall()
    assert history[-1] == (1, "import")
    import_attendees(db, "today", b"Email,First Name\nzoe@example.org,Zo\xc3\xab\n")
    assert db.execute("SELECT allow_suggest FROM attendees WHERE id = ?", [people["zoe"]["id"]]).fetchone() == (1,), \
        "a file without the column keeps the attendee's choice"


def test_the_me_page_records_the_suggest_choice(client, people, db):
    activate(client, people["ann"])
    assert "Suggest me to people who have not met me yet" in client.get("/me").get_data(as_text=True)
    post_form(client, "/me/choices", {"allow_suggest": "on", "allow_scan": "on"})
    assert db.execute("SELECT allow_suggest, source FROM consent_log WHERE attendee_id = ? ORDER BY id DESC",
                      [people["ann"]["id"]]).fetchone() == (1, "attendee")


def test_follow_ups_survive_a_killed_run_and_go_once(smtp_server, tmp_path):
    """Follow-ups go through the same outbox as digests: SIGKILL half-way, the rerun
    finishes, each person gets one follow-up (at most the one in flight arrives twice)."""
    import subprocess

    from conftest import ROOT
    from test_digests import cli_event, kill_and_rerun

    recorder, port = smtp_server
    env, command = cli_event(tmp_path, port, people=130)
    assert subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True).returncode == 0
    db = connect(env["KIOSK_DATABASE"])
    db.execute("""INSERT INTO connections (event_id, scanner_id, scanned_id, via, at)
                  SELECT a.event_id, a.id, b.id, 'kiosk', ? FROM attendees a JOIN attendees b
                  ON b.id = (SELECT min(id) FROM attendees) + ((a.id - (SELECT min(id) FROM attendees) + 2) % 130)""",
               [datetime.now(timezone.utc).isoformat(timespec="seconds")])
    db.close()
    del recorder.messages[:]
    kill_and_rerun(recorder, env, command)
    subjects = {m["Subject"] for m in recorder.parsed()}
    assert subjects == {"2 more people you met at Networking for Medics"}, "met Person i+2, and saved by Person i-2"
