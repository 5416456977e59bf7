"""Uploaded images (a kiosk's camera frame, an attendee's photo), opened safely.

A small file can declare an enormous picture (a 173 KB PNG of 7,700 x 7,700 pixels
decodes into gigabytes), so the size a file declares is checked before any pixel is
decoded, and only a few decodes run at once: the rest wait briefly, then are told the
server is busy, and check-ins keep their threads.
"""

import io
import threading
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

from .errors import Invalid, KioskError

# A 24-megapixel phone photo; a camera frame for QR decoding is far smaller.
MAX_PIXELS = 24_000_000
MAX_FRAME_PIXELS = 4_000_000
DECODES_AT_ONCE = 2
WAIT_SECONDS = 5
_DECODING = threading.BoundedSemaphore(DECODES_AT_ONCE)


class Busy(KioskError):
    status = 503
    result = "busy"


ACCEPTED_FORMATS = ("JPEG", "PNG")


def open_image(data, *, max_pixels=MAX_PIXELS, refusal="the file is not a JPEG or PNG image"):
    """The image in `data`, its header read but no pixel decoded yet; Invalid when it is
    not an image or declares more than `max_pixels`."""
    try:
        # Only the two formats asked for: Pillow would otherwise hand EPS/PS to Ghostscript
        # (a separate process, without a time limit) and read a dozen other formats.
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Invalid(refusal)
    if image.width * image.height > max_pixels:
        raise Invalid(f"the image is {image.width} x {image.height} pixels; "
                      f"send one of at most {max_pixels // 1_000_000} megapixels")
    return image


@contextmanager
def decoding():
    """Hold one of the few decoding slots for the duration of the block."""
    if not _DECODING.acquire(timeout=WAIT_SECONDS):
        raise Busy("the server is busy reading other images; try again in a moment")
    try:
        yield
    finally:
        _DECODING.release()
