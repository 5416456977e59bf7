"""Issue 12, item 1, as an attacker and a careless organiser see it (from a review of the
programme model): badges and links that must stay dead, phone QRs that must not be handed
out, two mailboxes that must stay two people, choices and opt-outs that must survive a
re-import or an event joining later, and erasure that leaves nothing behind."""

import io
import re
import time
import uuid

import pytest
from PIL import Image

import kiosk.views.api as api
from conftest import held, post_form
from kiosk import messages
from kiosk.attendee_import import import_attendees
from kiosk.attendees import add_attendee, find_attendee, new_private_link, set_revoked
from kiosk.headshots import set_photo
from kiosk.kiosks import create_kiosk
from kiosk.privacy import purge
from kiosk.programmes import create_programme, set_event_programme
from test_connections import activate
from test_programmes import bearer, scan

ZOE = b"email,first_name,last_name\nzoe@example.org,Zoe,Secretname\n"


@pytest.fixture(autouse=True)
def readable_qr(monkeypatch):
    monkeypatch.setattr(api, "_qr_svg", lambda link: link)  # the QR's link, to follow it


def jpeg(colour):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(out, "JPEG")
    return out.getvalue()


def standalone_february_joining_later(db):
    """January in the programme; February (open now) standalone, Zoë registered at both."""
    create_programme(db, "fellows", "Fellowship")
    held(db, "jan", -30, programme="fellows")
    held(db, "feb", -0.05)
    for slug in ("jan", "feb"):
        import_attendees(db, slug, ZOE)


def checkin(client, token, slug, **body):
    return client.post(f"/api/v1/events/{slug}/checkins", headers=bearer(token),
                       json={"nonce": uuid.uuid4().hex, "activate": True, **body}).get_json()


# ---------- phone QRs ----------

def test_a_badge_that_registers_its_holder_at_the_door_brings_up_no_phone_qr(client, fellowship, db):
    ann = find_attendee(db, "jan", "ann@example.org")  # January only: her code is on her badge
    token = create_kiosk(db, "feb", "Self", mode="self")[1]
    first = checkin(client, token, "feb", code=ann["code"])
    assert first["result"] == "checked_in" and "activation_svg" not in first
    assert "activation_svg" not in checkin(client, token, "feb", code=ann["code"])


def test_a_replayed_check_in_never_brings_up_a_phone_qr(client, fellowship, db):
    zoe = find_attendee(db, "feb", "zoe@example.org")
    token = create_kiosk(db, "feb", "Door")[1]
    body = {"nonce": uuid.uuid4().hex, "code": zoe["code"], "activate": True}
    first = client.post("/api/v1/events/feb/checkins", headers=bearer(token), json=body).get_json()
    again = client.post("/api/v1/events/feb/checkins", headers=bearer(token), json=body).get_json()
    assert "activation_svg" in first and "activation_svg" not in again


def test_a_badge_printed_after_a_name_search_never_brings_up_a_qr_at_another_event(client, fellowship, db):
    held(db, "feb2", -0.05, programme="fellows")
    import_attendees(db, "feb2", b"email,first_name\nzoe@example.org,Zoe\n")
    first, second = create_kiosk(db, "feb", "Self A", mode="self")[1], create_kiosk(db, "feb2", "Self B", mode="self")[1]
    pick = client.get("/api/v1/events/feb/attendees?q=zo", headers=bearer(first)).get_json()["attendees"][0]["pick"]
    code = checkin(client, first, "feb", pick=pick)["attendee"]["code"]
    assert "activation_svg" not in checkin(client, second, "feb2", code=code)


def test_a_qr_shown_before_the_link_was_replaced_no_longer_binds(client, fellowship, db):
    zoe = find_attendee(db, "feb", "zoe@example.org")
    token = create_kiosk(db, "feb", "Door")[1]
    key = checkin(client, token, "feb", code=zoe["code"])["activation_svg"].rsplit("/", 1)[1]
    new_private_link(db, "feb", zoe["id"])
    assert post_form(client, f"/me/{key}").status_code == 404


def test_a_new_link_ends_every_phone_and_the_links_held_before_a_join(client, db):
    standalone_february_joining_later(db)
    old_february = find_attendee(db, "feb", "zoe@example.org")
    set_event_programme(db, "feb", "fellows")
    activate(client, old_february)  # February's link, now an alias
    other = client.application.test_client()
    activate(other, find_attendee(db, "jan", "zoe@example.org"))
    new_private_link(db, "jan", find_attendee(db, "jan", "zoe@example.org")["id"])
    assert client.get("/me").status_code == 403 and other.get("/me").status_code == 403
    assert client.get(f"/me/{old_february['private_key']}").status_code == 404


