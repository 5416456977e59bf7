"""Organiser pages during and after the event: live arrivals, who met whom, the leaderboard, the connections export."""


from flask import Response, render_template

from ... import connections as connections_domain
from ...charts import bar_chart, network_picture
from ...checkins import arrivals
from ...db import get_db
from ...events import get_event
from ...exports import csv_text
from ...programmes import programme_of
from ..auth import organiser_only
from . import bp


@bp.get("/events/<slug>/live")
def live(slug):
    """Arrivals as they happen; the page refreshes itself."""
    figures = arrivals(get_db(), slug)
    return render_template("admin/live.html", **figures, chart=bar_chart(figures["buckets"]))


@bp.get("/events/<slug>/connections")
@organiser_only
def insight(slug):
    """Who met whom: totals, per workshop, over time, the network, the leaderboard."""
    db = get_db()
    figures = connections_domain.insight(db, slug)
    return render_template(
        "admin/connections.html", **figures, chart=bar_chart(figures["buckets"]),
        picture=network_picture(figures["network"]), programme=programme_of(db, figures["event"]),
        leaders=connections_domain.leaderboard(db, slug),
    )


@bp.get("/events/<slug>/leaderboard")
def leaderboard(slug):
    """Full screen for the room's projector; refreshes itself. Across the whole series
    when the event is in a programme."""
    db = get_db()
    event = get_event(db, slug)
    return render_template("admin/leaderboard.html", event=event, programme=programme_of(db, event),
                           leaders=connections_domain.leaderboard(db, slug))


@bp.get("/events/<slug>/connections.csv")
@organiser_only
def export_connections(slug):
    rows = connections_domain.export_rows(get_db(), slug)
    return Response(csv_text(rows, connections_domain.EXPORT_COLUMNS), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="connections-{slug}.csv"'})
