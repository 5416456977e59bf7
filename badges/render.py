"""Badge PDFs: records in, pages out (painter.py draws each badge)."""

import io
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from . import qr
from .fonts import find_chain
from .layouts import get_layout
from .painter import Painter, cut_marks
from .pdfjoin import PdfJoiner

CHUNK_PAGES = 500  # pages per ReportLab document in a long run: held in memory until joined
# Binary (deflated) streams, not ASCII85 on top: a fifth smaller and faster to write.
rl_config.useA85 = 0
SORT_KEYS = {
    "last_name": lambda b: (b["last_name"].casefold(), b["first_name"].casefold(), b["code"]),
    "organisation": lambda b: (
        b.get("organisation", "").casefold(), b["last_name"].casefold(),
        b["first_name"].casefold(), b["code"],
    ),
}


@dataclass
class Report:
    badges: int = 0
    pages: int = 0
    warnings: list = field(default_factory=list)


def sort_badges(badges, by=None):
    """Badges in print order: as given, or by last name, or by organisation then name."""
    return sorted(badges, key=SORT_KEYS[by]) if by else list(badges)


def render_badges(badges, out, *, event_name, base_url, layout="4x3in", font_dir=None,
                  start_at=1, on_badge=None):
    """Write a PDF with one badge per record to `out` (a path or a binary file).

    A record is a mapping with first_name, last_name, code and optionally role,
    organisation, pronouns and photo (image bytes, or a function returning them, so
    a long run need not hold every photo in memory). `start_at` skips the first
    positions of the first sheet (to finish a half-used sheet). `on_badge(done,
    total)` is called after each badge is drawn. Output is identical for identical input.

    Up to CHUNK_PAGES pages are one ReportLab document; a longer run is rendered in
    such chunks, each joined into `out` as soon as it is done (pdfjoin), so memory
    does not grow with the number of badges.
    """
    layout = get_layout(layout) if isinstance(layout, str) else layout
    badges = list(badges)
    if not badges:
        raise ValueError("no badges to print")
    if not 1 <= start_at <= layout.per_page:
        raise ValueError(f"--start-at must be between 1 and {layout.per_page} on {layout.name}")
    report = Report()
    run = Run(layout, find_chain(font_dir), event_name, report, start_at)
    payloads = (qr.badge_url(base_url, badge["code"]) for badge in badges)
    drawn = zip(badges, qr.symbols(payloads))
    first_chunk = CHUNK_PAGES * layout.per_page - (start_at - 1)
    if len(badges) <= first_chunk:
        with _binary(out) as stream:
            run.chunk(drawn, len(badges), stream, on_badge)
        return report
    with _binary(out) as stream:
        joiner = PdfJoiner(stream)
        size = first_chunk
        while report.badges < len(badges):
            chunk = io.BytesIO()
            run.chunk(islice(drawn, size), len(badges), chunk, on_badge)
            joiner.add(chunk.getvalue())
            size = CHUNK_PAGES * layout.per_page
        joiner.finish()
    return report


@contextmanager
def _binary(out):
    """`out` as a binary file: opened (and closed) when it is a path."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as stream:
            yield stream
    else:
        yield out


class Run:
    """One print run, drawn a chunk (one ReportLab document) at a time."""

    def __init__(self, layout, fonts, event_name, report, start_at):
        self.layout, self.fonts, self.event_name, self.report = layout, fonts, event_name, report
        self.slot = start_at - 1
        self.positions = list(layout.positions())

    def chunk(self, drawn, total, stream, on_badge):
        canvas = Canvas(stream, pagesize=self.layout.page, invariant=1, pageCompression=1)
        canvas.setTitle(f"Badges: {self.event_name}")
        canvas.setCreator("Event kiosk")
        painter = Painter(canvas, self.layout, self.fonts, self.event_name, self.report)
        for badge, symbol in drawn:
            if self.slot == self.layout.per_page:
                self.finish_page(canvas)
            painter.draw(badge, symbol, *self.positions[self.slot])
            self.slot += 1
            self.report.badges += 1
            if on_badge:
                on_badge(self.report.badges, total)
        self.finish_page(canvas)
        canvas.save()

    def finish_page(self, canvas):
        if self.layout.cut_marks:
            cut_marks(canvas, self.layout)
        canvas.showPage()
        self.report.pages += 1
        self.slot = 0
