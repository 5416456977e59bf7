"""A fellow's network on their phone (Chromium at 390 px, the real waitress server on the
demo programme): everyone met at its events so far, newest first, counted in words; a
contact from an earlier event opened, noted, tagged and marked followed up."""

import re

from playwright.sync_api import expect

from test_browser_phone import bind, fits, person, phone


def test_the_network_on_a_phone(live_server, browser):
    natalia = person(live_server, "natalia.ivanova@example.org")  # last month's and this month's workshops
    with phone(browser, width=390) as page:
        bind(page, live_server.url, natalia["key"])
        expect(page.get_by_role("heading", name="Your network so far")).to_be_visible()
        expect(page.locator(".network-counts")).to_have_text(
            re.compile(r"^4 people from [1-4] organisations?, met at 2 events$"))
        events = page.locator("h3.network-event")
        expect(events).to_have_count(2)
        for index, name in enumerate(("Networking for Medics", "Leadership for Medics")):
            expect(events.nth(index)).to_contain_text(name)
        assert fits(page)
        expect(page.get_by_role("link", name="Download all as contacts (.vcf)")).to_have_attribute(
            "href", "/me/contacts.vcf")

        ingrid = page.locator(".people li", has_text="Ingrid")
        ingrid.locator("summary").tap()
        expect(ingrid).to_contain_text("Met at Leadership for Medics")
        ingrid.get_by_role("link", name="Note, tags, followed up…").tap()
        expect(page.locator("textarea[name=note]")).to_have_value("Research spin-outs")
        assert fits(page)
        page.check("input[value='follow up']")
        page.get_by_role("button", name="Save note").tap()
        expect(page.locator(".flash")).to_have_text("Note saved.")
        box = page.locator(".flash").bounding_box()
        assert 0 <= box["y"] < page.viewport_size["height"], "the result is in sight, wherever the page is"
        ingrid.locator("summary").tap()
        ingrid.get_by_role("link", name="Note, tags, followed up…").tap()
        page.get_by_role("button", name="Mark followed up").tap()
        expect(page.locator(".flash")).to_have_text("Marked as followed up.")
        expect(ingrid.locator("summary .tag")).to_have_text(["follow up", "followed up"])
        assert fits(page)
