"""Benchmark: what the product pays per request, against a bare Flask floor in the same run.

Two servers on loopback with the same waitress settings (run.py's): the product
(run.py) and bench/floor_app.py, a bare Flask app whose /healthz does nothing and whose
/write is one durable, deduplicated INSERT. wrk (2 threads, 16 connections) drives one
at a time; each figure is a ratio to the floor:
  product /healthz             / floor /healthz   (goal >= 0.85: the hooks every request pays)
  check-ins                    / floor /write     (goal >= 0.7)
  connections (kiosk pair mode) / floor /write    (goal >= 0.7)
On a machine shared with other work the load drifts over a minute, so the phases are
interleaved: ROUNDS rounds of floor and product side by side, a ratio per round, and
the median of the rounds is the figure (the spread is printed with it).
Kiosk traffic is realistic: every 10th request replays an earlier nonce, every 5th check-in
scans someone already in; each round scans people no earlier round did. Any answer other
than 2xx is counted and printed. bench/checkin_load.py adds latency at 100/s and exact
counts under the same traffic.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

from checkin_load import prepare, serve
from common import ROOT, machine, wait_until_up

BENCH = Path(__file__).resolve().parent
SECONDS = 4
ROUNDS = 5
# Enough badges that no phase comes back to people it already scanned (a repeat scan is
# cheaper than a new one): each wrk thread takes half a round's codes, and scans up to
# ~2,500 a second between them.
PEOPLE = ROUNDS * 2 * 6_000


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


def codes_for_rounds(folder, codes):
    """A file of badge codes per round, none shared: every round's scans are new people."""
    share = len(codes) // ROUNDS
    files = []
    for n in range(ROUNDS):
        path = Path(folder) / f"codes-{n}.txt"
        path.write_text("\n".join(codes[n * share:(n + 1) * share]) + "\n")
        files.append(str(path))
    return files


def one_round(n, floor_url, url, tokens, codes_file):
    """Each product figure right after its floor figure, so both see the same machine."""
    return {
        "floor /healthz": wrk(f"{floor_url}/healthz"),
        "product /healthz": wrk(f"{url}/healthz"),
        "floor write": wrk(floor_url, "write.lua"),
        "check-ins": wrk(url, "kiosk.lua", "checkins", tokens[0], codes_file, str(n)),
        "floor write again": wrk(floor_url, "write.lua"),
        "connections (pair mode)": wrk(url, "kiosk.lua", "connections", tokens[1], codes_file, str(n)),
    }


RATIOS = [("product /healthz", "floor /healthz", 0.85), ("check-ins", "floor write", 0.7),
          ("connections (pair mode)", "floor write again", 0.7)]


def main():
    with tempfile.TemporaryDirectory() as folder:
        codes, tokens = prepare(folder, PEOPLE)
        files = codes_for_rounds(folder, codes)
        floor_port, product_port = 19000 + len(codes) % 500, 19600 + len(codes) % 300
        floor = start_floor(folder, floor_port)
        try:
            product = serve(folder, product_port)
            try:
                rounds = [one_round(n, f"http://127.0.0.1:{floor_port}", f"http://127.0.0.1:{product_port}",
                                    tokens, files[n]) for n in range(ROUNDS)]
            finally:
                product.terminate()
                product.wait(timeout=10)
        finally:
            floor.terminate()
            floor.wait(timeout=10)
    print(machine())
    print(f"wrk -t2 -c16, {SECONDS} s a phase, waitress with run.py's settings; {ROUNDS} rounds, "
          "product and floor interleaved (requests/s per round):")
    for name in rounds[0]:
        print(f"  {name:25}" + "".join(f"{r[name][0]:7.0f}" for r in rounds))
    for name, floor_name, goal in RATIOS:
        ratios = sorted(r[name][0] / r[floor_name][0] for r in rounds)
        failed = sum(r[name][1] for r in rounds)
        errors = "; ".join(r[name][2] for r in rounds if r[name][2])
        print(f"  {name:25}ratio {median(ratios):.2f} (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}; goal >= {goal}) "
              f"{'met' if median(ratios) >= goal else 'NOT MET'}; non-2xx {failed}{'; ' + errors if errors else ''}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
