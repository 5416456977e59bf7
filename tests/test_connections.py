"""'I met you': phone flows, consent, exchange modes, the attendee's page, pair mode,
leaderboard, insight and export."""

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import post_form
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee, new_private_link
from kiosk.events import add_workshop, create_event, delete_workshop
from kiosk.kiosks import create_kiosk
from kiosk.views.attendee import COOKIE

PEOPLE = (
    "First Name,Last Name,Email,Organisation,Job Title,LinkedIn,share_email,share_linkedin,allow_scan\n"
    "Zoë,Ångström,zoe@example.org,Karolinska,FY1,https://www.linkedin.com/in/zoe,yes,yes,yes\n"
    "Ann,Lee,ann@example.org,Barts,Consultant,https://www.linkedin.com/in/ann,no,yes,yes\n"
    "Bob,Adams,bob@example.org,Charité,Student,,yes,no,no\n"
    "Cy,Dee,cy@example.org,UCL,Registrar,,yes,yes,yes\n"
)


def open_event(db, slug, mode="mutual", hours_ago=1):
    start = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    create_event(db, slug, f"Event {slug}", start.isoformat(), (start + timedelta(hours=8)).isoformat(),
                 mode=mode, grace_minutes=30)
    import_attendees(db, slug, PEOPLE.encode())
    return {e.split("@")[0]: find_attendee(db, slug, e) for e in
            ("zoe@example.org", "ann@example.org", "bob@example.org", "cy@example.org")}


@pytest.fixture
def people(db):
    return open_event(db, "today")


def activate(client, person):
    """Open the private link and confirm, as the attendee does on their phone."""
    asked = client.get(f"/me/{person['private_key']}")
    assert asked.status_code == 200 and "This phone becomes" in asked.get_data(as_text=True)
    response = post_form(client, f"/me/{person['private_key']}")
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    return response


def met(client, person, **form):
    return post_form(client, f"/b/{person['code']}", form)


def count(db, sql="SELECT count(*) FROM connections", *params):
    return db.execute(sql, params).fetchone()[0]


def test_the_badge_page_identifies_but_never_authorises(client, people, db):
    page = client.get(f"/b/{people['zoe']['code']}").get_data(as_text=True)
    assert "Zoë Ångström" in page and "Karolinska" in page
    assert "zoe@example.org" not in page, "the public badge page never shows an email"
    assert "open your own private link first" in page
    assert 'name="note"' not in page
    assert met(client, people["zoe"]).status_code == 403
    assert count(db) == 0


def test_upper_case_badge_url_from_the_qr_works(client, people):
    assert client.get(f"/B/{people['zoe']['code']}").status_code == 200
    assert client.get(f"/b/{people['zoe']['code'].lower()}").status_code == 200


def test_private_link_sets_a_safe_cookie_and_leaves_the_address_bar(client, people):
    response = activate(client, people["ann"])
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert people["ann"]["private_key"] not in cookie
    assert "Hi Ann" in client.get("/me").get_data(as_text=True)


def test_unknown_private_link(client, people):
    assert client.get("/me/not-a-key").status_code == 404
    assert client.get("/me").status_code == 403


def test_i_met_records_on_post_only(client, people, db):
    activate(client, people["ann"])
    for _ in range(3):
        page = client.get(f"/b/{people['zoe']['code']}").get_data(as_text=True)
    assert "I met Zoë" in page
    assert count(db) == 0, "nothing is recorded on a GET"
    response = met(client, people["zoe"], note="Talked about cardiology", tags=["mentor", "nonsense"])
    assert response.status_code == 302
    row = db.execute("SELECT scanner_id, scanned_id, via, note, tags FROM connections").fetchone()
    assert row == (people["ann"]["id"], people["zoe"]["id"], "phone", "Talked about cardiology", "mentor")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: you met Zoë." in page and "✓ Saved" in page
    assert ">Talked about cardiology</textarea>" in page and "I met Zoë" not in page


@pytest.mark.parametrize("token", [None, "forged"])
def test_csrf_is_required(client, people, db, token):
    activate(client, people["ann"])
    data = {"note": "x"} if token is None else {"note": "x", "csrf_token": token}
    response = client.post(f"/b/{people['zoe']['code']}", data=data)
    assert response.status_code == 400
    assert count(db) == 0


