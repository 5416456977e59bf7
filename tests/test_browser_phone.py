"""An attendee's phone (headless Chromium, phone-sized) against the real waitress server:
private link, badge URL from a QR, "I met", the attendee's page, removing a connection,
error pages, long names on a small screen, a lost link, another event's badge."""

import re
from contextlib import contextmanager

from playwright.sync_api import expect

from kiosk.attendee_import import import_attendees
from kiosk.connections import record
from kiosk.events import create_event


def person(server, email):
    db = server.db()
    try:
        row = db.execute("SELECT code, private_key FROM attendees WHERE email = ?", [email]).fetchone()
        return {"code": row[0], "key": row[1]}
    finally:
        db.close()


def bind(page, url, key):
    """Open a private link on this phone and confirm it, as its owner does."""
    page.goto(f"{url}/me/{key}")
    page.get_by_role("button", name=re.compile("^Continue as ")).tap()
    expect(page).to_have_url(f"{url}/me")


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
        # Amelia met Zoë at an earlier workshop of the demo programme too: this event's list.
        card = page.locator(".people[data-event=medics-demo] li", has_text="Zoë Ångström")
        expect(card).to_contain_text("Zoë Ångström")
        card.locator("summary").tap()
        card.get_by_role("link", name="Note, tags, followed up…").tap()
        expect(page.locator("textarea")).to_have_value("Ask about the cardiology rotation")
        expect(page.locator("input[value='follow up']")).to_be_checked()
        page.get_by_role("button", name="Remove").tap()
        expect(page.locator("h1")).to_have_text("Remove Zoë Ångström?")
        page.get_by_role("button", name="Yes, remove Zoë").tap()
        expect(page.locator(".flash")).to_have_text("Zoë Ångström is no longer in your list.")
        expect(page.locator(".people[data-event=medics-demo] li", has_text="Zoë")).to_have_count(0)
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


@contextmanager
def phone(browser, width=390):
    context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


def fits(page):
    """Nothing is wider than the phone's screen: no sideways scrolling, no zooming out (a
    mobile browser widens its layout viewport, and so innerWidth, to fit wide content)."""
    screen = page.viewport_size["width"]
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]") == [screen, screen]


def test_error_pages_are_phone_pages_with_a_way_on(live_server, browser):
    """Issue 11.7 at 390 px: unknown and revoked badges, unknown addresses."""
    revoked = person(live_server, "tom.baker@example.org")
    db = live_server.db()
    db.execute("UPDATE attendees SET revoked_at = '2026-01-01T00:00:00+00:00' WHERE email = 'tom.baker@example.org'")
    db.close()
    with phone(browser) as page:
        for path, heading in ((f"/b/{'Z' * 13}", "We do not know this badge"),
                              (f"/B/{revoked['code']}", "This badge is no longer valid"),
                              ("/me/contacts.vcf/nothing", "Nothing here")):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status >= 400
            expect(page.locator("h1")).to_have_text(heading)
            assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui"), path
            assert fits(page), path
        page.get_by_role("link", name="Get your private link by email").tap()
        expect(page.locator("h1")).to_have_text("Get your private link again")
        page.fill("input[name=email]", "nobody@example.org")
        page.get_by_role("button", name="Send me my link").tap()
        expect(page.locator("main")).to_contain_text("If nobody@example.org is registered for an event here")


