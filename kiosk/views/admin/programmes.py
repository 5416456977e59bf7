"""Organiser pages: programmes (a series of events sharing people) and creating one."""

from flask import render_template, request, url_for

from ...db import get_db
from ...programmes import create_programme, list_programmes, programme_events
from . import bp, created_from_form


@bp.route("/programmes", methods=["GET", "POST"])
def programmes():
    db = get_db()
    if request.method == "POST":
        done = created_from_form(
            lambda: create_programme(db, request.form.get("slug", "").strip(), request.form.get("name", "")),
            lambda made: f"Programme {made['name']} created. Add events to it from their Edit page.",
            lambda made: url_for("admin.programmes"))
        if done:
            return done
    found = list_programmes(db)
    events = {programme["id"]: programme_events(db, programme["id"]) for programme in found}
    return render_template("admin/programmes.html", programmes=found, events=events, form=request.form)
