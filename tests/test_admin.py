"""Organiser pages: login, CSRF, events, workshops, kiosks, attendees and the import flow."""

import io
import re

import pytest

from conftest import ORGANISER, csrf_token, post_form
from kiosk.attendees import list_attendees


def admin_urls(app):
    """Every organiser URL in the URL map, with sample arguments."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            url = rule.rule.replace("<slug>", "spring").replace("<int:attendee_id>", "1")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url


def test_every_admin_page_needs_login(app, client):
    urls = list(admin_urls(app))
    assert len(urls) >= 12
    for method, url in urls:
        data = {"csrf_token": csrf_token(client)} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"], (method, url)


def test_root_sends_organisers_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert client.get(response.headers["Location"], follow_redirects=True).request.path == "/login"


def test_login_wrong_password(client):
    response = post_form(client, "/login", {"email": ORGANISER[0], "password": "wrong"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_login_unknown_email_reads_the_same(client):
    response = post_form(client, "/login", {"email": "ghost@example.org", "password": "wrong"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_login_returns_to_the_page_asked_for_but_never_offsite(client):
    response = post_form(client, "/login?next=/admin/events/spring",
                         {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert response.headers["Location"] == "/admin/events/spring"
    client.get("/")  # new anonymous round
    post_form(client, "/logout")
    response = post_form(client, "/login?next=//evil.example/x",
                         {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert response.headers["Location"] == "/admin/"


def test_login_renews_the_session(client):
    client.get("/login")
    before = client.get_cookie("session")
    post_form(client, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    after = client.get_cookie("session")
    assert after.value != before.value
    assert after.http_only and after.same_site == "Lax"


def test_logout(organiser):
    assert organiser.get("/admin/").status_code == 200
    post_form(organiser, "/logout")
    assert organiser.get("/admin/").status_code == 302


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_forms_without_a_valid_csrf_token_are_refused(organiser, db, token):
    data = {"name": "Sneaky", "slug": "sneaky", "starts": "2026-05-01T09:00", "ends": "2026-05-01T17:00"}
    if token:
        data["csrf_token"] = token
    response = organiser.post("/admin/", data=data)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM events WHERE slug = 'sneaky'").fetchone()[0] == 0


def test_every_form_route_refuses_a_post_without_its_csrf_token(app, organiser):
    """Every POST route but the bearer-token API and RFC 8058 one-click unsubscribe, over
    the whole url_map, logged in as an organiser: 400 'This form has expired', nothing done."""
    exempt = {"attendee.unsubscribe"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("api.") or rule.endpoint in exempt:
            continue
        url = rule.build({name: "1" if name.endswith("_id") else "x" for name in rule.arguments},
                         append_unknown=False)[1]
        response = organiser.post(url, data={"name": "x"})
        assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True), url
        checked += 1
    assert checked > 30


def test_a_lowercase_post_is_checked_for_its_csrf_token_too(organiser, db):
    """A server may pass the method on as sent: "post" reaches the POST view, so it is a POST."""
    response = organiser.open("/admin/events/spring/delete", method="post", data={})
    assert response.status_code == 400
    assert db.execute("SELECT count(*) FROM events WHERE slug = 'spring'").fetchone()[0] == 1


def test_login_form_needs_csrf_too(client):
    response = client.post("/login", data={"email": ORGANISER[0], "password": ORGANISER[1]})
    assert response.status_code == 400


def test_create_event_from_the_page(organiser):
    response = post_form(organiser, "/admin/", {
        "name": "Summer School", "slug": "summer", "starts": "2026-07-01T09:00",
        "ends": "2026-07-01T17:00", "timezone": "Europe/London", "mode": "mutual",
        "grace_minutes": "60"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Event Summer School created." in page
    assert "Wed 01 Jul 2026 09:00" in page  # shown in the event's own time zone
    assert "Summer School" in organiser.get("/admin/").get_data(as_text=True)


def test_create_event_error_keeps_what_was_typed(organiser):
    response = post_form(organiser, "/admin/", {
        "name": "Summer School", "slug": "Summer School", "starts": "2026-07-01T09:00",
        "ends": "2026-07-01T17:00"})
    page = response.get_data(as_text=True)
    assert "lower-case letters" in page
    assert 'value="Summer School"' in page


def test_add_workshop_and_kiosk(organiser, db):
    post_form(organiser, "/admin/events/spring/workshops",
              {"title": "Peer networking", "slug": "peers", "room": "Room 1"})
    page = organiser.get("/admin/events/spring").get_data(as_text=True)
    assert "Peer networking" in page and "Room 1" in page
    response = post_form(organiser, "/admin/events/spring/kiosks", {"name": "Door 1", "workshop": "peers"})
    token = re.search(r'<code class="token">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    assert len(token) >= 40
    assert db.execute("SELECT count(*) FROM kiosks WHERE name = 'Door 1'").fetchone()[0] == 1


def test_unknown_event_is_a_404_page(organiser):
    response = organiser.get("/admin/events/nope")
    assert response.status_code == 404
    assert "no event with slug" in response.get_data(as_text=True)


def test_add_search_edit_and_revoke_an_attendee(organiser, db):
    response = post_form(organiser, "/admin/events/spring/attendees/new", {
        "first_name": "Zoë", "last_name": "Ångström", "email": "zoe@example.org",
        "organisation": "Karolinska", "share_email": "on", "allow_scan": "on"},
        follow_redirects=True)
    assert "Attendee added." in response.get_data(as_text=True)
    zoe = list_attendees(db, "spring")[0]
    assert (zoe["share_email"], zoe["share_linkedin"], zoe["allow_scan"]) == (1, 0, 1)
    assert zoe["consent_source"] == "organiser"

    assert "Ångström" in organiser.get("/admin/events/spring/attendees?q=karo").get_data(as_text=True)
    assert "Ångström" not in organiser.get("/admin/events/spring/attendees?q=nobody").get_data(as_text=True)

    url = f"/admin/events/spring/attendees/{zoe['id']}"
    post_form(organiser, url, {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@example.org",
                               "organisation": "KI", "share_email": "on", "allow_scan": "on"})
    assert list_attendees(db, "spring")[0]["organisation"] == "KI"

    post_form(organiser, url + "/revoke")
    assert list_attendees(db, "spring")[0]["revoked_at"]
    post_form(organiser, url + "/revoke", {"action": "restore"})
    assert list_attendees(db, "spring")[0]["revoked_at"] is None


def test_attendee_form_errors_are_shown(organiser, db):
    response = post_form(organiser, "/admin/events/spring/attendees/new", {
        "first_name": "Eve", "email": "eve@example.org", "linkedin_url": "javascript:alert(1)"})
    page = response.get_data(as_text=True)
    assert "linkedin_url: must be an http(s) address" in page
    assert db["attendees"].count == 0


def test_duplicate_email_is_refused(organiser, db):
    fields = {"first_name": "Ann", "email": "ann@example.org"}
    post_form(organiser, "/admin/events/spring/attendees/new", fields)
    response = post_form(organiser, "/admin/events/spring/attendees/new", {**fields, "email": "ANN@example.org"})
    assert "already registered" in response.get_data(as_text=True)
    assert db["attendees"].count == 1


def upload(client, data, filename="people.csv"):
    return post_form(client, "/admin/events/spring/import",
                     {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_import_preview_then_confirm(organiser, db):
    response = upload(organiser, b"Name,Email,Company\nAnn Lee,ann@example.org,St Mary's\nBob Ray,bob@example.org,X\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "would import 2 attendees: 2 new" in page
    assert db["attendees"].count == 0, "the preview writes nothing"
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', page).group(1)
    response = post_form(organiser, "/admin/events/spring/import/confirm", {"upload_id": upload_id},
                         follow_redirects=True)
    assert "Imported 2 attendees" in response.get_data(as_text=True)
    assert db["attendees"].count == 2
    # the parked file is gone: confirming twice does nothing more
    response = post_form(organiser, "/admin/events/spring/import/confirm", {"upload_id": upload_id},
                         follow_redirects=True)
    assert "upload has expired" in response.get_data(as_text=True)


def test_import_with_problems_shows_them_all(organiser, db):
    response = upload(organiser, b"Name,Email\nAnn Lee,ann@example.org\n,nobody@example.org\nBob,bad\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in page
    assert "line 3: first_name: required" in page
    assert "line 4: email: &#39;bad&#39; is not a valid email address: An email address must have an @-sign." in page
    assert db["attendees"].count == 0


def test_import_without_a_file(organiser):
    response = post_form(organiser, "/admin/events/spring/import", {})
    assert response.status_code == 422
    assert "the file is empty" in response.get_data(as_text=True)


def test_another_session_cannot_confirm_my_upload(organiser, app, db):
    page = upload(organiser, b"Name,Email\nAnn Lee,ann@example.org\n").get_data(as_text=True)
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', page).group(1)
    other = app.test_client()
    post_form(other, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    post_form(other, "/admin/events/spring/import/confirm", {"upload_id": upload_id})
    assert db["attendees"].count == 0


def test_names_are_escaped_in_pages(organiser, db):
    upload_page = upload(organiser, b"Name,Email\n<script>alert(1)</script> X,x@example.org\n")
    page = upload_page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_staff_run_the_door_but_cannot_export_delete_or_mail(app, client, db):
    from kiosk.users import create_user

    create_user(db, "staff@example.org", "door staff password", role="staff")
    post_form(client, "/login", {"email": "staff@example.org", "password": "door staff password"})
    import_attendees_for(db)
    attendee_id = list_attendees(db, "spring")[0]["id"]
    assert client.get("/admin/events/spring/attendees").status_code == 200
    assert client.get("/admin/events/spring/badges").status_code == 200
    refused = [
        client.get("/admin/events/spring/connections.csv"),
        client.get("/admin/events/spring/mail"),
        client.get("/admin/events/spring/import"),
        post_form(client, f"/admin/events/spring/attendees/{attendee_id}/revoke"),
        post_form(client, "/admin/", {"name": "X", "slug": "x", "starts": "2026-01-01T09:00",
                                      "ends": "2026-01-01T10:00"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert "staff account" in refused[0].get_data(as_text=True)
    assert list_attendees(db, "spring")[0]["revoked_at"] is None


def test_staff_register_new_kiosks_but_cannot_lock_out_an_existing_one(app, client, db):
    """A new token for an existing kiosk stops its device, as revoking does: organisers only."""
    from kiosk.kiosks import authenticate, create_kiosk
    from kiosk.users import create_user

    _, door_token = create_kiosk(db, "spring", "Door 1")
    create_user(db, "staff@example.org", "door staff password", role="staff")
    post_form(client, "/login", {"email": "staff@example.org", "password": "door staff password"})
    assert '<code class="token">' in post_form(client, "/admin/events/spring/kiosks", {"name": "Door 2"}).get_data(
        as_text=True)
    refused = post_form(client, "/admin/events/spring/kiosks", {"name": " Door  1 "})
    assert refused.status_code == 403
    assert "only an organiser can give it a new token" in refused.get_data(as_text=True)
    assert authenticate(db, door_token)["name"] == "Door 1"
    organiser = app.test_client()
    post_form(organiser, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert post_form(organiser, "/admin/events/spring/kiosks", {"name": "Door 1"}).status_code == 200
    assert authenticate(db, door_token) is None


def import_attendees_for(db):
    from kiosk.attendee_import import import_attendees

    import_attendees(db, "spring", b"Name,Email\nAnn Lee,ann@example.org\n")


def test_session_cookie_is_secure_over_https(app):
    """(Behind Caddy, run.py's waitress makes the request HTTPS: tests/test_deploy.py.)"""
    secure = app.test_client()
    secure.get("/login", base_url="https://kiosk.test")
    assert secure.get_cookie("session", domain="kiosk.test").secure
    plain = app.test_client()
    plain.get("/login")
    assert not plain.get_cookie("session").secure


def test_login_is_rate_limited(client):
    statuses = [post_form(client, "/login", {"email": "x@example.org", "password": "wrong"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429


def test_a_csv_over_10_mb_is_refused(organiser, db):
    big = b"Name,Email\n" + b"A B,a@example.org\n" * 600_000
    response = upload(organiser, big)
    assert response.status_code == 413
    assert db["attendees"].count == 0
