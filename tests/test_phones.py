"""Issue 10, items 2, 13 and 14 at the HTTP level: the kiosk's one-time phone QR, the
self-service search that gives nothing away, phones bound only after a confirming POST,
and sessions (attendees' and organisers') that end server-side."""

import uuid

from conftest import ORGANISER, post_form
from kiosk.events import add_workshop
from kiosk.kiosks import authenticate, create_kiosk
from kiosk.phones import issue_activation
from kiosk.users import create_user
from test_connections import activate, open_event


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def check_in(client, token, **body):
    return client.post("/api/v1/events/today/checkins", headers=bearer(token),
                       json={"nonce": uuid.uuid4().hex, **body})


def confirm(client, key):
    return post_form(client, f"/me/{key}")


# ---------- 2. the kiosk's phone QR ----------

def test_only_a_badge_scan_asking_for_it_gets_a_qr_and_it_is_never_the_private_key(client, db):
    people = open_event(db, "today")
    token = create_kiosk(db, "today", "Door")[1]
    scanned = check_in(client, token, code=people["zoe"]["code"], activate=True)
    svg = scanned.get_json()["activation_svg"]
    assert scanned.status_code == 201 and svg.startswith("<svg") and people["zoe"]["private_key"] not in svg
    assert db.execute("SELECT count(*) FROM activations WHERE used_at IS NULL").fetchone()[0] == 1
    plain = check_in(client, token, code=people["ann"]["code"])
    assert "activation_svg" not in plain.get_json()
    assert all("activation" not in row[0] for row in db.execute("SELECT body FROM api_replies")), \
        "a replayed answer never carries a QR"
    unknown = check_in(client, token, code="ZZZZZZZZZZZZZ", activate=True)
    assert unknown.status_code == 404 and "activation_svg" not in unknown.get_json()


def test_an_activation_link_binds_one_phone_once_and_expires(client, app, db):
    people = open_event(db, "today")
    kiosk = authenticate(db, create_kiosk(db, "today", "Door")[1], "today")  # as the API has it
    key = issue_activation(db, kiosk, people["zoe"]["code"])
    asked = client.get(f"/me/{key}")
    assert asked.status_code == 200 and "This phone becomes Zoë's: continue?" in asked.get_data(as_text=True)
    assert confirm(client, key).status_code == 302
    assert "Hi Zoë" in client.get("/me").get_data(as_text=True)
    again = app.test_client()
    assert again.get(f"/me/{key}").status_code == 404 and confirm(again, key).status_code == 404
    late = issue_activation(db, kiosk, people["ann"]["code"])
    db.execute("UPDATE activations SET expires_at = '2000-01-01T00:00:00+00:00' WHERE used_at IS NULL")
    assert app.test_client().get(f"/me/{late}").status_code == 404


def test_self_service_search_needs_two_letters_and_returns_no_badge_code(client, db):
    people = open_event(db, "today")
    self_kiosk, self_token = create_kiosk(db, "today", "Self", mode="self")
    other_token = create_kiosk(db, "today", "Self 2", mode="self")[1]

    def search(q, token=self_token):
        return client.get(f"/api/v1/events/today/attendees?q={q}", headers=bearer(token)).get_json()["attendees"]

    assert search("a.") == [] and search(".z") == []
    (zoe,) = search("zo")
    assert set(zoe) == {"first_name", "last_initial", "organisation", "pick"}
    assert people["zoe"]["code"] not in str(zoe) and zoe["last_initial"] == "Å"
    refused = check_in(client, other_token, pick=zoe["pick"])
    assert refused.status_code == 400 and "search again" in refused.get_json()["message"]
    picked = check_in(client, self_token, pick=zoe["pick"], activate=True)
    assert picked.status_code == 201 and picked.get_json()["attendee"]["first_name"] == "Zoë"
    assert "activation_svg" not in picked.get_json(), "a name-search check-in never shows the QR"
    assert check_in(client, self_token, pick="forged").status_code == 400
    # The badge the kiosk then printed for whoever typed "zo" never brings up Zoë's QR.
    scanned = check_in(client, self_token, code=people["zoe"]["code"], activate=True)
    assert scanned.status_code == 200 and "activation_svg" not in scanned.get_json()
    assert db.execute("SELECT count(*) FROM activations").fetchone()[0] == 0


def test_a_badge_code_of_someone_already_in_never_opens_their_identity_on_another_phone(client, db):
    """A badge code is no secret (it is in every QR): typed or scanned at any kiosk for
    someone already checked in, it gets no phone QR; only the person arriving does."""
    people = open_event(db, "today")
    door = create_kiosk(db, "today", "Door")[1]
    self_token = create_kiosk(db, "today", "Self", mode="self")[1]
    assert check_in(client, door, code=people["zoe"]["code"]).status_code == 201  # Zoë arrives
    for token in (self_token, door):
        typed = check_in(client, token, code=people["zoe"]["code"], activate=True)
        assert typed.status_code == 200 and "activation_svg" not in typed.get_json()
    assert db.execute("SELECT count(*) FROM activations").fetchone()[0] == 0


