"""Benchmark: badge PDFs (run with `make bench`; never part of the test suite).

Whole processes side by side, on the same event database of 1,000 attendees and the
same pages (4x3in, fitted names, chunked output):
  ours     `flask --app kiosk badges`: the CLI, segno symbols with the mask chosen
           bit-parallel, one vector path per symbol, symbols built on every core
  pretix   the common pipeline: ReportLab's QrCodeWidget drawn through renderPDF
  floor    the same pages with no QR at all (text only)
Goals (issue 16): ours >= 12x faster than pretix, <= 3.5x the floor; one kiosk badge
<= 10 ms warm; peak PSS of the whole process tree (the CLI and its QR workers, from
/proc/PID/smaps_rollup) <= 150 MB for 10,000 badges and <= 200 MB for 50,000, every
QR decodable. Also: the mask proof of tests/test_qr_masks.py on 10,000 payloads.

`python badges.py --pipeline pretix|floor DB OUT` runs one of the other two pipelines.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from types import SimpleNamespace

from common import ROOT, machine, timed

import badges.painter
import badges.render
from badges import qr, render_badges
from kiosk.attendee_import import import_attendees
from kiosk.badge_printing import badge_pdf, select_for_printing
from kiosk.db import connect, migrate
from kiosk.events import create_event

COUNT = 1000
BIG_COUNTS = (10_000, 50_000)
ROUNDS = 3
BASE_URL = "https://checkin.example.org"
FIRST = ["Amelia", "Zoë", "Oluwaseun", "Siobhán", "José María", "Наталья", "Αλέξανδρος", "Priya",
         "Maximiliana Alexandrina", "Kwame"]
LAST = ["Hughes", "Ångström", "Adeyemi", "O'Connor", "García-López", "Иванова", "Παπαδόπουλος",
        "Raghunathan", "Featherstonehaugh", "Mensah"]


def pretix_draw(canvas, payload, x, y, size):
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(payload, barLevel="M", barBorder=0)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


# The QR step of the other pipelines; everything else is the product's own code.
PIPELINES = {
    "pretix": SimpleNamespace(badge_url=qr.badge_url, symbols=lambda payloads: payloads,
                              quiet_zone=lambda payload, size: size * 4 / 29, draw=pretix_draw),
    "floor": SimpleNamespace(badge_url=qr.badge_url, quiet_zone=qr.quiet_zone, draw=lambda *args: None,
                             symbols=lambda payloads: (qr.Symbol(29, "") for _ in payloads)),
}


def run_pipeline(mode, db_path, out):
    badges.render.qr = badges.painter.qr = PIPELINES[mode]
    event, records = select_for_printing(connect(db_path), "bench")
    render_badges(records, out, event_name=event["name"], base_url=BASE_URL, layout="4x3in")


def event_db(folder, count):
    path = Path(folder) / f"event{count}.db"
    db = connect(path)
    migrate(db)
    create_event(db, "bench", "Networking for Medics", "2026-01-01T09:00", "2026-01-01T17:00")
    rows = ["First Name,Last Name,Email,Organisation,Job Title,Pronouns"] + [
        f"{FIRST[i % len(FIRST)]},{LAST[i * 7 % len(LAST)]},p{i}@example.org,King's College London,FY1,she/her"
        for i in range(count)
    ]
    import_attendees(db, "bench", "\n".join(rows).encode())
    return db, path


def tree_pss_mb(pid):
    """Proportional set size of a process and all its descendants, in MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def measured(args, env=None):
    """Run a whole process; (wall seconds, peak PSS of its process tree in MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_pss_mb(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(process.stderr.read().decode())
    return elapsed, peak


def cli(db_path, out):
    env = {**os.environ, "KIOSK_DATABASE": str(db_path), "KIOSK_SECRET_KEY": "bench", "KIOSK_BASE_URL": BASE_URL}
    return [sys.executable, "-m", "flask", "--app", "kiosk", "badges", "bench", "-o", str(out)], env


def pipeline(mode, db_path, out):
    return [sys.executable, str(Path(__file__).resolve()), "--pipeline", mode, str(db_path), str(out)], None


def decodes_sampled(pdf_path, every):
    """Decode every `every`-th page (and the last) with zxing-cpp; all must read back."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(str(pdf_path))
    pages = sorted({*range(0, len(document), every), len(document) - 1})
    for index in pages:
        found = zxingcpp.read_barcodes(document[index].render(scale=150 / 72).to_pil())
        if len(found) != 1 or not found[0].text.startswith(f"{BASE_URL}/B/".upper()):
            return False, len(pages)
    return True, len(pages)


