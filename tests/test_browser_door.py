"""The door kiosk in a real browser (headless Chromium) against the real waitress server:
scanner input, feedback colours, name search, walk-ins with a printed badge, offline queue."""

import time

import pytest
from playwright.sync_api import expect

from pdf_checks import open_pdf, qr_symbols

# The demo event the kiosks serve (the demo programme's other workshops have check-ins of their own).
DEMO_EVENT = "(SELECT id FROM events WHERE slug = 'medics-demo')"


@pytest.fixture
def kiosk(live_server, page):
    page.goto(f"{live_server.url}/door#token={live_server.token}")
    expect(page.locator("#connection")).to_have_text("Online")
    expect(page.locator("#event-name")).to_have_text("Networking for Medics")
    assert "token" not in page.url, "the token leaves the address bar"
    return page


def code_of(server, email):
    db = server.db()
    try:
        return db.execute("SELECT code FROM attendees WHERE email = ?", [email]).fetchone()[0]
    finally:
        db.close()


def count(server, sql, *params):
    db = server.db()
    try:
        return db.execute(sql, params).fetchone()[0]
    finally:
        db.close()


def pdf_of(page, server, response):
    """The badge PDF the kiosk fetched (fetched again: the page consumed its body)."""
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return page.request.get(response.url, headers={"Authorization": f"Bearer {server.token}"}).body()


def wait_until(condition, seconds=5):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def scan(page, text):
    """What a USB barcode scanner does: type fast into the focused field, then Enter."""
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def feedback(page):
    return page.locator("#feedback")


def test_scanner_checks_in_prints_and_warns_on_repeat(live_server, kiosk):
    code = code_of(live_server, "zoe.angstrom@example.org")
    with kiosk.expect_response(lambda r: r.url.endswith(f"/badges/{code}.pdf")) as badge:
        scan(kiosk, f"http://127.0.0.1:{live_server.port}/b/{code}".upper())
        expect(feedback(kiosk)).to_have_attribute("data-kind", "ok")
        expect(feedback(kiosk)).to_contain_text("Zoë Ångström")
    (symbol,) = qr_symbols(open_pdf(pdf_of(kiosk, live_server, badge.value))[0])
    assert symbol.text == f"HTTP://127.0.0.1:{live_server.port}/B/{code}"
    expect(feedback(kiosk)).to_be_hidden(timeout=4000)  # ready for the next person
    kiosk.wait_for_function("document.activeElement.id === 'scan'")
    assert count(live_server, f"SELECT count(*) FROM checkins WHERE event_id = {DEMO_EVENT}") == 1
    wait_until(lambda: count(live_server, "SELECT print_count FROM attendees WHERE code = ?", code) == 1)

    scan(kiosk, code.lower())
    expect(feedback(kiosk)).to_have_attribute("data-kind", "warn")
    expect(feedback(kiosk)).to_contain_text("Already checked in")
    expect(kiosk.locator("#reprint-button")).to_contain_text("Badge printed already (1×)")
    kiosk.locator("#reprint-button").click()
    wait_until(lambda: count(live_server, "SELECT print_count FROM attendees WHERE code = ?", code) == 2)
    assert count(live_server, f"SELECT count(*) FROM checkins WHERE event_id = {DEMO_EVENT}") == 1


def test_a_double_fire_within_two_seconds_is_ignored(live_server, kiosk):
    code = code_of(live_server, "tom.baker@example.org")
    scan(kiosk, code)
    expect(feedback(kiosk)).to_have_attribute("data-kind", "ok")
    scan(kiosk, code)
    kiosk.wait_for_timeout(500)
    assert count(live_server, "SELECT count(*) FROM api_replies WHERE kiosk_id IS NOT NULL") == 1


@pytest.mark.parametrize("payload", ["WIFI:S:venue;T:WPA;P:secret;;", "https://example.com/ticket/123", "ZZZZZZZZZZZZZ"])
def test_a_foreign_code_shows_red_and_the_kiosk_recovers(live_server, kiosk, payload):
    scan(kiosk, payload)
    expect(feedback(kiosk)).to_have_attribute("data-kind", "error")
    expect(feedback(kiosk)).to_contain_text("Unknown badge")
    expect(feedback(kiosk)).to_be_hidden(timeout=4000)
    code = code_of(live_server, "priya.raghunathan@example.org")
    scan(kiosk, code)
    expect(feedback(kiosk)).to_have_attribute("data-kind", "ok")
    expect(feedback(kiosk)).to_contain_text("Priya")


def test_name_search_and_confirm(live_server, kiosk):
    kiosk.get_by_role("button", name="Find by name").click()
    kiosk.locator("#search-input").fill("zoe ang")
    result = kiosk.locator("#results button").first
    expect(result).to_contain_text("Zoë Ångström")
    result.click()
    kiosk.get_by_role("button", name="Check in Zoë Ångström").click()
    expect(feedback(kiosk)).to_have_attribute("data-kind", "ok")
    assert count(live_server, f"SELECT count(*) FROM checkins WHERE event_id = {DEMO_EVENT}") == 1


