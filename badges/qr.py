"""QR codes for badges: the payload, the module matrix, and drawing it as one vector path.

A QR depends only on its payload, so matrices are cached, and a long run
computes them in worker processes while the main process draws pages. The mask
is chosen by qrmask (the standard's choice, four times faster than segno's).
"""

import gc
import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from .qrmask import best_mask_symbol

QUIET_ZONE = 4  # modules of white around the symbol, as the standard asks
PARALLEL_FROM = 200  # below this, starting worker processes costs more than it saves
CHUNK = 64
WINDOW = 1024


def badge_url(base_url, code):
    """The QR payload, upper-cased: URLs are case-insensitive in scheme and host, our
    routes accept /B/, and an upper-case payload fits QR alphanumeric mode (smaller)."""
    return f"{base_url.rstrip('/')}/b/{code}".upper()


@lru_cache(maxsize=4096)
def matrix(payload):
    """Rows of 0/1 modules, quiet zone excluded. Always a full QR (never Micro QR,
    which phones cannot read), error correction M or better."""
    return _rows(payload)


def _rows(payload):
    return tuple(bytes(row) for row in best_mask_symbol(payload).matrix)


@dataclass(frozen=True)
class Symbol:
    modules: int  # its width in modules, quiet zone excluded
    path: str  # PDF path operators drawing it in module units (see draw)


def build(payload):
    """The Symbol for a payload, uncached: what the workers of a long run make (each
    payload once, so a cache there would only hold memory)."""
    rows = _rows(payload)
    return Symbol(len(rows), path_operators(rows))


symbol = lru_cache(maxsize=4096)(build)  # kiosk reprints draw the same badge again


def symbols(payloads):
    """symbol() for each payload, in order; a long run from a single-threaded process
    (the CLI) forks one worker per core. A threaded server computes in-line, since
    forking a process with other threads running is unsafe."""
    payloads = list(payloads)
    workers = os.cpu_count() or 1
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if len(payloads) < PARALLEL_FROM or workers < 2 or not can_fork:
        yield from map(symbol, payloads)
        return
    context = multiprocessing.get_context("fork")
    # Objects made so far are left out of garbage collection, in the workers too: a
    # collection there would write to every record's header and so copy the pages the
    # workers share with this process (about 15 MB of PSS at 50,000 badges).
    gc.freeze()
    try:
        yield from _in_workers(payloads, workers, context)
    finally:
        gc.unfreeze()


def _in_workers(payloads, workers, context):
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # A window at a time, the next one already submitted: results never pile up
        # in memory ahead of the pages (Executor.map submits all it is given at once).
        windows = (payloads[i:i + WINDOW] for i in range(0, len(payloads), WINDOW))
        pending = pool.map(build, next(windows), chunksize=CHUNK)
        for window in windows:
            upcoming = pool.map(build, window, chunksize=CHUNK)
            yield from pending
            pending = upcoming
        yield from pending


_DARK_RUN = re.compile(rb"\x01+")


def row_runs(rows):
    """(x, y, length) of each horizontal run of dark modules; y counts down from the top."""
    for y, row in enumerate(rows):
        for run in _DARK_RUN.finditer(row):
            yield run.start(), y, run.end() - run.start()


def path_operators(rows):
    """The symbol as PDF operators in module units: one `re` per run, one fill for all."""
    rects = " ".join(f"{x} {y} {length} 1 re" for x, y, length in row_runs(rows))
    return f"{rects} f"


def draw(canvas, symbol, x, y, size):
    """Draw the symbol with its bottom-left corner at (x, y), `size` points wide
    (quiet zone outside that square, so leave QUIET_ZONE modules clear around it).

    Written as raw path operators under a module-unit transform: the same one path
    of row runs ReportLab's path API would write, without its per-number overhead."""
    module = size / symbol.modules
    canvas.saveState()
    canvas.transform(module, 0, 0, -module, x, y + size)  # module units, y down
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(symbol.path)
    canvas.restoreState()


def quiet_zone(symbol, size):
    """The clear margin, in points, that a symbol drawn `size` wide needs around it."""
    return size / symbol.modules * QUIET_ZONE
