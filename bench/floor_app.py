"""The floor the product is measured against (bench/request_overhead.py): a bare Flask app
on the same waitress settings and logging as run.py, with nothing but what any Flask
service pays.

    GET  /healthz  {"status": "ok"}
    POST /write    one statement: INSERT ... ON CONFLICT DO NOTHING of the body's nonce, and
                   COMMIT, on a per-thread SQLite connection (WAL, synchronous NORMAL) under a
                   process lock: the least a durable, deduplicated write can cost here.

python bench/floor_app.py DATABASE PORT
"""

import sqlite3
import sys
import threading

from flask import Flask, jsonify, request

from common import ROOT

sys.path.insert(0, str(ROOT))
from run import configure_logging, parse_args, server_settings  # noqa: E402  (the product's own settings)

WRITER = threading.Lock()
LOCAL = threading.local()


def create_floor_app(database):
    app = Flask(__name__)

    def connection():
        if not hasattr(LOCAL, "db"):
            LOCAL.db = sqlite3.connect(database, isolation_level=None)
            LOCAL.db.execute("PRAGMA synchronous = NORMAL")
        return LOCAL.db

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/write")
    def write():
        nonce = (request.get_json(silent=True) or {}).get("nonce", "")
        with WRITER:
            db = connection()
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO writes (nonce) VALUES (?) ON CONFLICT DO NOTHING", [nonce])
            db.execute("COMMIT")
        return jsonify(result="ok"), 201

    setup = sqlite3.connect(database)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS writes (nonce TEXT PRIMARY KEY)")
    setup.close()
    return app


if __name__ == "__main__":
    from waitress import serve

    database, port = sys.argv[1], int(sys.argv[2])
    configure_logging()  # as run.py: else waitress's queue warnings cost the floor ~7% of its time
    serve(create_floor_app(database), host="127.0.0.1", port=port, ident="floor",
          **server_settings(parse_args([])))
