"""Benchmark: what the product pays per request, against a bare Flask floor in the same run.

Two servers on loopback with the same waitress settings (run.py's): the product
(run.py) and bench/floor_app.py, a bare Flask app whose /healthz does nothing and whose
/write is one durable, deduplicated INSERT. wrk (2 threads, 16 connections, 5 s a
phase) drives each; every figure is a ratio to the floor measured minutes apart on the
same machine:
  product /healthz             / floor /healthz   (goal >= 0.85: the hooks every request pays)
  check-ins                    / floor /write     (goal >= 0.7)
  connections (kiosk pair mode) / floor /write    (goal >= 0.7)
Kiosk traffic is realistic: every 10th request replays an earlier nonce, every 5th check-in
scans someone already in. Any answer other than 2xx is counted and printed.
bench/checkin_load.py adds latency at 100/s and exact counts under the same traffic.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from checkin_load import prepare, serve
from common import ROOT, machine, wait_until_up

BENCH = Path(__file__).resolve().parent
SECONDS = 5


def wrk(url, *script):
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: make bench installs it (apt-get install wrk)")
    command = ["wrk", "-t2", "-c16", f"-d{SECONDS}s", url]
    if script:
        command += ["-s", str(BENCH / "wrk" / script[0]), "--", *script[1:]]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.+)", output)
    return rate, int(failed.group(1)) if failed else 0, errors.group(1) if errors else ""


def start_floor(folder, port):
    process = subprocess.Popen([sys.executable, str(BENCH / "floor_app.py"), str(Path(folder) / "floor.db"),
                                str(port)], cwd=BENCH, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wait_until_up(process, port, "the floor app")


def main():
    with tempfile.TemporaryDirectory() as folder:
        codes, tokens = prepare(folder)
        codes_file = Path(folder) / "codes.txt"
        codes_file.write_text("\n".join(codes) + "\n")
        floor_port, product_port = 19000 + len(codes) % 500, 19600 + len(codes) % 300
        floor = start_floor(folder, floor_port)
        try:
            floor_health = wrk(f"http://127.0.0.1:{floor_port}/healthz")
            floor_write = wrk(f"http://127.0.0.1:{floor_port}", "write.lua")
        finally:
            floor.terminate()
            floor.wait(timeout=10)
        product = serve(folder, product_port)
        try:
            url = f"http://127.0.0.1:{product_port}"
            health = wrk(f"{url}/healthz")
            checkins = wrk(url, "kiosk.lua", "checkins", tokens[0], str(codes_file))
            pairs = wrk(url, "kiosk.lua", "connections", tokens[1], str(codes_file))
        finally:
            product.terminate()
            product.wait(timeout=10)
    print(machine())
    print(f"wrk -t2 -c16, {SECONDS} s a phase, waitress with run.py's settings, in one run:")
    print(f"  floor /healthz           {floor_health[0]:7.0f} requests/s")
    print(f"  floor one-statement write{floor_write[0]:7.0f} requests/s")
    rows = [("product /healthz", health, floor_health, 0.85), ("check-ins", checkins, floor_write, 0.7),
            ("connections (pair mode)", pairs, floor_write, 0.7)]
    for name, (rate, failed, errors), (floor_rate, *_), goal in rows:
        ratio = rate / floor_rate
        print(f"  {name:25}{rate:7.0f} requests/s   ratio {ratio:.2f} (goal >= {goal}) "
              f"{'met' if ratio >= goal else 'NOT MET'}; non-2xx {failed}{'; ' + errors if errors else ''}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
