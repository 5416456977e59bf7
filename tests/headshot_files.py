"""Photos for the headshot tests: real JPEGs and PNGs made with Pillow, one with the GPS
position a phone writes, a noisy one that compresses badly, an image bomb, and zips."""

import io
import zipfile

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
WHERE = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 1.0)}


def jpeg(width=1200, height=900, colour="teal", *, gps=False, orientation=None, quality=90):
    image = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = WHERE
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def png(width=600, height=600, colour="orange"):
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def noisy_jpeg(side=3000):
    """Random pixels: the worst case for JPEG, several MB at full quality."""
    import os
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def bomb_png(side=7700):
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def zipped(files, encrypted=()):
    """A zip of {name: bytes}; names in `encrypted` are flagged as password-protected
    (bit 0 of the flags, in the local header and the central directory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    data = bytearray(out.getvalue())
    for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist():
        if info.filename in encrypted:
            data[info.header_offset + 6] |= 1
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_length].decode() in encrypted:
            data[at + 8] |= 1
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def opened(data):
    return Image.open(io.BytesIO(data))


def scan_data(data):
    """A JPEG's compressed pixels: everything from its start-of-scan marker on."""
    return data[data.index(b"\xff\xda"):]
