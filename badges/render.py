"""Badge PDFs: records in, pages out (painter.py draws each badge)."""

import os
from dataclasses import dataclass, field

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from . import qr
from .fonts import find_chain
from .layouts import get_layout
from .painter import Painter, cut_marks

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
    """
    layout = get_layout(layout) if isinstance(layout, str) else layout
    badges = list(badges)
    if not badges:
        raise ValueError("no badges to print")
    if not 1 <= start_at <= layout.per_page:
        raise ValueError(f"--start-at must be between 1 and {layout.per_page} on {layout.name}")
    canvas = Canvas(os.fspath(out) if isinstance(out, os.PathLike) else out,
                    pagesize=layout.page, invariant=1, pageCompression=1)
    canvas.setTitle(f"Badges: {event_name}")
    canvas.setCreator("Event kiosk")
    report = Report()
    painter = Painter(canvas, layout, find_chain(font_dir), event_name, report)
    positions = list(layout.positions())
    slot = start_at - 1
    payloads = (qr.badge_url(base_url, badge["code"]) for badge in badges)
    for badge, rows in zip(badges, qr.matrices(payloads)):
        if slot == layout.per_page:
            finish_page(canvas, layout, report)
            slot = 0
        painter.draw(badge, rows, *positions[slot])
        slot += 1
        report.badges += 1
        if on_badge:
            on_badge(report.badges, len(badges))
    finish_page(canvas, layout, report)
    canvas.save()
    return report


def finish_page(canvas, layout, report):
    if layout.cut_marks:
        cut_marks(canvas, layout)
    canvas.showPage()
    report.pages += 1
