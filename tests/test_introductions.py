"""Introductions (issue 12.6): from /me a person introduces two of their own contacts;
both get an email (through a real SMTP server) with an Accept/Decline link; both
accepting makes them contacts, each seeing only what the other shares."""

import re
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest

from conftest import post_form
from kiosk.attendees import add_attendee
from kiosk.db import query
from kiosk.errors import Conflict, Forbidden, Invalid
from kiosk.introductions import DAILY_LIMIT, TooMany, introduce, introduction_counts
from kiosk.introductions import answer as answer_by_token
from kiosk.introductions import introduced_contacts
from kiosk.privacy import delete_attendee, delete_connections
from test_connections import activate, parse_vcards
from test_suggestions import meet, programme_of_fellows


@pytest.fixture
def fellows(db):
    return programme_of_fellows(db)


@pytest.fixture
def amy_phone(smtp_app, fellows):
    """Amy's phone. Amy met Ben (January), Cat and Ivy (February); Ben and Cat met Dan."""
    client = smtp_app.test_client()
    activate(client, fellows["amy"]["feb"])
    return client


def introduce_from_me(client, first, second, note="You both love cardiology"):
    return post_form(client, "/me/introductions", {"first": first["person_id"], "second": second["person_id"],
                                                   "note": note})


def mails(recorder):
    return {m["To"].addresses[0].addr_spec: m for m in recorder.parsed()}


def answer_link(message):
    return re.search(r"https://kiosk\.test(/introductions/[\w-]+)", message.get_body(("plain",)).get_content()).group(1)


def answer(client, path, choice, page=None):
    """Press a button on the link's page (`page`: as it was opened earlier)."""
    page = page or client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(path, data={"csrf_token": token, "answer": choice})


def answers(db):
    return db.execute("SELECT first_answer, second_answer FROM introductions").fetchall()


def test_both_get_a_mail_with_the_note_and_the_other_but_no_contact_details(amy_phone, smtp_server, db, fellows):
    recorder, _ = smtp_server
    ben, ivy = fellows["ben"]["jan"], fellows["ivy"]["feb"]
    response = introduce_from_me(amy_phone, ben, ivy)
    assert response.status_code == 302
    assert "Introduction sent: Ben Fellow and Ivy Fellow" in amy_phone.get("/me").get_data(as_text=True)
    sent = mails(recorder)
    assert sorted(sent) == ["ben@example.org", "ivy@example.org"]
    to_ben = sent["ben@example.org"]
    assert to_ben["Subject"] == "Amy Fellow introduces you to Ivy Fellow"
    for body in (to_ben.get_body(("plain",)).get_content(), to_ben.get_body(("html",)).get_content()):
        assert "You both love cardiology" in body and "Amy Fellow" in body
        assert "Ivy Fellow" in body and "Year 1, Leeds" in body
        assert "ivy@example.org" not in body and "linkedin.com" not in body and ivy["code"] not in body
        link = answer_link(to_ben)
        assert f"{link}?answer=accept" in body and f"{link}?answer=decline" in body, "an Accept and a Decline link"
    (row,) = query(db, "SELECT * FROM introductions")
    link = answer_link(to_ben).rsplit("/", 1)[1]
    assert link not in (row["first_token_hash"], row["second_token_hash"]), "only the token's hash is kept"
    assert answer_link(to_ben) != answer_link(sent["ivy@example.org"]), "each person's link is their own"


