"""The kiosk page at the door: one page, driven by the ES modules in static/js/door/ through the JSON API.

The page itself holds nothing secret: the kiosk token arrives in the URL fragment
(never sent to the server or logged), is kept in the browser's localStorage, and
goes with every API call as a bearer token.
"""

from flask import Blueprint, render_template

bp = Blueprint("door", __name__)


@bp.get("/door")
def kiosk():
    return render_template("door/kiosk.html")