def test_a_repeat_succeeds_and_adds_to_the_note(client, people, db):
    activate(client, people["ann"])
    met(client, people["zoe"], note="cardiology")
    response = met(client, people["zoe"], note="send the paper", tags=["follow up"])
    assert response.status_code == 302
    assert "You had already saved Zoë." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.execute("SELECT note, tags FROM connections").fetchall() == [("cardiology send the paper", "follow up")]


def test_consent_refusal(client, people, db):
    activate(client, people["ann"])
    page = client.get(f"/b/{people['bob']['code']}").get_data(as_text=True)
    assert "Bob has chosen not to exchange details." in page and "I met Bob" not in page
    response = met(client, people["bob"])
    assert response.status_code == 403
    assert "Bob has chosen not to exchange details." in response.get_data(as_text=True)
    assert count(db) == 0


def test_own_badge(client, people, db):
    activate(client, people["ann"])
    assert "This is your own badge" in client.get(f"/b/{people['ann']['code']}").get_data(as_text=True)
    response = met(client, people["ann"])
    assert response.status_code == 422 and count(db) == 0


def test_closed_event(client, db):
    people = open_event(db, "past", hours_ago=20)  # ended 12 h ago, 30 min grace
    activate(client, people["ann"])
    assert "new connections are closed" in client.get(f"/b/{people['zoe']['code']}").get_data(as_text=True)
    response = met(client, people["zoe"])
    assert response.status_code == 410
    assert "new connections are closed" in response.get_data(as_text=True)


def test_unknown_and_revoked_badges(client, people, db):
    assert client.get("/b/ZZZZZZZZZZZZZ").status_code == 404
    db.execute("UPDATE attendees SET revoked_at = '2026-01-01' WHERE id = ?", [people["cy"]["id"]])
    assert client.get(f"/b/{people['cy']['code']}").status_code == 410


def test_identity_from_another_event_does_not_count(client, people, db):
    other = open_event(db, "other")
    activate(client, other["ann"])
    page = client.get(f"/b/{people['zoe']['code']}").get_data(as_text=True)
    assert "This badge is for Event today" in page
    assert "This phone is open for Event other" in page and "I met Zoë" not in page
    assert met(client, people["zoe"]).status_code == 403


def test_mutual_exchange_and_consented_fields(app, client, people, db):
    activate(client, people["ann"])
    met(client, people["zoe"], note="private to Ann")
    ann_page = client.get("/me").get_data(as_text=True)
    assert "Zoë Ångström" in ann_page and "mailto:zoe@example.org" in ann_page
    assert "https://www.linkedin.com/in/zoe" in ann_page

    zoe = app.test_client()
    activate(zoe, people["zoe"])
    zoe_page = zoe.get("/me").get_data(as_text=True)
    assert "Ann Lee" in zoe_page and "saved you" in zoe_page
    assert "ann@example.org" not in zoe_page, "Ann does not share her email"
    assert "https://www.linkedin.com/in/ann" in zoe_page
    assert "private to Ann" not in zoe_page


def test_one_way_exchange(app, client, db):
    people = open_event(db, "oneway", mode="one-way")
    activate(client, people["ann"])
    met(client, people["zoe"])
    assert "Zoë Ångström" in client.get("/me").get_data(as_text=True)
    zoe = app.test_client()
    activate(zoe, people["zoe"])
    page = zoe.get("/me").get_data(as_text=True)
    assert "Ann Lee" not in page
    assert "<strong>1</strong> person has saved your details." in page


def test_in_a_one_way_event_the_scanned_person_cannot_learn_who_saved_them(app, client, db):
    people = open_event(db, "oneway", mode="one-way")
    activate(client, people["ann"])
    met(client, people["zoe"])
    connection_id = count(db, "SELECT id FROM connections")
    zoe = app.test_client()
    activate(zoe, people["zoe"])
    for form in ({"action": "remove"}, {"action": "remove", "confirm": "yes"}):
        response = post_form(zoe, f"/me/connections/{connection_id}", form)
        assert response.status_code == 404 and "Ann" not in response.get_data(as_text=True)
    assert count(db, "SELECT count(*) FROM connections WHERE hidden_by_scanned = 0") == 1


