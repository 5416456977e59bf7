"""The badge page: choose stock, who and order; preview the first page; download the PDF.
Preview and download read the same form, so both use exactly the choices on screen."""

import io

from flask import Response, current_app, flash, render_template, request

from badges import DEFAULT_LAYOUT, LAYOUTS

from ...badge_printing import SORTS, badge_counts, check_choice, preview_png, print_badges
from ...db import get_db
from ...errors import KioskError
from ...events import get_event
from . import bp


@bp.route("/events/<slug>/badges", methods=["GET", "POST"])
def badges(slug):
    """The form; "Preview" shows the first page for its choices, "Download PDF" returns
    the PDF for them and records those badges as printed."""
    event = get_event(get_db(), slug)
    choice, valid = _badge_choice(), True
    try:
        check_choice(choice["layout"], choice["sort"], choice["start_at"])
        if request.method == "POST" and request.form.get("action") != "preview":
            return _download(slug, choice)
    except KioskError as exc:
        flash(str(exc), "error")
        valid = False
    counts = badge_counts(get_db(), event)
    nothing = choice["only_unprinted"] and counts["printable"] == counts["printed"]
    if valid and nothing:
        flash("Every badge has been printed already: untick “Only badges not printed yet” "
              "to print them again.", "error")
    return render_template(
        "admin/badges.html", event=event, layouts=LAYOUTS.values(), sorts=SORTS, choice=choice,
        counts=counts, preview=valid and counts["printable"] and not nothing,
    ), 200 if valid else 422


def _download(slug, choice):
    pdf = io.BytesIO()
    print_badges(get_db(), slug, pdf, base_url=current_app.config["BASE_URL"],
                 font_dir=current_app.config["FONT_DIR"], **choice)
    filename = f"badges-{slug}-{choice['layout']}.pdf"
    return Response(pdf.getvalue(), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/events/<slug>/badges/preview.png")
def badges_preview(slug):
    choice = _badge_choice()
    check_choice(choice["layout"], choice["sort"], choice["start_at"])
    png = preview_png(get_db(), slug, base_url=current_app.config["BASE_URL"],
                      font_dir=current_app.config["FONT_DIR"], **choice)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _badge_choice():
    values = request.values
    start_at = values.get("start_at", "1").strip()
    return {
        "layout": values.get("layout", DEFAULT_LAYOUT),
        "sort": values.get("sort", "last_name"),
        "only_unprinted": values.get("only_unprinted") in ("1", "on", "true"),
        # isdigit() alone lets "²" through to int(); check_choice words the refusal
        "start_at": int(start_at) if start_at.isascii() and start_at.isdigit() else start_at,
    }