# ---------- badges that stay dead, links in mail that stay alive ----------

def test_a_revoked_badge_stays_dead_when_a_good_badge_of_a_joining_event_becomes_theirs(client, db):
    create_programme(db, "fellows", "Fellowship")
    held(db, "dec", -60)
    held(db, "jan", -30, programme="fellows")
    held(db, "feb", -0.05)
    for slug in ("dec", "jan", "feb"):
        import_attendees(db, slug, ZOE)
    dec, jan, feb = (find_attendee(db, slug, "zoe@example.org") for slug in ("dec", "jan", "feb"))
    set_event_programme(db, "dec", "fellows")  # December's badge becomes an alias
    set_revoked(db, "jan", jan["id"], True)    # the programme's badge is lost
    set_event_programme(db, "feb", "fellows")  # February's good badge becomes hers
    token = create_kiosk(db, "feb", "Door")[1]
    results = {slug: scan(client, token, "feb", row["code"]).get_json()["result"]
               for slug, row in (("dec", dec), ("jan", jan), ("feb", feb))}
    assert results == {"dec": "unknown", "jan": "unknown", "feb": "checked_in"}


def test_an_unsubscribe_link_in_mail_sent_before_a_badge_was_replaced_still_works(app, db):
    standalone_february_joining_later(db)
    jan = find_attendee(db, "jan", "zoe@example.org")
    with app.test_request_context():
        token = messages.unsubscribe_token(jan)  # in every January mail
    set_revoked(db, "jan", jan["id"], True)
    set_event_programme(db, "feb", "fellows")
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200
    assert find_attendee(db, "feb", "zoe@example.org")["mail_opt_out_at"]


# ---------- one person per mailbox ----------

def test_addresses_that_differ_beyond_ascii_case_are_two_people(fellowship, db):
    import_attendees(db, "jan", "email,first_name\nstrasse@example.de,Hans\nfiona@example.org,Fiona\n".encode())
    hans = find_attendee(db, "jan", "strasse@example.de")
    import_attendees(db, "mar", "email,first_name\nstraße@example.de,Greta\nﬁona@example.org,Mallory\n".encode())
    assert find_attendee(db, "mar", "straße@example.de")["code"] != hans["code"]
    assert find_attendee(db, "jan", "strasse@example.de")["first_name"] == "Hans"
    assert find_attendee(db, "jan", "fiona@example.org")["first_name"] == "Fiona"
    add_attendee(db, "feb", {"email": "STRASSE@example.de", "first_name": "Hans"})
    assert find_attendee(db, "feb", "strasse@example.de")["code"] == hans["code"], "ASCII case is one person"


