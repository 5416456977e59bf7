"""Accessibility: axe-core (from npm, pinned in package.json; `make test` runs `npm ci`)
checks every organiser, door and attendee page in a real browser. No serious or critical
violation is allowed anywhere."""

import re

import pytest
from playwright.sync_api import expect

from conftest import ROOT
from test_browser_door import code_of
from test_browser_essentials import check_file
from test_browser_organiser import log_in

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
EVENT = "/admin/events/medics-demo"
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture
def audited(browser):
    """A page whose check() runs axe-core on what is on screen and collects the findings.
    The browser context bypasses the pages' CSP only to inject axe itself."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does)", pytrace=False)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    findings = []

    def check(label):
        page.add_script_tag(path=str(AXE))
        findings.extend(f"{label}: {finding}" for finding in page.evaluate(RUN_AXE))

    page.check_a11y = check
    page.findings = findings
    yield page
    context.close()


def visit(page, url, label):
    page.goto(url)
    page.check_a11y(label)


def test_every_page_has_no_serious_or_critical_violation(live_server, audited, tmp_path):
    page, url = audited, live_server.url
    visit(page, f"{url}/login", "login")
    # Attendee pages, before and after identifying a phone.
    code = code_of(live_server, "amelia.hughes@example.org")
    other = code_of(live_server, "grace.whitfield@example.org")
    visit(page, f"{url}/b/{code}", "badge page, unidentified")
    db = live_server.db()
    key = db.execute("SELECT private_key FROM attendees WHERE code = ?", [code]).fetchone()[0]
    db.close()
    visit(page, f"{url}/me/not-a-real-key-at-all", "unknown private link")
    visit(page, f"{url}/me/{key}", "private link confirmation")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.check_a11y("attendee's own page")
    db = live_server.db()
    mine = db.execute("SELECT id FROM connections WHERE scanner_id IN (SELECT id FROM attendees WHERE code = ?)",
                      [code]).fetchone()[0]
    db.close()
    visit(page, f"{url}/me/connections/{mine}", "one of the attendee's contacts")
    visit(page, f"{url}/b/{other}", "badge page, I met you form")

    # Door kiosk: setup, the main screen, and its panels.
    visit(page, f"{url}/door", "door setup")
    page.goto("about:blank")  # a fresh load: a change of #fragment alone would not start it
    page.goto(f"{url}/door#token={live_server.token}")
    expect(page.locator("#connection")).to_have_text("Online")
    page.check_a11y("door")
    page.get_by_role("button", name="Register a walk-in").click()
    page.check_a11y("door walk-in panel")
    page.locator("#walkin").get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Find by name").click()
    page.keyboard.type("am")
    page.wait_for_timeout(500)
    page.check_a11y("door search panel")

    # Organiser pages.
    log_in(page, live_server)
    page.check_a11y("events")
    for path, label in [
        (EVENT, "event"), (f"{EVENT}/edit", "edit event"),
        (f"{EVENT}/workshops/peer-networking", "edit workshop"),
        (f"{EVENT}/attendees", "attendees"), (f"{EVENT}/attendees?status=checked_in", "attendees filtered"),
        (f"{EVENT}/attendees/new", "new attendee"), (f"{EVENT}/attendees/1", "attendee"),
        (f"{EVENT}/import", "import"), (f"{EVENT}/badges", "badges"), (f"{EVENT}/live", "live arrivals"),
        (f"{EVENT}/connections", "connections"), (f"{EVENT}/leaderboard", "leaderboard"),
        (f"{EVENT}/mail", "invites and digests"),
        ("/admin/programmes/medics-fellowship/mixing", "how a programme's cohort mixes"),
    ]:
        visit(page, f"{url}{path}", label)
    check_file(page, live_server, tmp_path / "odd.csv", "Name,Email,LinkedIn\nAnn Lee,ann@example.org,@ann\n")
    expect(page.locator("h1")).to_contain_text("check the import")
    page.check_a11y("import preview")
    check_file(page, live_server, tmp_path / "bad.csv", "Who,What\nx,y\n")
    page.check_a11y("import refused, with mapping")
    page.goto(f"{url}{EVENT}")
    page.fill("form[action$='/kiosks'] input[name=name]", "Side door")
    page.get_by_role("button", name="Create kiosk").click()
    expect(page.locator("main")).to_contain_text(re.compile("token", re.I))
    page.check_a11y("new kiosk token")

    assert page.findings == [], "\n".join(page.findings)
