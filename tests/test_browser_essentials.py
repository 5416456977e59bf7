"""Issue 13 in a real browser (headless Chromium) against the real waitress server, on the
demo event: editing, time zones, the attendee list, check-in by hand and its undo, walk-ins
with a known email, the badge page, kiosk links, downloads, import mapping, confirmations."""

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from test_browser_door import code_of, count, feedback, scan
from test_browser_organiser import log_in

EVENT = "/admin/events/medics-demo"


def check_file(page, server, path, text):
    """Upload a CSV with this text on the demo event's import page and check it."""
    path.write_text(text)
    page.goto(f"{server.url}{EVENT}/import")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Check the file").click()


def test_edit_event_with_zone_picker_and_mode_confirmation(live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}")
    page.get_by_role("link", name="Edit event").click()
    page.fill("input[name=name]", "Networking for Medics, spring")
    page.fill("input[name=timezone]", "europe/paris")
    page.select_option("select[name=mode]", "one-way")
    page.get_by_role("button", name="Save event").click()
    # The demo has connections: switching mode asks first, and saves nothing yet.
    expect(page.locator(".flash-error")).to_contain_text("switching to one-way changes what those people share")
    assert count(live_server, "SELECT count(*) FROM events WHERE exchange_mode = 'one-way'") == 0
    page.check("input[name=confirm_mode]")
    page.get_by_role("button", name="Save event").click()
    expect(page.locator(".flash-success")).to_have_text("Event saved.")
    expect(page.locator("main")).to_contain_text("(Europe/Paris)")
    expect(page.locator("main")).to_contain_text("one-way exchange")
    expect(page.locator("h1")).to_have_text("Networking for Medics, spring")


def test_delete_workshop_needs_the_event_name_when_it_has_check_ins(live_server, page):
    page.goto(f"{live_server.url}/door#token={live_server.token}")  # a check-in at the workshop
    db = live_server.db()
    with db.conn:
        db.execute("""INSERT INTO checkins (event_id, attendee_id, workshop_id, at)
                      SELECT w.event_id, (SELECT min(id) FROM attendees), w.id, '2026-01-01T00:00:00+00:00'
                      FROM workshops w WHERE w.slug = 'peer-networking'""")
    db.close()
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}")
    page.get_by_role("link", name="Edit Peer networking: making the first move").click()
    page.fill("input[name=confirm_name]", "Wrong name")
    page.get_by_role("button", name="Delete workshop").click()
    expect(page.locator(".flash-error")).to_contain_text("has 1 check-ins")
    page.fill("input[name=confirm_name]", "Networking for Medics")
    page.get_by_role("button", name="Delete workshop").click()
    expect(page.locator(".flash-success")).to_contain_text("Workshop Peer networking: making the first move is deleted.")
    assert count(live_server, "SELECT count(*) FROM workshops WHERE slug = 'peer-networking'") == 0


def test_door_shows_times_in_the_event_zone_whatever_the_kiosk_clock(live_server, browser):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/door#token={live_server.token}")
        expect(page.locator("#connection")).to_have_text("Online")
        code = code_of(live_server, "amelia.hughes@example.org")
        scan(page, code)
        expect(feedback(page)).to_have_attribute("data-kind", "ok")
        expect(feedback(page)).to_be_hidden()
        scan(page, code)
        expect(feedback(page)).to_contain_text("Already checked in")
        at = count(live_server, "SELECT at FROM checkins WHERE workshop_id IS NULL AND event_id = "
                                "(SELECT id FROM events WHERE slug = 'medics-demo')")
        london = datetime.fromisoformat(at).astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
        expect(feedback(page)).to_contain_text(f"Checked in at {london}")
    finally:
        context.close()


