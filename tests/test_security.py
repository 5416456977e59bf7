"""Security and robustness across the whole product: every route without credentials,
hostile names everywhere, and property-based fuzzing of the API, the importer and forms."""

import io
import json
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badges import render_badges
from conftest import post_form
from kiosk.attendee_import import ImportRefused, import_attendees
from kiosk.connections import record
from kiosk.messages import build, readable
from kiosk.events import get_event
from kiosk.kiosks import create_kiosk
from pdf_checks import open_pdf, page_text
from test_connections import activate, open_event

FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
EVIL_NAME = "<script>alert(1)</script>"


def sample_url(rule, people):
    values = {"slug": "today", "code": people["zoe"]["code"], "key": "not-a-key", "token": "x",
              "attendee_id": people["zoe"]["id"], "outbox_id": 1, "connection_id": 1, "name": "x.eml", "session_id": 999,
              "filename": "css/app.css", "workshop": "peers"}
    url = rule.rule
    for argument in rule.arguments:
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % argument, str(values[argument]), url)
    return url


def test_every_route_without_credentials_leaks_nothing_and_never_fails(app, client, db):
    people = open_event(db, "today")
    record(db, "today", people["ann"], people["zoe"]["code"], via="phone", note="secret note")
    private = ["zoe@example.org", "ann@example.org", "secret note", people["zoe"]["private_key"],
               "Karolinska Institutet"]
    asked = 0
    for rule in app.url_map.iter_rules():
        url = sample_url(rule, people)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"note": "x"})
            asked += 1
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (method, url, response.status_code)
            for secret in private:
                assert secret not in body, (method, url, secret)
            if rule.endpoint.startswith(("admin.", "mail.")):
                assert response.status_code in (302, 400), (method, url)
            if rule.endpoint.startswith("api.") and rule.endpoint != "api.healthz":
                assert response.status_code in (400, 401, 404, 405), (method, url)
    assert asked >= 40


def hostile_attendee(db, people):
    """Someone whose name is markup and whose LinkedIn is a javascript: URL (as if typed
    straight into the database by another tool: the importer and forms refuse such URLs)."""
    db.execute("UPDATE attendees SET first_name = ?, last_name = '<img src=x onerror=alert(2)>', "
               "organisation = '<b>Org</b>', linkedin_url = 'javascript:alert(3)', share_linkedin = 1 "
               "WHERE id = ?", [EVIL_NAME, people["zoe"]["id"]])


def test_markup_is_escaped_in_every_page_email_and_pdf(app, client, db, organiser):
    people = open_event(db, "today")
    record(db, "today", people["ann"], people["zoe"]["code"], via="phone")
    hostile_attendee(db, people)
    activate(client, people["ann"])
    pages = [
        organiser.get("/admin/events/today/attendees"),
        organiser.get(f"/admin/events/today/attendees/{people['zoe']['id']}"),
        organiser.get("/admin/events/today/connections"),
        organiser.get("/admin/events/today/leaderboard"),
        organiser.get(f"/admin/events/today/mail/preview/{people['ann']['id']}?format=html"),
        client.get(f"/b/{people['zoe']['code']}"),
        client.get("/me"),
    ]
    with app.app_context():
        mail = readable(build(db, get_event(db, "today"), "digest", db["attendees"].get(people["ann"]["id"])))
    html_mail = mail.get_body(("html",)).get_content()
    for text in [p.get_data(as_text=True) for p in pages] + [html_mail]:
        assert EVIL_NAME not in text and "<img src=x" not in text and "<b>Org</b>" not in text
        assert 'href="javascript:' not in text.replace(" ", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].get_data(as_text=True)

    pdf = io.BytesIO()
    render_badges([db["attendees"].get(people["zoe"]["id"])], pdf, event_name="E", base_url="https://x")
    assert EVIL_NAME in page_text(open_pdf(pdf.getvalue())[0]), "drawn literally, never interpreted"
    assert b"/URI" not in pdf.getvalue() and b"javascript" not in pdf.getvalue()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
api_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"code": json_values, "nonce": json_values},
                          optional={"workshop": json_values, "at": json_values, "scanner": json_values,
                                    "scanned": json_values, "first_name": json_values, "email": json_values}),
)


@FUZZ
@given(path=st.sampled_from(["checkins", "connections", "walk-ins"]), body=api_bodies,
       raw=st.one_of(st.none(), st.binary(max_size=60)))