def test_me_edit_note_remove_and_choices(client, people, db):
    activate(client, people["ann"])
    met(client, people["zoe"], note="first")
    connection_id = count(db, "SELECT id FROM connections")
    post_form(client, f"/me/connections/{connection_id}", {"note": "edited", "tags": ["job", "research"]})
    assert db.execute("SELECT note, tags FROM connections").fetchone() == ("edited", "research,job")
    post_form(client, "/me/choices", {"share_email": "on", "allow_scan": "on", "leaderboard_opt_out": "on"})
    ann = find_attendee(db, "today", "ann@example.org")
    assert (ann["share_email"], ann["share_linkedin"], ann["allow_scan"], ann["leaderboard_opt_out"]) == (1, 0, 1, 1)
    assert ann["consent_source"] == "attendee"
    asked = post_form(client, f"/me/connections/{connection_id}", {"action": "remove"})
    assert "Remove Zoë Ångström?" in asked.get_data(as_text=True) and count(db) == 1, "it asks first"
    post_form(client, f"/me/connections/{connection_id}", {"action": "remove", "confirm": "yes"})
    assert count(db) == 0


def test_cannot_touch_someone_elses_connection(app, client, people, db):
    activate(client, people["ann"])
    met(client, people["zoe"])
    connection_id = count(db, "SELECT id FROM connections")
    cy = app.test_client()
    activate(cy, people["cy"])
    response = post_form(cy, f"/me/connections/{connection_id}", {"action": "remove", "confirm": "yes"})
    assert response.status_code == 404 and count(db) == 1


def test_vcard_download_parses_back(client, people, db):
    activate(client, people["ann"])
    met(client, people["zoe"], note="Cardiology; send paper, soon\\")
    met(client, people["cy"])
    response = client.get("/me/contacts.vcf")
    assert response.mimetype == "text/vcard"
    text = response.data.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    cards = parse_vcards(text)
    zoe = next(c for c in cards if c["FN"] == "Zoë Ångström")
    assert zoe["N"] == "Ångström;Zoë;;;"
    assert zoe["EMAIL;TYPE=INTERNET"] == "zoe@example.org"
    assert zoe["NOTE"].endswith("\\nCardiology\\; send paper\\, soon\\\\")
    cy = next(c for c in cards if c["FN"] == "Cy Dee")
    assert cy["NOTE"].startswith("Met at Event today on ")


def parse_vcards(text):
    """Unfold (RFC 2426: CRLF + space continues a line) and split into cards."""
    unfolded = text.replace("\r\n ", "")
    cards, card = [], None
    for line in unfolded.split("\r\n"):
        if line == "BEGIN:VCARD":
            card = {}
        elif line == "END:VCARD":
            cards.append(card)
        elif line:
            key, _, value = line.partition(":")
            card[key] = value
    return cards


def test_private_link_can_be_replaced(client, people, db):
    activate(client, people["ann"])
    new_private_link(db, "today", people["ann"]["id"])
    assert client.get("/me").status_code == 403, "the phone the old link opened is no longer Ann"
    assert client.get(f"/me/{people['ann']['private_key']}").status_code == 404


def test_badge_pages_are_rate_limited(client, people):
    statuses = [client.get(f"/b/{people['zoe']['code']}").status_code for _ in range(62)]
    assert statuses[:60] == [200] * 60
    assert statuses[-1] == 429


def test_pair_mode_api(client, people, db):
    token = create_kiosk(db, "today", "Room kiosk")[1]

    def pair(scanner, scanned, nonce=None):
        return client.post("/api/v1/events/today/connections", headers={"Authorization": f"Bearer {token}"},
                           json={"scanner": scanner["code"], "scanned": scanned["code"],
                                 "nonce": nonce or uuid.uuid4().hex})

    first = pair(people["ann"], people["zoe"], "pair-nonce-1")
    assert first.status_code == 201 and first.get_json()["result"] == "created"
    assert pair(people["ann"], people["zoe"], "pair-nonce-1").get_json() == first.get_json()
    replayed = client.post("/api/v1/events/today/connections", headers={"Authorization": f"Bearer {token}"},
                           json={"scanner": people["ann"]["code"], "scanned": people["zoe"]["code"],
                                 "nonce": "pair-nonce-1", "note": "Ask about her audit"})
    assert replayed.get_json() == first.get_json()
    assert db.execute("SELECT note FROM connections").fetchone()[0] == "", "a replay writes nothing"
    assert pair(people["ann"], people["zoe"]).status_code == 200
    assert pair(people["ann"], people["bob"]).status_code == 403
    assert pair(people["ann"], people["ann"]).status_code == 422
    assert count(db) == 1
    assert db.execute("SELECT via FROM connections").fetchone()[0] == "kiosk"
    response = client.post("/api/v1/events/today/connections", json={"scanner": "x", "scanned": "y", "nonce": "n" * 10})
    assert response.status_code == 401
    response = client.post("/api/v1/events/today/connections", headers={"Authorization": f"Bearer {token}"},
                           json={"scanner": "ZZZZZZZZZZZZZ", "scanned": people["zoe"]["code"], "nonce": "m" * 10})
    assert response.status_code == 404


