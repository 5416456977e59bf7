"""Issue 12, item 9: my own headshot at full size from /me; with consent `share_photo` (off
by default) my photo on my contacts' /me, in their digest cards and vCards (a JPEG of at
most 40 KB); without it, nowhere others see it. CSV imports read `share_photo`."""

import base64
import io
import re

import pytest
from playwright.sync_api import expect

from conftest import post_form
from headshot_files import GPS_IFD, jpeg, noisy_jpeg, opened
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee
from kiosk.connections import record
from kiosk.errors import KioskError
from kiosk.headshots import CARD_MAX_BYTES, card_photo, set_photo
from kiosk.vcard import FOLD_OCTETS
from test_connections import activate, open_event, parse_vcards
from test_digests import by_recipient, make_event, run, vcf_of


@pytest.fixture
def people(db):
    """Today's event: Ann saved Zoë (mutual); Zoë has a photo from a 3000 x 2000 camera file."""
    people = open_event(db, "today")
    record(db, "today", people["ann"], people["zoe"]["code"], via="phone")
    set_photo(db, "today", people["zoe"]["id"], jpeg(3000, 2000, gps=True))
    return people


def share(db, who, choice=True):
    db.execute("UPDATE attendees SET share_photo = ? WHERE id = ?", [int(choice), who["id"]])


def test_i_download_my_own_photo_at_full_size_without_its_location(client, db, people):
    activate(client, people["zoe"])
    page = client.get("/me").get_data(as_text=True)
    assert "Your photo" in page and "at full size (3000 × 2000 pixels)" in page
    assert 'href="/me/headshot"' in page

    download = client.get("/me/headshot")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.headers["Content-Disposition"] == 'attachment; filename="headshot-Zoe-Angstrom.jpg"'
    photo = opened(download.data)
    assert photo.format == "JPEG" and photo.size == (3000, 2000)
    assert not photo.getexif().get_ifd(GPS_IFD)


def test_nobody_else_downloads_my_photo_and_without_one_there_is_no_link(client, db, people):
    assert client.get("/me/headshot").status_code == 403  # no phone session: nobody
    activate(client, people["ann"])
    assert "Download my photo" not in client.get("/me").get_data(as_text=True)
    assert client.get("/me/headshot").status_code == 404  # Ann's own: she has none


def test_share_photo_is_off_by_default_and_a_logged_consent_choice_on_me(client, db, people):
    activate(client, people["zoe"])
    page = client.get("/me").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" name="share_photo"[^>]*>([^<]*)', page)
    assert box and "checked" not in box.group(0)
    assert box.group(1).strip().startswith("Show my photo to the people I meet: on their page, in their "
                                           "contacts file and in their summary email")
    post_form(client, "/me/choices", {"share_email": "on", "share_linkedin": "on", "allow_scan": "on",
                                      "share_photo": "on"})
    assert db.execute("SELECT share_photo, consent_source FROM attendees WHERE id = ?",
                      [people["zoe"]["id"]]).fetchone() == (1, "attendee")
    assert db.execute("SELECT share_photo FROM consent_log WHERE attendee_id = ? ORDER BY id DESC LIMIT 1",
                      [people["zoe"]["id"]]).fetchone()[0] == 1
    assert 'name="share_photo" checked' in client.get("/me").get_data(as_text=True)


def contact_view(client, zoe):
    """What Ann's phone shows of Zoë: her /me card's image, the photo URL, the badge page, the vCard."""
    photo_url = f"/b/{zoe['code']}/photo.jpg"
    me = client.get("/me").get_data(as_text=True)
    badge = client.get(f"/b/{zoe['code']}").get_data(as_text=True)
    cards = parse_vcards(client.get("/me/contacts.vcf").get_data(as_text=True))
    (card,) = [c for c in cards if c["FN"] == "Zoë Ångström"]
    return {"me": photo_url in me, "badge": photo_url in badge, "url": client.get(photo_url).status_code,
            "vcard": "PHOTO;ENCODING=b;TYPE=JPEG" in card}


def test_without_consent_my_photo_is_nowhere_a_contact_looks(client, db, people):
    activate(client, people["ann"])
    assert contact_view(client, people["zoe"]) == {"me": False, "badge": False, "url": 404, "vcard": False}


def test_with_consent_my_contacts_see_my_photo_on_me_badge_page_and_vcard(client, db, people):
    share(db, people["zoe"])
    activate(client, people["ann"])
    assert contact_view(client, people["zoe"]) == {"me": True, "badge": True, "url": 200, "vcard": True}


def test_a_shared_photo_is_for_people_who_met_me_not_for_strangers(app, db, people):
    """Another event's attendee with Zoë's badge code learns nothing of her photo."""
    share(db, people["zoe"])
    stranger = open_event(db, "elsewhere")["cy"]
    client = app.test_client()
    activate(client, stranger)
    assert client.get(f"/b/{people['zoe']['code']}/photo.jpg").status_code == 404


def test_a_noisy_photo_is_made_plainer_until_its_card_fits_40_kb():
    noisy = noisy_jpeg(800)  # badge-size, and all noise: the worst case for JPEG
    as_is = io.BytesIO()
    opened(noisy).convert("RGB").resize((320, 320)).save(as_is, "JPEG", quality=85)
    assert as_is.tell() > CARD_MAX_BYTES  # a card made the plain way would not fit
    card = card_photo(noisy)
    assert len(card) <= CARD_MAX_BYTES and opened(card).format == "JPEG" and opened(card).size == (320, 320)


