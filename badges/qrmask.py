"""Choosing a QR code's data mask the way ISO/IEC 18004 §7.8.3 asks, fast.

segno scores the eight masks module by module (about 0.2 ms a mask, 80 % of a
badge's QR). Here each masked symbol is one Python int per orientation (rows,
columns), every line followed by four light "outside" bits, and each penalty
rule is a handful of shifts, ANDs and bit counts. The scores are segno's own
`evaluate_mask` to the point (tests/test_qr_masks.py proves it on random badge
payloads), so the symbol is exactly the one segno would choose, built by segno
with the mask given.

Bit layout: module (row, col) is bit PAD + row * stride + col, stride = size + PAD;
the PAD bits below each line (and below the first) are outside the symbol.
"""

from functools import lru_cache

from segno import encoder

PAD = 4  # light modules beyond each line: the N3 rule looks 4 modules past a pattern
N1, N2, N3, N4 = 3, 3, 40, 10  # penalty weights, ISO/IEC 18004 Table 11
MASK_COUNT = 8


def best_mask_symbol(payload, error="m"):
    """segno's Code for `payload` with the mask of lowest penalty (full QR, never
    Micro QR; error correction boosted when it fits)."""
    first = encoder.encode(payload, error=error, micro=False, boost_error=True, mask=0)
    masked_with_0 = first.matrix
    geometry = _geometry(len(masked_with_0))
    penalties = mask_penalties(masked_with_0, geometry)
    best = penalties.index(min(penalties))  # ties: the lowest mask number, as segno does
    if best == 0:
        return first
    matrix = _remask(masked_with_0, geometry, best)
    encoder.add_format_info(matrix, first.version, first.error, best)
    return first._replace(matrix=matrix, mask=best)


def mask_penalties(masked_with_0, geometry):
    """Penalty of each of the 8 masks for a symbol that segno built with mask 0, scored
    as segno scores it: format and version areas still light, before they are written."""
    rows0 = _pack(masked_with_0, geometry.size)
    cols0 = _pack(_transpose(masked_with_0), geometry.size)
    rows_base = (rows0 & geometry.fixed_rows) | (rows0 & geometry.region_rows) ^ geometry.patterns_rows[0]
    cols_base = (cols0 & geometry.fixed_cols) | (cols0 & geometry.region_cols) ^ geometry.patterns_cols[0]
    return [
        _penalty(rows_base ^ geometry.patterns_rows[mask], cols_base ^ geometry.patterns_cols[mask], geometry)
        for mask in range(MASK_COUNT)
    ]


def _penalty(rows, cols, g):
    dark_modules = rows.bit_count()
    return (
        _runs(rows, g.valid_rows) + _runs(cols, g.valid_cols)
        + N2 * (_blocks(rows, g.stride) + _blocks(g.valid_rows & ~rows, g.stride))
        + _finder_like(rows, g.valid_rows, g.stride) + _finder_like(cols, g.valid_cols, g.stride)
        + N4 * int(abs(float(dark_modules) / g.size ** 2 * 100 - 50) / 5)  # segno's arithmetic
    )


def _runs(dark, valid):
    """N1: each run of 5 + i same-coloured modules in a line scores 3 + i."""
    score = 0
    for colour in (dark, valid & ~dark):
        fives = colour & colour >> 1 & colour >> 2 & colour >> 3 & colour >> 4
        starts = fives & ~(fives << 1)
        score += fives.bit_count() + (N1 - 1) * starts.bit_count()  # (L - 4) + 2 per run
    return score


def _blocks(colour, stride):
    """N2: 2 x 2 blocks of one colour (overlapping), counted once each."""
    return (colour & colour >> 1 & colour >> stride & colour >> (stride + 1)).bit_count()


