"""An organiser in a real browser (headless Chromium) against the real waitress server."""

import re

from playwright.sync_api import expect


def log_in(page, server):
    page.goto(f"{server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=email]", server.email)
    page.fill("input[name=password]", server.password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Events")


def test_organiser_creates_event_imports_csv_and_finds_people(live_server, page, tmp_path):
    log_in(page, live_server)

    page.fill("input[name=name]", "Spring Networking")
    page.fill("input[name=slug]", "spring")
    page.fill("input[name=starts]", "2026-03-14T09:00")
    page.fill("input[name=ends]", "2026-03-14T17:00")
    page.get_by_role("button", name="Create event").click()
    expect(page.locator(".flash-success")).to_contain_text("Event Spring Networking created.")

    page.fill("form[action$='/workshops'] input[name=title]", "Peer networking")
    page.fill("form[action$='/workshops'] input[name=slug]", "peers")
    page.get_by_role("button", name="Add workshop").click()
    expect(page.locator("table").first).to_contain_text("Peer networking")

    bad = tmp_path / "bad.csv"
    bad.write_text("First Name,Last Name,Email\nAnn,Lee,ann@example.org\nBob,Ray,not-an-email\n")
    page.get_by_role("link", name="Import a CSV").click()
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".problems")).to_contain_text("line 3: email: 'not-an-email' is not a valid email address: An email address must have an @-sign.")

    good = tmp_path / "good.csv"
    good.write_text("First Name;Last Name;Email;Company\nAnn;Lee;ann@example.org;St Mary's\n"
                    "Zoë;Ångström;zoe@example.org;Karolinska\n", encoding="utf-8-sig")
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("main")).to_contain_text("would import 2 attendees: 2 new")
    page.get_by_role("button", name="Import 2 attendees").click()
    expect(page.locator(".flash-success")).to_contain_text("Imported 2 attendees")

    page.fill("input[name=q]", "zoe")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.fill("input[name=q]", "karo")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Zoë Ångström")

    page.get_by_role("link", name="Zoë Ångström").click()
    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke Zoë's badge?"
    page.get_by_role("button", name="Revoke badge").click()
    expect(page.locator(".flash-success")).to_contain_text("revoked")
