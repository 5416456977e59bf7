"""Every route of the app, for every role, against the permissions table (tests/permissions.py)."""

import uuid

from conftest import ORGANISER, csrf_token
from kiosk.kiosks import create_kiosk
from kiosk.phones import open_session
from kiosk.users import create_user
from kiosk.views.attendee import COOKIE, _signer
from permissions import ROLES, TABLE, allowed
from test_connections import open_event
from test_security import sample_url

# Routes that end the caller's session go last (logging out, which also drops the CSRF
# token, the very last), so every role keeps its identity throughout.
ENDS_A_SESSION = ("attendee.forget", "auth.logout")
HIDDEN_WHEN_REFUSED = {"attendee.photo"}  # a 404: the photo's existence is not revealed


def refused(endpoint, response):
    if endpoint == "auth.login" and response.status_code == 401:
        return False  # the login form's answer to a wrong password, open to all
    if response.status_code in (401, 403):
        return True
    if response.status_code == 302 and response.headers["Location"].startswith("/login?next="):
        return True
    return endpoint in HIDDEN_WHEN_REFUSED and response.status_code == 404


def callers(app, db, people):
    """A test client (and headers) acting as each role."""
    clients = {role: (app.test_client(), {}) for role in ROLES}
    session_token, _ = open_session(db, people["ann"])
    with app.test_request_context():
        clients["phone"][0].set_cookie(COOKIE, _signer().dumps(session_token))
    for role, mode in (("self_kiosk", "self"), ("staffed_kiosk", "staffed")):
        token = create_kiosk(db, "today", role, mode=mode)[1]
        clients[role] = (app.test_client(), {"Authorization": f"Bearer {token}"})
    create_user(db, "staff@example.org", "door staff password", role="staff")
    for role, (email, password) in (("staff", ("staff@example.org", "door staff password")), ("organiser", ORGANISER)):
        client = clients[role][0]
        client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})
    return clients


def test_every_route_answers_every_role_as_the_permissions_table_says(app, db):
    people = open_event(db, "today")
    db.execute("UPDATE attendees SET photo = x'FFD8FFD9', share_photo = 1 WHERE id = ?", [people["zoe"]["id"]])
    clients = callers(app, db, people)
    tokens = {role: csrf_token(client) for role, (client, _) in clients.items()}
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (None, *ENDS_A_SESSION).index(
        rule.endpoint if rule.endpoint in ENDS_A_SESSION else None))
    unlisted, wrong = [], []
    for rule in rules:
        url = sample_url(rule, people)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            expected = allowed(rule.endpoint, method)
            if expected is None:
                unlisted.append(f"{method} {rule.rule} ({rule.endpoint})")
                continue
            for role in ROLES:
                client, headers = clients[role]
                data = {"csrf_token": tokens[role], "kind": "nope", "nonce": uuid.uuid4().hex} if method == "POST" else None
                response = client.open(url, method=method, headers=headers, data=data)
                assert response.status_code < 500, (method, url, role)
                if refused(rule.endpoint, response) == expected[role]:
                    wrong.append(f"{role}: {method} {url} -> {response.status_code} "
                                 f"(the table says {'allowed' if expected[role] else 'refused'})")
    assert not unlisted, "routes missing from tests/permissions.py: " + "; ".join(unlisted)
    assert not wrong, "\n".join(wrong)


def test_the_permissions_table_names_only_routes_that_exist(app):
    """A route renamed or removed leaves no stale line that would read as a permission."""
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods}
    assert sorted(set(TABLE) - routes) == []
