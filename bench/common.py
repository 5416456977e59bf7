"""Shared by the benchmarks: what machine this is, and timing."""

import os
import platform
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def machine():
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"machine: {platform.machine()} {model}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
            f"load average {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def get_timings(opener, url, repeats):
    """GET `url` `repeats` times through `opener` (a urllib opener holding a session):
    ([milliseconds each], the last body)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        with opener.open(url) as response:
            body = response.read()
            assert response.status == 200, url
        samples.append((time.perf_counter() - start) * 1000)
    return samples, body


def wait_until_up(process, port, what):
    """Return `process` once http://127.0.0.1:PORT/healthz answers; else kill it and stop."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{what} did not start")
