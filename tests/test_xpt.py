"""XPT v5 writer: what it writes reads back the same in pyreadstat and pandas, it
refuses what v5 cannot hold, its bytes are reproducible, and it never half-writes.

The IBM doubles are tested in test_xpt_ibm.py, files SAS wrote in test_xpt_reference.py,
damaged files and encodings in test_xpt_damaged.py."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.xpt import (
    XptMeta,
    build_timestamp,
    header_timestamps,
    read_xpt,
    reader,
    sas_header_timestamp,
    write_transport,
    write_xpt,
    writer,
)

STAMP_OFFSETS = (144, 160, 464, 480)
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z
EPOCH_STAMP = "14NOV23:22:13:20"

LABELS = {
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "AGE": "Age",
    "SEX": "Sex",
    "RFSTDTC": "Subject Reference Start Date/Time",
    "DTHFL": "Subject Death Flag",
    "ARM": "Description of Planned Arm",
    "TRTSDT": "Date of First Exposure to Treatment",
}


def demographics() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["NCT06111625"] * 3,
            "USUBJID": ["NCT06111625-001", "NCT06111625-002", "NCT06111625-0003"],
            "AGE": [34, 61, 17],
            "SEX": ["F", "M", None],
            "RFSTDTC": ["2024-03-05T14:30", "2024-03", ""],
            "DTHFL": pd.Series([None, None, None], dtype=object),  # all missing
            "ARM": ["Blinatumomab bridge to allo-HSCT"] * 2 + ["Screen Failure"],
            "TRTSDT": [23440.0, np.nan, 23467.0],
        }
    )


def write_dm(path: Path, frame: pd.DataFrame | None = None, **options) -> None:
    options.setdefault("created", datetime(2024, 3, 5, 14, 30, 0))
    write_xpt(
        demographics() if frame is None else frame,
        path,
        dataset="DM",
        label="Demographics",
        column_labels=LABELS,
        **options,
    )


def problems(excinfo: pytest.ExceptionInfo) -> list:
    return excinfo.value.problems


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- round trip ----------------------------------------------------------------------


def test_round_trip_through_pyreadstat_and_pandas(tmp_path):
    path = tmp_path / "dm.xpt"
    write_dm(path, formats={"TRTSDT": "DATE9."})

    frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert list(frame.columns) == list(LABELS)
    assert meta.table_name == "DM"
    assert meta.file_label == "Demographics"
    assert meta.column_names_to_labels == LABELS
    assert frame["USUBJID"].tolist() == demographics()["USUBJID"].tolist()
    assert frame["SEX"].tolist() == ["F", "M", ""]
    assert frame["DTHFL"].tolist() == ["", "", ""]
    assert frame["AGE"].tolist() == [34.0, 61.0, 17.0]
    assert frame["TRTSDT"].tolist()[::2] == [23440.0, 23467.0]
    assert np.isnan(frame["TRTSDT"][1])

    # records over 80 bytes: pandas counts rows right (see the short-record test below)
    by_pandas = pd.read_sas(path, format="xport", encoding="ascii")
    assert len(by_pandas) == 3
    assert list(by_pandas.columns) == list(LABELS)
    assert by_pandas["USUBJID"].tolist() == demographics()["USUBJID"].tolist()
    assert by_pandas["RFSTDTC"].tolist() == ["2024-03-05T14:30", "2024-03", ""]
    assert by_pandas["AGE"].tolist() == [34.0, 61.0, 17.0]
    assert by_pandas["ARM"].tolist()[2] == "Screen Failure"
    assert by_pandas["DTHFL"].tolist() == ["", "", ""]
    assert by_pandas["TRTSDT"].tolist()[::2] == [23440.0, 23467.0]


def test_read_xpt_reports_what_was_written(tmp_path):
    path = tmp_path / "dm.xpt"
    write_dm(path, formats={"TRTSDT": "date9."})

    frame, meta = read_xpt(path)

    assert isinstance(meta, XptMeta)
    assert (meta.dataset, meta.label, meta.version) == ("DM", "Demographics", 5)
    assert meta.created == "05MAR24:14:30:00"
    assert meta.column_labels == LABELS
    assert meta.formats == {"TRTSDT": "DATE9."}
    assert meta.column_types == {
        "STUDYID": "text",
        "USUBJID": "text",
        "AGE": "numeric",
        "SEX": "text",
        "RFSTDTC": "text",
        "DTHFL": "text",
        "ARM": "text",
        "TRTSDT": "numeric",
    }
    assert frame["TRTSDT"].tolist()[0] == 23440.0  # day count, not a converted date


def test_character_length_is_the_longest_value_in_bytes(tmp_path):
    path = tmp_path / "dm.xpt"
    write_dm(path)

    _, meta = read_xpt(path)
    _, pyreadstat_meta = pyreadstat.read_xport(str(path))

    assert meta.character_lengths == {
        "STUDYID": 11,
        "USUBJID": 16,
        "SEX": 1,
        "RFSTDTC": 16,
        "DTHFL": 1,  # all missing: the smallest valid length
        "ARM": 32,
    }
    assert {
        name: pyreadstat_meta.variable_storage_width[name]
        for name in meta.character_lengths
    } == meta.character_lengths
    assert meta.longest_values == dict(meta.character_lengths, DTHFL=0)  # all missing: no value at all


def test_integer_and_nullable_columns_are_written_as_floats(tmp_path):
    path = tmp_path / "ex.xpt"
    frame = pd.DataFrame(
        {
            "EXSEQ": np.array([1, 2], dtype=np.int64),
            "EXDOSE": pd.array([8, None], dtype="Int64"),
            "EXTRT": pd.array(["BLINATUMOMAB", pd.NA], dtype="string"),
        }
    )
    write_xpt(
        frame,
        path,
        dataset="EX",
        label="Exposure",
        column_labels={
            "EXSEQ": "Sequence Number",
            "EXDOSE": "Dose",
            "EXTRT": "Name of Treatment",
        },
    )
    back, meta = read_xpt(path)
    assert back["EXSEQ"].tolist() == [1.0, 2.0]
    assert back["EXDOSE"].tolist()[0] == 8.0 and np.isnan(back["EXDOSE"][1])
    assert back["EXTRT"].tolist() == ["BLINATUMOMAB", ""]
    assert meta.column_types["EXDOSE"] == "numeric"


def test_empty_dataset_is_valid(tmp_path):
    path = tmp_path / "dm.xpt"
    write_dm(path, frame=demographics().iloc[0:0])
    frame, meta = read_xpt(path)
    assert len(frame) == 0
    assert list(frame.columns) == list(LABELS)
    assert meta.character_lengths["USUBJID"] == 1


def test_last_row_ending_in_blanks_is_read_back_by_read_xpt(tmp_path):
    # pandas.read_sas miscounts such a short-record file (it reads 1 row); pyreadstat does not.
    path = tmp_path / "ts.xpt"
    frame = pd.DataFrame({"TSPARMCD": ["AGEMIN", "AGEMAX"], "TSVAL": ["16", ""]})
    write_xpt(
        frame,
        path,
        dataset="TS",
        label="Trial Summary",
        column_labels={
            "TSPARMCD": "Trial Summary Parameter Short Name",
            "TSVAL": "Parameter Value",
        },
    )
    back, _ = read_xpt(path)
    assert back["TSPARMCD"].tolist() == ["AGEMIN", "AGEMAX"]
    assert back["TSVAL"].tolist() == ["16", ""]


# --- version 5 header and timestamps -------------------------------------------------


def test_header_is_version_5(tmp_path):
    path = tmp_path / "dm.xpt"
    write_dm(path)
    head = path.read_bytes()[:560]
    assert head.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
    assert b"LIBV8" not in head and b"MEMBV8" not in head
    assert head[240:288] == b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
    assert head[408:416] == b"DM      "  # v5: the dataset name in 8 bytes


def test_read_xpt_detects_version_8(tmp_path):
    path = tmp_path / "v8.xpt"
    pyreadstat.write_xport(pd.DataFrame({"A": ["x"]}), str(path), file_format_version=8)
    assert read_xpt(path)[1].version == 8


def test_source_date_epoch_makes_writes_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first, second = tmp_path / "a" / "dm.xpt", tmp_path / "b" / "dm.xpt"
    first.parent.mkdir()
    second.parent.mkdir()

    write_dm(first, created=None)
    time.sleep(1.1)  # a wall-clock stamp would now differ
    write_dm(second, created=None)

    assert first.read_bytes() == second.read_bytes()
    assert header_timestamps(first) == (EPOCH_STAMP,) * 4
    assert read_xpt(first)[1].created == EPOCH_STAMP


def test_without_source_date_epoch_only_the_stamps_differ(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = tmp_path / "one.xpt", tmp_path / "two.xpt"
    write_dm(first, created=None)
    write_dm(second, created=datetime(2001, 2, 3, 4, 5, 6))

    one, two = bytearray(first.read_bytes()), bytearray(second.read_bytes())
    differing = {i for i, (a, b) in enumerate(zip(one, two, strict=True)) if a != b}
    stamp_bytes = {i for offset in STAMP_OFFSETS for i in range(offset, offset + 16)}
    assert differing and differing <= stamp_bytes
    assert header_timestamps(second) == ("03FEB01:04:05:06",) * 4

    now = datetime.now(UTC)
    allowed = {sas_header_timestamp(now - timedelta(seconds=s)) for s in range(120)}
    assert set(header_timestamps(first)) <= allowed


def test_build_timestamp(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", f" {EPOCH}\n")
    assert build_timestamp() == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = build_timestamp()
    assert now.tzinfo is not None and now.microsecond == 0
    assert abs(datetime.now(UTC) - now) < timedelta(seconds=5)

    for bad in ["yesterday", "-5", "1.5e9", ""]:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        with pytest.raises(ProblemsError, match="SOURCE_DATE_EPOCH"):
            build_timestamp()


def test_sas_header_timestamp_converts_aware_times_to_utc():
    chengdu = timezone(timedelta(hours=8))
    assert (
        sas_header_timestamp(datetime(2024, 3, 5, 22, 30, 9, tzinfo=chengdu))
        == "05MAR24:14:30:09"
    )
    assert (
        sas_header_timestamp(datetime(1999, 12, 31, 23, 59, 59)) == "31DEC99:23:59:59"
    )


# --- refusals ------------------------------------------------------------------------


@pytest.fixture
def old_target(tmp_path) -> Path:
    path = tmp_path / "dm.xpt"
    path.write_bytes(b"the previous, good dm.xpt")
    return path


def assert_untouched(path: Path) -> None:
    assert path.read_bytes() == b"the previous, good dm.xpt"
    assert leftovers(path.parent) == []


def test_non_ascii_value_is_refused_and_the_old_file_kept(old_target):
    frame = demographics()
    frame.loc[2, "RFSTDTC"] = "8 μg/day"

    with pytest.raises(ProblemsError) as excinfo:
        write_dm(old_target, frame=frame)

    [problem] = problems(excinfo)
    assert (problem.dataset, problem.column, problem.row) == ("DM", "RFSTDTC", 3)
    assert "'μ' (U+03BC) at position 3" in problem.message
    assert problem.value == "8 μg/day"
    assert_untouched(old_target)


def test_value_over_200_bytes_is_refused(old_target):
    frame = demographics()
    frame.loc[0, "RFSTDTC"] = "x" * 200
    write_dm(old_target, frame=frame)  # 200 is allowed
    assert read_xpt(old_target)[1].character_lengths["RFSTDTC"] == 200

    frame.loc[1, "RFSTDTC"] = "y" * 201
    with pytest.raises(ProblemsError) as excinfo:
        write_dm(old_target, frame=frame)
    [problem] = problems(excinfo)
    assert (problem.column, problem.row) == ("RFSTDTC", 2)
    assert "201 bytes" in problem.message


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("QSORRESU", True),
        ("QSORRESUX", False),
        ("aesev", False),
        ("1AE", False),
        ("AE-SEV", False),
    ],
)
def test_variable_names_follow_v5_rules(tmp_path, name, ok):
    path = tmp_path / "qs.xpt"
    frame = pd.DataFrame({name: ["x"]})
    options = {"dataset": "QS", "label": "Questionnaires", "column_labels": {name: "A"}}
    if ok:
        write_xpt(frame, path, **options)
        assert read_xpt(path)[0].columns.tolist() == [name]
        return
    with pytest.raises(ProblemsError) as excinfo:
        write_xpt(frame, path, **options)
    assert [p.column for p in problems(excinfo)] == [name]
    assert "naming rule" in problems(excinfo)[0].message


def test_labels_are_checked_and_all_problems_reported_together(old_target):
    labels = dict(LABELS, AGE="A" * 41, SEX="Séx")
    del labels["DTHFL"]
    with pytest.raises(ProblemsError) as excinfo:
        write_xpt(
            demographics(),
            old_target,
            dataset="dm",
            label="D" * 41,
            column_labels=labels,
        )
    found = {
        (p.column, p.message.split(" ")[0] + " " + p.message.split(" ")[1])
        for p in problems(excinfo)
    }
    assert found == {
        (None, "dataset name"),
        (None, "dataset label"),
        ("AGE", "variable label"),
        ("SEX", "variable label"),
        ("DTHFL", "the column"),
    }
    assert "41 characters" in str(excinfo.value)
    assert_untouched(old_target)


def test_unsupported_column_types_and_mixed_values_are_refused(tmp_path):
    frame = pd.DataFrame(
        {
            "AESER": [True, False],
            "AESTDT": pd.to_datetime(["2024-03-05", "2024-03-06"]),
            "AETOXGR": pd.Series(["3", 4], dtype=object),
            "AEDUR": [1.0, np.inf],
        }
    )
    labels = {name: name.title() for name in frame.columns}
    with pytest.raises(ProblemsError) as excinfo:
        write_xpt(
            frame,
            tmp_path / "ae.xpt",
            dataset="AE",
            label="Adverse Events",
            column_labels=labels,
        )
    by_column = {p.column: p for p in problems(excinfo)}
    assert set(by_column) == {"AESER", "AESTDT", "AETOXGR", "AEDUR"}
    assert by_column["AETOXGR"].row == 2
    assert by_column["AEDUR"].row == 2
    assert not (tmp_path / "ae.xpt").exists()


def test_formats_are_checked(tmp_path):
    with pytest.raises(ProblemsError) as excinfo:
        write_dm(
            tmp_path / "dm.xpt",
            formats={"TRTSDT": "$CHAR9.", "AGE": "not a format", "NOSUCH": "8."},
        )
    assert {p.column for p in problems(excinfo)} == {"TRTSDT", "AGE", "NOSUCH"}


def test_many_bad_rows_are_summarised_per_column(tmp_path):
    frame = pd.DataFrame({"AETERM": ["Fièvre"] * 50})
    with pytest.raises(ProblemsError) as excinfo:
        write_xpt(
            frame,
            tmp_path / "ae.xpt",
            dataset="AE",
            label="Adverse Events",
            column_labels={"AETERM": "Reported Term"},
        )
    found = problems(excinfo)
    assert len(found) == 11
    assert "40 more rows" in found[-1].message


# --- atomic writes -------------------------------------------------------------------


def test_interrupted_write_leaves_no_temp_file_and_the_old_target(old_target, monkeypatch):
    def crash(source, target):
        assert Path(source).read_bytes().startswith(b"HEADER RECORD")  # the whole file was in the temporary
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(writer.os, "replace", crash)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        write_dm(old_target)
    assert_untouched(old_target)


def test_disk_error_becomes_a_problem(old_target, monkeypatch):
    def full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "fsync", full)
    with pytest.raises(ProblemsError, match="could not write the XPT file: No space left") as excinfo:
        write_dm(old_target)
    assert problems(excinfo)[0].file == str(old_target)
    assert_untouched(old_target)


def test_missing_output_folder_is_a_problem(tmp_path):
    with pytest.raises(ProblemsError, match="output folder does not exist"):
        write_dm(tmp_path / "no" / "such" / "dm.xpt")


def test_replaces_an_existing_file(old_target):
    write_dm(old_target)
    assert read_xpt(old_target)[1].dataset == "DM"
    assert leftovers(old_target.parent) == []


# --- against ReadStat, byte for byte -------------------------------------------------


def test_same_bytes_as_readstat_wrote_for_the_same_frame(tmp_path):
    # ReadStat (pyreadstat) wrote cdisc-map's files before its own writer: the files stay the same.
    ours, theirs = tmp_path / "dm.xpt", tmp_path / "readstat.xpt"
    frame = demographics()
    write_dm(ours, formats={"TRTSDT": "DATE9.", "ARM": "$CHAR32.", "AGE": "8."})
    prepared = frame.assign(SEX=frame["SEX"].fillna(""), DTHFL="")
    pyreadstat.write_xport(prepared, str(theirs), file_format_version=5, table_name="DM", file_label="Demographics",
                           column_labels=[LABELS[c] for c in frame.columns],
                           variable_format={"TRTSDT": "DATE9.", "ARM": "$CHAR32.", "AGE": "8."})
    one, two = bytearray(ours.read_bytes()), bytearray(theirs.read_bytes())
    for offset in STAMP_OFFSETS:
        two[offset : offset + 16] = one[offset : offset + 16]
    assert one == two


def test_formats_and_informats_are_kept_apart(tmp_path):
    path = tmp_path / "adsl.xpt"
    frame = pd.DataFrame({"TRTSDT": [23440.0], "AGE": [34.0], "ARM": ["A"]})
    labels = {"TRTSDT": "Date of First Exposure", "AGE": "Age", "ARM": "Arm"}
    write_xpt(frame, path, dataset="ADSL", label="Subject-Level Analysis Dataset", column_labels=labels,
              formats={"TRTSDT": "DATE9.", "ARM": "$CHAR1."}, informats={"AGE": "3."})

    _, meta = read_xpt(path)
    assert meta.formats == {"TRTSDT": "DATE9.", "ARM": "$CHAR1."}
    assert meta.informats == {"AGE": "3."}
    namestrs = path.read_bytes()[640 : 640 + 3 * 140]
    trtsdt, age = namestrs[:140], namestrs[140:280]
    assert trtsdt[56:64] == b"DATE    " and trtsdt[64:66] == b"\x00\x09"
    assert trtsdt[72:84] == b" " * 8 + bytes(4)  # niform, nifl, nifd: nothing copied from the format
    assert age[56:70] == b" " * 8 + b"\x00\x00\x00\x00\x00\x01"  # no format (nfj 1: right-justified)
    assert age[72:84] == b" " * 8 + b"\x00\x03\x00\x00"
    _, by_pyreadstat = pyreadstat.read_xport(str(path))
    # pyreadstat 1.3.8 writes the format with its period ("DATE9."), 1.3.7 without
    assert by_pyreadstat.original_variable_types["TRTSDT"].rstrip(".") == "DATE9"
    assert by_pyreadstat.original_variable_types["ARM"].rstrip(".") == "$CHAR1"


def test_informats_are_checked(tmp_path):
    with pytest.raises(ProblemsError) as excinfo:
        write_dm(tmp_path / "dm.xpt", informats={"AGE": "$CHAR3.", "SEX": "what", "NOSUCH": "8."})
    assert {p.column for p in problems(excinfo)} == {"AGE", "SEX", "NOSUCH"}
    assert all("informat" in p.message for p in problems(excinfo))


def test_number_beyond_the_ibm_range_is_refused(tmp_path):
    frame = pd.DataFrame({"AVAL": [1.0, 2.0**252, -1e300, 2.0**251]})
    with pytest.raises(ProblemsError) as excinfo:
        write_xpt(frame, tmp_path / "adlb.xpt", dataset="ADLB", label="Laboratory", column_labels={"AVAL": "Value"})
    assert [(p.row, p.column) for p in problems(excinfo)] == [(2, "AVAL"), (3, "AVAL")]
    assert "16**63" in problems(excinfo)[0].message
    assert not (tmp_path / "adlb.xpt").exists()


def test_blank_observations_that_would_read_as_padding_are_refused(tmp_path):
    labels = {"IDVAR": "Identifying Variable", "RELID": "Relationship Identifier"}
    options = {"dataset": "RELREC", "label": "Related Records", "column_labels": labels}
    frame = pd.DataFrame({"IDVAR": ["AESEQ", "", ""], "RELID": ["1", "", None]})  # 6-byte observations
    with pytest.raises(ProblemsError, match=r"last 2 observation\(s\) are blank") as excinfo:
        write_xpt(frame, tmp_path / "relrec.xpt", **options)
    assert problems(excinfo)[0].row == 2

    long_rows = frame.assign(IDVAR=["AESEQ" + "x" * 80, "", ""])  # 86-byte observations: ReadStat drops them too
    with pytest.raises(ProblemsError, match=r"ReadStat \(pyreadstat, R's haven\) takes them for padding"):
        write_xpt(long_rows, tmp_path / "relrec.xpt", **options)
    kept = long_rows.assign(RELID=["1", "", "2"])  # a value in the last observation: nothing is lost
    write_xpt(kept, tmp_path / "relrec.xpt", **options)
    assert read_xpt(tmp_path / "relrec.xpt")[0]["RELID"].tolist() == ["1", "", "2"]
    assert pyreadstat.read_xport(str(tmp_path / "relrec.xpt"))[0]["RELID"].tolist() == ["1", "", "2"]


def test_values_with_many_distinct_texts_and_shared_ones(tmp_path):
    path = tmp_path / "lb.xpt"
    rows = 5000
    frame = pd.DataFrame({
        "USUBJID": [f"NCT06111625-{i % 37:04d}" for i in range(rows)],
        "LBORRES": [f"{i * 0.37:.2f} and some text to make it longer than eight bytes {i}" for i in range(rows)],
        "LBSTRESN": np.arange(rows) / 7.0,
    })
    labels = {"USUBJID": "Subject", "LBORRES": "Result", "LBSTRESN": "Numeric Result"}
    write_xpt(frame, path, dataset="LB", label="Laboratory Test Results", column_labels=labels)
    back, _ = read_xpt(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    by_pyreadstat, _ = pyreadstat.read_xport(str(path))
    pd.testing.assert_frame_equal(back, by_pyreadstat)


# --- property: random doubles and random text round-trip --------------------------------

TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
NUMBER = st.one_of(st.floats(min_value=-(2.0**251), max_value=2.0**251), st.just(float("nan")),
                   st.integers(min_value=-(2**53), max_value=2**53).map(float))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), rows=st.integers(min_value=0, max_value=12))
def test_random_frames_round_trip_through_us_and_pyreadstat(tmp_path, data, rows):
    texts = data.draw(st.integers(min_value=0, max_value=3))
    numbers = data.draw(st.integers(min_value=1, max_value=3))
    columns = {f"C{i}": data.draw(st.lists(TEXT, min_size=rows, max_size=rows)) for i in range(texts)}
    columns |= {f"N{i}": data.draw(st.lists(NUMBER, min_size=rows, max_size=rows)) for i in range(numbers)}
    frame = pd.DataFrame({name: pd.Series(values, dtype="str" if name.startswith("C") else float)
                          for name, values in columns.items()}, index=pd.RangeIndex(rows))
    path = tmp_path / "qs.xpt"
    write_xpt(frame, path, dataset="QS", label="Questionnaires", column_labels={n: f"Label {n}" for n in columns})

    expected = frame.copy()
    for name in columns:
        if name.startswith("C"):  # SAS pads text with blanks: trailing blanks are not kept
            expected[name] = pd.Series([v.rstrip(" ") for v in frame[name]], dtype="str", index=frame.index)
        else:  # under 16**-65 is written as zero, as SAS does
            expected[name] = frame[name].where(~(np.abs(frame[name]) < 2.0**-260), 0.0)
    back, meta = read_xpt(path)
    pd.testing.assert_frame_equal(back, expected, check_column_type=False)
    theirs, their_meta = pyreadstat.read_xport(str(path))
    # (pyreadstat gives an empty text column the object dtype)
    pd.testing.assert_frame_equal(theirs, expected, check_column_type=False, check_dtype=rows > 0)
    assert their_meta.column_names_to_labels == meta.column_labels
    assert {n: their_meta.variable_storage_width[n] for n in meta.character_lengths} == meta.character_lengths


def test_special_missing_values_are_read_and_written_back(tmp_path):
    path = tmp_path / "adlb.xpt"
    frame = pd.DataFrame({"AVAL": [1.0, np.nan, np.nan, np.nan, 2.5]})
    write_xpt(frame, path, dataset="ADLB", label="Laboratory", column_labels={"AVAL": "Analysis Value"})
    _, meta = read_xpt(path)
    assert meta.missing_codes == {}  # only "." so far
    codes = np.array([0, ord("A"), ord("_"), ord("."), 0], dtype=np.uint8)
    write_transport(frame, path, meta.layout, missing_codes={"AVAL": codes})

    back, meta = read_xpt(path)
    assert back["AVAL"].isna().tolist() == [False, True, True, True, False]
    assert meta.missing_codes["AVAL"].tolist() == [0, ord("A"), ord("_"), ord("."), 0]
    observations = path.read_bytes()[-80:]
    assert observations[8:32] == b"A" + bytes(7) + b"_" + bytes(7) + b"." + bytes(7)
    theirs, _ = pyreadstat.read_xport(str(path))
    assert theirs["AVAL"].isna().tolist() == [False, True, True, True, False]


def test_write_transport_refuses_a_layout_that_does_not_tile_the_observation(tmp_path):
    path = tmp_path / "dm.xpt"
    write_dm(path)
    frame, meta = read_xpt(path)
    first, second = meta.layout.variables[:2]
    overlapping = replace(meta.layout, variables=(first, replace(second, position=second.position - 1),
                                                  *meta.layout.variables[2:]))
    with pytest.raises(ProblemsError, match="at byte 10 of an observation, where byte 11 is next") as excinfo:
        write_transport(frame, path, overlapping)
    assert [p.column for p in problems(excinfo)][0] == "USUBJID"
    shifted = (replace(v, position=v.position - 1) for v in meta.layout.variables[2:])
    too_short = replace(meta.layout, variables=(first, replace(second, length=15), *shifted))
    with pytest.raises(ProblemsError, match="a value of 16 bytes does not fit a 15-byte column") as excinfo:
        write_transport(frame, path, too_short)
    assert problems(excinfo)[0].column == "USUBJID"
    assert read_xpt(path)[0].equals(frame)  # the file as it was


def test_reading_in_chunks_of_rows_gives_the_same_frame(tmp_path, monkeypatch):
    path = tmp_path / "lb.xpt"
    rows = 700
    frame = pd.DataFrame({
        "USUBJID": [f"S-{i % 23:03d}" for i in range(rows)],
        "LBORRES": [f"result {i % 97}" if i % 5 else "" for i in range(rows)],
        "LBSTRESN": np.where(np.arange(rows) % 7 == 0, np.nan, np.arange(rows) / 3.0),
    })
    labels = {"USUBJID": "Subject", "LBORRES": "Result", "LBSTRESN": "Numeric Result"}
    write_xpt(frame, path, dataset="LB", label="Laboratory Test Results", column_labels=labels)
    whole, whole_meta = read_xpt(path)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 97)  # a few rows at a time, cut anywhere
    chunked, chunked_meta = read_xpt(path)
    pd.testing.assert_frame_equal(chunked, whole)
    assert chunked_meta == whole_meta
    assert chunked_meta.longest_values == {"USUBJID": 5, "LBORRES": 9}  # "result 96"
    shared = chunked["USUBJID"].array._ndarray
    assert shared[0] is shared[23]  # one string per distinct value, across chunks too


def test_declared_lengths_are_kept_and_values_read_back_unpadded(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-001", "S-2"], "SEX": ["", ""], "AGE": [30.0, 41.0]})
    path = tmp_path / "dm.xpt"
    write_xpt(frame, path, dataset="DM", label="Demographics", column_labels=LABELS,
              lengths={"USUBJID": 20, "SEX": 8, "AGE": 3})  # a numeric length is not a text length: ignored
    data, meta = pyreadstat.read_xport(str(path))
    assert meta.variable_storage_width == {"USUBJID": 20, "SEX": 8, "AGE": 8}
    assert data["USUBJID"].tolist() == ["S-001", "S-2"] and data["SEX"].tolist() == ["", ""]
    with pytest.raises(ProblemsError) as excinfo:
        write_xpt(frame, path, dataset="DM", label="Demographics", column_labels=LABELS, lengths={"USUBJID": 4})
    problem = excinfo.value.problems[0]
    assert (problem.column, problem.row, problem.value) == ("USUBJID", 1, "S-001")


def test_blank_labels_are_allowed_when_asked(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-001"]})
    with pytest.raises(ProblemsError, match="no label"):
        write_xpt(frame, tmp_path / "x.xpt", dataset="X", label="", column_labels={})
    write_xpt(frame, tmp_path / "x.xpt", dataset="X", label="", column_labels={}, require_labels=False)
    meta = read_xpt(tmp_path / "x.xpt")[1]
    assert (meta.label, meta.column_labels) == ("", {"USUBJID": ""})


def test_text_in_another_encoding_is_read_as_windows_1252_and_says_so(tmp_path):
    path = tmp_path / "ts.xpt"
    write_xpt(pd.DataFrame({"TSVAL": ["Alzheimer's"]}), path, dataset="TS", label="Trial Summary",
              column_labels={"TSVAL": "Parameter Value"})
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Alzheimer's", b"Alzheimer\x92s"))  # a Windows-1252 apostrophe
    frame, meta = read_xpt(path)
    assert (meta.encoding, meta.non_ascii_columns) == ("cp1252", ("TSVAL",))
    assert frame["TSVAL"].tolist() == ["Alzheimer\u2019s"]
    assert read_xpt(path, encoding="latin-1")[0]["TSVAL"].tolist() == ["Alzheimer\x92s"]  # as told
