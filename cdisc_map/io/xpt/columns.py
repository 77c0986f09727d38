"""Whole columns of fixed-width values, to and from the bytes of observations, with numpy.

A column of an XPT file is an (n, width) block of bytes. Text columns hold few distinct
values (STUDYID, DOMAIN, --TESTCD, visit names), so both directions work per distinct
value: the reader groups equal byte strings exactly (by their 8-byte words, hashed and
then verified) and decodes each distinct value once, and the writer encodes each distinct
text once and gathers the rows with one numpy take. Every row of a column then shares
the Python string of its value, which also keeps a frame read back small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BLANK = 0x20
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def distinct_rows(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group the equal rows of an (n, width) uint8 block: (codes, first).

    codes[i] numbers row i's value (0, 1, ... in order of first appearance) and first[k]
    is the row where value k first appears. Exact: rows are keyed by their bytes read as
    8-byte words (the key itself when width <= 8; a hash of the words otherwise, checked
    against every row, with an exact sort as the fallback should two values collide).
    """
    rows, width = block.shape
    if rows == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    words_per_row = -(-width // 8)
    padded = np.zeros((rows, words_per_row * 8), dtype=np.uint8)
    padded[:, :width] = block
    words = padded.view(np.uint64)
    if words_per_row == 1:
        key = words[:, 0]
    else:
        key = np.zeros(rows, dtype=np.uint64)
        for index in range(words_per_row):
            mixed = words[:, index] * _MIX[index % 3]
            key = (key ^ mixed) * _MIX[(index + 1) % 3] + np.uint64(index + 1)
    codes, keys = pd.factorize(key)
    first = np.empty(len(keys), dtype=np.intp)
    first[codes[::-1]] = np.arange(rows - 1, -1, -1, dtype=np.intp)
    if words_per_row > 1 and not (words == words[first[codes]]).all():
        return _distinct_rows_by_sorting(np.ascontiguousarray(block))
    return codes.astype(np.intp, copy=False), first


def _distinct_rows_by_sorting(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, width = block.shape
    keys = block.view(np.dtype((np.void, width))).reshape(rows)
    _, first_sorted, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first_sorted, kind="stable")  # number values by first appearance
    renumber = np.empty(len(order), dtype=np.intp)
    renumber[order] = np.arange(len(order))
    return renumber[inverse.reshape(rows)], first_sorted[order]


def distinct_bytes(block: np.ndarray, first: np.ndarray) -> list[bytes]:
    """The distinct values of a text block as bytes, trailing blanks (and NULs) removed."""
    width = block.shape[1]
    table = np.ascontiguousarray(block[first]).view(f"S{width}").reshape(len(first))
    return [value.rstrip(b" \x00") for value in table.tolist()]


def text_block(codes: np.ndarray, encoded: list[bytes], width: int) -> np.ndarray:
    """An (n, width) block of text: row i holds encoded[codes[i]], blank-padded; code -1 is blank."""
    lengths = np.fromiter(map(len, encoded), dtype=np.intp, count=len(encoded))
    if len(lengths) and lengths.max() > width:
        raise ValueError(f"a value of {lengths.max()} bytes does not fit a {width}-byte column")
    table = np.full((len(encoded) + 1, width), BLANK, dtype=np.uint8)
    if encoded and width:
        filled = np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(encoded), width)
        inside = np.arange(width) < lengths[:, None]
        table[:-1][inside] = filled[inside]
    return table[codes]
