"""People to meet next time (issue 12.5): on /me and in each digest, only people who opted
in and come to an upcoming event of the programme, never anyone already met, ranked and
explained, with names, roles and organisations only."""

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from conftest import post_form
from kiosk.attendees import add_attendee
from kiosk.db import now, query
from kiosk.digests import send
from kiosk.events import add_workshop, create_event
from kiosk.mail import mailer_from_config
from kiosk.programmes import create_programme, set_event_programme
from kiosk.suggestions import suggestions
from test_connections import activate

# name: (organisation, role, events registered at, opted in to be suggested)
FELLOWS = {
    "amy": ("Barts", "Year 3", ("jan", "feb"), True),
    "ben": ("UCL", "Year 3", ("jan",), False),
    "cat": ("Barts", "Year 2", ("jan", "feb"), False),
    "dan": ("KCL", "Year 5", ("jan", "mar"), True),
    "eve": ("Barts", "Year 3", ("jan", "mar"), True),
    "fay": ("Imperial", "Year 3", ("jan", "mar"), True),
    "gus": ("KCL", "Year 1", ("mar",), False),
    "hal": ("Oxford", "Year 4", ("jan",), True),
    "ivy": ("Leeds", "Year 1", ("feb", "mar"), True),
    "jon": ("Kings", "Year 2", ("mar",), True),
    "kim": ("Bristol", "Year 6", ("mar",), True),
}
# Who met whom (scanner, scanned, event).
MET = (("amy", "ben", "jan"), ("cat", "amy", "feb"), ("ben", "dan", "jan"), ("dan", "cat", "jan"),
       ("eve", "ben", "jan"), ("ivy", "amy", "feb"), ("hal", "fay", "jan"))


def day(offset):
    return (datetime.now(timezone.utc) + timedelta(days=offset)).replace(microsecond=0)


def meet(db, fellows, scanner, scanned, event):
    """A connection as a phone records it, at an event already held."""
    a, b = fellows[scanner][event], fellows[scanned][event]
    db.execute("""INSERT INTO connections (event_id, scanner_id, scanned_id, via, at)
                  VALUES (?, ?, ?, 'phone', ?)""", [a["event_id"], a["id"], b["id"], now()])


def check_in_at(db, row, workshop_id):
    db.execute("INSERT INTO checkins (event_id, attendee_id, workshop_id, at) VALUES (?, ?, ?, ?)",
               [row["event_id"], row["id"], workshop_id, now()])


@pytest.fixture
def fellows(db):
    return programme_of_fellows(db)


def programme_of_fellows(db):
    """A programme of three monthly workshops (two held, one to come), its fellows' rows by
    event ({name: {event: row}}), who met whom, and a Leadership workshop in January."""
    create_programme(db, "fellows", "Fellowship 2026")
    for slug, offset in (("jan", -60), ("feb", -30), ("mar", 10)):
        create_event(db, slug, f"Fellows {slug}", day(offset).isoformat(), (day(offset) + timedelta(hours=4)).isoformat(),
                     grace_minutes=0)
        set_event_programme(db, slug, "fellows")
    add_workshop(db, "jan", "leadership", "Leadership")
    rows = {}
    for name, (organisation, role, events, _) in FELLOWS.items():
        for slug in events:
            rows.setdefault(name, {})[slug] = add_attendee(db, slug, {
                "first_name": name.title(), "last_name": "Fellow", "email": f"{name}@example.org",
                "organisation": organisation, "role": role, "linkedin_url": f"https://www.linkedin.com/in/{name}"})
    db.execute("UPDATE attendees SET allow_suggest = 1 WHERE email IN ({})".format(
        ",".join(f"'{name}@example.org'" for name, spec in FELLOWS.items() if spec[3])))
    db.execute("UPDATE attendees SET revoked_at = ? WHERE email = 'jon@example.org'", [now()])
    for scanner, scanned, event in MET:
        meet(db, rows, scanner, scanned, event)
    leadership = db.execute("SELECT id FROM workshops WHERE slug = 'leadership'").fetchone()[0]
    for name in ("amy", "dan", "fay", "hal"):
        check_in_at(db, rows[name]["jan"], leadership)
    return rows


def names(found):
    return [person["first_name"] for person in found]


def event(db, slug):
    return query(db, "SELECT * FROM events WHERE slug = ?", [slug])[0]


