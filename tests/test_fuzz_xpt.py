"""Property-based tests of SAS transport (io.xpt), through its public functions only, so they
hold for any implementation behind them: random and damaged files are read or refused
with a ProblemsError, never another exception; what write_xpt accepts comes back from
read_xpt, and from pyreadstat, an independent reader, value for value.

XPT v5 stores numbers as IBM hexadecimal floats (range about 5.4e-79 to 7.2e75, 56 bits
of fraction) and pads text with blanks, so a written value must come back exactly, or
be refused when it is written; the one documented exception (docs/xpt.md) is a number
under 16**-65 in magnitude, written as zero as SAS does. A trailing blank in a value is
the one thing the format cannot keep (the strategies leave it out); blank observations
at the end that a reader would take for padding must be refused.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.xpt import read_xpt, write_xpt

EXAMPLES = int(os.environ.get("CDISC_MAP_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
IBM_SMALLEST = 16.0 ** -65
SURELY_LARGEST = 1e74  # IBM floats go to 7.2e75; pyreadstat writes 9.0e74 and more as infinity

text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.rstrip)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64),
                    st.integers(-(2 ** 53), 2 ** 53).map(float), st.just(float("nan")))


@st.composite
def frames(draw) -> pd.DataFrame:
    rows = draw(st.integers(0, 6))
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=4))
    columns = {}
    for position, is_text in enumerate(kinds):
        name = f"V{position}"
        if is_text:
            columns[name] = pd.Series(draw(st.lists(text, min_size=rows, max_size=rows)), dtype=object)
        else:
            columns[name] = pd.Series(draw(st.lists(numbers, min_size=rows, max_size=rows)), dtype="float64")
    return pd.DataFrame(columns)


def surely_kept(frame: pd.DataFrame) -> bool:
    """Whether every writer must keep the frame: numbers well inside the IBM range, and a last observation
    that is not blank in every variable (trailing blank observations read as the padding of the last record)."""
    numeric = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    if not all(math.isnan(v) or abs(v) <= SURELY_LARGEST for c in numeric for v in frame[c]):
        return False
    return not (len(frame) and not numeric and all(frame[c].iloc[-1] == "" for c in frame.columns))


def as_stored(value: float) -> float:
    """What SAS transport keeps of a number: itself, or zero under the smallest IBM magnitude."""
    return 0.0 if not math.isnan(value) and abs(value) < IBM_SMALLEST else value


def same(read: pd.DataFrame, written: pd.DataFrame) -> None:
    assert list(read.columns) == list(written.columns)
    assert len(read) == len(written)
    for name in written.columns:
        got, want = read[name].tolist(), written[name].tolist()
        if not pd.api.types.is_float_dtype(written[name].dtype):
            assert got == want, name
        else:
            want = [as_stored(value) for value in want]
            assert all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want)), (name, got, want)


@FUZZ
@given(frame=frames())
# what the search found once, kept for every run: numbers past either end of the range (the
# large refused, the tiny written as zero), and a last observation blank in every variable
@example(frame=pd.DataFrame({"V0": [1e75]}))
@example(frame=pd.DataFrame({"V0": [2.225073858507203e-309]}))
@example(frame=pd.DataFrame({"V0": pd.Series(["a", ""], dtype=object)}))
def test_what_write_xpt_accepts_reads_back_exactly_and_what_it_cannot_keep_it_refuses(frame):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "xx.xpt"
        labels = {name: f"Label of {name}" for name in frame.columns}
        try:
            write_xpt(frame, path, dataset="XX", label="Fuzzed", column_labels=labels)
        except ProblemsError as refused:
            assert not surely_kept(frame), refused.problems  # refused only what XPT may not keep
            assert not path.exists()
            return
        ours, meta = read_xpt(path)  # and what was written comes back exactly
        same(ours, frame)
        theirs, _ = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        same(theirs, frame)
        assert meta.dataset == "XX" and meta.version == 5


def sample_file(folder: Path) -> bytes:
    frame = pd.DataFrame({"STUDYID": ["S1", "S1", "S1"], "USUBJID": ["S1-001", "S1-002", "S1-003"],
                          "AGE": [34.0, np.nan, 51.5], "SEX": ["M", "", "F"]})
    path = folder / "dm.xpt"
    write_xpt(frame, path, dataset="DM", label="Demographics",
              column_labels={"STUDYID": "Study", "USUBJID": "Subject", "AGE": "Age", "SEX": "Sex"})
    return path.read_bytes()


SAMPLE = sample_file(Path(tempfile.mkdtemp(prefix="xpt-sample-")))


def read_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dm.xpt"
        path.write_bytes(data)
        try:
            return read_xpt(path)
        except ProblemsError as refused:
            assert refused.problems and all(p.file == str(path) for p in refused.problems)
            return refused


@FUZZ
@given(data=st.binary(max_size=4000))
def test_random_bytes_are_refused_with_a_problem(data):
    result = read_bytes(data)
    assert isinstance(result, ProblemsError) or isinstance(result[0], pd.DataFrame)


@FUZZ
@given(cut=st.integers(0, len(SAMPLE)))
def test_a_truncated_file_is_refused_or_gives_whole_records_of_the_original(cut):
    whole, _ = read_bytes(SAMPLE)
    result = read_bytes(SAMPLE[:cut])
    if isinstance(result, ProblemsError):
        return
    frame, _ = result
    assert list(frame.columns) == list(whole.columns)
    same(frame, whole.iloc[: len(frame)].reset_index(drop=True))


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(1, 255)), min_size=1, max_size=8))
def test_damaged_bytes_never_escape_as_anything_but_a_problem(flips):
    data = bytearray(SAMPLE)
    for position, mask in flips:
        data[position] ^= mask
    result = read_bytes(bytes(data))
    assert isinstance(result, ProblemsError) or isinstance(result[0], pd.DataFrame)
