"""Domain errors: raised by the plain-function modules, turned into a CLI message,
a flashed message or a JSON 4xx by whoever called them."""


class KioskError(Exception):
    """Something the user can fix; the message is written for them."""

    status = 400


class NotFound(KioskError):
    status = 404


class Invalid(KioskError):
    status = 400


class Conflict(KioskError):
    status = 409
