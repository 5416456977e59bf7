"""Fixtures: app (on a real SQLite file), client, runner, an organiser session,
a live waitress server in a subprocess, and a headless Chromium page."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.db import connect
from kiosk.attendee_import import import_attendees
from kiosk.events import create_event
from kiosk.programmes import create_programme, set_event_programme
from kiosk.users import create_user

ROOT = Path(__file__).resolve().parent.parent
ORGANISER = ("organiser@example.org", "correct horse battery")
CHROMIUM = os.environ.get("KIOSK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE": str(tmp_path / "kiosk.db"),
            "SECRET_KEY": "test-secret",
            "BASE_URL": "https://kiosk.test",
        }
    )
    with app.app_context():
        db = connect(app.config["DATABASE"])
        create_user(db, *ORGANISER)
        create_event(db, "spring", "Spring Networking", "2026-03-14T09:00", "2026-03-14T17:00",
                     tz="Europe/London")
        db.close()
    return app


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client):
    """The token the organiser pages embed, for this client's session."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_form(client, url, data=None, **kwargs):
    """POST a form the way a browser does, with the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


@pytest.fixture
def organiser(client):
    """The test client, logged in as an organiser."""
    response = post_form(client, "/login", {"email": ORGANISER[0], "password": ORGANISER[1]})
    assert response.status_code == 302
    return client


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url, process, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not answer /healthz in time")


def start_server(tmp_path, *args, env=None, port=None):
    """`python run.py` on a free loopback port, as a user starts it."""
    port = port or free_port()
    environment = {
        **os.environ,
        "KIOSK_DATABASE": str(tmp_path / "live.db"),
        "KIOSK_SECRET_KEY": "live-test-secret",
        "KIOSK_BASE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port), *args],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process)
    except BaseException:
        process.kill()
        raise
    return process, url


class LiveServer:
    """The real waitress server on the demo event, which can be stopped and started
    again on the same port and database (a venue's Wi-Fi going down and coming back)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.process, self.url = start_server(tmp_path, "--demo")
        self.port = int(self.url.rsplit(":", 1)[1])
        lines = []
        while not any("kiosk token" in line for line in lines):
            lines.append(self.process.stdout.readline())
        self.banner = "".join(lines)
        self.email = self.banner.split("email:")[1].split()[0]
        self.password = self.banner.split("password:")[1].split()[0]
        self.token = self.banner.split("kiosk token:")[1].split()[0]
        self.database = tmp_path / "live.db"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def start(self):
        self.process, _ = start_server(self.tmp_path, port=self.port)

    def db(self):
        return connect(self.database)


@pytest.fixture
def live_server(tmp_path):
    server = LiveServer(tmp_path)
    yield server
    server.stop()


class SMTPRecorder:
    """An aiosmtpd handler that keeps every message, and can answer as told: a list of
    replies to give DATA in turn (e.g. "451 4.3.0 Try again later"), a delay before answering."""

    def __init__(self):
        self.messages = []
        self.replies = []
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if self.replies:
            reply = self.replies.pop(0)
            if not reply.startswith("250"):
                return reply
        self.messages.append(envelope)  # delivered: the client may not hear so before a kill
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Message accepted"

    def parsed(self):
        from email import policy
        from email.parser import BytesParser

        return [BytesParser(policy=policy.default).parsebytes(e.content) for e in self.messages]

    def recipients(self):
        return [to for e in self.messages for to in e.rcpt_tos]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port; yields (recorder, port)."""
    from aiosmtpd.controller import Controller

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app sending through the SMTP server fixture."""
    recorder, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none",
                      MAIL_FROM="events@medics.example")
    return app


@pytest.fixture(scope="session")
def playwright():
    """Playwright driving Debian's Chromium. Missing Chromium is a failure, not a skip:
    `make test` installs it."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (apt-get install chromium)"
                    " or set KIOSK_TEST_CHROMIUM", pytrace=False)
    with sync_playwright() as running:
        yield running


def launch_chromium(playwright, *extra_flags):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, *extra_flags]
    )


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# ---------- a programme: a series of events sharing people ----------

PROGRAMME_JAN = ("email,first_name,last_name,organisation\nZoe@Example.org,Zoë,Ångström,Karolinska\n"
                 "ann@example.org,Ann,Lee,Leeds\n")
PROGRAMME_FEB = "email,first_name,organisation\nzoe@example.org,Zoë,Karolinska Institutet\nbob@example.org,Bob,Bristol\n"


def held(db, slug, days_from_now, hours=3, programme=None):
    """An event starting `days_from_now` days from now (negative: past), in a programme."""
    start = datetime.now(timezone.utc) + timedelta(days=days_from_now)
    create_event(db, slug, f"Workshop {slug}", start.isoformat(), (start + timedelta(hours=hours)).isoformat(),
                 grace_minutes=30)
    if programme:
        set_event_programme(db, slug, programme)


@pytest.fixture
def fellowship(db):
    """January (over), February (on now) and March (to come), one programme "fellows":
    Zoë at January and February, Ann at January, Bob at February."""
    create_programme(db, "fellows", "Fellowship 2027")
    held(db, "jan", -30, programme="fellows")
    held(db, "feb", -0.05, programme="fellows")
    held(db, "mar", 30, programme="fellows")
    import_attendees(db, "jan", PROGRAMME_JAN.encode())
    import_attendees(db, "feb", PROGRAMME_FEB.encode())
    return db
