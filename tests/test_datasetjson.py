"""Dataset-JSON 1.1: what a run writes is valid against CDISC's official schemas, holds what the
XPT holds, says what define.xml says, and converts back to the same XPT."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from lxml import etree

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.convert import convert_dataset
from cdisc_map.io.datasetjson import (
    Context,
    format_kind,
    is_dataset_json,
    read_dataset_json,
    write_dataset_json,
)
from cdisc_map.io.xpt import read_xpt, write_xpt

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT.parent / "shared" / "standards" / "dataset-json-1.1"
REFERENCE = ROOT.parent / "shared" / "reference"
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


def _load_schema(path: Path) -> dict:
    raw = path.read_bytes()
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"  # the NDJSON one is UTF-16
    return json.loads(raw.decode(encoding))


@pytest.fixture(scope="module")
def schemas() -> tuple[jsonschema.Validator, jsonschema.Validator]:
    if not (SCHEMAS / "dataset.schema.json").is_file():
        pytest.skip(f"the official Dataset-JSON 1.1 schemas are not in {SCHEMAS}")
    document = _load_schema(SCHEMAS / "dataset.schema.json")
    ndjson = _load_schema(SCHEMAS / "dataset-ndjson-schema.json")
    # The published NDJSON schema points at #/$defs/Column and #/$defs/SourceSystem but nests
    # both definitions one level down; give them the address its own references use.
    nested = ndjson["$defs"]["DatasetMetadata"]["properties"]
    ndjson["$defs"].setdefault("Column", nested["columns"]["items"]["Column"])
    ndjson["$defs"].setdefault("SourceSystem", nested["sourceSystem"]["SourceSystem"])
    ndjson["$defs"].setdefault("DataTypesEnum", nested["columns"]["items"]["DataTypesEnum"])
    return jsonschema.Draft201909Validator(document), jsonschema.Draft201909Validator(ndjson)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """The bundled study written as XPT, Dataset-JSON and NDJSON, once for the module."""
    root = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = CliRunner().invoke(main, ["run", "--out", str(root), "--formats", "xpt,json,ndjson", "--quiet"])
    assert result.exit_code == 0, result.output
    return root


def packages(out: Path) -> list[Path]:
    return sorted({path.parent for path in out.rglob("define.xml")})


def dataset_files(out: Path, suffix: str) -> list[Path]:
    return sorted(out.rglob(f"*{suffix}"))


def errors(validator: jsonschema.Validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


# --- the files a run writes ----------------------------------------------------------


def test_every_json_file_is_valid_against_the_official_schema(out: Path, schemas):
    document_schema, _ = schemas
    files = [p for p in dataset_files(out, ".json") if p.parent.name != "validation"]
    assert len(files) == 18
    for path in files:
        assert errors(document_schema, json.loads(path.read_text(encoding="utf-8"))) == [], path.name


def test_every_ndjson_file_is_valid_line_by_line_and_as_a_whole(out: Path, schemas):
    document_schema, ndjson_schema = schemas
    files = dataset_files(out, ".ndjson")
    assert len(files) == 18
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        metadata, rows = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
        assert errors(ndjson_schema, metadata) == [], path.name
        assert all(isinstance(row, list) and len(row) == len(metadata["columns"]) for row in rows)
        assert errors(document_schema, {**metadata, "rows": rows}) == [], path.name
        assert metadata["records"] == len(rows)


def test_json_holds_the_values_and_metadata_of_the_xpt(out: Path):
    for xpt in dataset_files(out, ".xpt"):
        expected, xpt_meta = read_xpt(xpt)
        for suffix in (".json", ".ndjson"):
            frame, meta = read_dataset_json(xpt.with_suffix(suffix))
            pd.testing.assert_frame_equal(frame, expected, check_dtype=True)
            as_xpt = meta.transport_meta()
            for attribute in ("dataset", "label", "column_labels", "column_types", "character_lengths", "formats"):
                assert getattr(as_xpt, attribute) == getattr(xpt_meta, attribute), (xpt.name, attribute)


def test_oids_keys_and_study_match_define_xml(out: Path):
    for folder in packages(out):
        define = etree.parse(str(folder / "define.xml"))
        study_oid = define.find(f"{ODM}Study").get("OID")
        version_oid = define.find(f".//{ODM}MetaDataVersion").get("OID")
        groups = {group.get("OID"): group for group in define.iter(f"{ODM}ItemGroupDef")}
        for path in sorted(folder.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            group = groups[document["itemGroupOID"]]
            refs = group.findall(f"{ODM}ItemRef")
            assert [c["itemOID"] for c in document["columns"]] == [r.get("ItemOID") for r in refs], path.name
            assert [c.get("keySequence") for c in document["columns"]] == [
                int(r.get("KeySequence")) if r.get("KeySequence") else None for r in refs]
            assert (document["studyOID"], document["metaDataVersionOID"]) == (study_oid, version_oid)
            assert document["metaDataRef"] == "define.xml"
            assert document["name"] == group.get("Name") and document["records"] == len(document["rows"])


def test_creation_time_comes_from_source_date_epoch(out: Path):
    for path in dataset_files(out, ".ndjson"):
        assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])[
            "datasetJSONCreationDateTime"] == "2023-11-14T22:13:20Z"


def test_adam_numeric_dates_are_iso_dates_with_integer_target(out: Path):
    adsl = json.loads(next(out.rglob("adsl.json")).read_text(encoding="utf-8"))
    frame, _ = read_xpt(next(out.rglob("adsl.xpt")))
    dated = [c for c in adsl["columns"] if c.get("displayFormat") == "DATE9."]
    assert dated, "ADSL has numeric dates"
    for column in dated:
        assert (column["dataType"], column["targetDataType"]) == ("date", "integer")
        position = [c["name"] for c in adsl["columns"]].index(column["name"])
        for row, days in zip(adsl["rows"], frame[column["name"]]):
            expected = None if math.isnan(days) else str(pd.Timestamp("1960-01-01") + pd.Timedelta(days=days))[:10]
            assert row[position] == expected


def test_sdtm_dtc_text_is_date_or_datetime_and_numbers_are_typed(out: Path):
    for path in sorted(out.rglob("*.json")):
        if path.parent.name == "validation":
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        for position, column in enumerate(document["columns"]):
            values = [row[position] for row in document["rows"] if row[position] not in (None, "")]
            if column["name"].endswith("DTC"):
                assert column["dataType"] == ("datetime" if any("T" in v for v in values) or not values else "date")
                assert "targetDataType" not in column and all(isinstance(v, str) for v in values)
            elif column["dataType"] == "integer":
                assert all(type(v) is int for v in values)
            elif column["dataType"] == "float":
                assert all(isinstance(v, float) for v in values) and any(not v.is_integer() for v in values)
    ae = json.loads(next(out.rglob("ae.json")).read_text(encoding="utf-8"))
    types = {c["name"]: c["dataType"] for c in ae["columns"]}
    assert (types["AESTDTC"], types["AESEQ"], types["AETERM"]) == ("datetime", "integer", "string")


def test_define_xml_points_at_the_xpt_when_both_are_written(out: Path):
    for folder in packages(out):
        # the datasets' leaves (a define.xml also links documents: the protocol, an aCRF)
        hrefs = [leaf.get("{http://www.w3.org/1999/xlink}href") for leaf in etree.parse(str(folder / "define.xml"))
                 .iterfind(".//{http://www.cdisc.org/ns/odm/v1.3}ItemGroupDef/{http://www.cdisc.org/ns/def/v2.1}leaf")]
        assert hrefs and all(href.endswith(".xpt") for href in hrefs)


def test_validate_checks_the_xpt_of_a_package_holding_both(out: Path):
    result = CliRunner().invoke(main, ["validate", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    files = [d["file"] for d in json.loads(result.output)["datasets"]]
    assert len(files) == 18 and all(f.endswith(".xpt") for f in files)


# --- XPT -> Dataset-JSON -> XPT --------------------------------------------------------


def _xpt_facts(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, dict]:
    """What an independent reader (pyreadstat) sees in an XPT file, the header stamps aside."""
    options = {"encoding": encoding} if encoding else {}
    frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True, **options)
    facts = {"table": meta.table_name, "label": meta.file_label, "labels": meta.column_names_to_labels,
             "types": meta.readstat_variable_types, "widths": meta.variable_storage_width,
             "formats": meta.original_variable_types}
    return frame, facts


@pytest.fixture(scope="module")
def second_out(tmp_path_factory) -> Path:
    """The second bundled study (NCT03036124) written as XPT and Dataset-JSON."""
    root = tmp_path_factory.mktemp("second")
    study = ROOT / "cdisc_map" / "studies" / "nct03036124"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = CliRunner().invoke(main, ["run", str(study), "--out", str(root), "--formats", "xpt,json", "--quiet"])
    assert result.exit_code == 0, result.output
    return root


def test_the_second_study_s_json_is_valid_and_every_dataset_round_trips(second_out: Path, schemas, tmp_path: Path):
    document_schema, _ = schemas
    files = [p for p in dataset_files(second_out, ".json") if p.parent.name != "validation"]
    assert len(files) == 15
    for path in files:
        assert errors(document_schema, json.loads(path.read_text(encoding="utf-8"))) == [], path.name
    assert_round_trips(second_out, tmp_path)


def test_round_trip_of_every_bundled_dataset_is_lossless(out: Path, tmp_path: Path):
    assert_round_trips(out, tmp_path)


def assert_round_trips(out: Path, tmp_path: Path) -> None:
    """XPT -> Dataset-JSON -> XPT and XPT -> NDJSON -> XPT of every dataset: values and metadata kept."""
    assert dataset_files(out, ".xpt")
    for xpt in dataset_files(out, ".xpt"):
        for suffix in (".json", ".ndjson"):
            middle = tmp_path / f"{xpt.stem}{suffix}"
            back = tmp_path / f"{xpt.stem}.{suffix[1:]}.xpt"
            convert_dataset(xpt, middle)
            convert_dataset(middle, back)
            expected, expected_facts = _xpt_facts(xpt)
            frame, facts = _xpt_facts(back)
            pd.testing.assert_frame_equal(frame, expected)
            assert facts == expected_facts, xpt.name


def test_round_trip_of_the_cdisc_pilot_datasets_written_by_sas(tmp_path: Path):
    files = sorted(REFERENCE.glob("*/*.xpt"))
    if not files:
        pytest.skip(f"the CDISC pilot packages are not in {REFERENCE}")
    for xpt in files:
        if xpt.stem == "ts":
            continue  # holds a Windows-1252 apostrophe: see the next test
        convert_dataset(xpt, tmp_path / f"{xpt.stem}.json")  # .ndjson holds the same: see the byte test below
        convert_dataset(tmp_path / f"{xpt.stem}.json", tmp_path / f"{xpt.stem}.xpt")
        expected, expected_facts = _xpt_facts(xpt)
        frame, facts = _xpt_facts(tmp_path / f"{xpt.stem}.xpt")
        pd.testing.assert_frame_equal(frame, expected)
        assert facts == expected_facts, xpt.name  # blank labels and lengths wider than the values kept


def test_legacy_encoding_converts_to_json_but_not_back_into_ascii_xpt(tmp_path: Path):
    source = REFERENCE / "cdiscpilot01-sdtm" / "ts.xpt"
    if not source.is_file():
        pytest.skip(f"the CDISC pilot packages are not in {REFERENCE}")
    with pytest.raises(ProblemsError, match="give the encoding"):
        convert_dataset(source, tmp_path / "ts.json")
    convert_dataset(source, tmp_path / "ts.json", encoding="cp1252")
    frame, _ = read_dataset_json(tmp_path / "ts.json")
    assert frame["TSVAL"].str.contains("Alzheimer\u2019s").any()
    (tmp_path / "ts.xpt").write_bytes(b"old")
    with pytest.raises(ProblemsError) as excinfo:
        convert_dataset(tmp_path / "ts.json", tmp_path / "ts.xpt")
    assert all("non-ASCII" in p.message for p in excinfo.value.problems)
    assert (tmp_path / "ts.xpt").read_bytes() == b"old"


def test_json_and_ndjson_convert_into_each_other_byte_for_byte(out: Path, tmp_path: Path):
    for path in dataset_files(out, ".ndjson"):
        convert_dataset(path, tmp_path / f"{path.stem}.json")
        assert (tmp_path / f"{path.stem}.json").read_bytes() == path.with_suffix(".json").read_bytes()
        convert_dataset(tmp_path / f"{path.stem}.json", tmp_path / f"{path.stem}.ndjson")
        assert (tmp_path / f"{path.stem}.ndjson").read_bytes() == path.read_bytes()


def test_convert_command(out: Path, tmp_path: Path):
    adsl = next(out.rglob("adsl.xpt"))
    result = CliRunner().invoke(main, ["convert", str(adsl), str(tmp_path / "adsl.json")])
    assert result.exit_code == 0, result.output
    assert "ADSL, 28 records" in result.output
    assert CliRunner().invoke(main, ["convert", str(tmp_path / "adsl.json"), str(tmp_path / "adsl.xpt")]).exit_code == 0
    assert read_xpt(tmp_path / "adsl.xpt")[0].equals(read_xpt(adsl)[0])
    for bad in (["convert", str(adsl), str(tmp_path / "adsl.csv")],
                ["convert", str(adsl), str(tmp_path / "copy.xpt")],
                ["convert", str(tmp_path / "nowhere.xpt"), str(tmp_path / "x.json")]):
        result = CliRunner().invoke(main, bad)
        assert result.exit_code == 1 and "Failed" in result.output and "Traceback" not in result.output


# --- writing and reading, case by case -------------------------------------------------


LABELS = {"USUBJID": "Subject", "ADT": "Analysis Date", "ADTM": "Analysis Datetime", "ATM": "Analysis Time",
          "AVAL": "Analysis Value", "FRAC": "A Date With A Fraction", "EMPTYDT": "Never Dated", "N": "Count",
          "AESTDTC": "Start"}


def _write(tmp_path: Path, frame: pd.DataFrame, formats: dict | None = None, name: str = "adx.json", **options):
    path = tmp_path / name
    meta = write_dataset_json(frame, path, dataset="ADX", label="Test", column_labels=LABELS, formats=formats,
                              created=datetime(2024, 3, 5, 14, 30, tzinfo=UTC), **options)
    return path, meta


def test_numeric_dates_times_and_datetimes(tmp_path: Path):
    frame = pd.DataFrame({
        "ADT": [0.0, 23450.0, np.nan], "ADTM": [0.0, 23450 * 86400.0 + 3723, np.nan],
        "ATM": [0.0, 45296.0, np.nan], "FRAC": [23450.5, 1.0, np.nan], "EMPTYDT": [np.nan] * 3,
    })
    formats = {"ADT": "DATE9.", "ADTM": "E8601DT19.", "ATM": "TIME8.", "FRAC": "DATE9.", "EMPTYDT": "YYMMDD10."}
    path, meta = _write(tmp_path, frame, formats)
    document = json.loads(path.read_text(encoding="utf-8"))
    kinds = {c["name"]: (c["dataType"], c.get("targetDataType"), c.get("displayFormat")) for c in document["columns"]}
    assert kinds == {"ADT": ("date", "integer", "DATE9."), "ADTM": ("datetime", "integer", "E8601DT19."),
                     "ATM": ("time", "integer", "TIME8."), "FRAC": ("float", None, "DATE9."),
                     "EMPTYDT": ("date", "integer", "YYMMDD10.")}
    assert document["rows"] == [["1960-01-01", "1960-01-01T00:00:00", "00:00:00", 23450.5, None],
                                ["2024-03-15", "2024-03-15T01:02:03", "12:34:56", 1, None],
                                [None, None, None, None, None]]
    back, _ = read_dataset_json(path)
    pd.testing.assert_frame_equal(back, frame)


def test_text_blank_is_empty_string_and_missing_number_is_null(tmp_path: Path):
    frame = pd.DataFrame({"USUBJID": ["S-1", "", None], "N": [1.0, np.nan, -3.0], "AVAL": [0.1, 2.0, 1e-7]})
    path, meta = _write(tmp_path, frame, keys=["USUBJID"])
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["rows"] == [["S-1", 1, 0.1], ["", None, 2.0], ["", -3, 1e-7]]
    assert [c.get("keySequence") for c in document["columns"]] == [1, None, None]
    assert [c.get("length") for c in document["columns"]] == [3, None, None]
    back, _ = read_dataset_json(path)
    assert back["USUBJID"].tolist() == ["S-1", "", ""] and back["N"].isna().tolist() == [False, True, False]


def test_same_input_same_bytes_and_the_creation_time_pinned(tmp_path: Path, monkeypatch):
    frame = pd.DataFrame({"USUBJID": ["S-1"], "AESTDTC": ["2024-03"]})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    context = Context(study_oid="STDY.X", metadata_version_oid="MDV.X", source_system=("cdisc-map", "1"))
    for name in ("a.ndjson", "b.ndjson"):
        write_dataset_json(frame, tmp_path / name, dataset="AE", label="AE", column_labels=LABELS, context=context)
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()
    header = json.loads((tmp_path / "a.ndjson").read_text(encoding="utf-8").splitlines()[0])
    assert header["datasetJSONCreationDateTime"] == "2023-11-14T22:13:20Z"
    assert (header["fileOID"], header["sourceSystem"]) == ("STDY.X.AE", {"name": "cdisc-map", "version": "1"})
    assert header["columns"][1]["dataType"] == "date"


def test_frames_that_cannot_be_written_are_reported_and_nothing_is_written(tmp_path: Path):
    frame = pd.DataFrame({"N": [1.0, math.inf], "FLAG": [True, False], "USUBJID": ["a", 3]})
    with pytest.raises(ProblemsError) as excinfo:
        _write(tmp_path, frame)
    messages = " | ".join(p.message for p in excinfo.value.problems)
    assert "infinite" in messages and "bool" in messages and "int value in a text column" in messages
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, problem", [
    ('{"datasetJSONVersion": "1.1.0", "name": "X"', "not valid JSON"),
    ('[1, 2]', "top level is not an object"),
    ('{"datasetJSONVersion": "1.1.0", "columns": []}', "missing datasetJSONCreationDateTime"),
])
def test_unreadable_files_are_problems(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsError, match=problem):
        read_dataset_json(path)


def _header(**columns) -> dict:
    return {"datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
            "itemGroupOID": "IG.X", "records": 2, "name": "X", "label": "X",
            "columns": [{"itemOID": f"IT.X.{n}", "name": n, "label": n, **spec} for n, spec in columns.items()]}


def test_values_that_do_not_fit_their_column_are_named_by_row_and_column(tmp_path: Path):
    header = _header(N={"dataType": "integer"}, D={"dataType": "date", "targetDataType": "integer"},
                     T={"dataType": "string"})
    path = tmp_path / "x.ndjson"
    path.write_text("\n".join(json.dumps(v) for v in [header, [1, "2024-02-30", "a"], ["2", "2024-01", 5]]) + "\n",
                    encoding="utf-8")
    with pytest.raises(ProblemsError) as excinfo:
        read_dataset_json(path)
    found = {(p.row, p.column) for p in excinfo.value.problems}
    assert found == {(2, "D"), (3, "N"), (3, "D"), (3, "T")}  # NDJSON rows are file lines


def test_a_file_cut_short_is_noticed(tmp_path: Path):
    header = _header(T={"dataType": "string"})
    path = tmp_path / "x.ndjson"
    path.write_text(json.dumps(header) + "\n" + json.dumps(["a"]) + "\n", encoding="utf-8")
    with pytest.raises(ProblemsError, match="holds 2 records but it has 1 rows"):
        read_dataset_json(path)
    path.write_text(json.dumps(header) + "\n" + json.dumps(["a"]) + "\n" + json.dumps(["b", "c"]) + "\n",
                    encoding="utf-8")
    with pytest.raises(ProblemsError, match="row has 2 value"):
        read_dataset_json(path)


def test_metadata_only_files_and_other_writers_types_are_read(tmp_path: Path):
    header = _header(B={"dataType": "boolean"}, D={"dataType": "decimal", "targetDataType": "decimal"},
                     DT={"dataType": "datetime", "targetDataType": "integer"}, U={"dataType": "URI"})
    path = tmp_path / "x.json"
    path.write_text(json.dumps(header), encoding="utf-8")
    frame, meta = read_dataset_json(path)
    assert len(frame) == 0 and meta.records == 2 and list(frame.columns) == ["B", "D", "DT", "U"]
    header["rows"] = [[True, "1,234.5", "2024-01-01T10:00", "https://x"], [None, None, None, None]]
    path.write_text(json.dumps(header), encoding="utf-8")
    frame, meta = read_dataset_json(path)
    assert frame["B"].tolist()[0] == 1.0 and frame["D"].tolist()[0] == 1234.5
    assert frame["DT"].tolist()[0] == (pd.Timestamp("2024-01-01T10:00") - pd.Timestamp("1960-01-01")).total_seconds()
    assert meta.transport_meta().formats == {"DT": "DATETIME20."}  # a numeric datetime needs a format in XPT
    assert meta.transport_meta().character_lengths == {"U": 9}  # no length given: the longest value


def test_only_dataset_json_files_count_as_datasets(tmp_path: Path):
    (tmp_path / "report.json").write_text('{"rules": []}', encoding="utf-8")
    path, _ = _write(tmp_path, pd.DataFrame({"N": [1.0]}))
    assert is_dataset_json(path) and not is_dataset_json(tmp_path / "report.json")


@pytest.mark.parametrize("fmt, kind", [("DATE9.", "date"), ("e8601da.", "date"), ("YYMMDD10", "date"),
                                       ("DATETIME20.", "datetime"), ("E8601DT19.", "datetime"), ("TIME8.", "time"),
                                       ("8.2", None), ("BEST12.", None), ("$CHAR20.", None), ("", None)])
def test_format_kinds(fmt: str, kind: str | None):
    assert format_kind(fmt) == kind


def test_declared_lengths_and_blank_labels_survive_xpt(tmp_path: Path):
    frame = pd.DataFrame({"USUBJID": ["a", "bb"], "N": [1.0, 2.0]})
    write_xpt(frame, tmp_path / "x.xpt", dataset="X", label="", column_labels={"USUBJID": "Subject"},
              lengths={"USUBJID": 40}, require_labels=False)
    convert_dataset(tmp_path / "x.xpt", tmp_path / "x.json")
    columns = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))["columns"]
    assert [(c["label"], c.get("length")) for c in columns] == [("Subject", 40), ("", None)]
    convert_dataset(tmp_path / "x.json", tmp_path / "y.xpt")
    _, meta = read_xpt(tmp_path / "y.xpt")
    assert (meta.label, meta.character_lengths, meta.column_labels) == ("", {"USUBJID": 40},
                                                                        {"USUBJID": "Subject", "N": ""})