def test_walk_in_with_a_registered_email_checks_that_person_in(live_server, page):
    page.goto(f"{live_server.url}/door#token={live_server.token}")
    expect(page.locator("#connection")).to_have_text("Online")
    page.get_by_role("button", name="Register a walk-in").click()
    page.fill("#walkin-form input[name=first_name]", "Tommy")
    page.fill("#walkin-form input[name=email]", "TOM.BAKER@example.org")
    page.get_by_role("button", name="Register, check in and print").click()
    expect(page.locator("#walkin-error")).to_contain_text("is already registered, as Tom Baker")
    page.get_by_role("button", name="Check in this person instead").click()
    expect(feedback(page)).to_contain_text("Tom Baker")
    assert count(live_server, "SELECT count(*) FROM attendees WHERE first_name = 'Tommy'") == 0
    assert count(live_server, """SELECT count(*) FROM checkins c JOIN attendees a ON a.id = c.attendee_id
                                 WHERE a.email = 'tom.baker@example.org'
                                   AND c.event_id = (SELECT id FROM events WHERE slug = 'medics-demo')""") == 1


def test_attendee_list_filters_check_in_and_undo(live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}/attendees")
    expect(page.get_by_role("link", name=re.compile(r"^Everyone 30"))).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name=re.compile(r"^Checked in 0"))).to_be_visible()
    page.get_by_role("link", name="Grace Whitfield").click()
    expect(page.locator("#status")).to_contain_text("not yet")
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome to Networking for Medics, Grace!")
    expect(page.locator("#status")).to_contain_text("at the door")
    page.goto(f"{live_server.url}{EVENT}/attendees")
    page.get_by_role("link", name=re.compile(r"^Checked in 1")).click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Grace Whitfield")
    page.get_by_role("link", name="Grace Whitfield").click()
    page.get_by_role("button", name="Undo check-in").click()
    expect(page.locator(".flash-success")).to_contain_text("Grace is no longer checked in.")
    expect(page.locator("#status")).to_contain_text(f"{live_server.email} undid the check-in")
    page.goto(f"{live_server.url}{EVENT}")
    expect(page.locator(".stats")).to_contain_text("0 checked in")


def test_sort_by_organisation(live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}/attendees")
    page.select_option("select[name=sort]", "organisation")
    page.get_by_role("button", name="Search").click()
    organisations = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert organisations == sorted(organisations, key=str.casefold)


def test_badge_page_uses_the_form_as_it_is(live_server, page):
    log_in(page, live_server)
    db = live_server.db()
    with db.conn:
        db.execute("UPDATE attendees SET badge_printed_at = '2026-01-01T00:00:00+00:00' "
                   "WHERE email != 'grace.whitfield@example.org'")
    db.close()
    page.goto(f"{live_server.url}{EVENT}/badges")
    page.check("input[name=only_unprinted]")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("img.preview")
    expect(preview).to_have_attribute("src", re.compile("only_unprinted=1"))
    assert preview.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0  # not broken
    # Change the stock without previewing again: the download uses what the form says.
    page.select_option("select[name=layout]", "a6")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename == "badges-medics-demo-a6.pdf"
    assert count(live_server, "SELECT count(*) FROM attendees WHERE print_count > 0") == 1
    page.fill("input[name=start_at]", "99")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".flash-error")).to_contain_text("the start position must be a number from 1 to 1")
    expect(page.locator("img.preview")).to_have_count(0)


def test_new_kiosk_has_an_open_link_and_revoking_asks_first(live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}")
    page.fill("form[action$='/kiosks'] input[name=name]", "Side door")
    page.select_option("form[action$='/kiosks'] select[name=workshop]", "meet-the-consultants")
    page.get_by_role("button", name="Create kiosk").click()
    page.goto(f"{live_server.url}{EVENT}")
    row = page.locator("tr", has_text="Side door")
    expect(row).to_contain_text("Meet the consultants")
    expect(row.get_by_role("link", name="Open kiosk Side door")).to_have_attribute(
        "href", re.compile(r"/door#token=[\w-]{20,}$"))  # url-safe base64 has - and _
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_role("button", name="Revoke")).to_be_visible()
    assert count(live_server, "SELECT count(*) FROM kiosks WHERE revoked_at IS NOT NULL") == 0
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash-success")).to_contain_text("Kiosk Side door's token is revoked")


