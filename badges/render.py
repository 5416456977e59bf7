"""Drawing badges onto PDF pages.

Every badge has the event name in a band at the top, the first name as large
as fits, the last name, then pronouns, role and organisation, and the QR code
(with a photo beside it when there is one). Landscape stock puts the details
beside the QR; portrait stock puts them above it. The geometry follows from
the layout's badge and QR sizes, so a new stock needs no drawing code.
"""

import os
import re
from dataclasses import dataclass, field

from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from . import qr
from .fonts import find_chain, visual
from .layouts import get_layout
from .photo import prepared

INK = (0.11, 0.14, 0.2)
MUTED = (0.3, 0.33, 0.4)
WHITE = (1, 1, 1)
LINE_GAP = 1.18  # line height as a multiple of the font size
ASCENT = 0.8  # baseline below a line's top, as a multiple of the font size
NAME_FLOOR = 0.6  # a name wraps before it shrinks below 60 % of the size its box allows
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


@dataclass(frozen=True)
class Box:
    x: float
    y: float  # bottom
    w: float
    h: float


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
            painter.finish_page()
            slot = 0
        painter.draw(badge, rows, *positions[slot])
        slot += 1
        report.badges += 1
        if on_badge:
            on_badge(report.badges, len(badges))
    painter.finish_page()
    canvas.save()
    return report


