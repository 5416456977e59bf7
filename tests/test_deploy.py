"""The shipped deployment files, for real: Debian's Caddy runs deploy/Caddyfile, terminating
HTTPS with its internal CA in front of `python run.py`, and Chromium (accepting the test
certificate) works through it; rate limits count the real client; `systemd-analyze verify`
accepts the systemd units. `make test` installs caddy and systemd; without them these
tests fail and say so."""

import http.client
import os
import re
import shlex
import shutil
import ssl
import subprocess
import time
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from conftest import ORGANISER, ROOT, free_port, start_server, wait_for_health
from test_browser_organiser import log_in
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee, private_link
from kiosk.db import connect, migrate
from kiosk.events import create_event
from kiosk.users import create_user

DEPLOY = ROOT / "deploy"
UNITS = ["kiosk.service", "kiosk-backup.service", "kiosk-backup.timer"]


def system_tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs it (apt-get install "
                    f"{'systemd' if name == 'systemd-analyze' else name})", pytrace=False)
    return path


def start_caddy(tmp_path, upstream):
    """`caddy run` on the shipped Caddyfile, its site and ports pointed at loopback."""
    port = free_port()
    environment = {
        **os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
        "KIOSK_SITE": f"https://localhost:{port}", "KIOSK_TLS_ISSUER": "internal",
        "KIOSK_UPSTREAM": upstream.removeprefix("http://"), "KIOSK_BIND": "127.0.0.1",
        "KIOSK_HTTP_PORT": str(free_port()), "KIOSK_CADDY_ADMIN": "off",
    }
    log = tmp_path / "caddy.log"  # a file, not a pipe nobody reads: Caddy never blocks on it
    with open(log, "w") as output:
        process = subprocess.Popen(
            [system_tool("caddy"), "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
            env=environment, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"https://localhost:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"caddy exited: {log.read_text()}")
        try:
            if Client(url, "127.0.0.1").get("/healthz")[0] == 200:
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("caddy did not answer in time")


@pytest.fixture
def proxied(tmp_path):
    """run.py trusting the proxy on 127.0.0.1, behind Caddy: (HTTPS URL, waitress URL, db path)."""
    db = connect(tmp_path / "live.db")
    migrate(db)
    create_user(db, *ORGANISER)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    create_event(db, "now", "Now", start.isoformat(), (start + timedelta(hours=8)).isoformat())
    import_attendees(db, "now", b"Name,Email\nAnn Lee,ann@example.org\nBob Ray,bob@example.org\n")
    db.close()
    waitress_port = free_port()
    server, direct = start_server(tmp_path, port=waitress_port, env={
        "KIOSK_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        caddy, url = start_caddy(tmp_path, direct)
    except BaseException:
        server.kill()
        raise
    yield url, direct, tmp_path / "live.db"
    for process in (caddy, server):
        process.terminate()
        process.wait(timeout=10)


class Client:
    """A client of its own on a loopback address (127.0.0.N), as one phone or laptop on
    the network: it keeps its cookies and sends the Referer a browser sends."""

    def __init__(self, url, address):
        self.url = url
        scheme, rest = url.split("://")
        self.host, port = rest.split(":")
        self.port = int(port)
        self.https = scheme == "https"
        self.address = address
        self.cookies = SimpleCookie()

    def request(self, method, path, body=None, headers=None):
        headers = {"Host": f"{self.host}:{self.port}", "Referer": f"{self.url}{path}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        if self.https:
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=10, source_address=(self.address, 0),
                context=ssl._create_unverified_context())
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=10,
                                                    source_address=(self.address, 0))
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(header)
            return response.status, response.read().decode()
        finally:
            connection.close()

    def get(self, path, **headers):
        return self.request("GET", path, headers=headers)

    def failed_login(self, email, **headers):
        """One wrong password, submitted with the login page's CSRF token."""
        page = self.get("/login")[1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urlencode({"csrf_token": token, "email": email, "password": "wrong"})
        return self.request("POST", "/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", **headers})[0]


def test_organiser_logs_in_and_adds_a_workshop_over_https_through_caddy(proxied, browser):
    url, _, database = proxied
    context = browser.new_context(ignore_https_errors=True)  # Caddy's internal test CA
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, SimpleNamespace(url=url, email=ORGANISER[0], password=ORGANISER[1]))
        page.get_by_role("link", name="Now").click()
        page.fill("form[action$='/workshops'] input[name=title]", "Peer networking")
        page.fill("form[action$='/workshops'] input[name=slug]", "peers")
        page.get_by_role("button", name="Add workshop").click()
        expect(page.locator("table").first).to_contain_text("Peer networking")
        cookies = context.cookies()
    finally:
        context.close()
    session = next(cookie for cookie in cookies if cookie["name"] == "session")
    assert session["secure"] and session["httpOnly"]
    assert all(cookie["secure"] for cookie in cookies)
    db = connect(database)
    assert db.execute("SELECT title FROM workshops WHERE slug = 'peers'").fetchone()[0] == "Peer networking"
    db.close()


def test_a_phone_saves_a_connection_over_https_through_caddy(proxied, browser):
    url, _, database = proxied
    db = connect(database)
    link, bob = private_link(db, "now", "ann@example.org", url), find_attendee(db, "now", "bob@example.org")
    db.close()
    context = browser.new_context(ignore_https_errors=True, is_mobile=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(link)
        expect(page.locator("h1")).to_have_text("Hi Ann")
        page.goto(f"{url}/B/{bob['code']}")
        page.get_by_role("button", name="I met Bob").click()
        expect(page.locator("body")).to_contain_text("Saved: you met Bob.")
        cookies = context.cookies()
    finally:
        context.close()
    assert cookies and all(cookie["secure"] for cookie in cookies)


def test_the_login_limit_counts_the_real_client_behind_caddy(proxied):
    url, direct, _ = proxied
    crowded, other = Client(url, "127.0.0.2"), Client(url, "127.0.0.3")
    # Different accounts each time: what stops this client is its address's ceiling.
    statuses = [crowded.failed_login(f"guess{n}@example.org") for n in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429
    assert other.failed_login("guess@example.org") == 401, "another client is not limited"
    # Claiming another address gets nowhere: Caddy replaces X-Forwarded-For, and waitress
    # ignores it from anyone but the trusted proxy.
    assert crowded.failed_login("new@example.org", **{"X-Forwarded-For": "198.51.100.7"}) == 429
    spoofing = Client(direct, "127.0.0.2")
    assert spoofing.failed_login("new@example.org", **{"X-Forwarded-For": "198.51.100.7"}) == 429
    assert spoofing.get("/healthz")[0] == 200


def test_a_spoofed_forwarded_header_sent_straight_to_waitress_is_not_believed(proxied):
    _, direct, _ = proxied
    spoofer = Client(direct, "127.0.0.4")
    spoofer.get("/login", **{"X-Forwarded-Proto": "https"})
    assert not spoofer.cookies["session"]["secure"], \
        "only the trusted proxy may say the request came over HTTPS"
    statuses = [spoofer.failed_login(f"g{n}@example.org", **{"X-Forwarded-For": f"198.51.100.{n}"})
                for n in range(31)]
    assert statuses[-1] == 429, "each request claimed a new address; all counted as 127.0.0.4"


def test_systemd_accepts_the_shipped_units(tmp_path):
    """`systemd-analyze verify` on the units as installed (README, "Deployment"): in a root
    holding the system's own units, the files under /etc/systemd/system and the programs
    they start where the README puts them (the checkout at /opt/kiosk)."""
    analyze = system_tool("systemd-analyze")
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(DEPLOY / unit, root / "etc/systemd/system" / unit)
    for program in ("opt/kiosk/.venv/bin/python", "bin/sh", "usr/bin/find"):
        (root / program).parent.mkdir(parents=True, exist_ok=True)
        (root / program).write_text("#!/bin/sh\n")
        (root / program).chmod(0o755)
    verified = subprocess.run(
        [analyze, f"--root={root}", "verify", *(f"/etc/systemd/system/{unit}" for unit in UNITS)],
        capture_output=True, text=True, timeout=60,
    )
    assert verified.returncode == 0 and not verified.stdout + verified.stderr, verified.stdout + verified.stderr


def unit(name, state):
    """A shipped unit's Environment, UMask and Exec* commands, as systemd would run them
    with the checkout here and its state directory (/var/lib/kiosk) at `state`."""
    text = (DEPLOY / name).read_text().replace("/opt/kiosk", str(ROOT)).replace("/var/lib/kiosk", str(state))
    settings = {"Environment": {}, "commands": []}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            settings["Environment"].update([value.split("=", 1)])
        elif key in ("ExecStart", "ExecStartPost"):
            settings["commands"].append(shlex.split(value.replace("$$", "$").replace("%%", "%")))
        elif key == "UMask":
            settings["UMask"] = int(value, 8)
    return settings


def run_as_unit(settings, command, **kwargs):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    return subprocess.Popen(command, cwd=ROOT, env={**environment, **settings["Environment"]},
                            preexec_fn=lambda: os.umask(settings["UMask"]), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def test_the_service_keeps_its_data_private_outside_the_checkout_and_backs_it_up(tmp_path):
    """run.py as kiosk.service starts it, then kiosk-backup.service's own commands."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    service = unit("kiosk.service", state)
    port = free_port()
    command = [part if part != "8000" else str(port) for part in service["commands"][0]]
    server = run_as_unit(service, command)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert {"kiosk.db", "secret_key"} <= {path.name for path in state.iterdir()}
    backup = unit("kiosk-backup.service", state)
    (state / "backups").mkdir(mode=0o700)  # systemd makes it (StateDirectory=)
    for command in backup["commands"]:
        step = run_as_unit(backup, command)
        assert step.wait(timeout=60) == 0, step.stdout.read()
    copies = list((state / "backups").glob("kiosk-*.db"))
    assert len(copies) == 1
    for path in (path for path in state.rglob("*") if path.is_file()):
        assert path.stat().st_mode & 0o777 == 0o600, path
