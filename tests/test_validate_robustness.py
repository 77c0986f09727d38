"""Reads anything, crashes on nothing: mutated XPT bytes, broken define.xml files and
stray files through `cdisc-map validate`, which must answer with findings and the exit
codes the README gives (0 or 1; 2 only when the input is no package), never a traceback."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from test_validate_sample import findings_of, write_dataset

from cdisc_map.cli import main
from cdisc_map.io.xpt import read_xpt
from cdisc_map.validate import render, render_xlsx, validate_path

SEED = 12


@pytest.fixture(scope="module")
def small(tmp_path_factory, pristine: Path) -> Path:
    """DM, AE and SUPPAE with their define.xml: a package small enough to validate often."""
    folder = tmp_path_factory.mktemp("small")
    source = pristine / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    for name in ("dm.xpt", "ae.xpt", "suppae.xpt", "define.xml"):
        shutil.copy(source / name, folder / name)
    return folder


@pytest.fixture
def package(small: Path, tmp_path: Path) -> Path:
    shutil.copytree(small, tmp_path / "pkg")
    return tmp_path / "pkg"


def run_validate(package: Path, *extra: str) -> tuple[int, dict]:
    """The CLI's exit code and JSON report; fails on any exception other than the exit."""
    result = CliRunner().invoke(main, ["validate", str(package), "--format", "json", *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}")
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output[-2000:]
    return result.exit_code, json.loads(result.output)


def mutations(original: bytes) -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    cases = [(f"cut at {n}", original[:n]) for n in (0, 1, 79, 80, 560, 700, len(original) - 80,
                                                     len(original) - 1)]
    cases.append(("garbage", bytes(rng.randrange(256) for _ in range(800))))
    cases.append(("header zeroed", b"\0" * 560 + original[560:]))
    cases.append(("namestr count huge", original.replace(b"NAMESTR HEADER RECORD!!!!!!!0000000023",
                                                         b"NAMESTR HEADER RECORD!!!!!!!9999999999")))
    for index in range(24):
        damaged = bytearray(original)
        for _ in range(rng.choice((1, 4, 16))):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        cases.append((f"random bytes {index}", bytes(damaged)))
    return cases


def test_mutated_xpt_bytes_never_crash_and_the_rest_is_validated(package: Path):
    original = (package / "ae.xpt").read_bytes()
    for label, data in mutations(original):
        (package / "ae.xpt").write_bytes(data)
        code, document = run_validate(package)
        datasets = {d["name"]: d for d in document["datasets"]}
        assert datasets["DM"]["records"] == 4, label  # the rest of the package is read
        unreadable = [f for f in document["findings"] if f["rule"] == "CM0101"]
        if datasets["AE"]["records"] is None:
            assert [f["file"] for f in unreadable] == ["ae.xpt"] and code == 1, label
        else:
            assert unreadable == [], label


def test_a_truncated_file_is_one_finding_not_a_shorter_dataset(package: Path):
    data = (package / "ae.xpt").read_bytes()
    (package / "ae.xpt").write_bytes(data[:-100])  # pyreadstat alone would give 2 of 3 records
    report = validate_path(package)
    [finding] = findings_of(report, "CM0101")
    assert "not a whole number of 80-byte records" in finding.message
    assert {d.name: d.records for d in report.datasets}["AE"] is None


BROKEN_DEFINES = {
    "empty": b"",
    "not xml": b"this is not xml",
    "unclosed": b"<ODM><Study>",
    "binary": bytes(range(256)),
    "another root": b'<?xml version="1.0"?><define/>',
    "odm without metadata": b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S"/></ODM>',
    "external entity": (b'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                        b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&x;</ODM>'),
}


def _edited_define(package: Path, old: str, new: str) -> bytes:
    return (package / "define.xml").read_text(encoding="utf-8").replace(old, new, 1).encode()


def test_broken_define_files_are_one_finding_each(package: Path):
    good = (package / "define.xml").read_bytes()
    cases = dict(BROKEN_DEFINES)
    cases["length not a number"] = _edited_define(package, 'Length="', 'Length="x')
    cases["missing ItemDef"] = _edited_define(package, 'ItemOID="IT.DM.SEX"', 'ItemOID="IT.NOPE"')
    cases["bad timestamp"] = _edited_define(package, 'CreationDateTime="', 'CreationDateTime="yesterday')
    cases["cut in half"] = good[: len(good) // 2]
    for label, data in cases.items():
        (package / "define.xml").write_bytes(data)
        code, document = run_validate(package)
        rules = {f["rule"] for f in document["findings"]}
        assert rules & {"CM0502", "CM0503"}, (label, rules)
        assert "passwd" not in json.dumps(document) or label != "external entity"
        assert code == 1, label


def test_a_file_that_is_not_a_dataset_is_named_and_skipped(package: Path):
    (package / "lb.sas7bdat").write_bytes(b"not really SAS")
    (package / "notes.xml").write_text("<notes/>")
    (package / "define.html").write_text("<html/>")  # a define.xml's rendering: expected here
    code, document = run_validate(package)
    skipped = {f["file"]: f["message"] for f in document["findings"] if f["rule"] == "CM0109"}
    assert set(skipped) == {"lb.sas7bdat", "notes.xml"}
    assert "SAS dataset" in skipped["lb.sas7bdat"] and "not a define.xml" in skipped["notes.xml"]
    assert all(f["severity"] == "notice" for f in document["findings"] if f["rule"] == "CM0109")


def test_non_utf8_text_is_read_reported_and_validation_goes_on(package: Path):
    frame, meta = read_xpt(package / "ae.xpt")
    frame.loc[0, "AETERM"] = "CRS GRADE 2"
    write_dataset(package, "AE", frame)
    data = (package / "ae.xpt").read_bytes().replace(b"CRS GRADE 2", b"CRS GRADE\x922")
    (package / "ae.xpt").write_bytes(data)
    code, document = run_validate(package)
    [finding] = [f for f in document["findings"] if f["rule"] == "CM0107"]
    assert finding["value"] == "CRS GRADE\u20192" and "cp1252" in finding["message"]
    assert {d["name"]: d["encoding"] for d in document["datasets"]}["AE"] == "cp1252"
    _code, latin = run_validate(package, "--encoding", "latin-1")
    assert [f["value"] for f in latin["findings"] if f["rule"] == "CM0107"] == ["CRS GRADE\x922"]


def test_an_unknown_encoding_is_one_finding_per_file(package: Path):
    _code, document = run_validate(package, "--encoding", "no-such-encoding")
    assert {f["file"] for f in document["findings"] if f["rule"] == "CM0101"} == {
        "ae.xpt", "dm.xpt", "suppae.xpt"}


def test_input_that_is_no_package_exits_2(tmp_path: Path, package: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "define.xml").write_text("<ODM/>")
    for arguments in ([str(tmp_path / "nowhere")], [str(empty)],
                      [str(package), "--define", str(tmp_path / "missing.xml")]):
        result = CliRunner().invoke(main, ["validate", *arguments])
        assert result.exit_code == 2 and "Traceback" not in result.output, arguments
        assert result.output.startswith("Error: ")


def variants(frame: pd.DataFrame):
    """Readable files whose content no check expects: no records, nothing but blanks, every
    column numeric or text, text of no known form, numbers at the edge of a double."""
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    yield "no records", frame.iloc[0:0]
    yield "all blank", frame.assign(**{c: "" if c in text_columns else np.nan for c in frame.columns})
    yield "all numeric", frame.assign(**dict.fromkeys(frame.columns, 1.0))
    yield "all text", frame.assign(**{c: frame[c].astype(str) for c in frame.columns})
    yield "odd text", frame.assign(**dict.fromkeys(frame.columns, "x" * 150 + "-T:"))
    yield "edge numbers", frame.assign(**{c: np.inf if i % 2 else -1e300 for i, c in enumerate(frame.columns)})


def test_readable_files_of_any_content_never_crash(package: Path):
    for name in ("dm.xpt", "ae.xpt", "suppae.xpt"):
        original = (package / name).read_bytes()
        frame, meta = read_xpt(package / name)
        for label, changed in variants(frame):
            pyreadstat.write_xport(changed.reset_index(drop=True), str(package / name),
                                   file_format_version=5, table_name=meta.dataset)
            report = validate_path(package)
            for fmt in ("json", "html", "junit", "text"):
                assert render(report, fmt), (name, label, fmt)
            assert render_xlsx(report), (name, label)
        (package / name).write_bytes(original)