def test_downloads_attendance_and_example(live_server, page, tmp_path):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Attendance (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == 30 and set(rows[0]) >= {"email", "checked_in_at", "workshops"}
    page.goto(f"{live_server.url}{EVENT}/import")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download an example CSV").click()
    assert download.value.suggested_filename == "attendees-example.csv"


def test_import_maps_unknown_columns_and_lists_messy_values(live_server, page, tmp_path):
    log_in(page, live_server)
    check_file(page, live_server, tmp_path / "odd.csv", "Delegate,Contact,Employer name,LinkedIn\n"
               "Sinéad Ní Bhriain,sinead@example.org,Trinity College Dublin,in/sinead\n")
    expect(page.locator(".problems")).to_contain_text("no email column")
    page.get_by_label("Delegate").select_option("full_name")
    page.get_by_label("Contact").select_option("email")
    page.get_by_label("Employer name").select_option("organisation")
    page.get_by_role("button", name="Check again with these columns").click()
    expect(page.locator(".warnings")).to_contain_text("line 2: linkedin_url:")
    expect(page.locator(".warnings")).to_contain_text("'in/sinead'")
    page.get_by_role("button", name="Import 1 attendees").click()
    expect(page.locator(".flash-success")).to_contain_text("Imported 1 attendees: 1 new")
    assert count(live_server, "SELECT last_name FROM attendees WHERE email = 'sinead@example.org'") == "Ní Bhriain"
    # The event remembers the mapping: the next file from that tool needs none.
    check_file(page, live_server, tmp_path / "again.csv",
               "Delegate,Contact,Employer name\nAoife Nic Giolla,aoife@example.org,UCD\n")
    expect(page.locator("main")).to_contain_text("would import 1 attendees: 1 new")


def test_names_outshine_organisations_and_no_dropdown_is_cut_off(live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}/leaderboard")
    sizes = page.locator("ol.leaders li").first.evaluate(
        """li => [li.querySelector('.person'), li.querySelector('small')]
                 .map(el => parseFloat(getComputedStyle(el).fontSize))""")
    assert sizes[0] > sizes[1], f"name {sizes[0]}px, organisation {sizes[1]}px"
    for path in ("/admin/", EVENT, f"{EVENT}/edit", f"{EVENT}/badges", f"{EVENT}/attendees"):
        page.goto(f"{live_server.url}{path}")
        cut = page.evaluate("""() => {
          const canvas = document.createElement('canvas').getContext('2d');
          return [...document.querySelectorAll('select')].flatMap(select => {
            canvas.font = getComputedStyle(select).font;
            const room = select.clientWidth - 28;  // the arrow and padding
            return [...select.options].filter(o => canvas.measureText(o.text).width > room)
                                      .map(o => o.text);
          });
        }""")
        assert cut == [], f"{path}: options cut off: {cut}"


def test_a_long_event_name_does_not_stretch_the_page(live_server, page):
    db = live_server.db()
    with db.conn:
        db.execute("UPDATE events SET name = ?", ["N" * 200])
    db.close()
    log_in(page, live_server)
    for path in ("/admin/", EVENT):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], path


def test_live_arrivals_update_in_place_without_reloading(live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{EVENT}/live")
    expect(page.locator("#arrived")).to_have_text("0")
    page.evaluate("window.marker = 'same page'")
    db = live_server.db()
    with db.conn:
        db.execute("""INSERT INTO checkins (event_id, attendee_id, at)
                      SELECT event_id, id, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
                      FROM attendees WHERE event_id = (SELECT id FROM events WHERE slug = 'medics-demo')
                      LIMIT 2""")
    db.close()
    expect(page.locator("#arrived")).to_have_text("2", timeout=20_000)
    assert page.evaluate("window.marker") == "same page", "updated in place, not reloaded"
