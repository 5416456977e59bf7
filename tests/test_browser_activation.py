"""Issue 10, items 2, 13 and 14 in a real browser against the real server: the kiosk's
phone QR is a one-time link that only a badge scan brings up and the next person takes
away; a private link asks before it binds a phone; the phone lists where the identity is
open and signs other devices out."""

import io

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from kiosk.kiosks import create_kiosk
from test_browser_door import scan
from test_browser_phone import person

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def open_kiosk(page, server, token):
    page.goto(f"{server.url}/door#token={token}")
    expect(page.locator("#connection")).to_have_text("Online")


def qr_link(page):
    shot = page.locator("#activation-qr").screenshot()
    (symbol,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    return symbol.text


def test_a_badge_scan_shows_a_one_time_qr_that_the_next_person_takes_away(live_server, browser):
    kiosk_context = browser.new_context()
    page = kiosk_context.new_page()
    page.clock.install()
    open_kiosk(page, live_server, live_server.token)
    priya = person(live_server, "priya.raghunathan@example.org")
    scan(page, priya["code"])
    figure = page.locator("#activation")
    expect(figure).to_contain_text("Priya, scan this with your phone")
    page.clock.run_for(2500)  # the welcome screen goes after two seconds; the QR stays
    expect(page.locator("#feedback")).to_be_hidden()
    link = qr_link(page)
    assert link.startswith(f"{live_server.url}/me/") and priya["key"] not in link, "never the private key"

    page.keyboard.press("Shift")  # the next person starts: any key
    expect(figure).to_be_hidden()
    scan(page, person(live_server, "amelia.hughes@example.org")["code"])
    expect(figure).to_contain_text("Amelia")
    page.clock.run_for(31_000)  # nobody came: gone after 30 seconds
    expect(figure).to_be_hidden()

    phone = browser.new_context(**PHONE).new_page()
    phone.goto(link)
    expect(phone.locator("h1")).to_have_text("This phone becomes Priya's: continue?")
    phone.get_by_role("button", name="Continue as Priya").tap()
    expect(phone.locator("h1")).to_have_text("Hi Priya")
    other = browser.new_context(**PHONE).new_page()
    assert other.goto(link).status == 404, "one time only"
    kiosk_context.close()


def test_a_self_service_name_search_gives_no_qr_and_nothing_to_forge_a_badge_from(live_server, page):
    db = live_server.db()
    token = create_kiosk(db, "medics-demo", "Self check-in", mode="self", printing="off")[1]
    db.close()
    open_kiosk(page, live_server, token)
    page.get_by_role("button", name="Find me by name").click()
    page.fill("#search-input", "a.")
    expect(page.locator("#results")).to_have_text("Type at least two letters.")
    with page.expect_response(lambda r: "attendees?q=" in r.url) as searched:
        page.fill("#search-input", "priya")
    found = searched.value.json()["attendees"]
    assert found and all("code" not in p and "last_name" not in p for p in found)
    assert person(live_server, "priya.raghunathan@example.org")["code"] not in searched.value.text()
    page.get_by_role("button", name="Priya R.").click()
    with page.expect_response(lambda r: r.url.endswith("/checkins")) as checked:
        page.get_by_role("button", name="Check in Priya R.").click()
    assert checked.value.status == 201 and "activation_svg" not in checked.value.json()
    expect(page.locator("#feedback")).to_have_attribute("data-kind", "ok")
    expect(page.locator("#activation")).to_be_hidden()


def test_the_phone_lists_its_devices_and_signs_another_out(live_server, browser):
    amelia = person(live_server, "amelia.hughes@example.org")
    laptop = browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0").new_page()
    phone = browser.new_context(**PHONE, user_agent="Mozilla/5.0 (Linux; Android 15; Pixel 9) "
                                "AppleWebKit/537.36 Chrome/142.0 Mobile Safari/537.36").new_page()
    for device in (laptop, phone):
        device.goto(f"{live_server.url}/me/{amelia['key']}")
        device.get_by_role("button", name="Continue as Amelia").click()
        expect(device.locator("h1")).to_have_text("Hi Amelia")
    phone.reload()
    devices = phone.locator(".devices li")
    expect(devices).to_have_count(2)
    expect(devices.filter(has_text="this phone")).to_contain_text("Chrome on Android")
    other = devices.filter(has_text="Firefox on Linux")
    assert other.bounding_box()["width"] <= 390
    other.get_by_role("button", name="Sign this device out").tap()
    expect(phone.locator(".flash")).to_have_text("That device is signed out.")
    expect(devices).to_have_count(1)
    laptop.reload()
    expect(laptop.locator("h1")).to_have_text("Open your private link first")

    phone.get_by_role("button", name="Not you? Forget this phone").tap()
    expect(phone.locator("h1")).to_have_text("This phone is forgotten")
    phone.goto(f"{live_server.url}/me")
    expect(phone.locator("h1")).to_have_text("Open your private link first")
