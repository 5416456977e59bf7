"""Benchmark: 16 kiosks checking people in and pairing badges against the real waitress
server on loopback.

In one run against one server (python run.py, 8 threads):
  throughput  16 clients in a closed loop: check-ins/s and recorded connections/s
              (kiosk pair mode); their ratios to a bare Flask floor are request_overhead.py's
  latency     an open loop at 100 check-ins/s for 10 s: p50 and p99 (goal p99 <= 50 ms)
  integrity   afterwards: one check-in per person scanned, an answer stored per nonce, no 5xx
Every 10th request replays an earlier nonce and every 5th scans someone already in,
as kiosks with an offline queue and people at two doors do.
"""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import quantiles

from common import ROOT, machine, wait_until_up

from kiosk.attendee_import import import_attendees
from kiosk.db import connect, migrate
from kiosk.events import create_event
from kiosk.kiosks import create_kiosk

CLIENTS = 16
PEOPLE = 20_000
PHASE_SECONDS = 5
RATE = 100
RATE_SECONDS = 10


def prepare(folder, people=PEOPLE):
    db = connect(Path(folder) / "load.db")
    migrate(db)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    create_event(db, "load", "Load", start.isoformat(), (start + timedelta(hours=8)).isoformat())
    rows = ["Name,Email"] + [f"Person {i},p{i}@example.org" for i in range(people)]
    import_attendees(db, "load", "\n".join(rows).encode())
    codes = [row[0] for row in db.execute("SELECT code FROM attendees ORDER BY id")]
    tokens = [create_kiosk(db, "load", f"Door {i}")[1] for i in range(CLIENTS)]
    db.close()
    return codes, tokens


def serve(folder, port):
    env = {**os.environ, "KIOSK_DATABASE": str(Path(folder) / "load.db"),
           "KIOSK_SECRET_KEY": "bench", "KIOSK_BASE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, "run.py", "--port", str(port), *os.environ.get("BENCH_SERVER_ARGS", "").split()], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wait_until_up(process, port, "the server")


class Kiosk:
    """One kiosk: a keep-alive connection, its token, its share of the people."""

    def __init__(self, port, token, codes):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.token, self.codes = token, codes
        self.sent, self.scanned, self.statuses, self.paired = [], set(), {}, []
        self.latencies = []

    def healthz(self):
        self.connection.request("GET", "/healthz")
        return self._answer()

    def check_in(self):
        n = len(self.sent)
        if n % 10 == 9:
            code, nonce = self.sent[n // 2]  # a replay: an offline queue sending again
        else:
            code = self.codes[n // 5 if n % 5 == 4 else n]  # every 5th: someone already in
            nonce = uuid.uuid4().hex
        self.sent.append((code, nonce))
        self.scanned.add(code)
        body = json.dumps({"code": code, "nonce": nonce})
        self.connection.request("POST", "/api/v1/events/load/checkins", body=body, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        return self._answer()

    def pair(self):
        """Pair mode: this kiosk's people meet each other, one new pair per request."""
        n = len(self.paired)
        if n % 10 == 9:
            first, second, nonce = self.paired[n // 2]
        else:
            first = self.codes[(n // (len(self.codes) - 1)) % len(self.codes)]
            second = self.codes[(n % (len(self.codes) - 1) + 1 + n // (len(self.codes) - 1)) % len(self.codes)]
            nonce = uuid.uuid4().hex
        self.paired.append((first, second, nonce))
        body = json.dumps({"scanner": first, "scanned": second, "nonce": nonce})
        self.connection.request("POST", "/api/v1/events/load/connections", body=body, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        return self._answer()

    def _answer(self):
        start = time.perf_counter()
        response = self.connection.getresponse()
        response.read()
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        return time.perf_counter() - start


def closed_loop(kiosks, action, seconds):
    """Every kiosk sends as fast as the server answers, for `seconds`; returns requests/s."""
    stop = time.monotonic() + seconds
    counts = [0] * len(kiosks)

    def run(i):
        while time.monotonic() < stop:
            action(kiosks[i])
            counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(kiosks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def open_loop(kiosks, rate, seconds):
    """`rate` check-ins a second shared by the kiosks, each on its schedule; latencies in s."""
    interval = len(kiosks) / rate
    latencies = []

    def run(i):
        due = time.monotonic() + i * interval / len(kiosks)
        for _ in range(int(seconds / interval)):
            time.sleep(max(0.0, due - time.monotonic()))
            start = time.perf_counter()
            kiosks[i].check_in()
            latencies.append(time.perf_counter() - start)
            due += interval

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(kiosks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main():
    with tempfile.TemporaryDirectory() as folder:
        codes, tokens = prepare(folder)
        port = 18000 + os.getpid() % 1000
        server = serve(folder, port)
        try:
            share = PEOPLE // CLIENTS
            kiosks = [Kiosk(port, tokens[i], codes[i * share:(i + 1) * share]) for i in range(CLIENTS)]
            health_rps = closed_loop(kiosks, Kiosk.healthz, PHASE_SECONDS)
            checkin_rps = closed_loop(kiosks, Kiosk.check_in, PHASE_SECONDS)
            pair_rps = closed_loop(kiosks, Kiosk.pair, PHASE_SECONDS)
            latencies = open_loop(kiosks, RATE, RATE_SECONDS)
        finally:
            server.terminate()
            server.wait(timeout=10)
        db = connect(Path(folder) / "load.db")
        checkins = db.execute("SELECT count(*) FROM checkins").fetchone()[0]
        replies = db.execute("SELECT count(*) FROM api_replies").fetchone()[0]
        recorded = db.execute("SELECT count(*) FROM connections").fetchone()[0]
        db.close()
    scanned = set().union(*(k.scanned for k in kiosks))
    nonces = {nonce for k in kiosks for _, nonce in k.sent} | {n for k in kiosks for *_, n in k.paired}
    pairs = {(a, b) for k in kiosks for a, b, _ in k.paired}
    statuses = {}
    for k in kiosks:
        for status, n in k.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    cut = quantiles(latencies, n=100)
    print(machine())
    print(f"{CLIENTS} kiosk clients on loopback, waitress with 8 threads")
    print(f"  /healthz                {health_rps:7.0f} requests/s")
    print(f"  check-ins               {checkin_rps:7.0f} requests/s")
    print(f"  connections (pair mode) {pair_rps:7.0f} requests/s")
    print(f"  at {RATE}/s for {RATE_SECONDS} s:       p50 {cut[49] * 1000:.1f} ms, p99 {cut[98] * 1000:.1f} ms "
          f"(goal p99 <= 50 ms), {len(latencies)} requests")
    print(f"  afterwards: {recorded} connections for {len(pairs)} pairs sent "
          f"({'exact' if recorded == len(pairs) else 'MISMATCH'}); "
          f"{checkins} check-ins for {len(scanned)} people scanned "
          f"({'exact' if checkins == len(scanned) else 'MISMATCH'}), {replies} stored answers for "
          f"{len(nonces)} nonces ({'exact' if replies == len(nonces) else 'MISMATCH'}), "
          f"statuses {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
