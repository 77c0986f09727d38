"""The command line: run's progress and summary, validate's reports and exit codes, rules."""

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EPOCH

from cdisc_map.cli import main
from cdisc_map.io.xpt import read_xpt, write_xpt

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def out(bundled_run) -> Path:
    return bundled_run.out


def test_run_logs_plain_stage_lines_when_not_on_a_terminal(bundled_run):
    assert "] Mapping raw export" in bundled_run.output and "mapped AE:" in bundled_run.output
    assert "\r" not in bundled_run.output
    assert "Validation: 0 errors, 2 warnings" in bundled_run.output  # the mapping's 2 (CM0701)
    assert (bundled_run.out / "validation" / "report.html").is_file()


def test_the_bundled_package_validates_without_errors_or_warnings(out):
    result = CliRunner().invoke(main, ["validate", str(out), "--fail-on", "warning"])
    assert result.exit_code == 0, result.output


def test_validate_writes_every_format(out, tmp_path):
    for fmt in ("text", "json", "junit", "html"):
        result = CliRunner().invoke(main, ["validate", str(out), "--format", fmt, "--fail-on", "notice"])
        assert result.exit_code in (0, 1) and result.exception is None or \
            isinstance(result.exception, SystemExit), (fmt, result.output[:500])
        assert result.output.strip(), fmt
    document = json.loads(CliRunner().invoke(main, ["validate", str(out), "--format", "json"]).output)
    assert document["summary"]["datasets"] == 18
    workbook = tmp_path / "report.xlsx"
    result = CliRunner().invoke(main, ["validate", str(out), "--format", "xlsx", "--output", str(workbook)])
    assert result.exit_code in (0, 1) and workbook.stat().st_size > 0, result.output
    assert CliRunner().invoke(main, ["validate", str(out), "--format", "xlsx"]).exit_code == 2


def test_validate_clean_package_exits_0_with_every_format(out):
    for fmt in ("text", "json", "junit", "html"):
        result = CliRunner().invoke(main, ["validate", str(out), "--format", fmt])
        assert result.exit_code == 0, (fmt, result.output[:500])


def test_validate_exits_1_on_a_defect_and_names_the_record(out, tmp_path):
    package = tmp_path / "sdtm"
    shutil.copytree(out / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm", package)
    frame, meta = read_xpt(package / "ae.xpt")
    frame.loc[0, "AESEQ"] = frame.loc[1, "AESEQ"] if frame.loc[0, "USUBJID"] == frame.loc[1, "USUBJID"] else 99.0
    frame.loc[0, "AESTDY"] = 0.0
    write_xpt(frame, package / "ae.xpt", dataset="AE", label=meta.label, column_labels=meta.column_labels)
    result = CliRunner().invoke(main, ["validate", str(package)])
    assert result.exit_code == 1
    assert frame.loc[0, "USUBJID"] in result.output


def test_validate_exits_2_when_the_input_is_not_a_package(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a package" in result.output
    assert "Traceback" not in result.output


def test_rules_lists_every_rule():
    from cdisc_map.validate import RULES

    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    assert all(rule_id in result.output for rule_id in RULES)


def test_a_second_quiet_run_gives_a_byte_identical_tree_with_source_date_epoch(bundled_run, tmp_path, monkeypatch):
    """Determinism of everything a run writes (XPT headers, define.xml, reports), and --quiet's output."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "again"), "--quiet"])
    assert result.exit_code == 0
    assert "Mapping raw export" not in result.output and "Wrote 18 datasets" in result.output
    assert f"Outcomes report: {tmp_path / 'again' / 'report' / 'index.html'}" in result.output
    first, second = bundled_run.out, tmp_path / "again"
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) >= 24  # 18 XPTs, 2 define.xml, 2 stylesheets, 2 reports
    assert Path("report/index.html") in files, "the outcomes report, figures and all"
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    define = (bundled_run.sdtm / "define.xml").read_bytes()
    assert b'CreationDateTime="2026-01-01T00:00:00' in define
    assert b"01JAN26:00:00:00" in (bundled_run.sdtm / "dm.xpt").read_bytes()[:600]


def test_report_rebuilds_the_page_of_a_run(out, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    page = copy / "report" / "index.html"
    before = page.read_bytes()
    page.unlink()
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert f"Outcomes report: {page}" in result.output
    assert page.read_bytes() == before, "report OUT gives the page run wrote"


def test_report_of_an_adtte_another_tool_wrote(out, tmp_path):
    adam = out / "m5" / "datasets" / "nct06111625" / "analysis" / "adam" / "datasets"
    sdtm = out / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    result = CliRunner().invoke(main, ["report", str(tmp_path / "r"), "--adtte", str(adam / "adtte.xpt"),
                                       "--adsl", str(adam / "adsl.xpt"), "--sdtm", str(sdtm)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r" / "report" / "index.html").read_text(encoding="utf-8")
    assert text.count("<svg") == 5 and 'id="disposition"' in text and "day 100" in text


def test_report_exits_2_without_a_package_and_without_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "no ADTTE in the output tree" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "report").exists()
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--adsl", str(tmp_path)])
    assert result.exit_code == 2


def test_report_settings_mistakes_exit_2(out, tmp_path):
    settings = tmp_path / "report.yaml"
    settings.write_text("timepoints: {PFS: [2 yrs]}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(out), "--settings", str(settings)])
    assert result.exit_code == 2 and "timepoints.PFS" in result.output and "not a time point" in result.output


def test_every_validate_option_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = main.commands["validate"]
    options = [name for parameter in command.params for name in parameter.opts if name.startswith("--")]
    assert options and all(f"`{option}" in readme for option in options), options


def test_the_validation_report_links_the_outcomes_report_of_the_same_run(bundled_run):
    page = (bundled_run.out / "validation" / "report.html").read_text(encoding="utf-8")
    links = re.findall(r'See also: <a href="([^"]+)">Outcomes report</a>', page)
    assert links == ["../report/index.html"]
    assert (bundled_run.out / "validation" / links[0]).resolve().is_file()
