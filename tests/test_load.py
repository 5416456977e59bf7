"""The real waitress server under 16 kiosks' mixed load (check-ins and pair-mode
connections, with replayed nonces): exact counts, nothing lost or doubled, no 5xx; and
a SIGKILL under that load loses no acknowledged write and corrupts nothing."""

import http.client
import json
import os
import signal
import threading
import uuid
from datetime import datetime, timedelta, timezone

from conftest import start_server
from kiosk.attendee_import import import_attendees
from kiosk.db import connect, migrate
from kiosk.events import create_event
from kiosk.kiosks import create_kiosk

KIOSKS = 16
REQUESTS = 300


def prepare(tmp_path, people=2000):
    db = connect(tmp_path / "live.db")
    migrate(db)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    create_event(db, "load", "Load", start.isoformat(), (start + timedelta(hours=8)).isoformat())
    import_attendees(db, "load", ("Name,Email\n" + "\n".join(f"P {i},p{i}@x.org" for i in range(people))).encode())
    codes = [row[0] for row in db.execute("SELECT code FROM attendees ORDER BY id")]
    tokens = [create_kiosk(db, "load", f"Door {i}")[1] for i in range(KIOSKS)]
    db.close()
    return codes, tokens


def kiosk_traffic(port, token, codes, acknowledged, statuses, stop):
    """One kiosk: check-ins, pairs, and every 7th request a replay of an earlier one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = []
    for n in range(REQUESTS):
        if stop.is_set():
            return
        if n % 7 == 6:
            path, body = sent[n // 2]
        elif n % 2:
            path, body = "checkins", {"code": codes[n % len(codes)], "nonce": uuid.uuid4().hex}
        else:
            path, body = "connections", {"scanner": codes[n % len(codes)],
                                         "scanned": codes[(n + 1) % len(codes)], "nonce": uuid.uuid4().hex}
        sent.append((path, body))
        try:
            connection.request("POST", f"/api/v1/events/load/{path}", body=json.dumps(body),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError):
            return  # the server went away (the SIGKILL test)
        statuses.append(response.status)
        if response.status < 300:
            acknowledged.append((path, body, answer["result"]))


def run_kiosks(port, tokens, codes, stop=None):
    stop = stop or threading.Event()
    acknowledged, statuses = [], []
    share = len(codes) // KIOSKS
    threads = [threading.Thread(target=kiosk_traffic, args=(
        port, tokens[i], codes[i * share:(i + 1) * share], acknowledged, statuses, stop)) for i in range(KIOSKS)]
    for thread in threads:
        thread.start()
    return threads, acknowledged, statuses


def test_sixteen_kiosks_mixed_load_exact_counts(tmp_path):
    codes, tokens = prepare(tmp_path)
    process, url = start_server(tmp_path)
    try:
        threads, acknowledged, statuses = run_kiosks(int(url.rsplit(":", 1)[1]), tokens, codes)
        for thread in threads:
            thread.join(timeout=120)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert len(statuses) == KIOSKS * REQUESTS
    assert not [s for s in statuses if s >= 500]
    db = connect(tmp_path / "live.db")
    people_in = {body["code"] for path, body, _ in acknowledged if path == "checkins"}
    pairs = {(body["scanner"], body["scanned"]) for path, body, _ in acknowledged if path == "connections"}
    nonces = {body["nonce"] for _, body, _ in acknowledged}
    assert db.execute("SELECT count(*) FROM checkins").fetchone()[0] == len(people_in)
    assert db.execute("SELECT count(*) FROM connections").fetchone()[0] == len(pairs)
    assert db.execute("SELECT count(*) FROM api_replies").fetchone()[0] == len(nonces)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigkill_under_load_loses_no_acknowledged_write(tmp_path):
    codes, tokens = prepare(tmp_path)
    process, url = start_server(tmp_path)
    stop = threading.Event()
    threads, acknowledged, _ = run_kiosks(int(url.rsplit(":", 1)[1]), tokens, codes, stop)
    while len(acknowledged) < 800 and any(t.is_alive() for t in threads):
        threading.Event().wait(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    seen = list(acknowledged)

    restarted, _ = start_server(tmp_path)  # recovery runs as the service starts again
    restarted.terminate()
    restarted.wait(timeout=10)
    db = connect(tmp_path / "live.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in db.execute("SELECT nonce FROM api_replies")}
    assert {body["nonce"] for _, body, _ in seen} <= stored, "an acknowledged write went missing"
    checked_in = {row[0] for row in db.execute(
        "SELECT a.code FROM checkins c JOIN attendees a ON a.id = c.attendee_id")}
    assert {body["code"] for path, body, _ in seen if path == "checkins"} <= checked_in
