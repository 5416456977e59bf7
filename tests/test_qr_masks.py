"""The badge QR's mask is the standard's choice (ISO/IEC 18004 §7.8.3): on random badge
payloads its penalty is the minimum of segno's own evaluate_mask over all eight masks,
the symbol is the one segno builds on its own, and every symbol decodes.

A seeded sample keeps the suite quick; `make bench` runs it on 10,000 payloads
(KIOSK_QR_PROOF_COUNT=10000)."""

import os
import random

import zxingcpp
from PIL import Image
from segno import encoder

from badges import badge_url, qr
from badges.qrmask import best_mask_symbol

COUNT = int(os.environ.get("KIOSK_QR_PROOF_COUNT", "400"))
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE_URLS = [  # short and long, so the sample spans QR versions 2 to 7 and more
    "http://127.0.0.1:8000", "https://checkin.example.org", "https://e.io",
    "https://registration.networking-for-medics.kings-college-london.example.ac.uk/kiosk",
    "https://badges.example.org/events/2026/spring-symposium-of-the-royal-society-of-medicine",
    "https://badges.example.org/events/2026/spring-symposium-of-the-royal-society-of-medicine"
    "/registration-desk/kiosk-number-one/check-in-and-badge-scanning",  # version 7: version info
]


def random_payloads(count, seed=18004):
    rng = random.Random(seed)
    for _ in range(count):
        code = "".join(rng.choice(CROCKFORD) for _ in range(13))
        yield badge_url(rng.choice(BASE_URLS), code)


def segno_penalties(payload, monkeypatch):
    """The penalty segno's own evaluate_mask gives each of the eight masks, recorded
    while segno chooses a mask its own way; and the symbol segno builds."""
    scores = []

    def recording(matrix, width, height, evaluate=encoder.evaluate_mask):
        scores.append(evaluate(matrix, width, height))
        return scores[-1]

    with monkeypatch.context() as patched:
        patched.setattr(encoder, "evaluate_mask", recording)
        theirs = encoder.encode(payload, error="m", micro=False, boost_error=True)
    assert len(scores) == 8
    return scores, theirs


def decodes(rows, payload):
    scale, border = 3, qr.QUIET_ZONE
    size = len(rows) + 2 * border
    image = Image.new("L", (size, size), 255)
    image.putdata([0 if 0 <= y - border < len(rows) and 0 <= x - border < len(rows)
                   and rows[y - border][x - border] else 255
                   for y in range(size) for x in range(size)])
    found = zxingcpp.read_barcodes(image.resize((size * scale, size * scale), Image.Resampling.NEAREST))
    return [r.text for r in found] == [payload]


def test_chosen_mask_has_the_least_penalty_and_every_symbol_decodes(monkeypatch):
    versions, masks = set(), set()
    for payload in random_payloads(COUNT):
        ours = best_mask_symbol(payload)
        penalties, theirs = segno_penalties(payload, monkeypatch)
        assert penalties[ours.mask] == min(penalties), payload
        assert ours.mask == penalties.index(min(penalties)), "ties go to the lowest mask, as in segno"
        assert ours.matrix == theirs.matrix, payload
        assert decodes(qr.matrix(payload), payload), payload
        versions.add(ours.version)
        masks.add(ours.mask)
    assert len(versions) >= 4 and max(versions) >= 7, versions
    assert masks == set(range(8)), "the sample exercises every mask"