def test_two_mailboxes_alike_beyond_ascii_in_one_file_are_two_people_never_a_500(organiser, runner, fellowship,
                                                                                   db, tmp_path):
    data = "email,first_name\nstrasse@example.de,Hans\nStraße@example.de,Greta\n".encode()
    preview = post_form(organiser, "/admin/events/mar/import", {"file": (io.BytesIO(data), "a.csv")},
                        content_type="multipart/form-data")
    upload = re.search(r'name="upload_id" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert post_form(organiser, "/admin/events/mar/import/confirm", {"upload_id": upload}).status_code < 400
    assert db.execute("SELECT count(DISTINCT person_id) FROM attendees WHERE email LIKE 'stra%'").fetchone()[0] == 2
    (tmp_path / "again.csv").write_bytes(data)
    assert runner.invoke(args=["import-attendees", "jan", str(tmp_path / "again.csv")]).exit_code == 0


# ---------- choices that survive ----------

def test_a_re_import_without_consent_columns_keeps_the_choices_made_on_me(client, fellowship, db):
    activate(client, find_attendee(db, "jan", "zoe@example.org"))
    post_form(client, "/me/choices", {"share_linkedin": "on", "allow_scan": "on"})  # email off
    import_attendees(db, "feb", b"email,first_name,organisation\nzoe@example.org,Zoe,Karolinska Institutet\n")
    assert {slug: find_attendee(db, slug, "zoe@example.org")["share_email"] for slug in ("jan", "feb")} == \
        {"jan": 0, "feb": 0}


def test_an_event_joining_later_keeps_the_persons_own_choices_over_its_import_defaults(client, db):
    create_programme(db, "fellows", "Fellowship")
    held(db, "jan", -30, programme="fellows")
    held(db, "feb", -0.05)
    import_attendees(db, "jan", ZOE)
    activate(client, find_attendee(db, "jan", "zoe@example.org"))
    post_form(client, "/me/choices", {"share_linkedin": "on", "allow_scan": "on"})
    time.sleep(1.1)  # February's import is the newer consent record, but not her choice
    import_attendees(db, "feb", ZOE)
    set_event_programme(db, "feb", "fellows")
    assert {row[0] for row in db.execute("SELECT share_email FROM attendees")} == {0}


def test_an_event_joining_later_keeps_an_unsubscribe_and_a_leaderboard_opt_out(app, db):
    standalone_february_joining_later(db)
    feb = find_attendee(db, "feb", "zoe@example.org")
    with app.test_request_context():
        messages.unsubscribe(db, messages.unsubscribe_token(feb))
    db.execute("UPDATE attendees SET leaderboard_opt_out = 1 WHERE id = ?", [feb["id"]])
    set_event_programme(db, "feb", "fellows")
    rows = db.execute("SELECT mail_opt_out_at IS NOT NULL, leaderboard_opt_out FROM attendees").fetchall()
    assert rows == [(1, 1), (1, 1)]


def test_an_event_joining_later_leaves_one_photo_the_newest(db):
    standalone_february_joining_later(db)
    set_photo(db, "jan", find_attendee(db, "jan", "zoe@example.org")["id"], jpeg("red"))
    time.sleep(1.1)
    set_photo(db, "feb", find_attendee(db, "feb", "zoe@example.org")["id"], jpeg("blue"))
    blue = find_attendee(db, "feb", "zoe@example.org")["photo"]
    set_event_programme(db, "feb", "fellows")
    assert {row[0] for row in db.execute("SELECT photo FROM attendees")} == {blue}
    assert db.execute("SELECT count(*) FROM headshots").fetchone()[0] == 1


# ---------- erasure and purge ----------

def test_erasure_removes_kiosk_answers_naming_any_code_the_person_held(client, db):
    standalone_february_joining_later(db)
    token = create_kiosk(db, "feb", "Door")[1]
    assert scan(client, token, "feb", find_attendee(db, "feb", "zoe@example.org")["code"]).status_code == 201
    set_event_programme(db, "feb", "fellows")  # the answer stored names February's code, now an alias
    activate(client, find_attendee(db, "feb", "zoe@example.org"))
    assert post_form(client, "/me/delete", {"confirm": "yes", "what": "everything"}).status_code == 200
    assert db.execute("SELECT count(*) FROM api_replies WHERE body LIKE '%Secretname%'").fetchone()[0] == 0


def test_purging_one_event_keeps_the_person_at_the_others(fellowship, db):
    zoe = find_attendee(db, "feb", "zoe@example.org")
    db.execute("UPDATE events SET starts_at = '2025-01-01T09:00:00+00:00', ends_at = '2025-01-01T12:00:00+00:00' "
               "WHERE slug = 'jan'")
    purge(db, "jan", 90)
    assert find_attendee(db, "feb", "zoe@example.org")["code"] == zoe["code"]
    assert db.execute("SELECT count(*) FROM people p WHERE NOT EXISTS "
                      "(SELECT 1 FROM attendees a WHERE a.person_id = p.id)").fetchone()[0] == 0
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_another_programmes_and_a_standalone_events_people_stay_apart(client, fellowship, db):
    create_programme(db, "other", "Other")
    held(db, "o1", -0.05, programme="other")
    held(db, "solo", -0.05)
    import_attendees(db, "o1", b"email,first_name\nzoe@example.org,ZoeO\n")
    import_attendees(db, "solo", b"email,first_name\nzoe@example.org,ZoeS\n")
    zoe = find_attendee(db, "feb", "zoe@example.org")
    for slug in ("o1", "solo"):
        assert scan(client, create_kiosk(db, slug, "Door")[1], slug, zoe["code"]).status_code == 404
    activate(client, find_attendee(db, "o1", "zoe@example.org"))
    page = client.get("/me").get_data(as_text=True)
    assert "ZoeO" in page and "Workshop feb" not in page
    assert find_attendee(db, "solo", "zoe@example.org")["first_name"] == "ZoeS"
