"""Your network so far: /me across a programme's events (tests/programme_data.py), the
counts in words, what each contact shares now, the contacts download, notes, the
followed-up mark and removing, for contacts from earlier events too."""

import re

import pytest

from conftest import post_form
from kiosk import network
from kiosk.attendees import find_attendee
from kiosk.connections import set_choices
from programme_data import three_event_programme
from test_connections import activate, open_event, parse_vcards


@pytest.fixture
def fellows(db):
    return three_event_programme(db)


def ann_phone(client, fellows):
    activate(client, fellows.rows["ann"]["mar"])  # the same link opens any of her events
    return client


def page_text(response):
    assert response.status_code == 200
    return response.get_data(as_text=True)


def words(page):
    """The page's text, tags left out and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def sections(page):
    """{event name: that event's part of /me}, in the page's order."""
    parts = re.split(r'<h3 class="network-event">', page)[1:]
    return {part.split("<", 1)[0].strip(): part for part in parts}


def connection_id(db, scanner, scanned):
    return db.execute("SELECT id FROM connections WHERE scanner_id = ? AND scanned_id = ?",
                      [scanner["id"], scanned["id"]]).fetchone()[0]


def test_me_shows_everyone_met_across_the_programme_by_event_newest_first(client, fellows):
    page = page_text(ann_phone(client, fellows).get("/me"))
    assert "Your network so far" in page
    assert "5 people from 5 organisations, met at 3 events" in page, "Zoë, met twice, is one person"
    assert list(sections(page)) == ["March: Networking", "February: Entrepreneurship", "January: Leadership"]
    march, february, january = sections(page).values()
    assert "Fay Nash" in march and "Zoë" not in march
    assert "Zoë Ångström" in february and "Dee Park" in february
    assert "Zoë Ångström" in january and "Cy Dee" in january and "Eve Moss" in january
    assert "Also met at January: Leadership" in february, "the same person under each event, each names the other"
    assert "saved you" in january, "Eve saved Ann at a mutual event: she is Ann's contact too"
    assert "Ask about the Karolinska exchange" in january
    assert "2 people tagged follow up not marked followed up yet" in words(page), "Cy and Dee"


def test_counts_say_what_they_count(db, fellows):
    meetings = network.everyone(db, fellows.rows["zoe"]["jan"])
    figures = network.counts(meetings)
    # Zoë: Ann (jan, feb: saved her), Dee (feb), Cy (mar); Ann and Dee are both at Barts.
    assert figures == {"people": 3, "organisations": 2, "events": 3}
    assert network.in_words(figures) == "3 people from 2 organisations, met at 3 events"
    assert network.in_words({"people": 1, "organisations": 1, "events": 1}) == \
        "1 person from 1 organisation, met at 1 event"


def test_a_contact_shows_what_they_share_now(client, db, fellows):
    ann_phone(client, fellows)
    assert "cy@example.org" not in page_text(client.get("/me")), "Cy does not share his email"
    cy = find_attendee(db, "jan", "cy@example.org")
    set_choices(db, cy, share_email=True, share_linkedin=True, allow_scan=True, allow_suggest=False,
                share_photo=False, leaderboard_opt_out=False)
    january = sections(page_text(client.get("/me")))["January: Leadership"]
    assert "cy@example.org" in january, "shared since: shown at the January meeting too"


def test_the_contacts_download_holds_everyone_once(client, fellows):
    cards = parse_vcards(ann_phone(client, fellows).get("/me/contacts.vcf").get_data(as_text=True))
    assert sorted(c["FN"] for c in cards) == ["Cy Dee", "Dee Park", "Eve Moss", "Fay Nash", "Zoë Ångström"]
    zoe = next(c for c in cards if c["FN"] == "Zoë Ångström")
    assert "February: Entrepreneurship on 12 February 2026" in zoe["NOTE"]
    assert "January: Leadership on 15 January 2026.\\nAsk about the Karolinska exchange" in zoe["NOTE"]


def test_notes_followed_up_and_removing_work_on_contacts_from_earlier_events(client, db, fellows):
    ann_phone(client, fellows)
    ann, cy = fellows.rows["ann"]["jan"], fellows.rows["cy"]["jan"]
    cid = connection_id(db, ann, cy)
    saved = post_form(client, f"/me/connections/{cid}", {"action": "save", "note": "Met at the bar",
                                                         "tags": ["follow up", "research"]})
    assert saved.status_code == 302
    marked = post_form(client, f"/me/connections/{cid}", {"action": "followed_up"})
    assert marked.status_code == 302 and marked.headers["Location"].endswith(f"/me#c{cid}")
    assert db.execute("SELECT note, tags FROM connections WHERE id = ?", [cid]).fetchone() == \
        ("Met at the bar", "follow up,research,followed up")
    page = page_text(client.get(f"/me/connections/{cid}"))
    assert "Cy Dee" in page and ">Met at the bar</textarea>" in page and "Followed up ✓ · undo" in page
    assert "1 person tagged follow up not marked" in words(page_text(client.get("/me"))), "Dee is left"
    post_form(client, f"/me/connections/{cid}", {"action": "save", "note": "Met at the bar", "tags": ["follow up"]})
    assert db.execute("SELECT tags FROM connections WHERE id = ?", [cid]).fetchone()[0] == \
        "follow up,followed up", "saving the note keeps the mark"
    post_form(client, f"/me/connections/{cid}", {"action": "not_followed_up"})
    assert db.execute("SELECT tags FROM connections WHERE id = ?", [cid]).fetchone()[0] == "follow up"
    removed = post_form(client, f"/me/connections/{cid}", {"action": "remove", "confirm": "yes"})
    assert removed.status_code == 302
    page = page_text(client.get("/me"))
    assert "Cy Dee" not in sections(page)["January: Leadership"]
    assert "4 people from 4 organisations, met at 3 events" in page


def test_someone_elses_connection_cannot_be_edited(client, db, fellows):
    ann_phone(client, fellows)
    theirs = connection_id(db, fellows.rows["zoe"]["feb"], fellows.rows["dee"]["feb"])
    response = post_form(client, f"/me/connections/{theirs}", {"action": "followed_up"})
    assert response.status_code == 404
    assert client.get(f"/me/connections/{theirs}").status_code == 404
    assert db.execute("SELECT tags FROM connections WHERE id = ?", [theirs]).fetchone()[0] == ""


def test_a_one_way_event_of_the_programme_keeps_its_rule(client, db):
    fellows = three_event_programme(db, modes={"feb": "one-way"})
    activate(client, fellows.rows["dee"]["feb"])
    page = page_text(client.get("/me"))
    assert "Ann Lee" not in page and "Zoë" not in page, "in a one-way event the scanned see nobody"
    assert "0 people from 0 organisations, met at 0 events" not in page and "Nobody yet." in page


def test_a_standalone_event_looks_as_before(client, db):
    people = open_event(db, "today")
    post_form(client, "/login")  # a session for the CSRF token
    activate(client, people["ann"])
    post_form(client, f"/b/{people['zoe']['code']}")
    page = page_text(client.get("/me"))
    assert "People you met (1)" in page and "Your network so far" not in page
    assert 'class="network-event"' not in page


def test_searching_the_network_counts_people(client, fellows, monkeypatch):
    monkeypatch.setattr("kiosk.views.attendee.SEARCH_FROM", 4)  # Ann's 5 people: a search box
    page = page_text(ann_phone(client, fellows).get("/me", query_string={"q": "zoë"}))
    assert "1 of 5 match “zoë”" in page, "met twice, one person"
    assert list(sections(page)) == ["February: Entrepreneurship", "January: Leadership"]
