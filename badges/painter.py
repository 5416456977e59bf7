"""Drawing one badge: where each part goes on the stock, and drawing it.

Every badge has the event name, the first name as large as fits, the last name,
pronouns, role and organisation, and the QR code (with a photo beside it when
there is one). All ink stays inside the layout's printable area; the QR's quiet
zone stays clear of ink and TRIM_CLEARANCE inside the trim.

Three arrangements follow from the stock's shape, so a new stock needs no code:
- portrait (A6, label printers): event band, names, details, QR centred below;
- landscape (4 x 3 in): event band, names across, details beside the QR;
- compact (small labels, `Layout.compact`): first name across the top, last name,
  details and event name beside the QR, no band.
"""

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from . import qr
from .fonts import apparent_scale, visual
from .layouts import TRIM_CLEARANCE
from .photo import prepared
from .textfit import LINE_GAP, fit_lines, fit_name, fit_one_line

INK = (0.11, 0.14, 0.2)
MUTED = (0.3, 0.33, 0.4)
WHITE = (1, 1, 1)
ASCENT = 0.93  # baseline below a line's top, in em: DejaVu's accented capitals reach 0.93
NAME_FLOOR = 0.6  # a name wraps before it shrinks below 60 % of the size its box allows
LAST_NAME_SHARE = 0.62  # the last name's size against the first name's
GAP = 2 * mm  # between blocks of text
MIN_PHOTO = 15 * mm
MIN_COLUMN = 20 * mm  # the details' column beside a photo


@dataclass(frozen=True)
class Box:
    x: float
    y: float  # bottom
    w: float
    h: float

    @property
    def top(self):
        return self.y + self.h

    @property
    def right(self):
        return self.x + self.w