def test_fuzz_json_api_never_fails(fuzz_door, path, body, raw):
    client, token, db = fuzz_door
    before = counts(db)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = raw if raw is not None else json.dumps(body)
    response = client.post(f"/api/v1/events/today/{path}", data=data, headers=headers)
    assert response.status_code < 500
    assert response.is_json and {"result", "message"} <= set(response.get_json())
    if response.status_code >= 400:
        assert counts(db) == before, "a refusal writes nothing"


def counts(db):
    return tuple(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for table in ("checkins", "connections", "attendees", "api_replies"))


cells = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
                  st.emails(), st.sampled_from(["Zoë", "Ann Lee", "yes", "no", "https://www.linkedin.com/in/x"]))


@FUZZ
@given(header=st.lists(st.sampled_from(["First Name", "Last Name", "Email", "Name", "Company", "LinkedIn",
                                        "allow_scan", "share_email", "Notes", ""]), min_size=1, max_size=6),
       rows=st.lists(st.lists(cells, max_size=7), max_size=4),
       delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_fuzz_csv_import_is_all_or_nothing(fuzz_door, header, rows, delimiter, encoding):
    _, _, db = fuzz_door
    text = "\n".join(delimiter.join(cell.replace(delimiter, " ") for cell in row) for row in [header, *rows])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    before = db.execute("SELECT count(*) FROM attendees").fetchone()[0]
    try:
        result = import_attendees(db, "today", data)
    except ImportRefused as refused:
        assert refused.problems and all(re.match(r"line \d+: \w+: .+", p) for p in refused.problems)
        assert db.execute("SELECT count(*) FROM attendees").fetchone()[0] == before, "nothing half-written"
    else:
        assert db.execute("SELECT count(*) FROM attendees").fetchone()[0] == before + result.created


form_text = st.text(alphabet=string.printable + "éöÅ你ع", max_size=60)


@FUZZ
@given(fields=st.fixed_dictionaries({
    "first_name": form_text, "last_name": form_text, "email": form_text, "organisation": form_text,
    "linkedin_url": form_text, "role": form_text}))
def test_fuzz_attendee_form_never_fails(fuzz_organiser, fields):
    client, db = fuzz_organiser
    before = db.execute("SELECT count(*) FROM attendees").fetchone()[0]
    response = post_form(client, "/admin/events/today/attendees/new", fields)
    assert response.status_code in (200, 302)
    after = db.execute("SELECT count(*) FROM attendees").fetchone()[0]
    assert after in (before, before + 1)
    if after == before + 1:
        row = db.execute("SELECT linkedin_url FROM attendees ORDER BY id DESC LIMIT 1").fetchone()
        assert row[0] == "" or row[0].lower().startswith(("http://", "https://"))



@pytest.fixture
def fuzz_door(client, db):
    open_event(db, "today")
    return client, create_kiosk(db, "today", "Fuzz door")[1], db


@pytest.fixture
def fuzz_organiser(organiser, db):
    open_event(db, "today")
    return organiser, db


def test_logs_and_error_pages_never_show_secrets(app, client, db, caplog, live_server):
    import logging
    import urllib.error
    import urllib.request

    people = open_event(db, "today")
    token = create_kiosk(db, "today", "Door")[1]
    caplog.set_level(logging.DEBUG)
    secrets_sent = [people["zoe"]["private_key"], token, "not-the-password-123"]
    pages = [
        client.get(f"/me/{people['zoe']['private_key']}"),
        client.get("/me/" + "x" * 40),
        client.post("/api/v1/events/today/checkins", json={"code": "bad", "nonce": "n" * 10},
                    headers={"Authorization": f"Bearer {token}"}),
        client.get("/api/v1/events/today/attendees?q=a", headers={"Authorization": "Bearer " + token[::-1]}),
        post_form(client, "/login", {"email": "organiser@example.org", "password": "not-the-password-123"}),
    ]
    for secret in secrets_sent:
        assert secret not in caplog.text
        for page in pages:
            assert secret not in page.get_data(as_text=True)
    # the real server's own output, after a private link and a wrong kiosk token
    for path, headers in ((f"/me/{live_server.token}", {}), ("/api/v1/kiosk", {"Authorization": "Bearer secret-x"})):
        try:
            urllib.request.urlopen(urllib.request.Request(live_server.url + path, headers=headers))
        except urllib.error.HTTPError:
            pass
    live_server.stop()
    output = live_server.process.stdout.read()
    assert live_server.token not in output and "secret-x" not in output
    live_server.start()
