"""Organiser page: how a programme's cohort mixes (organisations, across schools, growth)."""

from flask import render_template

from ...charts import heat
from ...db import get_db
from ...mixing import mixing as mixing_figures
from ..auth import organiser_only
from . import bp


@bp.get("/programmes/<slug>/mixing")
@organiser_only
def mixing(slug):
    return render_template("admin/mixing.html", **mixing_figures(get_db(), slug), heat=heat)
