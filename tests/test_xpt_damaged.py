"""Reading anything, crashing on nothing: damaged and truncated files are problems that say
what is wrong and at which byte; text in any encoding is read and its non-ASCII named; a
version 8 file is read and says so."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.xpt import read_xpt, reader, write_transport, write_xpt

LABELS = {"USUBJID": "Unique Subject Identifier", "AETERM": "Reported Term", "AESEQ": "Sequence Number"}


def adverse_events(rows: int = 7) -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": [f"NCT06111625-{i:03d}" for i in range(rows)],
        "AETERM": ["CYTOKINE RELEASE SYNDROME", "PYREXIA", ""] * (rows // 3) + ["NAUSEA"] * (rows % 3),
        "AESEQ": np.arange(1.0, rows + 1),
    })


@pytest.fixture
def good(tmp_path) -> Path:
    path = tmp_path / "ae.xpt"
    write_xpt(adverse_events(), path, dataset="AE", label="Adverse Events", column_labels=LABELS)
    return path


def damaged(tmp_path: Path, data: bytes) -> pytest.ExceptionInfo:
    path = tmp_path / "damaged.xpt"
    path.write_bytes(data)
    with pytest.raises(ProblemsError) as excinfo:
        read_xpt(path)
    [problem] = excinfo.value.problems
    assert problem.file == str(path)
    return excinfo


@pytest.mark.parametrize(("cut", "message"), [
    (0, "ends before the library header record"),
    (100, "ends before the library header's first record .* at byte 80"),
    (600, "ends before the NAMESTR header record .* at byte 560"),
    (640 + 140 + 70, "NAMESTR records end early: 3 variables of 140 bytes need 420 bytes, the file has 210"),
    (1130, "ends before the OBS header record .* at byte 1120"),
])
def test_a_file_cut_in_its_headers(tmp_path, good, cut, message):
    excinfo = damaged(tmp_path, good.read_bytes()[:cut])
    assert excinfo.match(message)
    assert excinfo.match("not a readable SAS transport")


def test_a_file_cut_in_its_observations(tmp_path, good):
    data = good.read_bytes()
    assert damaged(tmp_path, data[:-37]).match(r"ends in the middle of an 80-byte record: 43 bytes")

    frame = adverse_events(10).assign(AETERM=lambda f: f["AETERM"].str.ljust(100, "x"))  # 123-byte observations
    write_xpt(frame, good, dataset="AE", label="Adverse Events", column_labels=LABELS)
    data = good.read_bytes()
    start = data.index(b"HEADER RECORD*******OBS     HEADER RECORD") + 80
    assert len(data) - start == 1280  # 1230 bytes of observations and 50 of padding
    excinfo = damaged(tmp_path, data[: start + 1200])  # 9 observations and 93 bytes of the 10th
    assert excinfo.match(f"last observation is cut short: 93 bytes of a 123-byte observation at byte {start + 1107}")
    assert excinfo.value.problems[0].row == 10


def test_blank_observations_in_the_last_record_are_padding(tmp_path):
    # A 1-byte observation: the file cannot tell blank observations at its end from padding (SAS
    # cannot either), so they are dropped; write_xpt refuses to write such a dataset.
    path = tmp_path / "x.xpt"
    pyreadstat.write_xport(pd.DataFrame({"FLAG": ["Y", "", "N", "", ""]}), str(path), file_format_version=5)
    assert read_xpt(path)[0]["FLAG"].tolist() == ["Y", "", "N"]
    assert pyreadstat.read_xport(str(path))[0]["FLAG"].tolist() == ["Y", "", "N"]


def test_wrong_header_records(tmp_path, good):
    data = bytearray(good.read_bytes())
    assert damaged(tmp_path, b"this is not a transport file" * 10).match("expected a header record")
    member = data.copy()
    member[240:320] = data[320:400]
    assert damaged(tmp_path, bytes(member)).match("expected the MEMBER header record, found the DSCRPTR header "
                                                  "at byte 240")
    first = data.copy()
    first[:80] = data[240:320]
    assert damaged(tmp_path, bytes(first)).match("the first record is the MEMBER header, not the library header")


def test_damaged_namestr_records(tmp_path, good):
    data = bytearray(good.read_bytes())
    kind = data.copy()
    kind[640 + 140 : 640 + 142] = b"\x00\x07"
    assert damaged(tmp_path, bytes(kind)).match("damaged NAMESTR record at byte 780: variable AETERM has type 7")
    length = data.copy()
    length[640 + 4 : 640 + 6] = b"\x00\x00"
    assert damaged(tmp_path, bytes(length)).match("variable USUBJID has length 0")
    position = data.copy()
    position[640 + 84 : 640 + 88] = (1000).to_bytes(4, "big")
    assert damaged(tmp_path, bytes(position)).match("starts at byte 1000 of an observation of")
    twice = data.copy()
    twice[640 + 140 + 8 : 640 + 140 + 16] = b"USUBJID "
    assert damaged(tmp_path, bytes(twice)).match("USUBJID appear more than once")


@pytest.mark.parametrize("chunk", [reader.CHUNK_BYTES, 80, 100])
def test_two_datasets_in_one_file(tmp_path, good, monkeypatch, chunk):
    monkeypatch.setattr(reader, "CHUNK_BYTES", chunk)  # found across a chunk boundary too
    data = good.read_bytes()
    excinfo = damaged(tmp_path, data + data[240:])
    assert excinfo.match(f"more than one dataset .* at byte {len(data)}")
    assert excinfo.value.problems[0].dataset == "AE"


def test_a_missing_file_is_a_problem(tmp_path):
    with pytest.raises(ProblemsError, match="cannot read the file"):
        read_xpt(tmp_path / "nothing.xpt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=2000), flips=st.lists(
    st.tuples(st.integers(min_value=0, max_value=1999), st.integers(min_value=0, max_value=255)), max_size=4))
def test_any_damage_is_a_problem_or_a_reading(tmp_path, cut, flips):
    data = bytearray(FUZZED)
    for offset, value in flips:
        if offset < len(data):
            data[offset] = value
    path = tmp_path / "fuzzed.xpt"
    path.write_bytes(bytes(data[:cut]))
    try:
        frame, meta = read_xpt(path)
    except ProblemsError as error:
        assert error.problems and all(p.file == str(path) for p in error.problems)
    else:
        assert list(frame.columns) == list(meta.column_types)


def _fuzzed() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ae.xpt"
        write_xpt(adverse_events(), path, dataset="AE", label="Adverse Events", column_labels=LABELS)
        return path.read_bytes()


FUZZED = _fuzzed()


# --- encodings -------------------------------------------------------------------------


def write_text(path: Path, values: list[str], encoding: str, label: str = "Reported Term",
               dataset_label: str = "Adverse Events") -> None:
    """A file whose text is in `encoding` (write_xpt itself writes ASCII only)."""
    frame = pd.DataFrame({"AETERM": ["x"], "AESEQ": [1.0]})
    write_xpt(frame, path, dataset="AE", label="Adverse Events", column_labels=LABELS)
    _, meta = read_xpt(path)
    length = max(len(v.encode(encoding)) for v in values)
    term = meta.layout.variables[0]
    variables = (replace(term, length=length, label=label), replace(meta.layout.variables[1], position=length))
    layout = replace(meta.layout, label=dataset_label, variables=variables)
    write_transport(pd.DataFrame({"AETERM": values, "AESEQ": np.arange(len(values), dtype=float)}), path, layout,
                    encoding=encoding)


def test_utf8_text_is_read_as_utf8(tmp_path):
    path = tmp_path / "ae.xpt"
    write_text(path, ["8 μg/day", "FIÈVRE", "plain"], "utf-8", label="Terme rapporté")
    frame, meta = read_xpt(path)
    assert frame["AETERM"].tolist() == ["8 μg/day", "FIÈVRE", "plain"]
    assert meta.encoding == "utf-8"
    assert meta.non_ascii_columns == ("AETERM",)
    assert meta.non_ascii_labels == ("AETERM",)
    assert meta.column_labels["AETERM"] == "Terme rapporté"


def test_windows_1252_then_latin_1(tmp_path):
    path = tmp_path / "ae.xpt"
    write_text(path, ["Alzheimer\u2019s disease", "Caf\u00e9"], "cp1252", dataset_label="\u00c9v\u00e9nements")
    frame, meta = read_xpt(path)
    assert meta.encoding == "cp1252"
    assert frame["AETERM"].tolist() == ["Alzheimer\u2019s disease", "Caf\u00e9"]
    assert meta.non_ascii_labels == ("",)  # the dataset label
    assert meta.label == "\u00c9v\u00e9nements"

    write_text(path, ["\u0081 control", "Caf\u00e9"], "latin-1")  # 0x81: undefined in Windows-1252
    frame, meta = read_xpt(path)
    assert meta.encoding == "iso8859-1"
    assert frame["AETERM"].tolist() == ["\u0081 control", "Caf\u00e9"]


@pytest.mark.parametrize("chunk", [reader.CHUNK_BYTES, 20])
def test_an_encoding_given_is_used_and_its_faults_located(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(reader, "CHUNK_BYTES", chunk)  # the row is found in a later chunk too
    path = tmp_path / "ae.xpt"
    write_text(path, ["plain", "Caf\u00e9", "Caf\u00e9"], "cp1252")
    assert read_xpt(path, encoding="latin-1")[0]["AETERM"].tolist() == ["plain", "Café", "Café"]
    with pytest.raises(ProblemsError) as excinfo:
        read_xpt(path, encoding="utf-8")
    [problem] = excinfo.value.problems
    assert (problem.column, problem.row, problem.value) == ("AETERM", 2, "Café")
    assert "not valid utf-8" in problem.message and "encoding" in problem.hint
    with pytest.raises(ProblemsError, match="unknown text encoding 'klingon'"):
        read_xpt(path, encoding="klingon")


# --- version 8 -------------------------------------------------------------------------


def test_version_8_is_read_and_says_so(tmp_path):
    path = tmp_path / "adsl.xpt"
    frame = pd.DataFrame({"TRTSDTLONGNAME": [23440.0, np.nan], "ARM": ["A" * 250, "B"]})
    pyreadstat.write_xport(frame, str(path), file_format_version=8, table_name="ADSL_LONG_NAME",
                           file_label="Subject-Level", column_labels=["Date of First Exposure to Treatment (long)",
                                                                      "Arm"],
                           variable_format={"TRTSDTLONGNAME": "DATE9."})
    back, meta = read_xpt(path)
    assert meta.version == 8
    assert meta.dataset == "ADSL_LONG_NAME"
    assert list(back.columns) == ["TRTSDTLONGNAME", "ARM"]
    assert meta.column_labels["TRTSDTLONGNAME"] == "Date of First Exposure to Treatment (long)"
    assert meta.formats == {"TRTSDTLONGNAME": "DATE9."}
    assert meta.character_lengths == {"ARM": 250}
    theirs, _ = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    pd.testing.assert_frame_equal(back, theirs)
    with pytest.raises(ProblemsError, match="only version 5"):
        write_transport(back, tmp_path / "v5.xpt", meta.layout)
