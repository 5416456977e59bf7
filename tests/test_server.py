"""The real service as a user starts it: `python run.py` under waitress."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, free_port, start_server, wait_for_health


def test_run_py_answers_healthz(tmp_path):
    process, url = start_server(tmp_path)
    try:
        with urllib.request.urlopen(f"{url}/healthz") as response:
            assert response.status == 200
            assert json.load(response)["status"] == "ok"
    finally:
        process.terminate()
        assert process.wait(timeout=10) is not None
    assert "serving on" in process.stdout.read()


def test_demo_banner_gives_a_working_login(live_server, page):
    assert len(live_server.token) >= 40
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", live_server.email)
    page.fill("input[name=password]", live_server.password)
    page.click("button[type=submit]")
    page.click("text=Networking for Medics")
    assert page.locator(".stats").inner_text().startswith("30")


def test_150_idle_connections_do_not_starve_the_server(tmp_path):
    """Phones keep connections open between requests; waitress's own limit (100) let ~110
    idle ones stop the service. run.py allows 1000 (KIOSK_CONNECTION_LIMIT)."""
    process, url = start_server(tmp_path)
    idle = [socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) for _ in range(150)]
    try:
        time.sleep(0.5)  # let waitress accept them all
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        for connection in idle:
            connection.close()
        process.terminate()
        process.wait(timeout=10)


def test_a_low_open_files_limit_is_raised_to_fit_the_connections(tmp_path):
    """A shell's limit on open files (often 1024) would refuse connections below the
    connection limit; run.py raises it as far as the hard limit allows."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port), "--connection-limit", "400"], cwd=ROOT,
        env={**os.environ, "KIOSK_DATABASE": str(tmp_path / "live.db"), "KIOSK_SECRET_KEY": "x"},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process)
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
        time.sleep(0.5)
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            assert response.status == 200
        for connection in idle:
            connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_idle_connection_is_closed_after_the_channel_timeout(tmp_path):
    process, url = start_server(tmp_path, "--channel-timeout", "2")
    connection = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    try:
        connection.settimeout(15)
        started = time.monotonic()
        assert connection.recv(1) == b"", "the server closed the silent connection"
        assert 1.5 < time.monotonic() - started < 10
    finally:
        connection.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("variable, value, message", [
    ("KIOSK_TRUSTED_PROXIES", "1", "KIOSK_TRUSTED_PROXIES must be the reverse proxy's IP address"),
    ("KIOSK_TRUSTED_PROXIES", "localhost", "such as 127.0.0.1 (or *), not 'localhost'"),
    ("KIOSK_CONNECTION_LIMIT", "lots", "--connection-limit: 'lots' is not a whole number above 0"),
    ("KIOSK_CHANNEL_TIMEOUT", "0", "--channel-timeout: '0' is not a whole number above 0"),
])
def test_a_wrong_server_setting_stops_run_py_with_one_clear_line(tmp_path, variable, value, message):
    refused = subprocess.run([sys.executable, "run.py"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "KIOSK_DATABASE": str(tmp_path / "x.db"), variable: value})
    assert refused.returncode == 2
    assert message in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "x.db").exists()

