"""Badge stock as data: a new stock is one entry in LAYOUTS.

All sizes are in PostScript points (1/72 in); `mm` and `inch` convert. A sheet
lists its grid from the top-left corner of the page, the way label makers give
it on the box: the first label's offset and the pitch (distance from one
label's corner to the next).
"""

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, A6, LETTER
from reportlab.lib.units import inch, mm


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    page: tuple  # (width, height)
    badge: tuple  # (width, height)
    qr_size: float  # the QR symbol's width, quiet zone excluded; >= 25 mm everywhere
    columns: int = 1
    rows: int = 1
    first: tuple = (0, 0)  # first badge's top-left corner, from the page's top-left
    pitch: tuple = (0, 0)  # (across, down) between badges' corners
    cut_marks: bool = False
    inset: float = 0  # kept clear inside each badge where the printer cannot print

    @property
    def per_page(self):
        return self.columns * self.rows

    @property
    def is_sheet(self):
        return self.per_page > 1

    def positions(self):
        """Bottom-left corners of the badges on a page, in reading order (PDF coordinates)."""
        page_height = self.page[1]
        for row in range(self.rows):
            for column in range(self.columns):
                x = self.first[0] + column * self.pitch[0]
                top = self.first[1] + row * self.pitch[1]
                yield x, page_height - top - self.badge[1]


LAYOUTS = {
    layout.name: layout
    for layout in [
        Layout(
            "4x3in", "4 x 3 in badge insert (Avery 5392 and most plastic holders), one per page",
            page=(4 * inch, 3 * inch), badge=(4 * inch, 3 * inch), qr_size=30 * mm,
        ),
        Layout(
            "a6", "A6 portrait card (105 x 148 mm), one per page",
            page=A6, badge=A6, qr_size=40 * mm, inset=4 * mm,
        ),
        Layout(
            "brother-62x100", "Brother DK-1202 shipping label, 62 x 100 mm",
            page=(62 * mm, 100 * mm), badge=(62 * mm, 100 * mm), qr_size=30 * mm, inset=3 * mm,
        ),
        Layout(
            "dymo-30856", "DYMO 30856 badge card, 62 x 103 mm (176 x 292 pt)",
            page=(176, 292), badge=(176, 292), qr_size=30 * mm, inset=3 * mm,
        ),
        Layout(
            "avery-5392-letter", "Avery 5392 / 74459: 4 x 3 in, 6 per US Letter sheet",
            page=LETTER, badge=(4 * inch, 3 * inch), qr_size=30 * mm,
            columns=2, rows=3, first=(0.25 * inch, 1 * inch), pitch=(4 * inch, 3 * inch),
        ),
        Layout(
            "avery-l4785-a4", "Avery L4785: 80 x 50 mm, 10 per A4 sheet",
            page=A4, badge=(80 * mm, 50 * mm), qr_size=25 * mm,
            columns=2, rows=5, first=(18 * mm, 13 * mm), pitch=(95 * mm, 55 * mm),
        ),
        Layout(
            "a6-on-a4", "A6 cards, 4 per A4 sheet with cut marks",
            page=A4, badge=(A4[0] / 2, A4[1] / 2), qr_size=40 * mm,
            columns=2, rows=2, first=(0, 0), pitch=(A4[0] / 2, A4[1] / 2), cut_marks=True,
            inset=5 * mm,
        ),
    ]
}
DEFAULT_LAYOUT = "4x3in"


def get_layout(name):
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown badge layout {name!r}; choose one of {', '.join(LAYOUTS)}")