class Painter:
    def __init__(self, canvas, layout, fonts, event_name, report):
        self.canvas, self.layout, self.fonts = canvas, layout, fonts
        self.event_name, self.report = event_name, report
        self.label = ""

    def draw(self, badge, symbol, x, y):
        layout = self.layout
        self.label = f"{badge['first_name']} {badge['last_name']} ({badge['code']})".strip()
        left, bottom, right, top = layout.printable_box(x, y)
        area = Box(left, bottom, right - left, top - bottom)
        trim = Box(x, y, *layout.badge)
        photo = self.photo(badge, symbol, area)
        square = self.qr_box(symbol, area, trim, beside=layout.compact or trim.w > trim.h or bool(photo))
        clear = qr.quiet_zone(symbol, square.w)
        qr.draw(self.canvas, symbol, square.x, square.y, square.w)
        above_qr = square.top + clear
        column = Box(area.x, area.y, square.x - clear - GAP - area.x, above_qr - area.y)
        if photo:
            image, size = photo
            self.canvas.drawImage(image, area.x, square.y, size, size)
            column = Box(area.x + size + GAP, area.y, column.w - size - GAP, column.h)
        details = [badge.get(k) or "" for k in ("pronouns", "role", "organisation")]
        if layout.compact:
            self.compact(badge, details, area, column, above_qr)
            return
        band_top = self.band(area)
        if trim.w > trim.h or photo:  # details beside the QR, names across above
            self.details(details, column, layout.detail_size)
            names = Box(area.x, above_qr, area.w, band_top - GAP * 0.75 - above_qr)
        else:  # details above the QR, names above them
            height = layout.detail_size * LINE_GAP * (sum(1 for d in details if d) + 1)
            block = Box(area.x, above_qr, area.w, height)
            self.details(details, block, layout.detail_size, align="centre")
            names = Box(area.x, block.top, area.w, band_top - GAP * 0.75 - block.top)
        self.names(badge["first_name"], badge["last_name"], names)

    def photo(self, badge, symbol, area):
        """(image, size): the headshot, as large as the QR when room allows, left of it
        with a column for the details between; None without one, when unreadable, or
        when the stock is too narrow for it (62 mm labels)."""
        data = badge.get("photo")
        data = data() if callable(data) else data
        qr_width = self.layout.qr_size + 2 * qr.quiet_zone(symbol, self.layout.qr_size)
        size = min(self.layout.qr_size, area.w - qr_width - 2 * GAP - MIN_COLUMN)
        image = prepared(data, size, size) if data and size >= MIN_PHOTO else None
        return (image, size) if image else None

    def qr_box(self, symbol, area, trim, beside):
        """The symbol's square: bottom right (beside) or bottom centre, inside the
        printable area, its quiet zone TRIM_CLEARANCE inside the trim."""
        size = self.layout.qr_size
        keep = qr.quiet_zone(symbol, size) + TRIM_CLEARANCE
        lowest_x, highest_x = max(area.x, trim.x + keep), min(area.right, trim.right - keep) - size
        x = highest_x if beside else min(max(area.x + (area.w - size) / 2, lowest_x), highest_x)
        return Box(x, max(area.y, trim.y + keep), size, size)

    def band(self, area):
        """The event name in white on a dark band across the top; returns the band's bottom."""
        height = area.h * 0.09
        band = Box(area.x, area.top - height, area.w, height)
        self.canvas.setFillColorRGB(*INK)
        self.canvas.rect(band.x, band.y, band.w, band.h, stroke=0, fill=1)
        inner = Box(band.x + GAP, band.y, band.w - 2 * GAP, band.h)
        size = fit_one_line(self.event_name, self.measurer(True), inner.w, band.h * 0.55)
        self.lines([self.event_name], inner, inner.top - (inner.h - size * LINE_GAP) / 2, size, True, WHITE,
                   "centre")
        return band.y

    def names(self, first, last, box):
        """First name as large as fits, last name smaller, centred together in the box."""
        last_line = self.layout.detail_size * LINE_GAP if last else 0
        first_lines, first_size = fit_name(
            first, self.measurer(True), box.w, box.h * (0.62 if last else 1.0), box.h * 0.5,
            self.layout.name_min, NAME_FLOOR, room=box.h - last_line)
        used = len(first_lines) * first_size * LINE_GAP
        last_lines, last_size = ([], 0)
        if last:
            last_lines, last_size = fit_name(
                last, self.measurer(False), box.w, box.h - used, first_size * LAST_NAME_SHARE,
                self.layout.detail_size, NAME_FLOOR)
        total = used + len(last_lines) * last_size * LINE_GAP
        top = box.top - (box.h - total) / 2
        top = self.lines(first_lines, box, top, first_size, True, INK, "centre")
        self.lines(last_lines, box, top, last_size, False, INK, "centre")

    def compact(self, badge, details, area, column, above_qr):
        """Small label: the first name across the top (its further lines, if any, in the
        column); last name, details and the event name down the column beside the QR."""
        strip = Box(area.x, above_qr, area.w, area.top - above_qr)
        lines, size = fit_name(badge["first_name"], self.measurer(True), column.w, strip.h + column.h,
                               strip.h / LINE_GAP, self.layout.name_min, NAME_FLOOR, widths=[strip.w])
        self.lines(lines[:1], strip, strip.top, size, True, INK, "left")
        top = self.lines(lines[1:], column, strip.y, size, True, INK, "left") - GAP / 2
        detail = self.layout.detail_size
        if badge["last_name"]:
            last, last_size = fit_name(badge["last_name"], self.measurer(False), column.w, top - column.y,
                                       detail * 1.8, detail, NAME_FLOOR)
            top = self.lines(last, column, top, last_size, False, INK, "left")
        event_height = detail * 0.85 * LINE_GAP
        self.details(details, Box(column.x, column.y + event_height, column.w, top - column.y - event_height),
                     detail)
        event_size = fit_one_line(self.event_name, self.measurer(True), column.w, detail * 0.85)
        self.lines([self.event_name], column, column.y + event_height, event_size, True, MUTED, "left")

    def details(self, texts, box, size, align="left"):
        """Pronouns, role and organisation, top down, at one size: a long organisation
        wraps rather than shrink below the role line; what no longer fits is left out."""
        lines, size = fit_lines([t for t in texts if t], self.measurer(False), box.w, box.h, size)
        self.lines(lines, box, box.top, size, False, MUTED, align)

    def measurer(self, bold):
        def measure(line, size):
            font, drawn = self.font_for(line, bold)
            scale, _ = apparent_scale(font, drawn)
            return stringWidth(drawn, font, size * scale)
        return measure

    def font_for(self, line, bold):
        font, drawn, missing = self.fonts.pick(visual(line), bold)
        if missing:
            warning = f"{self.label}: no installed font has {missing!r}; it is left out"
            if warning not in self.report.warnings:
                self.report.warnings.append(warning)
        return font, drawn

    def lines(self, lines, box, top, size, bold, color, align):
        """Draw lines downwards from `top`; returns the top of the next line. Arabic is
        drawn larger (its apparent size matching Latin text at `size`), within the line."""
        self.canvas.setFillColorRGB(*color)
        for line in lines:
            font, drawn = self.font_for(line, bold)
            scale, extent = apparent_scale(font, drawn)
            depth = ASCENT  # baseline below the line's top, in units of size
            if extent:  # as large as looks right, but its ink within the line's height
                low, high = extent
                scale = min(scale, LINE_GAP / (high - low))
                depth = min(max(ASCENT, high * scale), LINE_GAP + low * scale)
            baseline = top - size * depth
            self.canvas.setFont(font, size * scale)
            if align == "centre":
                self.canvas.drawCentredString(box.x + box.w / 2, baseline, drawn)
            else:
                self.canvas.drawString(box.x, baseline, drawn)
            top -= size * LINE_GAP
        return top


def cut_marks(canvas, layout):
    """Short hairlines near the page edges on every line the cards are cut along."""
    page_width, page_height = layout.page
    xs = sorted({round(x, 2) for x, _ in layout.positions()} - {0})
    ys = sorted({round(y, 2) for _, y in layout.positions()} - {0})
    canvas.setStrokeColorRGB(*MUTED)
    canvas.setLineWidth(0.3)
    for x in xs:
        canvas.line(x, 5 * mm, x, 12 * mm)
        canvas.line(x, page_height - 5 * mm, x, page_height - 12 * mm)
    for y in ys:
        canvas.line(5 * mm, y, 12 * mm, y)
        canvas.line(page_width - 5 * mm, y, page_width - 12 * mm, y)
