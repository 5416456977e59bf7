"""JSON endpoints for kiosks and monitoring. Authenticated by bearer token, so exempt from CSRF."""

from flask import Blueprint, jsonify

bp = Blueprint("api", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")
