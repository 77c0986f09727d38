"""Files SAS wrote (the CDISC pilot package in ../shared/reference/): our reader reads each
as pyreadstat does, and writing back what it read gives SAS's file byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc_map.io.xpt import read_xpt, write_transport

REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
FILES = sorted(REFERENCE.glob("*/*.xpt")) if REFERENCE.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"no SAS-written XPT files in {REFERENCE} (the shared reference "
                                                  "packages are not on this machine)")


def ids(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.fixture(scope="module", params=FILES, ids=ids)
def read(request) -> tuple[Path, pd.DataFrame, object]:
    frame, meta = read_xpt(request.param)
    return request.param, frame, meta


def test_reads_as_pyreadstat_does(read):
    path, frame, meta = read
    theirs, their_meta = pyreadstat.read_xport(str(path), encoding=meta.encoding, disable_datetime_conversion=True)
    pd.testing.assert_frame_equal(frame, theirs)
    assert meta.version == 5
    assert meta.dataset == their_meta.table_name
    assert meta.label == (their_meta.file_label or "")
    assert meta.column_labels == {name: label or "" for name, label in their_meta.column_names_to_labels.items()}
    assert meta.column_types == {name: "text" if kind == "string" else "numeric"
                                 for name, kind in their_meta.readstat_variable_types.items()}
    assert meta.character_lengths == {name: width for name, width in their_meta.variable_storage_width.items()
                                      if meta.column_types[name] == "text"}
    assert meta.formats == {name: fmt if "." in fmt else fmt + "."
                            for name, fmt in their_meta.original_variable_types.items() if fmt}
    assert meta.created == path.read_bytes()[144:160].decode("ascii")


def test_written_back_it_is_the_same_file(read, tmp_path):
    path, frame, meta = read
    target = tmp_path / path.name
    write_transport(frame, target, meta.layout, missing_codes=meta.missing_codes, encoding=meta.encoding)
    assert target.read_bytes() == path.read_bytes()


def test_legacy_windows_1252_text_is_read_and_named():
    path = REFERENCE / "cdiscpilot01-sdtm" / "ts.xpt"
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    frame, meta = read_xpt(path)
    assert meta.encoding == "cp1252"
    assert meta.non_ascii_columns == ("TSVAL",)
    assert any("Alzheimer\u2019s" in value for value in frame["TSVAL"])  # 0x92, the curly apostrophe
    assert np.all([value.isascii() for value in frame["TSPARMCD"]])
