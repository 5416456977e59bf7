"""Serve the kiosk service with waitress: python run.py [--host H] [--port P] [--demo]."""

import argparse
import logging
import os

from waitress import serve

from kiosk import create_app
from kiosk.cli import demo_banner
from kiosk.db import connect
from kiosk.demo import setup_demo

log = logging.getLogger("kiosk")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 for kiosks on the network")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--demo", action="store_true",
                        help="create or refresh the demo event and print its logins")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Under a burst of kiosk scans waitress warns per queued request; that is load, not a fault.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}"
    # Without KIOSK_BASE_URL, badges and links point at where this process listens.
    app = create_app(None if os.environ.get("KIOSK_BASE_URL") else {"BASE_URL": url})
    app.config["LISTEN_HOST"] = args.host  # the event page warns when phones cannot reach links
    if args.demo:
        db = connect(app.config["DATABASE"])
        try:
            print(demo_banner(setup_demo(db), url), flush=True)
        finally:
            db.close()
    log.info("serving on %s (database %s)", url, app.config["DATABASE"])
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="kiosk")


if __name__ == "__main__":
    main()
