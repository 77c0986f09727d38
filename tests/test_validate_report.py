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
from test_validate_sample import clean_package, published_stand_in, rewrite, sdtm_folder

from cdisc_map.validate import (
    FORMATS,
    REPORT_JSON_SCHEMA,
    RULES,
    Finding,
    Report,
    render,
    render_xlsx,
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
    return validate_path(defective, ct=published_stand_in())  # the bundled CT standing in for --ct


def test_json_follows_the_documented_schema(report):
    document = json.loads(render(report, "json"))
    jsonschema.validate(document, REPORT_JSON_SCHEMA)
    assert document["summary"] == {"errors": 2, "warnings": 6, "notices": 0, "findings": 8,
                                   "datasets": 11, "records": 33}
    first = document["findings"][0]
    assert list(first) == ["rule", "severity", "file", "dataset", "variable", "row",
                           "usubjid", "seq", "value", "message"]
    [sdtm] = [p for p in document["packages"] if p["kind"] == "SDTM"]
    assert sdtm == {"folder": "m5/datasets/nct06111625/tabulations/sdtm",
                    "define": "m5/datasets/nct06111625/tabulations/sdtm/define.xml",
                    "define_version": "2.1", "kind": "SDTM", "declared_standard": "SDTMIG 3.4",
                    "standard": "SDTMIG 3.4 (bundled subset)", "declared_terminology": None,
                    "terminology": "CDISC CT 2024-09-27 (NCI EVS)"}


def test_json_counts_every_rule_and_dataset(report):
    document = json.loads(render(report, "json"))
    counts = {rule["id"]: rule["count"] for rule in document["rules"]}
    assert list(counts) == list(RULES)
    assert (counts["CM0204"], counts["CM0205"], counts["CM0511"]) == (1, 6, 1)
    by_file = {d["name"]: (d["errors"], d["warnings"]) for d in document["datasets"]}
    assert by_file["DM"] == (2, 0) and by_file["EX"] == (0, 6) and by_file["AE"] == (0, 0)
    assert {d["name"]: d["label"] for d in document["datasets"]}["EX"] == "Exposure"


def test_json_is_byte_identical_between_runs(defective: Path, report):
    assert render(validate_path(defective, ct=published_stand_in()), "json") == render(report, "json")


def test_the_documented_schema_is_the_one_in_the_code():
    block = re.search(r"## JSON Schema.*?```json\n(.*?)\n```", DOC.read_text(), re.S)
    assert json.loads(block.group(1)) == REPORT_JSON_SCHEMA


def test_junit_has_one_test_case_per_rule_and_dataset_with_one_failure_each(report):
    root = ET.fromstring(render(report, "junit"))
    cases = root.findall("testsuite/testcase")
    fired = {("CM0204", "DM"), ("CM0511", "DM"), ("CM0205", "EX")}
    names = [case.get("name") for case in cases]
    assert len(cases) == len(RULES) - 3 + len(fired)
    assert {tuple(n.split(":")[0].split()) for n in names if n.split()[0] in {"CM0204", "CM0205", "CM0511"}} == fired
    failures = {case.get("name").split(":")[0]: case.findall("failure") for case in cases}
    assert [len(failures[f"{r} {d}"]) for r, d in sorted(fired)] == [1, 0, 1]
    assert failures["CM0204 DM"][0].get("message").startswith("1 finding:")
    assert root.get("tests") == str(len(cases)) and root.get("failures") == "2"
    warnings = next(c for c in cases if c.get("name").startswith("CM0205 EX"))
    assert warnings.find("system-out").text.count("warning:") == 6


def test_junit_fail_on_warning_turns_warnings_into_failures(report):
    root = ET.fromstring(render(report, "junit", fail_on="warning"))
    assert root.get("failures") == "3"
    [failure] = [c for c in root.iter("testcase") if c.get("name").startswith("CM0205 EX")][0]
    assert failure.get("type") == "warning" and failure.text.count("warning:") == 6


def test_html_is_self_contained_escaped_and_summarised(report):
    page = render(report, "html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<(link|script|img)\b|https?://", page)
    assert 'id="summary"' in page and 'id="contents"' in page and "CM0204" in page
    assert "2 errors, 6 warnings, 0 notices in 11 datasets (33 records)" in page
    # a section per dataset and per rule that fired, linked from the contents and the findings
    for anchor in ("rule-CM0204", "rule-CM0205", "rule-CM0511"):
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page
    assert RULES["CM0205"].explanation in page.replace("&#x27;", "'")


def test_html_groups_findings_by_value_with_counts_and_sample_records(report):
    page = render(report, "html")
    section = page[page.index("EX (m5/datasets"):]
    row = re.search(r"<tr><td>EXDOSU</td><td>mcg/day</td><td class=\"n\">6</td><td>(.*?)</td>", section)
    assert row, section[:2000]
    assert row.group(1).startswith("row 1, NCT06111625-01-001, seq 1; row 2") and "and 1 more" in row.group(1)


def test_html_and_text_shorten_to_max_per_rule_and_say_by_how_much(report):
    text = render(report, "text", max_per_rule=2)
    assert text.count("CM0205 warning") == 2 + 1  # two findings, then the rule's summary line
    assert "CM0205: 4 more findings not shown (6 in all" in text
    page = render(report, "html", max_per_rule=1)
    assert "more values" not in page  # EXDOSU is one value: one group of 6
    assert json.loads(render(report, "json"))["summary"]["findings"] == 8


def test_text_groups_findings_by_file_with_counts(report):
    text = render(report, "text")
    assert "m5/datasets/nct06111625/tabulations/sdtm/dm.xpt  DM, 4 records" in text
    assert re.search(r"CM0205 warning\s+6  A value is not in its extensible codelist", text)
    assert text.rstrip().endswith("2 errors, 6 warnings, 0 notices in 11 datasets (33 records)")
    assert text.count("(value ") == 0  # the message already quotes the value
    assert "tabulations/sdtm: SDTM, m5/datasets/nct06111625/tabulations/sdtm/define.xml " \
           "(Define-XML 2.1), declares SDTMIG 3.4" in text


def test_xlsx_has_the_sheets_p21_users_know_and_is_deterministic(report, tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    data = render_xlsx(report)
    assert data == render_xlsx(report)
    path = tmp_path / "report.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["Dataset Summary", "Issue Summary", "Details", "Rules"]
    details = list(book["Details"].iter_rows(values_only=True))
    assert details[0][:8] == ("Dataset", "File", "Record", "USUBJID", "SEQ", "Variable", "Value", "Rule")
    assert len(details) == 1 + 8
    issues = {(r[0], r[1]): r[5] for r in list(book["Issue Summary"].iter_rows(values_only=True))[1:]}
    assert issues == {("DM", "CM0204"): 1, ("DM", "CM0511"): 1, ("EX", "CM0205"): 6}
    summary = {r[0]: r[6:9] for r in list(book["Dataset Summary"].iter_rows(values_only=True))[1:]}
    assert summary["DM"] == (2, 0, 0) and summary["EX"] == (0, 6, 0)


def test_unknown_format_is_refused(report):
    assert FORMATS == ("text", "json", "junit", "html", "xlsx")
    with pytest.raises(ValueError, match="unknown report format"):
        render(report, "pdf")
    with pytest.raises(ValueError, match="binary"):
        render(report, "xlsx")


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
                                                    "11 datasets (33 records)")
    shutil.rmtree(tmp_path / "clean")


def test_html_shows_at_most_max_per_rule_values_and_says_how_many_it_leaves_out():
    findings = [Finding("CM0205", "warning", "ex.xpt", "EX", "EXDOSU", row, subject_id, "1", unit,
                        f"EXDOSU {unit!r} is not in codelist UNIT")
                for row, (subject_id, unit) in enumerate(
                    [("S-1", "mcg/day")] * 3 + [("S-2", "ug/d")] * 2 + [("S-3", "mkg")], start=1)]
    report = Report(path="pkg", datasets=[], defines=[], findings=findings,
                    totals={("CM0205", "ex.xpt"): 6}, standard="SDTMIG 3.4", terminology="CT")
    page = render(report, "html", max_per_rule=2)
    assert "<td>mcg/day</td>" in page and "<td>ug/d</td>" in page and "<td>mkg</td>" not in page
    assert "1 more values (1 findings) not shown" in page
    assert "<td>mkg</td>" in render(report, "html", max_per_rule=0)
