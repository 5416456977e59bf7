"""Fitting text into boxes: which lines, at what size.

A `measure(line, size)` function gives a line's drawn width, so this module knows
nothing of fonts. Names prefer one line, then two broken at spaces or hyphens; a
name that would still shrink below its layout's minimum breaks between characters
with a hyphen instead. Details (pronouns, role, organisation) share one size and wrap.
"""

import re
import unicodedata
from itertools import combinations

LINE_GAP = 1.18  # line height as a multiple of the font size
HYPHEN = "-"


def fit_name(text, measure, width, height, max_size, min_size, floor=0.6, widths=None, room=None):
    """(lines, size) for a name: as large as fits up to max_size. Two lines at word
    breaks rather than going below floor * max_size; below min_size, broken between
    characters with a hyphen, up to three lines, in `room` (default: height).
    `widths` may give the first lines their own widths (a label where the name's
    first line runs wider)."""
    if height <= 0 or width <= 0:
        return [], 0
    line_width = _widths(width, widths)
    best = ([], 0)
    for count in (1, 2, 3):
        lines = split_lines(text, count)
        if len(lines) < count:
            break
        size = _largest(lines, measure, line_width, height, max_size)
        if size >= max(max_size * floor, min_size) or (count == 3 and size >= min_size):
            return lines, size
        if size > best[1] and (count < 3 or best[1] < min_size):
            best = (lines, size)
    if best[1] >= min_size:
        return best
    broken = _largest_broken(text, measure, line_width, room or height, max_size, min_size)
    if broken:
        return broken
    return best  # nothing reaches the minimum: the largest that stays in the box


def _largest_broken(text, measure, line_width, room, max_size, min_size):
    """(lines, size): the largest size from min_size up at which the name, wrapped and
    broken between characters, fits `room`; None when even min_size does not."""
    def fits(size):
        lines = wrap(text, measure, line_width, size)
        return lines if len(lines) * size * LINE_GAP <= room else None

    if not fits(min_size):
        return None
    low, high = min_size, max(min_size, min(max_size, room / LINE_GAP))
    for _ in range(12):  # bisection to a fraction of a point
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return fits(low), low


def fit_one_line(text, measure, width, max_size):
    """The size at which `text` fills at most `width` on one line, up to max_size."""
    text = " ".join(text.split())
    return min(max_size, width / max(measure(text, 1), 1e-9))


def fit_lines(texts, measure, width, height, size, floor=0.75):
    """Detail lines at one shared size (largest first, down to floor * size), each
    wrapped at spaces; those that no longer fit are left out from the end.
    Returns (lines, size)."""
    line_width = _widths(width, None)
    smallest = size * floor
    while True:
        lines = [line for text in texts for line in wrap(text, measure, line_width, size)]
        if len(lines) * size * LINE_GAP <= height or size <= smallest:
            break
        size = max(smallest, size * 0.92)
    fitting = max(0, int(height // (size * LINE_GAP)))
    return lines[:fitting], size


def wrap(text, measure, line_width, size):
    """Greedy word wrap; a word wider than the line breaks between characters."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure(candidate, size) <= line_width(len(lines)):
            current = candidate
            continue
        if current:
            lines.append(current)
        if measure(word, size) <= line_width(len(lines)):
            current = word
        else:
            *whole, current = break_characters(word, measure, line_width, size, first=len(lines))
            lines += whole
    return lines + [current] if current else lines


def break_characters(text, measure, line_width, size, first=0):
    """Lines of `text` broken at character boundaries (never inside a combining
    sequence), each but the last ending in a hyphen, as full as the width allows."""
    clusters = _clusters(" ".join(text.split()))
    lines, current = [], ""
    for cluster in clusters:
        index = first + len(lines)
        if current and measure(current + cluster + HYPHEN, size) > line_width(index):
            if cluster == " " or current.endswith(" "):
                lines.append(current.rstrip())
            else:
                lines.append(current + HYPHEN)
            current = cluster.lstrip()
        else:
            current += cluster
    return lines + [current] if current else lines


def split_lines(text, count):
    """`text` in `count` lines, broken at spaces or after hyphens, as even as possible."""
    pieces = re.findall(r"[^\s-]+-*|-+", text)
    if count == 1 or len(pieces) < count:
        return [" ".join(text.split())] if count == 1 else []
    best = None
    for cuts in combinations(range(1, len(pieces)), count - 1):
        bounds = (0, *cuts, len(pieces))
        lines = [_join(pieces[a:b]) for a, b in zip(bounds, bounds[1:])]
        longest = max(len(line) for line in lines)
        if best is None or longest < best[0]:
            best = (longest, lines)
    return best[1]


def _largest(lines, measure, line_width, height, max_size):
    size = min(max_size, height / (len(lines) * LINE_GAP))
    for index, line in enumerate(lines):
        drawn = measure(line, size)
        if drawn > line_width(index):
            size = size * line_width(index) / drawn
    return size


def _widths(width, widths):
    widths = list(widths or [])
    return lambda index: widths[index] if index < len(widths) else width


def _clusters(text):
    """Characters with their combining marks attached: the places a word may break."""
    clusters = []
    for char in text:
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _join(pieces):
    """Pieces back into text: no space after a hyphen ("García-López")."""
    text = ""
    for piece in pieces:
        text += piece if not text or text.endswith("-") else " " + piece
    return text
