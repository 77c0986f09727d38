"""IBM 370 doubles: exact both ways for every double IBM can hold, SAS's rules at the edges
(TS-140, as ReadStat implements it, is the oracle), and the 28 SAS missing values."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisc_map.io.xpt import MISSING_CODES, IbmOverflowError, double_to_ibm, ibm_to_double

SMALLEST = 2.0**-260  # 16**-65, the smallest normalized IBM magnitude
LARGEST = math.ldexp(2**53 - 1, 252 - 53)  # the largest double under 16**63


def ibm(*values: float) -> list[str]:
    return [row.tobytes().hex() for row in double_to_ibm(np.array(values, dtype=float))]


def from_hex(*patterns: str) -> tuple[np.ndarray, np.ndarray]:
    raw = np.array([list(bytes.fromhex(p)) for p in patterns], dtype=np.uint8)
    return ibm_to_double(raw)


def readstat_bytes(values: np.ndarray) -> np.ndarray:
    """The IBM bytes pyreadstat writes for `values` (one numeric column, 8 bytes an observation)."""
    return readstat_file(values)[1]


def readstat_file(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "x.xpt"
        pyreadstat.write_xport(pd.DataFrame({"X": values}), str(target), file_format_version=5)
        data = target.read_bytes()
    start = data.index(b"HEADER RECORD*******OBS     HEADER RECORD") + 80
    return data, np.frombuffer(data[start : start + 8 * len(values)], dtype=np.uint8).reshape(-1, 8)


def test_known_values():
    assert ibm(1.0, -1.5, 100.0, 0.1) == [
        "4110000000000000", "c118000000000000", "4264000000000000", "401999999999999a"]
    assert ibm(0.0, -0.0) == ["0000000000000000"] * 2  # SAS writes minus zero as zero


def test_edges_of_the_ibm_range_are_exact():
    values = np.array([SMALLEST, -SMALLEST, SMALLEST * (1 + 2**-52), LARGEST, -LARGEST, 2.0**251, 1e75])
    encoded = double_to_ibm(values)
    assert encoded[0].tobytes().hex() == "0010000000000000"
    assert encoded[3].tobytes().hex() == "7ffffffffffffff8"
    back, codes = ibm_to_double(encoded)
    assert back.tolist() == values.tolist()
    assert not codes.any()


def test_underflow_is_zero_as_sas_writes_it():
    tiny = np.array([2.0**-261, -1e-300, 5e-324, -2.2250738585072014e-308 / 3, 1e-79, -5.3e-79])
    assert ibm(*tiny) == ["0000000000000000"] * len(tiny)
    assert (readstat_bytes(tiny) == 0).all()


@pytest.mark.parametrize("value", [2.0**252, -1e76, 1.7976931348623157e308, math.inf, -math.inf])
def test_overflow_is_an_error_naming_the_rows(value):
    with pytest.raises(IbmOverflowError) as excinfo:
        double_to_ibm(np.array([1.0, value, 2.0]))
    assert excinfo.value.rows.tolist() == [1]


def test_the_28_missing_values_both_ways():
    assert len(MISSING_CODES) == 28 and MISSING_CODES[:2] == b".A" and MISSING_CODES[-1:] == b"_"
    codes = np.frombuffer(MISSING_CODES, dtype=np.uint8)
    encoded = double_to_ibm(np.full(28, np.nan), codes)
    assert [row.tobytes() for row in encoded] == [bytes([c]) + bytes(7) for c in MISSING_CODES]
    values, back = ibm_to_double(encoded)
    assert np.isnan(values).all() and back.tolist() == codes.tolist()

    plain = double_to_ibm(np.array([np.nan, np.nan]), np.array([0, 0], dtype=np.uint8))
    assert [row.tobytes() for row in plain] == [b"." + bytes(7)] * 2
    with pytest.raises(ValueError, match="missing-value code"):
        double_to_ibm(np.array([np.nan]), np.array([ord("a")], dtype=np.uint8))


def test_a_missing_code_needs_zero_bytes_after_it():
    values, codes = from_hex("4100000000000001", "2e00000000000000", "5f00000000000000", "0000000000000000")
    assert values[0] == 2.0**-52  # a number (an unnormalized fraction), not .A
    assert np.isnan(values[1:3]).all() and values[3] == 0
    assert codes.tolist() == [0, ord("."), ord("_"), 0]


def test_more_than_53_bits_read_as_the_nearest_double():
    # A leading hex digit of F holds 4 bits: 56 in all. TS-140's routine truncates them.
    values, _ = from_hex("41ffffffffffffff", "41f0000000000001", "41f0000000000004", "41f0000000000006")
    assert values[0] == 16.0  # 16 - 2**-52 (TS-140's truncation gives 16 - 2**-49)
    assert values[1] == 15.0  # 15 + 2**-52, under half an ulp (2**-49) above 15
    assert values[2] == 15.0  # 15 + 2**-50, half an ulp: ties to even
    assert values[3] == np.nextafter(15.0, 16.0)  # 15 + 1.5 * 2**-50, over half an ulp


def test_unnormalized_fractions_read_as_their_value():
    values, _ = from_hex("4200100000000000", "0000000000000001")
    assert values.tolist() == [0.0625, 2.0**-312]


def test_short_numerics_are_the_leading_bytes():
    raw = double_to_ibm(np.array([1.0, 23440.0, 0.1]))
    for width in range(2, 8):
        values, _ = ibm_to_double(raw[:, :width])
        assert values[0] == 1.0
        assert values[1] == 23440.0 or width == 2  # 0x445B90: three bytes hold it
        assert 0 < 0.1 - values[2] < 16.0 ** -(2 * width - 2)  # hex digits cut off
    with pytest.raises(ValueError, match="2 to 8 bytes"):
        ibm_to_double(raw[:, :1])


def test_same_bytes_as_sas_routine_over_random_doubles():
    # Random bit patterns whose magnitude SAS's routine converts (2**-260 up to 2**249):
    # ReadStat implements TS-140, so its bytes are SAS's.
    generator = np.random.default_rng(20261201)
    bits = generator.integers(0, 2**63, size=20_000, dtype=np.uint64) | (
        generator.integers(0, 2, size=20_000, dtype=np.uint64) << np.uint64(63))
    values = bits.view(np.float64)
    values = values[np.isfinite(values) & (np.abs(values) >= SMALLEST) & (np.abs(values) < 2.0**249)]
    values = np.concatenate([values, np.arange(-1000, 1000) / 8, [SMALLEST, 2.0**249 - 2.0**196]])
    ours = double_to_ibm(values)
    assert (ours == readstat_bytes(values)).all()
    back, _ = ibm_to_double(ours)
    assert back.tolist() == values.tolist()


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_double_round_trips_or_is_refused(value):
    values = np.array([value])
    if abs(value) >= 2.0**252:
        with pytest.raises(IbmOverflowError):
            double_to_ibm(values)
        return
    back, codes = ibm_to_double(double_to_ibm(values))
    expected = value if abs(value) >= SMALLEST else 0.0
    assert back[0] == expected
    assert not (back[0] == 0 and np.signbit(back[0]))  # zero is written without a sign, as SAS does
    assert codes[0] == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-(2.0**200), max_value=2.0**200, allow_nan=False), min_size=1, max_size=40))
def test_readstat_writes_the_same_bytes_and_we_read_them(numbers):
    values = np.array(numbers)
    _, readstat = readstat_file(values)
    assert (double_to_ibm(values) == readstat).all()
    assert ibm_to_double(readstat)[0].tolist() == [v if abs(v) >= SMALLEST else 0.0 for v in numbers]
