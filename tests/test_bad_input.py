"""Bad input: every problem of a run reported together, with file, row, column and value;
exit status 1; nothing written and an earlier package left whole."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_spec_corpus import DM_CSV, DM_YAML, DOSE_CSV, EX_YAML, STUDY_YAML

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.pipeline import run_study


#: The small SDTM study of the spec corpus (its ADaM specs are left out here).
def make_study(root: Path, dm_csv: str = DM_CSV, dose_csv: str = DOSE_CSV) -> Path:
    (root / "sdtm").mkdir(parents=True)
    (root / "raw").mkdir()
    (root / "study.yaml").write_text(STUDY_YAML)
    (root / "sdtm" / "dm.yaml").write_text(DM_YAML)
    (root / "sdtm" / "ex.yaml").write_text(EX_YAML)
    (root / "raw" / "dm.csv").write_text(dm_csv)
    (root / "raw" / "dose.csv").write_text(dose_csv)
    return root


def problems_of(study: Path, out: Path):
    with pytest.raises(ProblemsError) as caught:
        run_study(study, out_dir=out)
    return caught.value.problems


def test_clean_mini_study_runs(tmp_path: Path):
    study = make_study(tmp_path / "s")
    summary = run_study(study, out_dir=tmp_path / "out")
    assert {w.name for w in summary.written} == {"DM", "EX"}


def test_all_problems_listed_together_with_location(tmp_path: Path):
    dm = DM_CSV.replace("51,Female", "51,Femal") + "01,001,09-JAN-2024,40,F\n"
    dose = DOSE_CSV.replace("08/01/2024", "31/02/2024") + "003,09/01/2024,10,mg\n"
    study = make_study(tmp_path / "s", dm, dose)
    problems = problems_of(study, tmp_path / "out")
    dm_file, dose_file = str(study / "raw" / "dm.csv"), str(study / "raw" / "dose.csv")

    unmapped = next(p for p in problems if "codelist SEX" in p.message)
    assert (unmapped.file, unmapped.row, unmapped.column, unmapped.value) == (dm_file, 3, "Sex", "Femal")
    assert "values:" in unmapped.hint

    invalid = next(p for p in problems if p.column == "Date" and "EXSTDTC" in p.message)
    assert (invalid.file, invalid.row, invalid.column, invalid.value) == (dose_file, 3, "Date", "31/02/2024")

    duplicate = next(p for p in problems if "duplicate subject" in p.message)
    assert (duplicate.file, duplicate.column, duplicate.value) == (dm_file, "SUBJ", "001")
    assert "rows 2, 4" in duplicate.message

    orphan = next(p for p in problems if "not in the subjects form" in p.message)
    assert (orphan.file, orphan.row, orphan.value) == (dose_file, 4, "003")


def test_missing_required_raw_column(tmp_path: Path):
    study = make_study(tmp_path / "s", dose_csv=DOSE_CSV.replace("Unit", "Units"))
    problems = problems_of(study, tmp_path / "out")
    missing = next(p for p in problems if "has no column" in p.message)
    assert missing.column == "Unit"
    assert missing.file == str(study / "raw" / "dose.csv")
    assert "Units" in missing.hint


def test_unreadable_file(tmp_path: Path):
    study = make_study(tmp_path / "s")
    (study / "raw" / "dose.csv").write_bytes(b"Subject,Date\n\xff\xfe001,\x00\x00")
    problems = problems_of(study, tmp_path / "out")
    assert any(p.file == str(study / "raw" / "dose.csv") for p in problems)


def test_failed_run_leaves_earlier_package_untouched(tmp_path: Path):
    study = make_study(tmp_path / "s")
    out = tmp_path / "out"
    summary = run_study(study, out_dir=out)
    folder = summary.written[0].path.parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    (study / "raw" / "dm.csv").write_text(DM_CSV.replace("M\n", "Mle\n", 1))
    problems_of(study, out)
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before
    assert [p.name for p in folder.parent.iterdir()] == ["sdtm"], "no staging folder left behind"


def test_cli_exit_status_and_report(tmp_path: Path):
    study = make_study(tmp_path / "s", dm_csv=DM_CSV.replace("51,Female", "51,Femal"))
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Femal" in result.output and "dm.csv, row 3" in result.output
    assert "nothing was written" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.xpt"))