def test_opening_the_link_records_nothing_and_both_accepting_makes_contacts(
        amy_phone, smtp_app, smtp_server, db, fellows):
    recorder, _ = smtp_server
    ben, ivy = fellows["ben"]["jan"], fellows["ivy"]["feb"]
    db.execute("UPDATE attendees SET share_linkedin = 0 WHERE email = 'ivy@example.org'")
    introduce_from_me(amy_phone, ben, ivy)
    sent = mails(recorder)
    browser = smtp_app.test_client()  # a mail client or its link scanner: no session at all
    for path in (answer_link(sent["ben@example.org"]), answer_link(sent["ivy@example.org"])):
        for link in (path, f"{path}?answer=accept", f"{path}?answer=decline"):
            page = browser.get(link).get_data(as_text=True)
            first_button = re.search(r'<button type="submit" name="answer" value="(\w+)"', page).group(1)
            assert first_button == ("decline" if link.endswith("decline") else "accept"), "the link's choice first"
    assert answers(db) == [(None, None)], "a GET (a scanner prefetching the link) records nothing"

    assert answer(browser, answer_link(sent["ben@example.org"]), "accept").status_code == 200
    phone = smtp_app.test_client()
    activate(phone, ben)
    assert "Ivy" not in phone.get("/me").get_data(as_text=True).split('id="introduce"')[0], "Ivy has not accepted yet"
    done = answer(browser, answer_link(sent["ivy@example.org"]), "accept").get_data(as_text=True)
    assert "You both accepted" in done

    page = phone.get("/me").get_data(as_text=True)
    introduced = page.split('id="introduced"')[1].split("</section>")[0]
    assert "Ivy Fellow" in introduced and "Introduced by Amy Fellow" in introduced
    assert "ivy@example.org" in introduced, "Ivy shares her email"
    assert "linkedin.com/in/ivy" not in introduced, "Ivy does not share her LinkedIn"
    cards = parse_vcards(phone.get("/me/contacts.vcf").get_data(as_text=True))
    (card,) = [c for c in cards if c["FN"] == "Ivy Fellow"]
    assert card["EMAIL;TYPE=INTERNET"] == "ivy@example.org" and "URL" not in card
    assert card["NOTE"].startswith("Introduced by Amy Fellow")
    ivy_phone = smtp_app.test_client()
    activate(ivy_phone, ivy)
    assert "Ben Fellow" in ivy_phone.get("/me").get_data(as_text=True).split('id="introduced"')[1]
    assert "both accepted, they are now connected" in amy_phone.get("/me").get_data(as_text=True)
    amy = fellows["amy"]["feb"]["person_id"]
    assert introduction_counts(db, [amy, ben["person_id"]]) == {amy: 1}, "the leaderboard's count"


def test_one_decline_shares_nothing_and_nobody_learns_who_declined(amy_phone, smtp_app, smtp_server, db, fellows):
    recorder, _ = smtp_server
    ben, ivy = fellows["ben"]["jan"], fellows["ivy"]["feb"]
    introduce_from_me(amy_phone, ben, ivy)
    sent = mails(recorder)
    browser = smtp_app.test_client()
    accepted = answer(browser, answer_link(sent["ben@example.org"]), "accept").get_data(as_text=True)
    opened = browser.get(answer_link(sent["ivy@example.org"])).get_data(as_text=True)
    declined = answer(browser, answer_link(sent["ivy@example.org"]), "decline", opened).get_data(as_text=True)
    assert "You declined: nothing is shared, and nobody is told." in declined
    again = browser.get(answer_link(sent["ben@example.org"])).get_data(as_text=True)
    assert again == accepted.replace("You both accepted", "") and "If Ivy accepts too by" in again, \
        "Ben's page reads as it did before Ivy's answer: waiting"
    assert "declined" not in again
    phone = smtp_app.test_client()
    activate(phone, ben)
    assert 'id="introduced"' not in phone.get("/me").get_data(as_text=True)
    assert "Ben" not in phone.get("/me/contacts.vcf").get_data(as_text=True)
    assert "waiting for their answers" in amy_phone.get("/me").get_data(as_text=True), \
        "the introducer is not told of a decline either"
    again = answer(browser, answer_link(sent["ivy@example.org"]), "accept", opened)
    assert again.status_code == 409 and "already declined" in again.get_data(as_text=True), "one answer per link"


def test_after_14_days_nothing_is_shared_and_the_introducer_sees_expired(amy_phone, smtp_app, smtp_server, db, fellows):
    recorder, _ = smtp_server
    ben, ivy = fellows["ben"]["jan"], fellows["ivy"]["feb"]
    introduce_from_me(amy_phone, ben, ivy)
    (row,) = query(db, "SELECT created_at, expires_at FROM introductions")
    assert datetime.fromisoformat(row["expires_at"]) - datetime.fromisoformat(row["created_at"]) == timedelta(days=14)
    sent = mails(recorder)
    browser = smtp_app.test_client()
    answer(browser, answer_link(sent["ben@example.org"]), "accept")
    opened = browser.get(answer_link(sent["ivy@example.org"])).get_data(as_text=True)  # and left open
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(timespec="seconds")
    db.execute("UPDATE introductions SET created_at = ?, expires_at = ?",
               [(datetime.now(timezone.utc) - timedelta(days=14, minutes=1)).isoformat(timespec="seconds"), past])
    late = answer(browser, answer_link(sent["ivy@example.org"]), "accept", opened)
    assert late.status_code == 409 and "expired" in late.get_data(as_text=True)
    assert answers(db) == [("accepted", None)] or answers(db) == [(None, "accepted")]
    assert "expired, nothing was shared" in amy_phone.get("/me").get_data(as_text=True)
    assert "This introduction has expired" in browser.get(answer_link(sent["ben@example.org"])).get_data(as_text=True)
    # Expired, the pair may be introduced again.
    assert introduce_from_me(amy_phone, ben, ivy).status_code == 302