def test_a_pair_scan_replayed_after_its_workshop_was_deleted_gets_its_first_answer(client, people, db):
    """An offline kiosk's queue resends a scan after the organiser deleted the workshop it
    named: the stored answer, not a 404."""
    add_workshop(db, "today", "cardio", "Careers in Cardiology")
    token = create_kiosk(db, "today", "Room kiosk")[1]
    body = {"scanner": people["ann"]["code"], "scanned": people["zoe"]["code"], "workshop": "cardio",
            "nonce": uuid.uuid4().hex}
    first = client.post("/api/v1/events/today/connections", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert first.status_code == 201
    delete_workshop(db, "today", "cardio", confirmed=True)
    again = client.post("/api/v1/events/today/connections", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert (again.status_code, again.get_json()) == (201, first.get_json())


def test_leaderboard_counts_distinct_people_and_respects_opt_out(app, client, people, db, organiser):
    for scanner, others in (("ann", ["zoe", "cy"]), ("zoe", ["ann"])):
        browser = app.test_client()
        activate(browser, people[scanner])
        for other in others:
            met(browser, people[other])
    page = organiser.get("/admin/events/today/leaderboard").get_data(as_text=True)
    names = re.findall(r'<span class="person">(\w+) ', page)
    counts = re.findall(r'<span class="count">(\d+)</span>', page)
    assert list(zip(names, counts)) == [("Ann", "2"), ("Cy", "1"), ("Zoë", "1")]
    db.execute("UPDATE attendees SET leaderboard_opt_out = 1 WHERE id = ?", [people["ann"]["id"]])
    page = organiser.get("/admin/events/today/leaderboard").get_data(as_text=True)
    assert "Ann" not in page and "Zoë" in page
    assert 'data-refresh="20"' in page


def test_insight_page(app, people, db, organiser):
    browser = app.test_client()
    activate(browser, people["ann"])
    met(browser, people["zoe"])
    met(browser, people["cy"])
    page = organiser.get("/admin/events/today/connections").get_data(as_text=True)
    assert '<strong id="total">2</strong> connections' in page
    assert "<strong>3</strong> of 4 people made at least one" in page
    assert page.count("<circle") == 3 and page.count("<line x1") == 2  # axes are <line class=


def test_export_holds_no_notes_or_tags(app, people, db, organiser, runner):
    """Issue 11.1: "Note (only you see it)": the organiser's CSV (page and CLI) never holds them."""
    browser = app.test_client()
    activate(browser, people["ann"])
    met(browser, people["zoe"], note='=HYPERLINK("http://evil.example","x") private', tags=["mentor"])
    csv_page = organiser.get("/admin/events/today/connections.csv").get_data(as_text=True)
    result = runner.invoke(args=["export-connections", "today"])
    assert result.exit_code == 0
    for text in (csv_page, result.output):
        header, row = text.strip().splitlines()
        assert header == "scanner_email,scanned_email,workshop,at"
        assert row.startswith("ann@example.org,zoe@example.org,,")
        assert "HYPERLINK" not in text and "private" not in text and "mentor" not in text
    for page in ("connections", "leaderboard"):
        assert "private" not in organiser.get(f"/admin/events/today/{page}").get_data(as_text=True)
    assert runner.invoke(args=["export-connections", "nope"]).exit_code == 1


def test_vcard_lines_fold_at_75_octets_without_splitting_characters():
    from kiosk.vcard import card

    text = card({"first_name": "Zoë", "last_name": "Ångström", "note": "日本語のメモ" * 20,
                 "organisation": "a,b;c\\d\ne"}, {"name": "Spring", "timezone": "UTC"})
    lines = text.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    note = next(i for i, line in enumerate(lines) if line.startswith("NOTE:"))
    continuation = lines[note + 1:lines.index("END:VCARD")]
    assert len(continuation) >= 5 and all(line.startswith(" ") for line in continuation)
    unfolded = text.replace("\r\n ", "")
    assert "NOTE:Met at Spring.\\n" + "日本語のメモ" * 20 + "\r\n" in unfolded
    assert "ORG:a\\,b\\;c\\\\d\\ne\r\n" in unfolded
    assert text.encode("utf-8").decode("utf-8") == text