def test_after_i_met_the_page_shows_what_is_saved_and_edits_the_note_in_place(live_server, browser):
    """Issue 11.8: the saved state, the note before the button, editing replaces the note."""
    me, zoe = person(live_server, "amelia.hughes@example.org"), person(live_server, "zoe.angstrom@example.org")
    with phone(browser) as page:
        bind(page, live_server.url, me['key'])
        page.goto(f"{live_server.url}/B/{zoe['code']}")
        note_first = page.evaluate("""() => {
            const note = document.querySelector('textarea[name=note]'), button = document.querySelector('button.big');
            return Boolean(note.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
        assert note_first, "the note comes before the button: one tap saves both"
        page.fill("textarea[name=note]", "Cardiology rotation")
        page.get_by_role("button", name="I met Zoë").tap()
        expect(page.locator(".saved-state")).to_contain_text("✓ Saved")
        expect(page.locator("textarea[name=note]")).to_have_value("Cardiology rotation")
        page.fill("textarea[name=note]", "Cardiology rotation in May")
        page.check("input[value='mentor']")
        page.get_by_role("button", name="Save note").tap()
        expect(page.locator(".flash")).to_have_text("Note saved.")
        expect(page.locator("textarea[name=note]")).to_have_value("Cardiology rotation in May")
        expect(page.locator("input[value='mentor']")).to_be_checked()
        assert fits(page)
    db = live_server.db()
    try:
        assert db.execute("""SELECT c.note, c.tags FROM connections c JOIN attendees a ON a.id = c.scanned_id
                             WHERE a.email = 'zoe.angstrom@example.org' AND c.scanner_id =
                             (SELECT id FROM attendees WHERE email = 'amelia.hughes@example.org')""").fetchone() == (
            "Cardiology rotation in May", "mentor"), "edited in place, not appended"
    finally:
        db.close()


def test_many_contacts_are_compact_rows_newest_first_with_a_search(live_server, browser):
    """Issue 11.9: each contact a row that expands; a search box past 20."""
    db = live_server.db()
    try:
        emails = [row[0] for row in db.execute("SELECT email FROM attendees ORDER BY id")]
        amelia = db.execute("SELECT * FROM attendees WHERE email = 'amelia.hughes@example.org' AND event_id = "
                            "(SELECT id FROM events WHERE slug = 'medics-demo')").fetchone()
        columns = [c[1] for c in db.execute("PRAGMA table_info(attendees)")]
        amelia = dict(zip(columns, amelia))
        others = [e for e in emails if e != amelia["email"]]
        for email in others[:24]:
            code = db.execute("SELECT code FROM attendees WHERE email = ?", [email]).fetchone()[0]
            record(db, "medics-demo", amelia, code, via="phone")
        latest = db.execute("""SELECT a.first_name || ' ' || a.last_name FROM connections c JOIN attendees a
                               ON a.id = c.scanned_id WHERE c.scanner_id = ? ORDER BY c.at DESC, c.id DESC""",
                            [amelia["id"]]).fetchone()[0]
        key = amelia["private_key"]
    finally:
        db.close()
    with phone(browser) as page:
        bind(page, live_server.url, key)
        rows = page.locator(".people[data-event] li")  # the people met, not those suggested
        assert rows.count() > 20
        expect(page.locator(".people .button").first).to_be_hidden()
        row_height = rows.first.bounding_box()["height"]
        assert row_height < 90, f"a closed row is compact ({row_height} px)"
        assert fits(page)
        expect(page.locator("input[name=q]")).to_be_visible()
        page.fill("input[name=q]", "zoë")
        page.get_by_role("button", name="Search").tap()
        expect(page.locator(".muted", has_text="match “zoë”")).to_have_text(re.compile(r"^1 of \d+ match"))
        expect(rows).to_have_count(2)  # Zoë, met here and at the programme's Leadership workshop
        here = page.locator(".people[data-event=medics-demo] li")
        expect(here).to_have_count(1)
        expect(here.first).to_contain_text("Zoë Ångström")
        here.first.locator("summary").tap()
        expect(here.first.get_by_role("link", name="Note, tags, followed up…")).to_be_visible()
        page.get_by_role("link", name="Show everyone").tap()
        expect(rows.first.locator("summary")).to_contain_text(latest.split()[0])


def test_a_long_surname_never_widens_a_small_screen(live_server, browser):
    """Issue 11.10 at 320 px."""
    me, zoe = person(live_server, "amelia.hughes@example.org"), person(live_server, "zoe.angstrom@example.org")
    db = live_server.db()
    db.execute("UPDATE attendees SET last_name = ?, organisation = ? WHERE email = 'zoe.angstrom@example.org'",
               ["Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft",
                "Universitätsklinikum-Schleswig-Holstein-Campus-Kiel-Kardiologie"])
    db.close()
    with phone(browser, width=320) as page:
        bind(page, live_server.url, me['key'])
        page.goto(f"{live_server.url}/B/{zoe['code']}")
        expect(page.locator("h1")).to_contain_text("Wolfeschlegel")
        assert fits(page)
        page.get_by_role("button", name="I met Zoë").tap()
        expect(page.locator(".saved-state")).to_contain_text("Saved")
        assert fits(page)
        page.goto(f"{live_server.url}/me")
        page.locator(".people[data-event=medics-demo] li", has_text="Wolfeschlegel").locator("summary").tap()
        assert fits(page)


def test_another_events_badge_says_which_event_it_belongs_to(live_server, browser):
    """Issue 11.13: bound to one event, scanning a badge of another."""
    db = live_server.db()
    try:
        create_event(db, "autumn", "Autumn Careers Fair", "2026-10-01T09:00", "2026-10-01T17:00")
        import_attendees(db, "autumn", b"Name,Email\nRavi Patel,ravi@example.org\n")
        ravi = db.execute("SELECT code FROM attendees WHERE email = 'ravi@example.org'").fetchone()[0]
    finally:
        db.close()
    me = person(live_server, "amelia.hughes@example.org")
    with phone(browser) as page:
        bind(page, live_server.url, me['key'])
        page.goto(f"{live_server.url}/B/{ravi}")
        expect(page.locator("h2")).to_have_text("This badge is for Autumn Careers Fair")
        expect(page.locator("main")).to_contain_text("This phone is open for Networking for Medics")
        expect(page.locator("main")).not_to_contain_text("open your own private link first")
        assert fits(page)


def test_every_button_and_tick_box_on_my_page_is_big_enough_for_a_thumb(live_server, browser):
    """44 px buttons, tick boxes and choices of at least 20 px: the phone is held in one hand."""
    me = person(live_server, "natalia.ivanova@example.org")
    with phone(browser) as page:
        bind(page, live_server.url, me["key"])
        page.goto(f"{live_server.url}/me")
        small = page.evaluate("""() => [...document.querySelectorAll(
              'button, .button, input[type=checkbox], input[type=radio]')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.tagName + ' ' + (el.textContent || el.name).trim().slice(0, 30),
                        el.getBoundingClientRect().height])
            .filter(([what, height]) => height < (what.startsWith('INPUT') ? 20 : 44))""")
        assert small == []


def test_my_page_loads_nothing_that_is_missing(live_server, browser):
    """No console error on a phone: every file the page asks for (the tab's icon too) is there."""
    me = person(live_server, "natalia.ivanova@example.org")
    with phone(browser) as page:
        missing = []
        page.on("response", lambda response: response.status >= 400 and missing.append(response.url))
        bind(page, live_server.url, me["key"])
        page.goto(f"{live_server.url}/me")
        page.wait_for_load_state("networkidle")
        assert missing == []