class Painter:
    def __init__(self, canvas, layout, fonts, event_name, report):
        self.canvas, self.layout, self.fonts = canvas, layout, fonts
        self.event_name, self.report = event_name, report
        self.label = ""

    def finish_page(self):
        if self.layout.cut_marks:
            self.cut_marks()
        self.canvas.showPage()
        self.report.pages += 1

    def draw(self, badge, rows, x, y):
        inset = self.layout.inset
        x, y = x + inset, y + inset
        w, h = (size - 2 * inset for size in self.layout.badge)
        q = self.layout.qr_size
        clear = qr.quiet_zone(rows, q)
        margin = max(3 * mm, min(w, h) * 0.05)
        self.label = f"{badge['first_name']} {badge['last_name']} ({badge['code']})".strip()

        band = Box(x, y + h * 0.9, w, h * 0.1)
        self.fill(band, INK)
        self.text_block(self.event_name, Box(band.x + margin, band.y, band.w - 2 * margin, band.h),
                        max_size=band.h * 0.55, bold=True, color=WHITE, max_lines=1)

        photo_data = badge.get("photo")
        photo_data = photo_data() if callable(photo_data) else photo_data
        photo = prepared(photo_data, q, q) if photo_data else None
        landscape = w > h
        qr_x = x + w - clear - q if (landscape or photo) else x + (w - q) / 2
        qr.draw(self.canvas, rows, qr_x, y + clear, q)
        if photo:
            self.canvas.drawImage(photo, x + clear, y + clear, q, q)

        details = [badge.get(k) or "" for k in ("pronouns", "role", "organisation")]
        detail_size = min(w, h) * 0.058
        bottom = y + q + 2 * clear
        if landscape:
            left = x + (2 * clear + q if photo else margin)
            self.details(details, Box(left, y + clear, qr_x - clear - left, q), detail_size, "left")
            names = Box(x + margin, bottom, w - 2 * margin, band.y - bottom)
        else:
            height = detail_size * LINE_GAP * (sum(1 for d in details if d) + 1)
            self.details(details, Box(x + margin, bottom, w - 2 * margin, height), detail_size, "centre")
            names = Box(x + margin, bottom + height, w - 2 * margin, band.y - bottom - height)
        self.names(badge["first_name"], badge["last_name"], names)

    def names(self, first, last, box):
        """First name as large as fits, last name smaller, centred together in the box."""
        first_share = 0.62 if last else 1.0
        first_lines, first_size = self.fit(
            first, box.w, box.h * first_share, box.h * 0.5, True, floor=NAME_FLOOR)
        used = len(first_lines) * first_size * LINE_GAP
        last_lines, last_size = ([], 0)
        if last:
            last_lines, last_size = self.fit(
                last, box.w, box.h - used, first_size * 0.62, False, floor=NAME_FLOOR)
        total = used + len(last_lines) * last_size * LINE_GAP
        top = box.y + box.h - (box.h - total) / 2
        top = self.lines(first_lines, box, top, first_size, True, INK, "centre")
        self.lines(last_lines, box, top, last_size, False, INK, "centre")

    def details(self, texts, box, size, align):
        """Pronouns, role and organisation, top down; what no longer fits legibly is left out."""
        top = box.y + box.h
        for text in filter(None, texts):
            lines, fitted = self.fit(text, box.w, top - box.y, size, False)
            if fitted < size * 0.5:
                break
            top = self.lines(lines, box, top, fitted, False, MUTED, align)

    def text_block(self, text, box, max_size, bold, color, max_lines=2):
        lines, size = self.fit(text, box.w, box.h, max_size, bold, max_lines)
        top = box.y + box.h - (box.h - len(lines) * size * LINE_GAP) / 2
        self.lines(lines, box, top, size, bold, color, "centre")

    def fit(self, text, width, height, max_size, bold, max_lines=2, floor=0.9):
        """(lines, size): one line as large as it fits; two lines before going below a
        readable floor (a share of the largest size); below it only to stay in the box."""
        floor = max_size * floor
        best = ([], 0)
        for count in range(1, max_lines + 1):
            lines = split_lines(text, count)
            if len(lines) < count:
                break
            size = min(max_size, height / (count * LINE_GAP))
            for line in lines:
                font, drawn = self.font_for(line, bold)
                line_width = stringWidth(drawn, font, size)
                if line_width > width:
                    size = size * width / line_width
            if size >= floor:
                return lines, size
            if size > best[1]:
                best = (lines, size)
        return best

    def font_for(self, line, bold):
        font, drawn, missing = self.fonts.pick(visual(line), bold)
        if missing:
            warning = f"{self.label}: no installed font has {missing!r}; it is left out"
            if warning not in self.report.warnings:
                self.report.warnings.append(warning)
        return font, drawn

    def lines(self, lines, box, top, size, bold, color, align):
        """Draw lines downwards from `top`; returns the top of the next line."""
        self.canvas.setFillColorRGB(*color)
        for line in lines:
            font, drawn = self.font_for(line, bold)
            self.canvas.setFont(font, size)
            baseline = top - size * ASCENT
            if align == "centre":
                self.canvas.drawCentredString(box.x + box.w / 2, baseline, drawn)
            else:
                self.canvas.drawString(box.x, baseline, drawn)
            top -= size * LINE_GAP
        return top

    def fill(self, box, color):
        self.canvas.setFillColorRGB(*color)
        self.canvas.rect(box.x, box.y, box.w, box.h, stroke=0, fill=1)

    def cut_marks(self):
        """Short hairlines at the page edges on every line the cards are cut along."""
        c, (pw, ph) = self.canvas, self.layout.page
        xs = sorted({round(x, 2) for x, _ in self.layout.positions()} - {0})
        ys = sorted({round(y, 2) for _, y in self.layout.positions()} - {0})
        c.setStrokeColorRGB(*MUTED)
        c.setLineWidth(0.3)
        for x in xs:
            c.line(x, 3 * mm, x, 10 * mm)
            c.line(x, ph - 3 * mm, x, ph - 10 * mm)
        for y in ys:
            c.line(3 * mm, y, 10 * mm, y)
            c.line(pw - 3 * mm, y, pw - 10 * mm, y)


def split_lines(text, count):
    """`text` in `count` lines, broken at spaces or after hyphens, as even as possible."""
    pieces = re.findall(r"[^\s-]+-*|-+", text)
    if count == 1 or len(pieces) < count:
        return [" ".join(text.split())] if count == 1 else []
    best = None
    for cut in range(1, len(pieces)):
        lines = [_join(pieces[:cut]), _join(pieces[cut:])]
        longest = max(len(line) for line in lines)
        if best is None or longest < best[0]:
            best = (longest, lines)
    return best[1]


def _join(pieces):
    """Pieces back into text: no space after a hyphen ("García-López")."""
    text = ""
    for piece in pieces:
        text += piece if not text or text.endswith("-") else " " + piece
    return text
