"""check-spec: every problem names the file and line, and says what to write instead."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.spec.check import check_study, load_study
from cdisc_map.spec.yamlfile import load_yaml

BUNDLED = Path(__file__).resolve().parent.parent / "mappings" / "nct06111625"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A copy of the bundled study's specs that a test may break."""
    target = tmp_path / "study"
    shutil.copytree(BUNDLED, target)
    study_yaml = target / "study.yaml"
    study_yaml.write_text(study_yaml.read_text().replace("../../fixtures", str(BUNDLED.parent.parent / "fixtures")))
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_bundled_specs_are_valid():
    study, problems = check_study(BUNDLED)
    assert problems == []
    assert {spec.name for spec in study.sdtm} >= {"DM", "EX"}


def test_misspelt_kind_is_located_with_a_suggestion(study: Path):
    spec = study / "sdtm" / "dm.yaml"
    edit(spec, "SEX:     {ct: SEX, col: DM.SEX}", "SEX:     {ct: SEX, cl: DM.SEX}")
    _, problems = check_study(study)
    messages = [p for p in problems if "cl" in p.message]
    assert messages, problems
    problem = messages[0]
    assert problem.file == str(spec)
    assert problem.row == line_of(spec, "SEX:     {ct: SEX, cl")
    assert "col" in problem.hint


def test_derivation_without_its_parameter(study: Path):
    spec = study / "sdtm" / "dm.yaml"
    edit(spec, "AGE:     {derive: age, of: BRTHDTC, ref: RFICDTC}", "AGE:     {derive: age, of: BRTHDTC}")
    _, problems = check_study(study)
    problem = next(p for p in problems if "needs `ref`" in p.message)
    assert problem.row == line_of(spec, "AGE:     {derive: age")
    assert "ref:" in problem.hint


def test_unknown_derivation_and_form_get_close_matches(study: Path):
    edit(study / "sdtm" / "dm.yaml", "{derive: usubjid}", "{derive: usubjd}")
    edit(study / "sdtm" / "ex.yaml", "form: premedication", "form: premedicaton")
    _, problems = check_study(study)
    hints = {p.message: p.hint for p in problems}
    assert any("usubjid" in (h or "") for m, h in hints.items() if "usubjd" in m)
    assert any("premedication" in (h or "") for m, h in hints.items() if "premedicaton" in m)


def test_two_kinds_in_one_variable(study: Path):
    edit(study / "sdtm" / "dm.yaml", "DOMAIN:  {constant: DM}", "DOMAIN:  {constant: DM, copy: DM.DOMAIN}")
    _, problems = check_study(study)
    assert any("exactly one of" in p.message and "copy and constant" in p.message for p in problems)


def test_unknown_codelist(study: Path):
    edit(study / "sdtm" / "dm.yaml", "{ct: SEX, col: DM.SEX}", "{ct: SEXX, col: DM.SEX}")
    _, problems = check_study(study)
    assert any("SEXX" in p.message and "not in" in p.message for p in problems)


def test_adam_spec_problems_name_their_file(study: Path):
    pfs = study / "adam" / "adtte" / "pfs.yaml"
    edit(pfs, "paramcd: PFS", "paramcd: PROGRESSIONFREE")
    result = CliRunner().invoke(main, ["check-spec", str(study)])
    assert result.exit_code == 1
    assert "pfs.yaml" in result.output and "PROGRESSIONFREE" in result.output


def test_yaml_syntax_error_names_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: DM\nkeys: [STUDYID\nsources: []\n")
    with pytest.raises(ProblemsError) as caught:
        load_yaml(bad)
    assert caught.value.problems[0].file == str(bad)
    assert caught.value.problems[0].row in (2, 3)


def test_load_study_raises_all_problems(study: Path):
    edit(study / "sdtm" / "dm.yaml", "dataset: DM", "dataset: dm")
    with pytest.raises(ProblemsError) as caught:
        load_study(study)
    assert any("upper case" in (p.hint or "") for p in caught.value.problems)


def test_check_spec_command(study: Path):
    runner = CliRunner()
    ok = runner.invoke(main, ["check-spec", str(BUNDLED)])
    assert ok.exit_code == 0, ok.output
    edit(study / "sdtm" / "ex.yaml", "EXDOSE:   {number: Dose}", "EXDOSE:   {numbr: Dose}")
    bad = runner.invoke(main, ["check-spec", str(study)])
    assert bad.exit_code == 1
    assert "ex.yaml" in bad.output and "did you mean 'number'" in bad.output
