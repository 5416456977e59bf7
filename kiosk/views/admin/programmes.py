"""Organiser pages: programmes (a series of events sharing people) and creating one."""

from flask import flash, redirect, render_template, request, url_for

from ...db import get_db
from ...errors import KioskError
from ...programmes import create_programme, list_programmes, programme_events
from ..auth import require_organiser
from . import bp


@bp.route("/programmes", methods=["GET", "POST"])
def programmes():
    db = get_db()
    if request.method == "POST":
        refused = require_organiser()
        if refused:
            return refused
        try:
            programme = create_programme(db, request.form.get("slug", "").strip(), request.form.get("name", ""))
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Programme {programme['name']} created. Add events to it from their Edit page.", "success")
            return redirect(url_for("admin.programmes"))
    found = list_programmes(db)
    events = {programme["id"]: programme_events(db, programme["id"]) for programme in found}
    return render_template("admin/programmes.html", programmes=found, events=events, form=request.form)