def test_walk_in_gets_a_badge_that_scans(live_server, kiosk):
    kiosk.get_by_role("button", name="Register a walk-in").click()
    kiosk.fill("#walkin-form [name=first_name]", "Wanda")
    kiosk.fill("#walkin-form [name=last_name]", "Walker")
    kiosk.fill("#walkin-form [name=email]", "wanda@example.org")
    kiosk.fill("#walkin-form [name=organisation]", "UCL Medical School")
    kiosk.uncheck("#walkin-form [name=share_email]")
    with kiosk.expect_response(lambda r: r.url.endswith(".pdf")) as badge:
        kiosk.get_by_role("button", name="Register, check in and print").click()
        expect(feedback(kiosk)).to_contain_text("Wanda Walker")
    code = code_of(live_server, "wanda@example.org")
    (symbol,) = qr_symbols(open_pdf(pdf_of(kiosk, live_server, badge.value))[0])
    assert symbol.text.endswith(f"/B/{code}")
    assert count(live_server, "SELECT share_email FROM attendees WHERE code = ?", code) == 0
    assert count(live_server, "SELECT count(*) FROM checkins c JOIN attendees a ON a.id = c.attendee_id "
                              f"WHERE a.code = ? AND c.event_id = {DEMO_EVENT}", code) == 1


def test_walk_in_with_a_bad_email_says_so(live_server, kiosk):
    kiosk.get_by_role("button", name="Register a walk-in").click()
    kiosk.fill("#walkin-form [name=first_name]", "Eve")
    kiosk.evaluate("document.querySelector('#walkin-form [name=email]').type = 'text'")
    kiosk.fill("#walkin-form [name=email]", "eve-at-nowhere")
    kiosk.get_by_role("button", name="Register, check in and print").click()
    expect(kiosk.locator("#walkin-error")).to_contain_text("is not a valid email address: An email address must have an @-sign.")


def test_offline_scans_are_kept_and_synced_once(live_server, kiosk):
    code = code_of(live_server, "kwame.mensah@example.org")
    live_server.stop()
    scan(kiosk, code)
    expect(feedback(kiosk)).to_have_attribute("data-kind", "queued")
    expect(feedback(kiosk)).to_contain_text("Saved — will sync")
    expect(kiosk.locator("#connection")).to_contain_text("Offline · 1 saved")
    kiosk.wait_for_timeout(2100)
    scan(kiosk, code)  # scanned again while offline: two queued scans, one person
    expect(kiosk.locator("#connection")).to_contain_text("2 saved")

    live_server.start()
    expect(kiosk.locator("#connection")).to_have_text("Online", timeout=20_000)
    assert count(live_server, "SELECT count(*) FROM checkins c JOIN attendees a ON a.id = c.attendee_id "
                              f"WHERE a.code = ? AND c.event_id = {DEMO_EVENT}", code) == 1
    assert count(live_server, "SELECT count(*) FROM api_replies WHERE kiosk_id IS NOT NULL") == 2


def test_a_bad_token_shows_setup(live_server, page):
    page.goto(f"{live_server.url}/door#token=not-a-real-token")
    expect(page.locator("#setup")).to_be_visible()
    expect(page.locator("#setup-error")).to_contain_text("not valid")
    page.fill("#setup-token", live_server.token)
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#connection")).to_have_text("Online")


def write_y4m(image, path, frames=5):
    """A video file Chromium can use as its camera (--use-file-for-fake-video-capture)."""
    image = image.convert("RGB").resize((640, 480))
    y, cb, cr = image.convert("YCbCr").split()
    half = (320, 240)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)


def test_camera_without_barcode_detector_decodes_on_the_server(live_server, playwright, tmp_path):
    from PIL import Image

    from badges import render_badges
    from conftest import launch_chromium
    from pdf_checks import page_image

    code = code_of(live_server, "grace.whitfield@example.org")
    pdf = tmp_path / "badge.pdf"
    render_badges([{"first_name": "Grace", "last_name": "Whitfield", "code": code}], pdf,
                  event_name="Networking for Medics", base_url=live_server.url, layout="4x3in")
    badge = page_image(open_pdf(pdf.read_bytes())[0], 110)
    scene = Image.new("RGB", (640, 480), (90, 90, 90))
    scene.paste(badge, ((640 - badge.width) // 2, (480 - badge.height) // 2))
    video = tmp_path / "camera.y4m"
    write_y4m(scene, video)

    browser = launch_chromium(playwright, "--use-fake-ui-for-media-stream",
                              "--use-fake-device-for-media-stream",
                              f"--use-file-for-fake-video-capture={video}")
    try:
        page = browser.new_page()
        page.goto(f"{live_server.url}/door#token={live_server.token}")
        expect(page.locator("#connection")).to_have_text("Online")
        assert page.evaluate("'BarcodeDetector' in window") is False, "this test is for the fallback"
        page.get_by_role("button", name="Use the camera").click()
        expect(page.locator("#camera-status")).to_contain_text("decoded by the server")
        expect(page.locator("#feedback")).to_contain_text("Grace Whitfield", timeout=10_000)
        expect(page.locator("#feedback")).to_have_attribute("data-kind", "ok")
    finally:
        browser.close()
    assert count(live_server, f"SELECT count(*) FROM checkins WHERE event_id = {DEMO_EVENT}") == 1, "the badge held up stays one check-in"
