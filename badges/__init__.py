"""Badge PDFs: a rendering library with no Flask in it.

    from badges import render_badges
    render_badges(records, "badges.pdf", event_name="Networking for Medics",
                  base_url="https://checkin.example.org", layout="avery-l4785-a4")

Layouts (badge stock) are data in layouts.py; fonts are found on the system
(fonts.py); QR codes are vector paths (qr.py); render.py draws.
"""

from .layouts import DEFAULT_LAYOUT, LAYOUTS, Layout, get_layout
from .qr import badge_url
from .render import SORT_KEYS, Report, render_badges, sort_badges

__all__ = [
    "DEFAULT_LAYOUT", "LAYOUTS", "Layout", "Report", "SORT_KEYS", "badge_url", "get_layout",
    "render_badges", "sort_badges",
]
