"""Benchmark: badge PDFs (run with `make bench`; never part of the test suite).

In one run, on the same 1,000 badges (4x3in, DejaVu Sans, fitted names):
  ours       vector QR from segno, one path of row runs, QR matrices on every core
  pretix     the common pipeline: ReportLab's QrCodeWidget drawn through renderPDF
  floor      the same pages with no QR at all (text only)
Goals: ours >= 10x faster than pretix; the whole `flask badges` process for 1,000
badges < 3 s; one kiosk badge warm <= 20 ms; 10,000 badges with peak RSS <= 200 MB.
"""

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from types import SimpleNamespace
from unittest import mock

from common import ROOT, machine, timed

import badges.render
from badges import qr, render_badges
from kiosk.attendee_import import import_attendees
from kiosk.badge_printing import badge_pdf
from kiosk.codes import new_badge_code
from kiosk.db import connect, migrate
from kiosk.events import create_event

COUNT = 1000
BIG_COUNT = 10_000
BASE_URL = "https://checkin.example.org"
FIRST = ["Amelia", "Zoë", "Oluwaseun", "Siobhán", "José María", "Наталья", "Αλέξανδρος", "Priya",
         "Maximiliana Alexandrina", "Kwame"]
LAST = ["Hughes", "Ångström", "Adeyemi", "O'Connor", "García-López", "Иванова", "Παπαδόπουλος",
        "Raghunathan", "Featherstonehaugh", "Mensah"]


def records(count, seed=0):
    return [{
        "first_name": FIRST[(i + seed) % len(FIRST)], "last_name": LAST[(i * 7 + seed) % len(LAST)],
        "role": "Medical student (Year 3)", "organisation": "King's College London",
        "pronouns": "she/her", "code": new_badge_code(),
    } for i in range(count)]


def render_ours(batch):
    render_badges(batch, io.BytesIO(), event_name="Networking for Medics", base_url=BASE_URL)


def with_qr(drawing):
    """Render with the QR step replaced (pretix-style or none), everything else the same."""
    def run(batch):
        with mock.patch.object(badges.render, "qr", drawing):
            render_ours(batch)
    return run


def pretix_draw(canvas, payload, x, y, size):
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(payload, barLevel="M", barBorder=0)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


PRETIX = SimpleNamespace(badge_url=qr.badge_url, matrices=lambda payloads: payloads,
                         quiet_zone=lambda payload, size: size * 4 / 29, draw=pretix_draw)
NO_QR = SimpleNamespace(badge_url=qr.badge_url, matrices=lambda payloads: ([b"\0"] * 29 for _ in payloads),
                        quiet_zone=qr.quiet_zone, draw=lambda *args: None)


def event_db(folder, count):
    path = Path(folder) / f"event{count}.db"
    db = connect(path)
    migrate(db)
    create_event(db, "bench", "Networking for Medics", "2026-01-01T09:00", "2026-01-01T17:00")
    rows = ["First Name,Last Name,Email,Organisation,Job Title,Pronouns"] + [
        f"{r['first_name']},{r['last_name']},p{i}@example.org,King's College London,FY1,she/her"
        for i, r in enumerate(records(count))
    ]
    import_attendees(db, "bench", "\n".join(rows).encode())
    return db, path


def cli_run(db_path, *args):
    """A whole `flask --app kiosk ...` process: wall time, its peak RSS and its
    children's (the QR workers'), in MB."""
    env = {**os.environ, "KIOSK_DATABASE": str(db_path), "KIOSK_SECRET_KEY": "bench",
           "KIOSK_BASE_URL": BASE_URL}
    script = ("import resource, runpy, sys; sys.argv = sys.argv[1:];"
              "exec('try:\\n runpy.run_module(\"flask\", run_name=\"__main__\")\\n"
              "finally:\\n self=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
              "kids=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
              "print(\"RSS\", self, kids, file=sys.stderr)')")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, "flask", "--app", "kiosk", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    own, workers = map(int, done.stderr.rsplit("RSS", 1)[1].split())
    return elapsed, own / 1024, workers / 1024


def main():
    print(machine())
    batch = records(COUNT)
    render_ours(records(20))  # fonts parsed and registered before anything is timed
    floor_s, _ = timed(lambda: with_qr(NO_QR)(batch))
    ours_s, _ = timed(lambda: render_ours(records(COUNT, seed=1)))
    pretix_s, _ = timed(lambda: with_qr(PRETIX)(records(COUNT, seed=2)))
    print(f"{COUNT} badges on 4x3in, in-process:")
    print(f"  floor (text only, no QR)      {floor_s:6.2f} s")
    print(f"  ours (segno, vector runs)     {ours_s:6.2f} s   QR cost {ours_s - floor_s:5.2f} s")
    print(f"  pretix-style (QrCodeWidget)   {pretix_s:6.2f} s   QR cost {pretix_s - floor_s:5.2f} s")
    print(f"  ours is {pretix_s / ours_s:.1f}x faster than pretix-style (goal >= 10x); "
          f"{ours_s / floor_s:.2f}x the text-only floor")

    with tempfile.TemporaryDirectory() as folder:
        db, path = event_db(folder, COUNT)
        codes = [row[0] for row in db.execute("SELECT code FROM attendees LIMIT 60")]
        cold_s, _ = timed(lambda: badge_pdf(db, "bench", codes[0], base_url=BASE_URL, layout="4x3in"))
        warm = [timed(lambda c=c: badge_pdf(db, "bench", c, base_url=BASE_URL, layout="4x3in"))[0]
                for c in codes[1:] for _ in range(1)]
        warm_again = [timed(lambda: badge_pdf(db, "bench", codes[1], base_url=BASE_URL,
                                              layout="4x3in"))[0] for _ in range(20)]
        print(f"one kiosk badge (4x3in, DB lookup + PDF): first {cold_s * 1000:.1f} ms, "
              f"warm new code median {median(warm) * 1000:.1f} ms (goal <= 20 ms), "
              f"reprint (QR cached) {median(warm_again) * 1000:.1f} ms")
        db.close()

        cli_s, cli_rss, _ = cli_run(path, "badges", "bench", "-o", Path(folder) / "a.pdf")
        help_s, help_rss, _ = cli_run(path, "list-attendees", "bench", "--format", "json")
        print(f"`flask badges` process, {COUNT} badges: {cli_s:.2f} s wall (goal < 3 s); "
              f"a `list-attendees` process in the same run: {help_s:.2f} s")

        big_db, big_path = event_db(folder, BIG_COUNT)
        big_db.close()
        big_s, big_rss, worker_rss = cli_run(big_path, "badges", "bench", "-o", Path(folder) / "big.pdf")
        size_mb = (Path(folder) / "big.pdf").stat().st_size / 1e6
        print(f"`flask badges` process, {BIG_COUNT} badges: {big_s:.1f} s, {size_mb:.0f} MB PDF, "
              f"peak RSS {big_rss:.0f} MB (goal <= 200 MB; QR workers {worker_rss:.0f} MB each; "
              f"baseline process {help_rss:.0f} MB)")


if __name__ == "__main__":
    main()