def test_a_name_typed_at_a_self_service_kiosk_for_someone_already_in_prints_no_badge(client, db):
    """The review's path to a takeover: search a checked-in person's name, get their badge
    (code) printed, scan it. Someone already in gets neither a code nor a reprint."""
    people = open_event(db, "today")
    check_in(client, create_kiosk(db, "today", "Door")[1], code=people["ann"]["code"])
    self_token = create_kiosk(db, "today", "Self", mode="self")[1]
    (ann,) = client.get("/api/v1/events/today/attendees?q=ann", headers=bearer(self_token)).get_json()["attendees"]
    answer = check_in(client, self_token, pick=ann["pick"])
    assert answer.status_code == 200 and answer.get_json()["result"] == "already_checked_in"
    assert "code" not in answer.get_json()["attendee"] and people["ann"]["code"] not in answer.get_data(as_text=True)
    replayed = client.post("/api/v1/events/today/checkins", headers=bearer(self_token),
                           json={"nonce": "replay-0001", "pick": ann["pick"]})
    again = client.post("/api/v1/events/today/checkins", headers=bearer(self_token),
                        json={"nonce": "replay-0001", "pick": ann["pick"]})
    assert people["ann"]["code"] not in replayed.get_data(as_text=True) + again.get_data(as_text=True)
    as_a_badge = client.post("/api/v1/events/today/checkins", headers=bearer(self_token),
                             json={"nonce": "replay-0001", "code": "ANY"})
    assert as_a_badge.get_json() == replayed.get_json(), "the stored answer itself holds no code"
    assert people["ann"]["code"] not in as_a_badge.get_data(as_text=True)


def test_a_workshop_kiosk_shows_the_phone_qr_only_to_someone_arriving_at_the_event(client, db):
    """Checked in at the door this morning, Zoë is new to the workshop, not to the event:
    her badge code typed at the workshop kiosk opens nothing. Ann, whose first scan of the
    day is at the workshop, gets the QR."""
    people = open_event(db, "today")
    add_workshop(db, "today", "cardio", "Careers in Cardiology")
    door, room = create_kiosk(db, "today", "Door")[1], create_kiosk(db, "today", "Room", "cardio")[1]
    check_in(client, door, code=people["zoe"]["code"])
    typed = check_in(client, room, code=people["zoe"]["code"], activate=True)
    assert typed.status_code == 201 and typed.get_json()["workshop"] == "cardio"
    assert "activation_svg" not in typed.get_json()
    arriving = check_in(client, room, code=people["ann"]["code"], activate=True)
    assert arriving.status_code == 201 and arriving.get_json()["activation_svg"].startswith("<svg")
    assert db.execute("SELECT count(*) FROM activations").fetchone()[0] == 1


def test_staff_cannot_redirect_an_attendees_mail_to_themselves(app, client, db):
    """Staff could change an email, then ask /lost-link to mail the private link there."""
    people = open_event(db, "today")
    create_user(db, "staff@example.org", "door staff password", role="staff")
    post_form(client, "/login", {"email": "staff@example.org", "password": "door staff password"})
    zoe = people["zoe"]
    form = {"first_name": zoe["first_name"], "last_name": "Ångström-Berg", "email": "staff-own@example.org",
            "share_email": "on", "allow_scan": "on"}
    page = post_form(client, f"/admin/events/today/attendees/{zoe['id']}", form).get_data(as_text=True)
    assert "only an organiser can change an attendee&#39;s email" in page
    row = db.execute("SELECT email, last_name FROM attendees WHERE id = ?", [zoe["id"]]).fetchone()
    assert row == (zoe["email"], zoe["last_name"]), "nothing changed"
    same_email = post_form(client, f"/admin/events/today/attendees/{zoe['id']}", {**form, "email": zoe["email"]})
    assert same_email.status_code == 302, "staff still correct the other details"
    assert db.execute("SELECT last_name FROM attendees WHERE id = ?", [zoe["id"]]).fetchone()[0] == "Ångström-Berg"


# ---------- 14. a private link asks before it binds ----------

def test_opening_a_private_link_binds_nothing_until_confirmed(client, db):
    people = open_event(db, "today")
    key = people["zoe"]["private_key"]
    asked = client.get(f"/me/{key}")
    assert asked.status_code == 200 and client.get_cookie("kiosk_attendee") is None
    assert client.get("/me").status_code == 403
    assert db.execute("SELECT count(*) FROM attendee_sessions").fetchone()[0] == 0
    assert client.post(f"/me/{key}").status_code == 400, "a cross-site form without our CSRF token fails"
    assert confirm(client, key).headers["Location"] == "/me"
    assert db.execute("SELECT count(*) FROM attendee_sessions").fetchone()[0] == 1


def test_binding_another_identity_ends_this_phones_previous_one(client, db):
    people = open_event(db, "today")
    activate(client, people["zoe"])
    activate(client, people["ann"])
    live = db.execute("SELECT attendee_id FROM attendee_sessions WHERE ended_at IS NULL").fetchall()
    assert live == [(people["ann"]["id"],)]


# ---------- 13. sessions end server-side ----------

def test_attendee_sessions_expire_and_are_stored_hashed(client, db):
    people = open_event(db, "today")
    activate(client, people["zoe"])
    cookie = client.get_cookie("kiosk_attendee").value
    (stored,) = db.execute("SELECT token_hash, device, expires_at FROM attendee_sessions").fetchall()
    assert stored[0] not in cookie and len(stored[0]) == 64
    db.execute("UPDATE attendee_sessions SET expires_at = '2000-01-01T00:00:00+00:00'")
    assert client.get("/me").status_code == 403


def test_logging_out_ends_the_session_even_for_a_copied_cookie(app, client):
    post_form(client, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    copied = client.get_cookie("session").value
    assert client.get("/admin/").status_code == 200
    post_form(client, "/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    answer = thief.get("/admin/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_new_password_ends_every_session_of_the_account(app, client, db):
    post_form(client, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert client.get("/admin/").status_code == 200
    create_user(db, ORGANISER[0], "a brand new password")
    assert client.get("/admin/").status_code == 302


def test_a_login_lasts_a_working_day(client, monkeypatch):
    from kiosk.views import auth

    post_form(client, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session["at"] -= 17 * 3600
    assert auth.LOGIN_LIFETIME.total_seconds() == 16 * 3600
    assert client.get("/admin/").status_code == 302
