"""The real service as a user starts it: `python run.py` under waitress."""

import json
import urllib.request

from conftest import start_server


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