def test_suggestions_are_opted_in_upcoming_not_met_and_ranked_with_reasons(db, fellows):
    amy = fellows["amy"]["feb"]
    found = suggestions(db, amy, event(db, "feb"))
    # Gus did not opt in; Hal comes to no event still to come; Ivy saved Amy (she met her);
    # Jon's badge is revoked; Ben and Cat are Amy's contacts; Amy is not suggested to herself.
    assert names(found) == ["Dan", "Kim", "Fay", "Eve"]
    assert [person["why"] for person in found] == [
        "Another organisation · another year or role · met by 2 of your contacts · also at Leadership",
        "Another organisation · another year or role",
        "Another organisation · also at Leadership",
        "Met by one of your contacts",
    ]
    assert all(set(person) == {"first_name", "last_name", "role", "organisation", "why"} for person in found)


def test_consent_to_be_suggested_is_honoured_both_ways(db, fellows):
    amy, feb = fellows["amy"]["feb"], event(db, "feb")
    db.execute("UPDATE attendees SET allow_suggest = 1 WHERE email = 'gus@example.org'")
    assert "Gus" in names(suggestions(db, amy, feb))
    db.execute("UPDATE attendees SET allow_suggest = 0 WHERE email = 'dan@example.org'")
    assert "Dan" not in names(suggestions(db, amy, feb))


def test_only_people_coming_to_an_event_still_to_come(db, fellows):
    amy, feb = fellows["amy"]["feb"], event(db, "feb")
    held = day(-1)
    db.execute("UPDATE events SET starts_at = ?, ends_at = ? WHERE slug = 'mar'",
               [held.isoformat(), (held + timedelta(hours=4)).isoformat()])
    assert suggestions(db, amy, feb) == [], "March is held: nobody is registered for an event to come"


def test_me_page_shows_suggestions_without_contact_details(client, db, fellows):
    with_shared_photo(db, "dan")
    activate(client, fellows["amy"]["feb"])
    page = client.get("/me").get_data(as_text=True)
    section = page.split('id="suggestions"')[1].split("</section>")[0]
    assert "People to meet next time" in section
    shown = re.findall(r"<strong>(\w+) Fellow</strong>", section)
    assert shown == ["Dan", "Kim", "Fay", "Eve"]
    assert "met by 2 of your contacts · also at Leadership" in section
    for name in ("dan", "kim", "fay", "eve"):
        row = fellows[name]["mar"]
        for detail in (row["email"], row["linkedin_url"], row["code"], row["code"].lower()):
            assert detail not in page, f"{detail} of a suggested person is on /me"


def with_shared_photo(db, name):
    """`name` shares a photo (a real JPEG), as a contact would see it."""
    image = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(image, "JPEG")
    db.execute("UPDATE attendees SET photo = ?, share_photo = 1 WHERE email = ?", [image.getvalue(), f"{name}@example.org"])


def test_each_digest_suggests_people_to_meet_next_time_in_both_parts(smtp_app, smtp_server, db, fellows):
    recorder, _ = smtp_server
    with_shared_photo(db, "dan")
    with smtp_app.app_context():
        send(db, "feb", "digest", mailer_from_config(smtp_app.config))
    mail = {m["To"].addresses[0].addr_spec: m for m in recorder.parsed()}
    digest = mail["amy@example.org"]
    for body in (digest.get_body(("plain",)).get_content(), digest.get_body(("html",)).get_content()):
        assert "People to meet next time" in body
        assert body.index("Dan Fellow") < body.index("Kim Fellow") < body.index("Fay Fellow") < body.index("Eve Fellow")
        assert "met by 2 of your contacts · also at Leadership" in body
        assert "KCL" in body and "Year 5" in body
        for name in ("dan", "kim", "fay", "eve"):
            row = fellows[name]["mar"]
            assert row["email"] not in body and row["linkedin_url"] not in body and row["code"] not in body
    assert not [part for part in digest.walk() if part.get_content_maintype() == "image"], "no suggested person's photo"
    contacts = [a for a in digest.iter_attachments() if a.get_filename() == "contacts.vcf"][0]
    assert "Dan" not in contacts.get_content(), "a suggestion is not a contact"


def test_the_me_choice_says_what_a_suggestion_shows(client, db, fellows):
    activate(client, fellows["gus"]["mar"])
    page = client.get("/me").get_data(as_text=True)
    assert ("Suggest me to people who have not met me yet: they see my name, role and organisation and why "
            "(a workshop we both attended, how many of their contacts met me), never my email, LinkedIn or photo") in page
    post_form(client, "/me/choices", {"allow_suggest": "on", "allow_scan": "on"})
    assert "Gus" in names(suggestions(db, fellows["amy"]["feb"], event(db, "feb")))
