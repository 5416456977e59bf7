"""Rate limits (Flask-Limiter, in this process's memory): they slow down guessing of
badge codes and passwords and keep one phone or address from flooding the service.
Behind a reverse proxy, set KIOSK_TRUSTED_PROXIES so the real client address counts."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])
