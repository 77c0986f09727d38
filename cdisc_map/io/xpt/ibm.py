"""IBM System/370 double precision, the number format of SAS transport files, to and from IEEE.

An IBM double is a sign bit, a 7-bit exponent of 16 (excess 64) and a 56-bit fraction:
value = (-1)^s * F * 2**(4*E - 312) for the fraction as an integer F. Its range is wider
than a double's at the bottom (down to 16**-65) and narrower at the top (under 16**63,
about 7.2e75), and its fraction is wider (53 to 56 significant bits, as the leading hex
digit holds 1 to 4 of them), so:

- every finite double from 16**-65 (about 5.4e-79) up to 16**63 in magnitude is held
  exactly, and reading it back gives the same double;
- a larger double (or an infinity) overflows: `double_to_ibm` raises `IbmOverflowError`
  naming the rows, where SAS's own routine (TS-140) would clamp to the largest IBM number;
- a smaller one, subnormal doubles included, underflows to zero, as SAS does (TS-140
  writes 0 for any double under 2**-260); minus zero is written as zero too, as SAS does;
- an IBM number with more than 53 significant bits (SAS never writes one from a double)
  reads as the nearest double, ties to even.

SAS missing values are not numbers: a first byte of "." (missing), "A"-"Z" (.A-.Z) or "_"
(._) followed by zero bytes. Both directions work on whole columns with numpy.
Numeric variables shorter than 8 bytes hold the leading bytes of the IBM double.
"""

from __future__ import annotations

import numpy as np

# The 28 SAS missing values, by the byte that stands for each: ".", then ".A"-".Z", "._".
MISSING_CODES = b"." + bytes(range(ord("A"), ord("Z") + 1)) + b"_"
SYSTEM_MISSING = ord(".")

_SIGN = np.uint64(1 << 63)
_EXPONENT_BIAS = 312  # value = F * 2**(4E - 312)
_IS_MISSING_CODE = np.zeros(256, dtype=bool)
_IS_MISSING_CODE[list(MISSING_CODES)] = True


class IbmOverflowError(ValueError):
    """Finite doubles too large (or infinite) for an IBM double; `rows` are their positions."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows
        super().__init__(f"{len(rows)} value(s) outside the IBM double range (magnitude 16**63, about 7.2e75)")


def ibm_to_double(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode an (n, width) uint8 array of IBM doubles (width 2 to 8) into float64 and missing codes.

    Returns (values, codes): values as float64 with NaN for every missing value, and per
    row the byte of its missing value (`MISSING_CODES`) or 0 for a number.
    """
    rows, width = raw.shape
    if not 2 <= width <= 8:
        raise ValueError(f"an IBM double is 2 to 8 bytes long, not {width}")
    if width < 8:
        padded = np.zeros((rows, 8), dtype=np.uint8)
        padded[:, :width] = raw
        raw = padded
    words = np.ascontiguousarray(raw).view(">u8").reshape(rows).astype(np.uint64)
    first = raw[:, 0]
    missing = _IS_MISSING_CODE[first] & ((words << np.uint64(8)) == 0)
    fraction = words & np.uint64((1 << 56) - 1)
    exponent = ((words >> np.uint64(56)) & np.uint64(0x7F)).astype(np.int64)
    # uint64 -> float64 rounds to nearest (the only rounding); ldexp is then exact, as the
    # results stay far inside the range of normal doubles.
    values = np.ldexp(fraction.astype(np.float64), (4 * exponent - _EXPONENT_BIAS).astype(np.int32))
    values = np.where((words & _SIGN) != 0, -values, values)
    values[missing] = np.nan
    codes = np.where(missing, first, 0).astype(np.uint8)
    return values, codes


def double_to_ibm(values: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
    """Encode float64 values as big-endian IBM doubles: an (n, 8) uint8 array.

    NaN is written as a missing value: the byte of `codes` for that row when given and
    not 0 (a code of `MISSING_CODES`), else "." . Raises `IbmOverflowError` for values
    beyond the IBM range, ValueError for a code that is no SAS missing value.
    """
    values = np.asarray(values, dtype=np.float64)
    nan = np.isnan(values)
    finite = np.isfinite(values)
    magnitude = np.where(finite, np.abs(values), 0.0)
    mantissa, binary_exponent = np.frexp(magnitude)  # magnitude = mantissa * 2**e, 0.5 <= mantissa < 1
    # 53-bit integer significand M (exact): magnitude = M * 2**(e - 53). Choose the shift k (0-3)
    # that makes e + 259 - k a multiple of 4: then F = M << k and E = (e + 259 - k) / 4.
    significand = (mantissa * float(1 << 53)).astype(np.uint64)
    shift = (binary_exponent.astype(np.int64) + 259) & 3
    exponent = (binary_exponent.astype(np.int64) + 259 - shift) >> 2
    fraction = significand << shift.astype(np.uint64)
    finite_nonzero = finite & (magnitude != 0)
    overflow = (finite_nonzero & (exponent > 127)) | np.isinf(values)
    if overflow.any():
        raise IbmOverflowError(np.flatnonzero(overflow))
    number = finite_nonzero & (exponent >= 0)  # exponent < 0: underflow, written as zero
    words = np.zeros(len(values), dtype=np.uint64)
    words[number] = (
        (exponent[number].astype(np.uint64) << np.uint64(56))
        | fraction[number]
        | np.where(np.signbit(values[number]), _SIGN, np.uint64(0))
    )
    if nan.any():
        tags = np.full(len(values), SYSTEM_MISSING, dtype=np.uint64)
        if codes is not None:
            codes = np.asarray(codes, dtype=np.uint8)
            given = nan & (codes != 0)
            if (~_IS_MISSING_CODE[codes[given]]).any():
                raise ValueError("a missing-value code is not one of . .A-.Z ._")
            tags[given] = codes[given]
        words[nan] = tags[nan] << np.uint64(56)
    return words.astype(">u8").view(np.uint8).reshape(len(values), 8)
