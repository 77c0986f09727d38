"""Renderers: JSON follows its documented schema, JUnit parses with one test case per
rule, HTML is self-contained and escaped, text is grouped with counts."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from test_validate_sample import clean_package, rewrite, sdtm_folder

from cdisc_map.validate import (
    FORMATS,
    REPORT_JSON_SCHEMA,
    RULES,
    render,
    validate_path,
    write_reports,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "validation-report.md"


@pytest.fixture(scope="module")
def defective(tmp_path_factory) -> Path:
    """Errors (SEX, against CT and define.xml), warnings (EXDOSU) and a value that looks
    like HTML."""
    root = clean_package(tmp_path_factory.mktemp("report"))
    sdtm = sdtm_folder(root)

    def change_dm(frame: pd.DataFrame) -> None:
        frame.loc[0, "SEX"] = "<script>alert(1)</script>"
    rewrite(sdtm, "DM", change_dm)
    rewrite(sdtm, "EX", lambda f: f.assign(EXDOSU="mcg/day"))
    return root


@pytest.fixture(scope="module")
def report(defective: Path):
    return validate_path(defective)


def test_json_follows_the_documented_schema(report):
    document = json.loads(render(report, "json"))
    jsonschema.validate(document, REPORT_JSON_SCHEMA)
    assert document["summary"] == {"errors": 2, "warnings": 6, "notices": 0, "findings": 8,
                                   "datasets": 6, "records": 25}
    first = document["findings"][0]
    assert list(first) == ["rule", "severity", "file", "dataset", "variable", "row",
                           "usubjid", "seq", "value", "message"]


def test_json_counts_every_rule_and_dataset(report):
    document = json.loads(render(report, "json"))
    counts = {rule["id"]: rule["count"] for rule in document["rules"]}
    assert list(counts) == list(RULES)
    assert (counts["CM0204"], counts["CM0205"], counts["CM0511"]) == (1, 6, 1)
    by_file = {d["name"]: (d["errors"], d["warnings"]) for d in document["datasets"]}
    assert by_file["DM"] == (2, 0) and by_file["EX"] == (0, 6) and by_file["AE"] == (0, 0)


def test_json_is_byte_identical_between_runs(defective: Path, report):
    assert render(validate_path(defective), "json") == render(report, "json")


def test_the_documented_schema_is_the_one_in_the_code():
    block = re.search(r"## JSON Schema.*?```json\n(.*?)\n```", DOC.read_text(), re.S)
    assert json.loads(block.group(1)) == REPORT_JSON_SCHEMA


def test_junit_has_one_test_case_per_rule_and_a_failure_per_error(report):
    root = ET.fromstring(render(report, "junit"))
    cases = root.findall("testsuite/testcase")
    assert [case.get("name").split()[0] for case in cases] == list(RULES)
    failures = [(case.get("name").split()[0], failure.get("type"))
                for case in cases for failure in case.findall("failure")]
    assert failures == [("CM0204", "error"), ("CM0511", "error")]
    assert root.get("tests") == str(len(RULES)) and root.get("failures") == "2"
    warnings = next(c for c in cases if c.get("name").startswith("CM0205"))
    assert warnings.find("system-out").text.count("warning:") == 6


def test_junit_fail_on_warning_turns_warnings_into_failures(report):
    root = ET.fromstring(render(report, "junit", fail_on="warning"))
    assert root.get("failures") == "8"


def test_html_is_self_contained_escaped_and_summarised(report):
    page = render(report, "html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<(link|script|img)\b|https?://", page)
    assert 'id="summary"' in page and "CM0204" in page and "CM0205" in page
    assert "2 errors, 6 warnings, 0 notices in 6 datasets (25 records)" in page


def test_text_groups_findings_by_file_with_counts(report):
    text = render(report, "text")
    assert "m5/datasets/nct06111625/tabulations/sdtm/dm.xpt  DM, 4 records" in text
    assert re.search(r"CM0205 warning\s+6  A value is not in its extensible codelist", text)
    assert text.rstrip().endswith("2 errors, 6 warnings, 0 notices in 6 datasets (25 records)")
    assert text.count("(value ") == 0  # the message already quotes the value


def test_unknown_format_is_refused(report):
    assert FORMATS == ("text", "json", "junit", "html")
    with pytest.raises(ValueError, match="unknown report format"):
        render(report, "pdf")


def test_write_reports_writes_json_and_html(report, tmp_path: Path):
    written = write_reports(report, tmp_path / "OUT" / "validation")
    assert [p.name for p in written] == ["report.json", "report.html"]
    assert json.loads(written[0].read_text())["summary"]["errors"] == 2
    assert sorted(p.name for p in written[0].parent.iterdir()) == ["report.html",
                                                                   "report.json"]


def test_a_clean_package_renders_as_clean(tmp_path: Path):
    report = validate_path(clean_package(tmp_path / "clean"))
    assert "No findings." in render(report, "html")
    assert render(report, "text").rstrip().endswith("0 errors, 0 warnings, 0 notices in "
                                                    "6 datasets (25 records)")
    shutil.rmtree(tmp_path / "clean")
