"""An attendee's phone (headless Chromium, phone-sized) against the real waitress server:
private link, badge URL from a QR, "I met", the attendee's page, removing a connection."""

from playwright.sync_api import expect


def person(server, email):
    db = server.db()
    try:
        row = db.execute("SELECT code, private_key FROM attendees WHERE email = ?", [email]).fetchone()
        return {"code": row[0], "key": row[1]}
    finally:
        db.close()


def connections(server):
    db = server.db()
    try:
        return db.execute("SELECT count(*) FROM connections").fetchone()[0]
    finally:
        db.close()


def test_phone_records_a_connection_and_removes_it(live_server, browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(10_000)
    me, zoe = person(live_server, "amelia.hughes@example.org"), person(live_server, "zoe.angstrom@example.org")
    before = connections(live_server)  # the demo's own
    try:
        page.goto(f"{live_server.url}/me/{me['key']}")
        expect(page.locator("h1")).to_have_text("This phone becomes Amelia's: continue?")
        page.get_by_role("button", name="Continue as Amelia").tap()
        expect(page.locator("h1")).to_have_text("Hi Amelia")
        assert me["key"] not in page.url

        transferred = []
        page.on("response", lambda r: transferred.append(len(r.body())) if r.ok else None)
        page.goto(f"{live_server.url}/B/{zoe['code']}")  # what the badge's QR opens
        expect(page.locator("h1")).to_have_text("Zoë Ångström")
        assert sum(transferred) < 100_000, f"badge page weighs {sum(transferred)} bytes"
        assert page.evaluate("document.scripts.length") == 0

        page.fill("textarea[name=note]", "Ask about the cardiology rotation")
        page.check("input[value='follow up']")
        page.get_by_role("button", name="I met Zoë").tap()
        expect(page.locator(".flash")).to_have_text("Saved: you met Zoë.")
        assert connections(live_server) == before + 1

        page.get_by_role("link", name="The people you met").tap()
        card = page.locator(".people li", has_text="Zoë Ångström")
        expect(card).to_contain_text("Zoë Ångström")
        expect(card.locator("textarea")).to_have_value("Ask about the cardiology rotation")
        expect(card.locator("input[value='follow up']")).to_be_checked()
        card.get_by_role("button", name="Remove").tap()
        expect(page.locator(".flash")).to_have_text("Removed.")
        expect(page.locator(".people li", has_text="Zoë")).to_have_count(0)
        assert connections(live_server) == before
    finally:
        phone.close()


def test_kiosk_pair_mode(live_server, page):
    page.goto(f"{live_server.url}/door#token={live_server.token}")
    expect(page.locator("#connection")).to_have_text("Online")
    page.get_by_role("button", name="Pair two badges").click()
    first, second = person(live_server, "chloe.dubois@example.org"), person(live_server, "daniel.okafor@example.org")
    before = connections(live_server)
    page.locator("#scan").focus()
    page.keyboard.type(first["code"])
    page.keyboard.press("Enter")
    expect(page.locator("#scan-prompt")).to_have_text("Now scan the other person's badge")
    page.keyboard.type(second["code"])
    page.keyboard.press("Enter")
    expect(page.locator("#feedback")).to_have_attribute("data-kind", "ok")
    expect(page.locator("#feedback")).to_contain_text("Contacts exchanged")
    assert connections(live_server) == before + 1
