"""Headshots: cropped to their box and downscaled to print resolution before embedding,
so a 12-megapixel phone photo does not put megabytes into every badge."""

import io

from PIL import Image, ImageOps
from reportlab.lib.utils import ImageReader

PRINT_DPI = 300


def prepared(data, width_pt, height_pt):
    """An ImageReader of `data` (any Pillow format) cropped to the box's aspect ratio
    and scaled to about 300 dpi at that size; None when the bytes are not an image."""
    try:
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    wanted = (width_pt / 72 * PRINT_DPI, height_pt / 72 * PRINT_DPI)
    scale = min(1.0, image.width / wanted[0], image.height / wanted[1])  # never upscale
    target = (max(1, round(wanted[0] * scale)), max(1, round(wanted[1] * scale)))
    # fit() crops centred on the upper third: faces sit there in headshots.
    image = ImageOps.fit(image, target, method=Image.Resampling.LANCZOS, centering=(0.5, 0.35))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    out.seek(0)
    return ImageReader(out)