def _finder_like(dark, valid, stride):
    """N3: dark-light-dark-dark-dark-light-dark with 4 light modules on either side
    (outside the symbol counts as light), found as segno's left-to-right scan finds them."""
    light = _outside_and_valid(valid) & ~dark
    real_light = valid & ~dark
    found = (dark & real_light >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & real_light >> 5 & dark >> 6)
    if not found:
        return 0
    before = light << 1 & light << 2 & light << 3 & light << 4
    after = light >> 7 & light >> 8 & light >> 9 & light >> 10
    counted = found & (before | after)
    if not (found & (found >> 4 | found >> 6)):  # no overlapping patterns: nothing skipped
        return N3 * counted.bit_count()
    return N3 * _scan(found, counted)


def _scan(found, counted):
    """segno's scan where patterns overlap: after a counted pattern it resumes 7
    modules on, after an uncounted one 4 on (lines are PAD apart, so never across)."""
    score, resume = 0, 0
    while found:
        lowest = found & -found
        at = lowest.bit_length() - 1
        found ^= lowest
        if at < resume:
            continue
        if counted & lowest:
            score, resume = score + 1, at + 7
        else:
            resume = at + 4
    return score


def _outside_and_valid(valid):
    """Every bit of the layout, the symbol's and the light ones outside it."""
    return (1 << (valid.bit_length() + PAD)) - 1


def _remask(masked_with_0, geometry, mask):
    """The symbol's rows with mask 0 swapped for `mask` in the data region."""
    size = geometry.size
    rows = _pack(masked_with_0, size) ^ geometry.patterns_rows[0] ^ geometry.patterns_rows[mask]
    return _unpack(rows, size)


class Geometry:
    """What depends only on the symbol's size: which modules hold data (segno's
    encoding region), which are fixed patterns, and each mask pattern over the data."""

    def __init__(self, size):
        self.size, self.stride = size, size + PAD
        function = encoder.make_matrix(size, size)
        encoder.add_finder_patterns(function, size, size)
        encoder.add_alignment_patterns(function, size, size)
        function[-8][8] = 0x1  # the dark module is no data either
        region = [bytes(int(cell > 0x1) for cell in row) for row in function]
        reserved = [bytes(int(cell == 0x0) for cell in row) for row in encoder.make_matrix(size, size)]
        unreserved = encoder.make_matrix(size, size, reserve_regions=False)
        reserved = [bytes(r & (u == 0x2) for r, u in zip(res, unres)) for res, unres in zip(reserved, unreserved)]
        everything = [bytes([1]) * size] * size
        fixed = [bytes(e & (1 - d) & (1 - r) for e, d, r in zip(*rows))
                 for rows in zip(everything, region, reserved)]
        patterns = [[bytes(int(bool(fn(i, j))) & region[i][j] for j in range(size)) for i in range(size)]
                    for fn in encoder.get_data_mask_functions(is_micro=False)]
        self.valid_rows = self.valid_cols = _pack(everything, size)
        self.region_rows, self.region_cols = _pack(region, size), _pack(_transpose(region), size)
        self.fixed_rows, self.fixed_cols = _pack(fixed, size), _pack(_transpose(fixed), size)
        self.patterns_rows = [_pack(p, size) for p in patterns]
        self.patterns_cols = [_pack(_transpose(p), size) for p in patterns]


@lru_cache(maxsize=None)
def _geometry(size):
    return Geometry(size)


_TO_TEXT = bytes.maketrans(b"\x00\x01", b"01")
_FROM_TEXT = bytes.maketrans(b"01", b"\x00\x01")


def _pack(rows, size):
    """0/1 rows as one int in the layout above."""
    gap = "0" * PAD
    text = "".join(gap + bytes(row[::-1]).translate(_TO_TEXT).decode() for row in reversed(rows))
    return int(text + gap, 2)


def _unpack(packed, size):
    """The inverse of _pack: a tuple of bytearrays, as segno keeps a matrix."""
    stride = size + PAD
    text = format(packed, "b").zfill(PAD + size * stride)[::-1].encode()
    return tuple(bytearray(text[PAD + r * stride:PAD + r * stride + size].translate(_FROM_TEXT))
                 for r in range(size))


def _transpose(rows):
    return [bytes(column) for column in zip(*rows)]
