"""Introducing two contacts from /me on a 390 px phone (headless Chromium) against the real
waitress server running the demo programme, the mail going through a real SMTP server,
and both people accepting from the links in their mail."""

import re

import pytest
from playwright.sync_api import expect

from conftest import start_server
from kiosk.db import connect, query
from kiosk.introductions import introduce
from test_accessibility import AXE, RUN_AXE
from test_browser_phone import bind, fits, person, phone


class Demo:
    """The running server's address and database (what test_browser_phone's helpers read)."""

    def __init__(self, url, database):
        self.url, self.database = url, database

    def db(self):
        return connect(self.database)


@pytest.fixture
def demo_with_smtp(tmp_path, smtp_server):
    """`python run.py --demo`, mailing through the SMTP server fixture."""
    _, port = smtp_server
    process, url = start_server(tmp_path, "--demo", env={
        "KIOSK_SMTP_HOST": "127.0.0.1", "KIOSK_SMTP_PORT": str(port), "KIOSK_SMTP_SECURITY": "none",
        "KIOSK_MAIL_FROM": "events@medics.example"})
    yield Demo(url, tmp_path / "live.db")
    process.terminate()
    process.wait(timeout=10)


def link_in(message):
    return re.search(r"http://127\.0\.0\.1:\d+/introductions/[\w-]+\?answer=accept", message.get_body(("plain",)).get_content()).group(0)


def test_introducing_two_contacts_from_a_phone(demo_with_smtp, smtp_server, browser):
    recorder, _ = smtp_server
    server = demo_with_smtp
    amelia = person(server, "amelia.hughes@example.org")
    with phone(browser) as page:
        bind(page, server.url, amelia["key"])
        form = page.locator("#introduce form")
        form.locator("select[name=first]").select_option(label="Oluwaseun Adeyemi (Guy's and St Thomas' NHS Trust)")
        form.locator("select[name=second]").select_option(label="Priya Raghunathan (Barts and The London)")
        form.get_by_label("Why they should meet").fill("Seun did the cardiology taster Priya is applying for")
        assert fits(page)
        form.get_by_role("button", name="Send the introduction").tap()
        expect(page.locator(".flash")).to_have_text(
            "Introduction sent: Oluwaseun Adeyemi and Priya Raghunathan each have an email to accept or decline.")
        expect(page.locator(".introductions-made")).to_contain_text(
            "Oluwaseun Adeyemi and Priya Raghunathan: waiting for their answers")
        assert fits(page)

        mail = {m["To"].addresses[0].addr_spec: m for m in recorder.parsed()}
        assert sorted(mail) == ["priya.raghunathan@example.org", "seun.adeyemi@example.org"]
        with phone(browser) as seun:
            seun.goto(link_in(mail["seun.adeyemi@example.org"]))
            expect(seun.locator("h1")).to_have_text("Amelia Hughes introduces you to Priya Raghunathan")
            expect(seun.locator(".card")).to_contain_text("Seun did the cardiology taster Priya is applying for")
            assert fits(seun)
            seun.get_by_role("button", name="Accept").tap()
            expect(seun.locator(".answer")).to_contain_text("You accepted. If Priya accepts too by")
        with phone(browser) as priya:
            priya.goto(link_in(mail["priya.raghunathan@example.org"]))
            priya.get_by_role("button", name="Accept").tap()
            expect(priya.locator(".answer")).to_contain_text("You both accepted")

        page.reload()
        expect(page.locator(".introductions-made")).to_contain_text("both accepted, they are now connected")


def test_the_answer_page_has_no_serious_accessibility_violation(demo_with_smtp, browser):
    db = demo_with_smtp.db()
    try:
        rows = {email: query(db, "SELECT * FROM attendees WHERE email = ? ORDER BY id DESC LIMIT 1", [email])[0]
                for email in ("amelia.hughes@example.org", "seun.adeyemi@example.org", "priya.raghunathan@example.org")}
        _, tokens = introduce(db, rows["amelia.hughes@example.org"], rows["seun.adeyemi@example.org"]["person_id"],
                              rows["priya.raghunathan@example.org"]["person_id"], "Cardiology")
    finally:
        db.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # only to inject axe
    try:
        page = context.new_page()
        for token in tokens.values():
            page.goto(f"{demo_with_smtp.url}/introductions/{token}?answer=decline")
            page.add_script_tag(path=str(AXE))
            assert page.evaluate(RUN_AXE) == []
    finally:
        context.close()
