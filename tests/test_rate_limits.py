"""Rate limits count identities, not addresses: at a venue every phone on the Wi-Fi shares
one address (NAT). Each phone (its attendee), kiosk (its token) and login (its account) has
its own limit; one address has a generous ceiling; anonymous visitors count per address."""

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from conftest import ORGANISER, post_form
from kiosk.attendee_import import import_attendees
from kiosk.attendees import list_attendees, private_link
from kiosk.events import create_event
from kiosk.kiosks import create_kiosk

PHONES = 300


@pytest.fixture
def room(db):
    """An event happening now with PHONES attendees; their badge codes and private links."""
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    create_event(db, "now", "Now", start.isoformat(), (start + timedelta(hours=8)).isoformat())
    import_attendees(db, "now", ("Name,Email\n" + "".join(
        f"Person {n},p{n}@example.org\n" for n in range(PHONES))).encode())
    people = list_attendees(db, "now")
    return [(person["code"], private_link(db, "now", person["email"], "")) for person in people]


def phone(app, link):
    """A phone made its attendee's by the private link, confirmed (all phones share 127.0.0.1)."""
    client = app.test_client()
    assert post_form(client, urlsplit(link).path).status_code == 302
    return client


def test_a_room_of_phones_behind_one_address_all_get_their_badge_pages(app, room):
    codes = [code for code, _ in room]
    statuses = []
    for n, (_, link) in enumerate(room):
        client = phone(app, link)
        statuses += [client.get(f"/b/{codes[(n + step) % PHONES]}").status_code for step in (1, 2)]
    assert statuses == [200] * 2 * PHONES


def test_one_abusive_phone_is_limited_and_the_others_are_not(app, room):
    abuser, neighbour = phone(app, room[0][1]), phone(app, room[1][1])
    code = room[2][0]
    statuses = [abuser.get(f"/b/{code}").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    assert neighbour.get(f"/b/{code}").status_code == 200


def test_anonymous_visitors_keep_a_limit_per_address(app, room):
    anonymous = app.test_client()
    statuses = [anonymous.get(f"/b/{room[0][0]}").status_code for _ in range(61)]
    assert statuses[60] == 429
    assert app.test_client().get(f"/b/{room[0][0]}").status_code == 429, "same address, no identity"
    assert phone(app, room[1][1]).get(f"/b/{room[0][0]}").status_code == 200


def test_one_address_has_a_ceiling_however_many_phones(app, room):
    code = room[0][0]
    statuses = [status for _, link in room[:25]
                for status in [phone(app, link).get(f"/b/{code}").status_code for _ in range(50)]]
    assert statuses[:1200] == [200] * 1200 and set(statuses[1200:]) == {429}


def test_phones_behind_one_address_all_save_their_connections(app, room):
    for n, (_, link) in enumerate(room[:60]):
        response = post_form(phone(app, link), f"/b/{room[n + 1][0]}")
        assert response.status_code == 302, f"phone {n} was refused"


def test_guessing_one_password_does_not_lock_out_the_next_organiser_at_the_venue(client):
    guesses = [post_form(client, "/login", {"email": "victim@example.org", "password": "guess"}).status_code
               for _ in range(11)]
    assert guesses[10] == 429
    response = post_form(client, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert response.status_code == 302, "another account, same address: not limited"


def test_one_address_trying_many_accounts_is_limited(client):
    statuses = [post_form(client, "/login", {"email": f"u{n}@example.org", "password": "x"}).status_code
                for n in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429


def test_each_kiosk_has_its_own_search_limit(app, db, room):
    tokens = [create_kiosk(db, "now", name)[1] for name in ("Door 1", "Door 2")]
    client = app.test_client()

    def search(token):
        return client.get("/api/v1/events/now/attendees?q=Person",
                          headers={"Authorization": f"Bearer {token}"})

    statuses = [search(tokens[0]).status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120
    refused = search(tokens[0])
    assert refused.status_code == 429 and refused.is_json and refused.json["message"]
    assert search(tokens[1]).status_code == 200


def test_no_limit_is_set_for_every_request_so_the_per_request_check_can_stay_off(app):
    """init_limits takes Flask-Limiter's check off every request; that is only right while
    every limit sits on the view it limits (whose decorator checks it)."""
    from kiosk.views.limits import limits_everywhere

    assert limits_everywhere(app) == []


def test_session_cookies_still_round_trip_with_the_shared_serializer(organiser):
    """The organiser logged in (a signed session cookie written); the next page reads it."""
    assert organiser.get("/admin/").status_code == 200


def test_a_made_up_bearer_token_does_not_lift_the_badge_page_limit(app, room):
    """Badge pages check no token, so any string would otherwise count as a new kiosk."""
    anonymous = app.test_client()
    statuses = [anonymous.get(f"/b/{room[0][0]}", headers={"Authorization": f"Bearer junk{n}"}).status_code
                for n in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
