"""The report on disk: found in an OUT tree or given as files, written atomically, rebuilt to the
same bytes (in another process too), and the settings that apply to which study."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.xpt import read_xpt
from cdisc_map.report import ReportInputs, build_page, report_after_run, study_report_settings, write_outcomes_report
from cdisc_map.report.endpoints import KAPLAN_MEIER, analyse_adtte
from cdisc_map.report.settings import ReportSettings, settings_from

BUNDLED_STUDY = Path(__file__).resolve().parent.parent / "cdisc_map" / "studies" / "nct06111625"


@pytest.fixture
def out(bundled_out, tmp_path) -> Path:
    shutil.copytree(bundled_out, tmp_path / "out")
    return tmp_path / "out"


def test_run_writes_the_report_and_a_rebuild_gives_the_same_bytes(out):
    written = out / "report" / "index.html"
    before = written.read_bytes()
    assert b"<svg" in before
    written.unlink()
    result = write_outcomes_report(out, settings=study_report_settings(BUNDLED_STUDY))
    assert result.path == written and result.problems == []
    assert written.read_bytes() == before
    assert [p.name for p in written.parent.iterdir()] == ["index.html"], "no temporary file left behind"


def test_another_process_builds_the_same_page(out):
    """Determinism across processes: string hashing (set order) differs per process unless pinned."""
    script = ("import sys; from pathlib import Path; from cdisc_map.report import *; "
              "sys.stdout.write(build_page(ReportInputs.of_tree(Path(sys.argv[1])), "
              "study_report_settings(Path(sys.argv[2])))[0])")
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", script, str(out), str(BUNDLED_STUDY)], capture_output=True,
                           text=True, encoding="utf-8", env=environment, check=True).stdout
    assert other == build_page(ReportInputs.of_tree(out), study_report_settings(BUNDLED_STUDY))[0]


def test_an_adtte_and_adsl_given_as_files_are_reported_without_sdtm(out, tmp_path):
    elsewhere = tmp_path / "other-tool"
    elsewhere.mkdir()
    adam = next(out.glob("m5/datasets/*/analysis/adam/datasets"))
    for name in ("adtte.xpt", "adsl.xpt"):
        shutil.copy(adam / name, elsewhere / name)
    target = tmp_path / "report-out"
    result = write_outcomes_report(target, ReportInputs.of_files(elsewhere / "adtte.xpt", elsewhere / "adsl.xpt"))
    text = result.path.read_text(encoding="utf-8")
    assert result.path == target / "report" / "index.html"
    assert text.count("<svg") == 5 and 'id="disposition"' not in text
    assert "1 year" in text and "day 100" not in text, "no settings given and none that apply: 1 and 2 years"


def test_the_bundled_settings_apply_to_the_bundled_study_only(out):
    # the bundled settings as the fallback for the bundled study: tests/test_cli.py, report OUT = run's page
    other = settings_from({"studyid": "OTHER", "timepoints": {"AGVHD": ["day 30"]}}, source="other.yaml")
    text, _ = build_page(ReportInputs.of_tree(out), fallback=other)
    assert "day 30" not in text
    text, problems = build_page(ReportInputs.of_tree(out), settings=other)
    assert "day 30" in text and "the report settings are for study OTHER" in problems[0].message


def test_a_study_without_report_yaml_has_no_settings(tmp_path):
    assert study_report_settings(tmp_path) is None
    assert study_report_settings(BUNDLED_STUDY).source.endswith("report.yaml")


def test_a_tree_without_adtte_is_refused_with_a_hint(tmp_path):
    with pytest.raises(ProblemsError) as caught:
        ReportInputs.of_tree(tmp_path)
    assert "--adtte" in caught.value.problems[0].hint
    assert report_after_run(tmp_path, "NCT06111625", None) == (None, [])


def test_a_tree_with_two_studies_is_refused(out):
    copy = out / "m5" / "datasets" / "second"
    shutil.copytree(out / "m5" / "datasets" / "nct06111625", copy)
    with pytest.raises(ProblemsError, match="more than one study"):
        ReportInputs.of_tree(out)
    assert ReportInputs.of_tree(out, "NCT06111625").adtte.parts[-5] == "nct06111625"


def test_after_a_run_a_report_that_cannot_be_made_is_a_warning(out):
    adtte = next(out.glob("m5/datasets/*/analysis/adam/datasets/adtte.xpt"))
    adtte.write_bytes(b"not a transport file")
    path, problems = report_after_run(out, "NCT06111625", None)
    assert path is None and problems and all(p.severity == "warning" for p in problems)
    assert problems[0].message.startswith("outcomes report not written")


REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"


@pytest.mark.skipif(not (REFERENCE / "cdiscpilot01-adam" / "adtte.xpt").is_file(),
                    reason="../shared/reference/ (the CDISC pilot package, written by SAS) is not on this machine")
def test_the_cdisc_pilot_adtte_written_by_sas_is_reported_per_treatment_group():
    """Another tool's ADTTE: three arms (TRTP), Kaplan-Meier per arm as lifelines gives it; the pilot's
    ts.xpt holds a Windows-1252 byte, which costs a warning and the TS lines, not the report."""
    lifelines = pytest.importorskip("lifelines")
    adam, sdtm = REFERENCE / "cdiscpilot01-adam", REFERENCE / "cdiscpilot01-sdtm"
    text, problems = build_page(ReportInputs.of_files(adam / "adtte.xpt", adam / "adsl.xpt", sdtm))
    # at most a warning about ts.xpt's legacy text (a reader that decodes Windows-1252 has none)
    assert all(p.severity == "warning" and (p.dataset == "TS" or "ts.xpt" in str(p)) for p in problems), problems
    adtte = read_xpt(adam / "adtte.xpt")[0]
    (ttde,), _ = analyse_adtte(adtte, read_xpt(adam / "adsl.xpt")[0], ReportSettings())
    assert (ttde.paramcd, ttde.method, ttde.group_variable) == ("TTDE", KAPLAN_MEIER, "TRTP")
    assert [g.name for g in ttde.groups] == ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]
    for group in ttde.groups:
        rows = adtte[adtte["TRTP"] == group.name]
        fitter = lifelines.KaplanMeierFitter().fit(rows["ADT"] - rows["STARTDT"], rows["CNSR"] == 0)
        assert group.median().value == fitter.median_survival_time_, group.name
        for day in range(0, int(group.curve.last_time) + 1, 7):
            assert group.curve.at(day).value == pytest.approx(fitter.survival_function_.loc[:day].iloc[-1, 0],
                                                              abs=1e-12), (group.name, day)
        assert f"{group.name} (N={len(rows)})" in text
    dm = read_xpt(sdtm / "dm.xpt")[0]
    assert f'<td>Screened</td><td class="n">{dm["USUBJID"].nunique()}</td>' in text
