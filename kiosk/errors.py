"""Domain errors: raised by the plain-function modules, turned into a CLI message,
a page that says what went wrong, or a JSON 4xx by whoever called them."""


class KioskError(Exception):
    """Something the user can fix; the message is written for them."""

    status = 400
    result = "invalid"


class Invalid(KioskError):
    pass


class NotFound(KioskError):
    status = 404
    result = "not_found"


class Forbidden(KioskError):
    status = 403
    result = "forbidden"


class Conflict(KioskError):
    status = 409
    result = "conflict"


class Unauthorised(KioskError):
    status = 401
    result = "unauthorised"


class TryAgain(KioskError):
    """Nothing was done, and the same request sent again will be answered (a kiosk's
    offline queue resends anything answered 5xx)."""

    status = 503
    result = "unavailable"
