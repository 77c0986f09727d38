"""cdisc_map.spec.submission: what study.yaml says for define.xml (documents, CRF pages, dictionaries,
analysis results), and what check-spec says when those keys do not fit together."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cdisc_map.spec.check import check_study
from cdisc_map.spec.submission import (
    as_pages,
    dictionaries,
    documents,
    qualifier_pages,
    selection_checks,
    variable_pages,
)

ROOT = Path(__file__).resolve().parent.parent
ACRF = {"id": "acrf", "title": "Annotated CRF", "href": "acrf.pdf", "kind": "annotated_crf", "package": "sdtm"}


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(ROOT / "mappings" / "nct06111625", folder)
    return folder


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def problems_of(study_dir: Path) -> list:
    study, problems = check_study(study_dir)
    assert study is not None, problems
    return problems


def test_the_bundled_study_s_submission_keys_are_clean():
    study, problems = check_study(ROOT / "mappings" / "nct06111625")
    assert [p for p in problems if "analysis result" in p.message or "CRF" in p.message
            or "dictionary" in p.message or "document" in p.message] == []
    assert [(d.name, d.version) for d in dictionaries(study)] == [("MedDRA", "27.0")]
    assert [d["id"] for d in documents(study, "sdtm")] == [d["id"] for d in documents(study, "adam")] == [
        "registration"]  # a document naming no package is in both


def test_a_form_s_pages_go_to_the_values_collected_on_it_and_a_mapping_s_own_pages_win(study_dir: Path):
    def pages(data):
        data["raw"]["forms"]["adverse_events"]["crf_pages"] = [12, 11]
        data["documents"].append(ACRF)
    edit(study_dir / "study.yaml", pages)
    edit(study_dir / "sdtm" / "ae.yaml", lambda ae: ae["variables"]["AETERM"].update(crf_pages=30))
    study, problems = check_study(study_dir)
    assert [p for p in problems if p.severity == "error"] == []
    ae = study.dataset("AE")
    found = variable_pages(study, ae)
    assert found["AETERM"] == (30,)
    assert found["AEDECOD"] == found["AESTDTC"] == (11, 12)  # collected on the form, sorted
    assert "AESTDY" not in found and "DOMAIN" not in found  # derived, assigned: not on the form
    assert qualifier_pages(study, ae)["AECRSGR"] == (11, 12)
    assert variable_pages(study, study.dataset("DM")) == {}  # the demographics form names no pages


def test_pages_without_an_annotated_crf_are_an_error_naming_the_line(study_dir: Path):
    edit(study_dir / "study.yaml", lambda d: d["raw"]["forms"]["adverse_events"].update(crf_pages=12))
    edit(study_dir / "sdtm" / "ae.yaml", lambda ae: ae["variables"]["AETERM"].update(crf_pages=30))
    found = [p for p in problems_of(study_dir) if "declares no annotated CRF" in p.message]
    assert [p.message.split(" ")[:2] for p in found] == [["form", "adverse_events"], ["AETERM", "names"]]
    assert all(p.row and p.hint and "annotated_crf" in p.hint for p in found)
    assert found[1].file.endswith("ae.yaml") and found[1].severity == "error"


def test_pages_on_a_derived_value_are_a_warning(study_dir: Path):
    edit(study_dir / "study.yaml", lambda d: d["documents"].append(ACRF))
    edit(study_dir / "sdtm" / "ae.yaml", lambda ae: ae["variables"]["AESTDY"].update(crf_pages=3))
    (found,) = [p for p in problems_of(study_dir) if "names CRF pages" in p.message]
    assert found.severity == "warning" and "origin is Derived" in found.message


def test_a_meddra_coded_variable_without_a_release_is_a_warning(study_dir: Path):
    edit(study_dir / "study.yaml", lambda d: d["standards"].pop("meddra"))
    (found,) = [p for p in problems_of(study_dir) if "MedDRA" in p.message]
    assert found.severity == "warning" and "AEDECOD" in found.message and "meddra" in found.hint


def test_one_release_per_dictionary(study_dir: Path):
    edit(study_dir / "study.yaml", lambda d: d.update(dictionaries=[
        {"name": "MedDRA", "version": "26.1", "variables": ["MH.MHDECOD"]}]))
    (found,) = [p for p in problems_of(study_dir) if "releases" in p.message]
    assert "['26.1', '27.0']" in found.message


def test_analysis_results_must_name_what_the_study_builds(study_dir: Path):
    def broken(data):
        result = data["analysis_results"][0]["results"][0]
        result.update(parameter="PSF", variables=["AVAL", "CNSRX"])
        result["documentation"]["documents"] = [{"id": "sap"}]
        data["analysis_results"][0]["results"].append({**result, "id": "R2", "dataset": "ADAE"})
        data["analysis_results"][0]["results"].append({**result, "id": "PFS.KM.2Y"})
    edit(study_dir / "study.yaml", broken)
    messages = {p.message: p for p in problems_of(study_dir) if "analysis result" in p.message}
    assert "analysis result PFS.KM.2Y: ADTTE has no parameter PSF" in messages
    assert messages["analysis result PFS.KM.2Y: ADTTE has no parameter PSF"].hint == "did you mean 'PFS'?"
    assert "analysis result PFS.KM.2Y: ADTTE has no variable CNSRX" in messages
    assert "analysis result R2: ADAE is not an ADaM dataset of the study" in messages
    assert "analysis result id 'PFS.KM.2Y' is used more than once" in messages
    sap = [p for p in problems_of(study_dir) if "'sap'" in p.message]
    assert sap and all(p.row for p in sap)


def test_a_selection_is_a_where_clause():
    assert selection_checks({"all": [{"var": "PARAMCD", "eq": "PFS"}, {"var": "AVAL", "ge": 1},
                                     {"var": "SEX", "not_in": ["U", 2.5]}]}) == [
        ("PARAMCD", "EQ", ["PFS"]), ("AVAL", "GE", ["1"]), ("SEX", "NOTIN", ["U", "2.5"])]
    assert as_pages([3, 1, 3]) == (1, 3) and as_pages(7) == (7,) and as_pages(None) == ()


def test_the_schema_refuses_a_selection_a_where_clause_cannot_state(study_dir: Path):
    edit(study_dir / "study.yaml", lambda d: d["analysis_results"][0]["results"][0].update(
        where={"any": [{"var": "SAFFL", "eq": "Y"}]}))
    study, problems = check_study(study_dir)
    assert study is None and any("analysis_results" in str(p) for p in problems)