def test_only_between_two_of_your_own_contacts_not_met_and_not_introduced_already(db, fellows):
    amy, ben, cat, dan, ivy = (fellows[n][e] for n, e in
                               (("amy", "feb"), ("ben", "jan"), ("cat", "feb"), ("dan", "mar"), ("ivy", "feb")))
    with pytest.raises(Forbidden, match="only introduce people you have met"):
        introduce(db, amy, ben["person_id"], dan["person_id"], "")  # Amy never met Dan
    with pytest.raises(Invalid, match="cannot introduce yourself"):
        introduce(db, amy, amy["person_id"], ben["person_id"], "")
    with pytest.raises(Invalid, match="two different people"):
        introduce(db, amy, ben["person_id"], ben["person_id"], "")
    with pytest.raises(Invalid, match="longer than 500"):
        introduce(db, amy, ben["person_id"], ivy["person_id"], "x" * 501)
    meet(db, fellows, "ben", "cat", "jan")
    with pytest.raises(Conflict, match="have met already"):
        introduce(db, amy, ben["person_id"], cat["person_id"], "")
    db.execute("UPDATE attendees SET mail_opt_out_at = ? WHERE email = 'ivy@example.org'", ["2026-01-01T00:00:00+00:00"])
    with pytest.raises(Conflict, match="Ivy Fellow asked for no more mail"):
        introduce(db, amy, ben["person_id"], ivy["person_id"], "")
    db.execute("UPDATE attendees SET mail_opt_out_at = NULL WHERE email = 'ivy@example.org'")
    introduce(db, amy, ben["person_id"], ivy["person_id"], "  Say hello\n\nto each other ")
    assert db.execute("SELECT note FROM introductions").fetchone() == ("Say hello to each other",)
    meet(db, fellows, "ivy", "cat", "feb")  # Cat now knows both Ben and Ivy
    with pytest.raises(Conflict, match="introduced already"):
        introduce(db, cat, ivy["person_id"], ben["person_id"], "")


def test_introductions_are_limited_per_person_per_day(db, fellows):
    amy = fellows["amy"]["feb"]
    for n in range(5):  # with Ivy, six contacts who never met each other: 15 pairs
        name = f"new{n}"
        fellows[name] = {"feb": add_attendee(db, "feb", {"first_name": name, "email": f"{name}@example.org"})}
        meet(db, fellows, "amy", name, "feb")
    others = [fellows[n]["feb"]["person_id"] for n in ("new0", "new1", "new2", "new3", "new4")] + [
        fellows["ivy"]["feb"]["person_id"]]
    pairs = [(a, b) for i, a in enumerate(others) for b in others[i + 1:]]
    for first, second in pairs[:DAILY_LIMIT]:
        introduce(db, amy, first, second, "")
    with pytest.raises(TooMany, match="10 introductions in the last 24 hours"):
        introduce(db, amy, *pairs[DAILY_LIMIT], "")
    db.execute("UPDATE introductions SET created_at = ?",
               [(datetime.now(timezone.utc) - timedelta(days=1, minutes=1)).isoformat(timespec="seconds")])
    introduce(db, amy, *pairs[DAILY_LIMIT], "")  # a day later