def test_the_vcard_photo_is_a_jpeg_of_at_most_40_kb_even_from_a_large_noisy_photo(client, db, people):
    noisy = noisy_jpeg()
    assert len(noisy) > 2_000_000
    set_photo(db, "today", people["zoe"]["id"], noisy)
    share(db, people["zoe"])
    activate(client, people["ann"])
    text = client.get("/me/contacts.vcf").get_data(as_text=True)
    assert all(len(line.encode()) <= FOLD_OCTETS for line in text.split("\r\n"))
    (card,) = [c for c in parse_vcards(text) if c["FN"] == "Zoë Ångström"]
    photo = base64.b64decode(card["PHOTO;ENCODING=b;TYPE=JPEG"])
    assert len(photo) <= 40 * 1024 and opened(photo).format == "JPEG" and opened(photo).size == (320, 320)


def digest_photos(recorder, email):
    message = by_recipient(recorder)[email]
    html = message.get_body(("html",))
    related = [part for part in message.walk() if part.get_content_type() == "multipart/related"]
    images = {part["Content-ID"]: part.get_payload(decode=True)
              for part in message.walk() if part.get_content_type() == "image/jpeg"}
    cards = parse_vcards(vcf_of(message))
    return html.get_content(), related, images, cards


def test_the_digest_shows_a_shared_photo_inline_and_in_the_vcard(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db)
    set_photo(db, "after", who["zoe"]["id"], jpeg(1600, 1200))
    db.execute("UPDATE attendees SET share_photo = 1 WHERE id = ?", [who["zoe"]["id"]])
    run(smtp_app, db)
    html, related, images, cards = digest_photos(recorder, "ann@example.org")
    (content_id,) = images
    assert related and f'src="cid:{content_id.strip("<>")}"' in html
    assert opened(images[content_id]).format == "JPEG" and len(images[content_id]) <= CARD_MAX_BYTES
    zoe_card = next(c for c in cards if c["FN"] == "Zoë Ångström")
    assert base64.b64decode(zoe_card["PHOTO;ENCODING=b;TYPE=JPEG"]) == images[content_id]


def test_the_digest_has_no_photo_of_someone_who_did_not_consent(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    who = make_event(db)
    set_photo(db, "after", who["zoe"]["id"], jpeg(1600, 1200))
    run(smtp_app, db)
    html, related, images, cards = digest_photos(recorder, "ann@example.org")
    assert (related, images) == ([], {}) and "cid:" not in html
    assert not any("PHOTO;ENCODING=b;TYPE=JPEG" in card for card in cards)


def test_a_csv_import_reads_share_photo_yes_and_no_and_a_blank_keeps_the_choice(db):
    open_event(db, "today")
    header = "First Name,Email,Share Photo\n"
    import_attendees(db, "today", (header + "Zoë,zoe@example.org,yes\nAnn,ann@example.org,no\n").encode())
    assert find_attendee(db, "today", "zoe@example.org")["share_photo"] == 1
    assert find_attendee(db, "today", "ann@example.org")["share_photo"] == 0
    import_attendees(db, "today", (header + "Zoë,zoe@example.org,\n").encode())
    assert find_attendee(db, "today", "zoe@example.org")["share_photo"] == 1
    with pytest.raises(KioskError, match="share_photo"):
        import_attendees(db, "today", (header + "Eve,eve@example.org,maybe\n").encode())


# ---------- on a phone (Chromium at 390 px) against the real server ----------

def demo_pair(server):
    """Zoë and Ingrid at the demo kiosk's event, Zoë having saved Ingrid, who shares a photo."""
    from kiosk.db import query
    db = server.db()
    try:
        slug = db.execute("SELECT e.slug FROM kiosks k JOIN events e ON e.id = k.event_id").fetchone()[0]
        rows = {row["email"]: row for row in query(
            db, "SELECT a.* FROM attendees a JOIN events e ON e.id = a.event_id WHERE e.slug = ?", [slug])}
        zoe, ingrid = rows["zoe.angstrom@example.org"], rows["ingrid.solberg@example.org"]
        record(db, slug, zoe, ingrid["code"], via="phone")
        set_photo(db, slug, ingrid["id"], jpeg(1200, 1200, colour="purple"))
        set_photo(db, slug, zoe["id"], jpeg(2400, 1600))
        share(db, ingrid)
        return zoe, ingrid
    finally:
        db.close()


def test_on_a_phone_my_contacts_photo_shows_and_my_own_downloads_at_full_size(live_server, browser, tmp_path):
    from test_browser_phone import bind, fits, phone
    zoe, ingrid = demo_pair(live_server)
    with phone(browser) as page:
        bind(page, live_server.url, zoe["private_key"])
        contact_photo = page.locator(f"img.contact-photo[src='/b/{ingrid['code']}/photo.jpg']")
        expect(contact_photo).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth === 800", arg=contact_photo.element_handle())
        expect(page.get_by_text("at full size (2400 × 1600 pixels)")).to_be_visible()
        assert fits(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download my photo").tap()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == "headshot-Zoe-Angstrom.jpg"
        assert opened(saved.read_bytes()).size == (2400, 1600)


def test_a_digest_carries_a_bounded_number_of_photos(smtp_app, smtp_server, db, monkeypatch):
    from kiosk import messages
    monkeypatch.setattr(messages, "MAIL_PHOTOS", 1)
    recorder, _ = smtp_server
    who = make_event(db)  # Ann saved Zoë and Cy
    for name in ("zoe", "cy"):
        set_photo(db, "after", who[name]["id"], jpeg(600, 600))
        share(db, who[name])
    run(smtp_app, db)
    html, related, images, cards = digest_photos(recorder, "ann@example.org")
    assert len(images) == 1 and html.count('src="cid:') == 1
    assert sum("PHOTO;ENCODING=b;TYPE=JPEG" in card for card in cards) == 1
