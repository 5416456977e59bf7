"""An open-source project people can adopt: `pip install .` gives a working service whose
version and dependencies come from one place each."""

import re
import subprocess
import sys
from pathlib import Path

import kiosk

ROOT = Path(__file__).resolve().parent.parent


def test_pip_install_gives_a_working_app_with_the_one_version_and_the_pinned_dependencies(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(ROOT)], check=True, cwd=tmp_path)
    metadata = next(target.glob("event_kiosk-*.dist-info")) / "METADATA"
    fields = metadata.read_text()
    assert re.search(rf"^Version: {re.escape(kiosk.__version__)}$", fields, re.M)
    assert "License-Expression: Apache-2.0" in fields
    pinned = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert sorted(re.findall(r"^Requires-Dist: (.+)$", fields, re.M)) == sorted(p for p in pinned if p)
    # The installed copy, not the checkout, serves a page from its own templates and static files.
    script = ("from kiosk import create_app; import kiosk, sys;"
              "assert 'site' in kiosk.__file__, kiosk.__file__;"
              f"app = create_app({{'DATABASE': r'{tmp_path / 'k.db'}', 'INSTANCE_PATH': r'{tmp_path / 'i'}',"
              "'SECRET_KEY': 'x'}); c = app.test_client();"
              "sys.exit(0 if b'password' in c.get('/login').data and c.get('/static/css/app.css').status_code == 200"
              " else 1)")
    served = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                            capture_output=True, text=True)
    assert served.returncode == 0, served.stderr
    assert (target / "templates" / "base.html").exists()
    assert "Apache License" in (ROOT / "LICENSE").read_text()