def test_the_web_form_is_rate_limited_per_person(amy_phone, db, fellows):
    ben = fellows["ben"]["jan"]
    statuses = [introduce_from_me(amy_phone, ben, ben).status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
    assert "Slow down" in introduce_from_me(amy_phone, ben, ben).get_data(as_text=True)


def test_a_refusal_is_a_clear_page_and_nothing_is_mailed(amy_phone, smtp_server, db, fellows):
    recorder, _ = smtp_server
    response = introduce_from_me(amy_phone, fellows["ben"]["jan"], fellows["dan"]["mar"])
    assert response.status_code == 403
    assert "you can only introduce people you have met yourself" in response.get_data(as_text=True)
    assert recorder.messages == [] and answers(db) == []


def test_a_mail_server_refusing_for_now_is_tried_again(amy_phone, smtp_server, db, fellows):
    recorder, _ = smtp_server
    recorder.replies = ["451 4.3.0 Try again later"]
    assert introduce_from_me(amy_phone, fellows["ben"]["jan"], fellows["ivy"]["feb"]).status_code == 302
    assert sorted(recorder.recipients()) == ["ben@example.org", "ivy@example.org"]
    assert len(answers(db)) == 1


def test_mail_that_cannot_go_withdraws_the_introduction(amy_phone, smtp_app, db, fellows):
    smtp_app.config.update(SMTP_PORT=1)  # nothing listens there
    response = introduce_from_me(amy_phone, fellows["ben"]["jan"], fellows["ivy"]["feb"])
    assert response.status_code == 503 and "try again later" in response.get_data(as_text=True)
    assert answers(db) == [], "nobody is left with an introduction they never heard of"


def test_a_link_that_is_not_one_is_a_clear_404(client):
    response = client.get("/introductions/not-a-real-token")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


def test_my_data_holds_my_introductions_without_the_other_answer(amy_phone, smtp_app, smtp_server, db, fellows):
    recorder, _ = smtp_server
    introduce_from_me(amy_phone, fellows["ben"]["jan"], fellows["ivy"]["feb"])
    answer(smtp_app.test_client(), answer_link(mails(recorder)["ivy@example.org"]), "decline")
    mine = amy_phone.get("/me/data.json").get_json()["introductions"]
    assert mine == [{"introducer": "Amy Fellow", "introduced": ["Ben Fellow", "Ivy Fellow"],
                     "note": "You both love cardiology", "at": mine[0]["at"], "status": "waiting"}]
    ben_phone = smtp_app.test_client()
    activate(ben_phone, fellows["ben"]["jan"])
    (bens,) = ben_phone.get("/me/data.json").get_json()["introductions"]
    assert bens["my_answer"] is None and "declined" not in str(bens), "Ben is not told Ivy declined"


def test_the_leaderboard_shows_introductions_both_people_accepted(app, organiser, db, fellows):
    amy = fellows["amy"]["feb"]
    _, tokens = introduce(db, amy, fellows["ben"]["jan"]["person_id"], fellows["ivy"]["feb"]["person_id"], "")
    first, second = tokens.values()
    answer_by_token(db, first, True)
    for path in ("/admin/events/feb/leaderboard", "/admin/events/feb/connections"):
        assert "introduction" not in organiser.get(path).get_data(as_text=True), "one acceptance does not count"
    answer_by_token(db, second, True)
    projector = organiser.get("/admin/events/feb/leaderboard").get_data(as_text=True)
    row = re.search(r"<li>.*?Amy Fellow.*?</li>", projector, re.S).group(0)
    assert "1 introduction accepted" in row
    assert "Introductions: made and accepted by both people" in projector
    assert "1 introduction accepted" in organiser.get("/admin/events/feb/connections").get_data(as_text=True)


def test_erasing_oneself_takes_one_out_of_every_introduction(db, fellows):
    amy, ben, ivy = fellows["amy"]["feb"], fellows["ben"]["jan"], fellows["ivy"]["feb"]
    _, tokens = introduce(db, amy, ben["person_id"], ivy["person_id"], "")
    for token in tokens.values():
        answer_by_token(db, token, True)
    assert [c["first_name"] for c in introduced_contacts(db, ivy["person_id"])] == ["Ben"]
    delete_attendee(db, query(db, "SELECT * FROM attendees WHERE id = ?", [ben["id"]])[0])
    assert introduced_contacts(db, ivy["person_id"]) == []
    assert db.execute("SELECT count(*) FROM introductions").fetchone() == (0,)


def test_erasing_oneself_removes_the_saved_introduction_mail_that_names_one(app, organiser, db, fellows):
    """Without SMTP, mail is saved as files, listed on the event's mail page: each
    introduction's names both people."""
    client = app.test_client()
    activate(client, fellows["amy"]["feb"])
    assert introduce_from_me(client, fellows["ben"]["jan"], fellows["ivy"]["feb"]).status_code == 302
    folder = Path(app.config["MAIL_DIR"])
    assert len(list(folder.glob("introduction.*.eml"))) == 2
    assert organiser.get("/admin/events/feb/mail").get_data(as_text=True).count("introduction.") >= 2
    ben = fellows["ben"]["jan"]
    delete_attendee(db, query(db, "SELECT * FROM attendees WHERE id = ?", [ben["id"]])[0], app.config["MAIL_DIR"])
    assert list(folder.glob("introduction.*.eml")) == []


def test_deleting_all_my_connections_takes_my_introduced_contacts_too(db, fellows):
    amy, ben, ivy = fellows["amy"]["feb"], fellows["ben"]["jan"], fellows["ivy"]["feb"]
    _, tokens = introduce(db, amy, ben["person_id"], ivy["person_id"], "")
    for token in tokens.values():
        answer_by_token(db, token, True)
    delete_connections(db, ivy)
    assert introduced_contacts(db, ivy["person_id"]) == [] and introduced_contacts(db, ben["person_id"]) == []
    assert db.execute("SELECT count(*) FROM connections WHERE scanner_id = ? OR scanned_id = ?",
                      [ivy["id"], ivy["id"]]).fetchone() == (0,)
