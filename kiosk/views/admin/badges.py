"""The badge page: choose stock, who and order; preview the first page; download the PDF."""

import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from badges import DEFAULT_LAYOUT, LAYOUTS

from ...badge_printing import SORTS, badge_counts, preview_png, print_badges
from ...db import get_db
from ...errors import KioskError
from ...events import get_event
from . import _int, bp


@bp.get("/events/<slug>/badges")
def badges(slug):
    """Choose stock, who and order; see the first page; download the PDF."""
    event = get_event(get_db(), slug)
    return render_template(
        "admin/badges.html", event=event, layouts=LAYOUTS.values(), sorts=SORTS,
        choice=_badge_choice(), counts=badge_counts(get_db(), event),
    )


@bp.get("/events/<slug>/badges/preview.png")
def badges_preview(slug):
    choice = _badge_choice()
    png = preview_png(
        get_db(), slug, base_url=current_app.config["BASE_URL"], layout=choice["layout"],
        only_unprinted=choice["only_unprinted"], sort=choice["sort"],
        start_at=choice["start_at"], font_dir=current_app.config["FONT_DIR"],
    )
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/events/<slug>/badges")
def badges_download(slug):
    """The PDF; the badges in it are recorded as printed."""
    choice = _badge_choice()
    pdf = io.BytesIO()
    try:
        print_badges(
            get_db(), slug, pdf, base_url=current_app.config["BASE_URL"],
            layout=choice["layout"], only_unprinted=choice["only_unprinted"],
            sort=choice["sort"], start_at=choice["start_at"],
            font_dir=current_app.config["FONT_DIR"],
        )
    except KioskError as exc:
        flash(str(exc), "error")
        # Back to the page with the same choices; never the CSRF token in the address.
        kept = {name: request.form[name] for name in CHOICES if request.form.get(name)}
        return redirect(url_for("admin.badges", slug=slug, **kept))
    filename = f"badges-{slug}-{choice['layout']}.pdf"
    return Response(pdf.getvalue(), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


CHOICES = ("layout", "sort", "only_unprinted", "start_at")


def _badge_choice():
    values = request.values
    return {
        "layout": values.get("layout", DEFAULT_LAYOUT),
        "sort": values.get("sort", "last_name"),
        "only_unprinted": values.get("only_unprinted") in ("1", "on", "true"),
        "start_at": _int(values.get("start_at"), 1),
    }
