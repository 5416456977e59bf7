"""Badge stock as data: a new stock is one entry in LAYOUTS.

All sizes are in PostScript points (1/72 in); `mm` and `inch` convert. A sheet
lists its grid from the top-left corner of the page, the way label makers give
it on the box: the first label's offset and the pitch (distance from one
label's corner to the next).

Every stock names its printable area: the margins inside each badge that ink
must keep clear of (a printer's unprintable edge, a label's rounded corners, a
perforation), and where those numbers come from.
"""

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, A6, LETTER
from reportlab.lib.units import inch, mm

# The QR's quiet zone (4 modules) stays this far inside the trim or perforation, so a
# badge cut or fed a little off still has its whole quiet zone.
TRIM_CLEARANCE = 1.5 * mm


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    page: tuple  # (width, height)
    badge: tuple  # (width, height)
    qr_size: float  # the QR symbol's width, quiet zone excluded; >= 27 mm everywhere
    printable: tuple  # (left, bottom, right, top) margins inside each badge where no ink goes
    source: str  # where the stock's size and printable area come from
    name_min: float  # a first name breaks with a hyphen rather than shrink below this size
    detail_size: float  # pronouns, role, organisation
    columns: int = 1
    rows: int = 1
    first: tuple = (0, 0)  # first badge's top-left corner, from the page's top-left
    pitch: tuple = (0, 0)  # (across, down) between badges' corners
    cut_marks: bool = False
    corner_radius: float = 0  # rounded label corners (ink stays clear of them)
    compact: bool = False  # a small label: first name across the top, the rest beside the QR

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

    @property
    def cups_page_size(self):
        """The page size for `lp -o PageSize=...`: without it CUPS prints onto the
        queue's default paper (A4 or Letter), not the stock."""
        width, height = self.page
        for unit, per in (("mm", mm), ("in", inch)):
            if all(abs(v / per - round(v / per)) < 0.01 for v in (width, height)):
                return f"Custom.{round(width / per)}x{round(height / per)}{unit}"
        return f"Custom.{width:g}x{height:g}"

    def printable_box(self, x, y):
        """(left, bottom, right, top) of the printable area of the badge whose corner is (x, y)."""
        left, bottom, right, top = self.printable
        return x + left, y + bottom, x + self.badge[0] - right, y + self.badge[1] - top


def _margins_of(imageable_area, page):
    """A driver's ImageableArea (llx, lly, urx, ury) as margins (left, bottom, right, top)."""
    llx, lly, urx, ury = imageable_area
    return llx, lly, page[0] - urx, page[1] - ury


DYMO_30856 = (176, 292)
BROTHER_DK11202 = (62 * mm, 100 * mm)
# Brother's QL raster reference: DK-11202 is 732 x 1179 dots at 300 dpi, of which the
# centred 696 x 1109 print.
BROTHER_PRINTABLE = (696 / 300 * inch, 1109 / 300 * inch)
BROTHER_MARGINS = ((BROTHER_DK11202[0] - BROTHER_PRINTABLE[0]) / 2,
                   (BROTHER_DK11202[1] - BROTHER_PRINTABLE[1]) / 2) * 2
SHEET_SAFETY = (TRIM_CLEARANCE,) * 4  # ink this far inside an Avery card's perforation

LAYOUTS = {
    layout.name: layout
    for layout in [
        Layout(
            "4x3in", "4 x 3 in badge insert (Avery 5392 and most plastic holders), one per page",
            page=(4 * inch, 3 * inch), badge=(4 * inch, 3 * inch), qr_size=30 * mm,
            printable=SHEET_SAFETY, name_min=26, detail_size=12,
            source="Avery 5392 card, 4 x 3 in; ink 1.5 mm inside its edges",
        ),
        Layout(
            "a6", "A6 portrait card (105 x 148 mm), one per page",
            page=A6, badge=A6, qr_size=40 * mm, printable=(4 * mm,) * 4, name_min=32, detail_size=14,
            source="A6 card; 4 mm all round, the unprintable edge of most desktop printers",
        ),
        Layout(
            "brother-62x100", "Brother DK-11202 (DK-1202) die-cut label, 62 x 100 mm",
            page=BROTHER_DK11202, badge=BROTHER_DK11202, qr_size=30 * mm,
            printable=BROTHER_MARGINS, name_min=22, detail_size=11,
            source="Brother QL raster command reference, DK-11202: 732 x 1179 dots at 300 dpi, "
                   "696 x 1109 printable, centred",
        ),
        Layout(
            "dymo-30856", "DYMO 30856 badge card, 62 x 103 mm (176 x 292 pt)",
            page=DYMO_30856, badge=DYMO_30856, qr_size=30 * mm,
            printable=_margins_of((0, 4.32, 161.28, 264.72), DYMO_30856), name_min=22, detail_size=11,
            source="DYMO CUPS driver (lw450 PPD), PageSize w176h292: ImageableArea 0 4.32 161.28 264.72",
        ),
        Layout(
            "avery-5392-letter", "Avery 5392 / 74459: 4 x 3 in, 6 per US Letter sheet",
            page=LETTER, badge=(4 * inch, 3 * inch), qr_size=30 * mm,
            printable=SHEET_SAFETY, name_min=26, detail_size=12,
            columns=2, rows=3, first=(0.25 * inch, 1 * inch), pitch=(4 * inch, 3 * inch),
            source="Avery template 5392: 4 x 3 in cards, 2 x 3 on Letter, 1 in top and 0.25 in "
                   "side margins, no gaps; ink 1.5 mm inside the perforations",
        ),
        Layout(
            "avery-l4785-a4", "Avery L4785: 80 x 50 mm, 10 per A4 sheet",
            page=A4, badge=(80 * mm, 50 * mm), qr_size=27 * mm,
            printable=SHEET_SAFETY, name_min=22, detail_size=9.5, compact=True,
            columns=2, rows=5, first=(18 * mm, 13 * mm), pitch=(95 * mm, 55 * mm),
            corner_radius=4 * mm,
            source="Avery template L4785 (as in gLabels' Avery A4 templates): 80 x 50 mm labels, "
                   "4 mm corner radius, 2 x 5 from 18 mm left and 13 mm top, pitch 95 x 55 mm; "
                   "ink 1.5 mm inside the edge, which also clears the rounded corners",
        ),
        Layout(
            "a6-on-a4", "A6 cards, 4 per A4 sheet with cut marks",
            page=A4, badge=(A4[0] / 2, A4[1] / 2), qr_size=40 * mm,
            printable=(5 * mm,) * 4, name_min=32, detail_size=14,
            columns=2, rows=2, first=(0, 0), pitch=(A4[0] / 2, A4[1] / 2), cut_marks=True,
            source="A4 sheet cut in four; 5 mm inside each cut and the paper's edge "
                   "(most desktop printers leave about 4 mm unprinted)",
        ),
    ]
}
DEFAULT_LAYOUT = "4x3in"


def get_layout(name):
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown badge layout {name!r}; choose one of {', '.join(LAYOUTS)}")