def qr_proof():
    env = {**os.environ, "KIOSK_QR_PROOF_COUNT": "10000"}
    elapsed, done = timed(lambda: subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_qr_masks.py"],
        cwd=ROOT, env=env, capture_output=True, text=True))
    verdict = "the chosen mask's penalty is segno's minimum on all" if done.returncode == 0 else "FAILED on"
    print(f"QR mask proof: {verdict} 10,000 random payloads, every symbol decodes ({elapsed:.0f} s)")


def main():
    print(machine())
    qr_proof()
    with tempfile.TemporaryDirectory() as folder:
        db, path = event_db(folder, COUNT)
        times = {"ours": [], "pretix": [], "floor": []}
        measured(cli(path, Path(folder) / "warm.pdf")[0], cli(path, Path(folder) / "warm.pdf")[1])  # font cache
        for _ in range(ROUNDS):  # interleaved, so load on the machine falls on all three alike
            times["ours"].append(measured(*cli(path, Path(folder) / "ours.pdf"))[0])
            times["pretix"].append(measured(*pipeline("pretix", path, Path(folder) / "pretix.pdf"))[0])
            times["floor"].append(measured(*pipeline("floor", path, Path(folder) / "floor.pdf"))[0])
        ours, pretix, floor = (median(times[k]) for k in ("ours", "pretix", "floor"))
        print(f"{COUNT} badges on 4x3in, whole processes, median of {ROUNDS}:")
        print(f"  `flask badges`               {ours:6.2f} s   ({', '.join(f'{t:.2f}' for t in times['ours'])})")
        print(f"  pretix-style (QrCodeWidget)  {pretix:6.2f} s   ({', '.join(f'{t:.2f}' for t in times['pretix'])})")
        print(f"  text-only floor (no QR)      {floor:6.2f} s   ({', '.join(f'{t:.2f}' for t in times['floor'])})")
        print(f"  ratios: pretix-style / ours = {pretix / ours:.1f}x (goal >= 12x); "
              f"ours / floor = {ours / floor:.2f}x (goal <= 3.5x)")

        codes = [row[0] for row in db.execute("SELECT code FROM attendees LIMIT 61")]
        badge_pdf(db, "bench", codes[0], base_url=BASE_URL, layout="4x3in")  # fonts registered
        warm = [timed(lambda c=c: badge_pdf(db, "bench", c, base_url=BASE_URL, layout="4x3in"))[0]
                for c in codes[1:]]
        print(f"one kiosk badge (4x3in, database lookup + PDF), warm: median {median(warm) * 1000:.1f} ms "
              f"(goal <= 10 ms)")
        db.close()

        for count in BIG_COUNTS:
            big_db, big_path = event_db(folder, count)
            big_db.close()
            out = Path(folder) / f"big{count}.pdf"
            elapsed, peak = measured(*cli(big_path, out))
            ok, sampled = decodes_sampled(out, every=max(1, count // 200))
            print(f"`flask badges`, {count:,} badges: {elapsed:.0f} s, {out.stat().st_size / 1e6:.0f} MB PDF, "
                  f"peak PSS of the process tree {peak:.0f} MB (goal <= {150 if count <= 10_000 else 200} MB); "
                  f"{sampled} pages sampled, every QR {'decodes' if ok else 'DID NOT decode'}")
            out.unlink()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--pipeline"]:
        run_pipeline(*sys.argv[2:5])
    else:
        main()
