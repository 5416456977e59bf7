"""Serve the kiosk service with waitress: python run.py [--host H] [--port P] [--demo]."""

import argparse
import ipaddress
import logging
import os
import sys

from waitress import serve

from kiosk import create_app
from kiosk.cli import demo_banner
from kiosk.db import DatabaseTooNew, connect
from kiosk.demo import setup_demo

log = logging.getLogger("kiosk")

# Waitress's own connection limit (100) is used up by ~110 idle phones, and it keeps an
# idle connection for 2 minutes. Each setting is also a KIOSK_ environment variable.
SERVER_DEFAULTS = {
    "threads": (8, "requests handled at once (SQLite writes queue anyway)"),
    "connection_limit": (1000, "open connections, idle ones included, before new ones wait"),
    "channel_timeout": (30, "seconds before an idle connection is closed"),
}
# The headers a reverse proxy (deploy/Caddyfile) sets; believed only from KIOSK_TRUSTED_PROXIES.
PROXY_HEADERS = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}


def configure_logging():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Under a burst of kiosk scans waitress warns per queued request; that is load, not a fault.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def main(argv=None):
    args = parse_args(argv)
    configure_logging()

    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}"
    # Without KIOSK_BASE_URL, badges and links point at where this process listens.
    try:
        app = create_app(None if os.environ.get("KIOSK_BASE_URL") else {"BASE_URL": url})
    except DatabaseTooNew as exc:
        sys.exit(f"error: {exc.message}")
    app.config["LISTEN_HOST"] = args.host  # the event page warns when phones cannot reach links
    if args.demo:
        db = connect(app.config["DATABASE"])
        try:
            print(demo_banner(setup_demo(db), app.config["BASE_URL"]), flush=True)  # the links it issues
        finally:
            db.close()
    log.info("serving on %s (database %s)", url, app.config["DATABASE"])
    allow_open_files(args.connection_limit)
    serve(app, host=args.host, port=args.port, ident="kiosk", **server_settings(args))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 for kiosks on the network")
    parser.add_argument("--port", type=int, default=8000)
    for name, (default, meaning) in SERVER_DEFAULTS.items():
        variable = f"KIOSK_{name.upper()}"
        # A string default goes through `type` too, so a bad variable is an argparse error.
        parser.add_argument(f"--{name.replace('_', '-')}", type=positive_int, metavar="N",
                            default=os.environ.get(variable, str(default)),
                            help=f"{meaning} (default {default}, or ${variable})")
    parser.add_argument("--demo", action="store_true",
                        help="create or refresh the demo event and print its logins")
    args = parser.parse_args(argv)
    try:
        args.proxy = proxy_settings(os.environ.get("KIOSK_TRUSTED_PROXIES", ""))
    except ValueError as exc:
        parser.error(str(exc))
    return args


def positive_int(text):
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def proxy_settings(address):
    """Waitress's trusted-proxy settings: the proxy's X-Forwarded-* headers name the real
    client (for rate limits), the scheme (Secure cookies, CSRF's HTTPS checks) and the
    host. From any other address those headers are removed, never believed."""
    address = address.strip()
    if not address:
        return {}
    if address != "*":
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ValueError(f"KIOSK_TRUSTED_PROXIES must be the reverse proxy's IP address, "
                             f"such as 127.0.0.1 (or *), not {address!r}") from None
    return {"trusted_proxy": address, "trusted_proxy_count": 1,
            "trusted_proxy_headers": PROXY_HEADERS, "clear_untrusted_proxy_headers": True}


def allow_open_files(connections):
    """Each connection holds a file descriptor, and a shell's usual limit (1024) is about
    what the default connection limit needs: raise it where the hard limit allows."""
    try:
        import resource
    except ImportError:  # Windows has no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 200  # the database, logs and listening sockets besides
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY
                                                    else min(wanted, hard), hard))


def server_settings(args):
    """Everything waitress is told besides where to listen."""
    return {
        "threads": args.threads,
        "connection_limit": args.connection_limit,
        "channel_timeout": args.channel_timeout,
        "cleanup_interval": min(5, args.channel_timeout),  # how often idle connections are looked for
        # select() cannot watch file descriptors past 1023; poll() can.
        "asyncore_use_poll": True,
        **args.proxy,
    }


if __name__ == "__main__":
    main()
