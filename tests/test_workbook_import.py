"""import-spec: a starter study folder from a spec workbook, ours or written by hand, and the round trip.

The round trip (export-spec, import-spec, export-spec on the bundled study) must give
the same workbook, sheet by sheet, as openpyxl reads them. A workbook written here by
hand, in the P21 layout with a Define-XML 2.0 template's habits (Description for a
dataset's label, CRF as an origin, columns in another order, a column we do not know),
must give specs that pass their JSON Schemas, with every mapping the workbook says
enough for and a placeholder and a to-do for the rest.
"""

import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from conftest import BUNDLED_STUDY, EPOCH

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.spec.check import check_study
from cdisc_map.spec.study import read_study
from cdisc_map.standards.terminology import bundled_ct
from cdisc_map.workbook.layout import SHEETS, read_book
from cdisc_map.workbook.starter import CHECKLIST, import_workbook, starter_study


def sheets_as_read(path: Path) -> dict[str, list[tuple]]:
    opened = openpyxl.load_workbook(path, read_only=True)
    try:
        return {name: list(opened[name].iter_rows(values_only=True)) for name in opened.sheetnames}
    finally:
        opened.close()


def test_export_import_export_gives_the_same_workbook_sheet_by_sheet(tmp_path):
    runner = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH})
    first, again, starter = tmp_path / "first.xlsx", tmp_path / "again.xlsx", tmp_path / "starter"
    assert runner.invoke(main, ["export-spec", str(BUNDLED_STUDY), str(first)]).exit_code == 0
    result = runner.invoke(main, ["import-spec", str(first), str(starter)])
    assert result.exit_code == 0, result.output
    assert "Unmapped (" in result.output and str(starter / CHECKLIST) in result.output
    result = runner.invoke(main, ["export-spec", str(starter), str(again)])
    assert result.exit_code == 0, result.output
    before, after = sheets_as_read(first), sheets_as_read(again)
    assert list(before) == list(after) == list(SHEETS)
    # The records of a trial design dataset are not in the workbook (P21's layout has no place for
    # them): the starter reads their numbers from a raw column to fill in, whose type it cannot know.
    header = before["Variables"][0]
    column = {name: header.index(name) for name in ("Dataset", "Variable", "Data Type")}
    guessed = []
    for index, (old, new) in enumerate(zip(before["Variables"], after["Variables"], strict=True)):
        if old != new and [old[i] for i in range(len(old)) if i != column["Data Type"]] == \
                [new[i] for i in range(len(new)) if i != column["Data Type"]] and \
                (old[column["Data Type"]], new[column["Data Type"]]) == ("integer", "float"):
            guessed.append((old[column["Dataset"]], old[column["Variable"]]))
            after["Variables"][index] = old
    assert guessed == [("TA", "TAETORD"), ("TV", "VISITNUM")]
    # IE's test codes come from a value map over the raw criterion text (ie.yaml), which the workbook
    # cannot hold: the starter's IETESTCD is a placeholder, so the codes' value-level rows are not restored.
    for name in ("ValueLevel", "WhereClauses"):
        lost = [row for row in before[name] if "WC.IE.IETESTCD." in " ".join(map(str, row))]
        assert len(lost) == {"ValueLevel": 6, "WhereClauses": 3}[name], name
        before[name] = [row for row in before[name] if row not in lost]
    for name in SHEETS:
        assert after[name] == before[name], name
    assert sum(len(rows) for rows in before.values()) > 500  # the comparison compared something
    # The starter is a study folder the spec language accepts, whose every derivation is restored.
    study, problems = check_study(starter)
    assert problems == [] and study is not None
    dm = yaml.safe_load((starter / "sdtm" / "dm.yaml").read_text())
    assert dm["variables"]["AGE"] == {"derive": "age", "of": "BRTHDTC", "ref": "RFICDTC"}
    assert dm["variables"]["SEX"] == {"ct": "SEX", "col": "SEX"}  # a placeholder: the raw column is to fill in
    pfs = yaml.safe_load((starter / "adam" / "adtte" / "pfs.yaml").read_text())
    assert pfs == yaml.safe_load((BUNDLED_STUDY / "adam" / "adtte" / "pfs.yaml").read_text())
    study_yaml = yaml.safe_load((starter / "study.yaml").read_text())
    assert study_yaml["standards"] == {"sdtmig": "3.4", "adamig": "1.3", "ct": "2024-09-27", "meddra": "27.0"}
    assert study_yaml["documents"] == [{"id": "registration", "title": "Protocol registration NCT06111625 "
                                        "(ClinicalTrials.gov)", "href": "https://clinicaltrials.gov/study/NCT06111625",
                                        "kind": "protocol"}]


# --- a workbook written by hand -----------------------------------------------------------------


def sheet(workbook, name, header, rows):
    worksheet = workbook.create_sheet(name)
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> Path:
    """A spec as a programmer writes one in P21's template: DM, AE with SUPPAE, ADSL."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheet(workbook, "Study", ["Attribute", "Value"], [
        ["StudyName", "ABC-123"], ["StudyDescription", "A study written by hand"], ["ProtocolName", "ABC-123 v2"]])
    sheet(workbook, "Datasets", ["Dataset", "Description", "Class", "Structure", "Key Variables", "Standard",
                                 "Comment", "Reviewer"], [
        ["DM", "Demographics", "SPECIAL PURPOSE", "One record per subject", "STUDYID, USUBJID", "SDTMIG 3.3",
         "COM.DM", "ok"],
        ["AE", "Adverse Events", "EVENTS", "One record per event per subject",
         "STUDYID, USUBJID, AEDECOD, AESTDTC, AEXXX", "SDTMIG 3.3", None, None],
        ["SUPPAE", "Supplemental Qualifiers for AE", "RELATIONSHIP", "", "", "SDTMIG 3.3", None, None],
        ["ADSL", "Subject-Level Analysis Dataset", "SUBJECT LEVEL ANALYSIS DATASET", "One record per subject",
         "STUDYID, USUBJID", "ADaMIG 1.1", None, None],
    ])
    columns = ["Dataset", "Variable", "Order", "Label", "Data Type", "Length", "Codelist", "Origin", "Pages",
               "Method", "Predecessor", "Assigned Value", "Comment", "Developer Notes"]

    def var(dataset, name, order, label, kind="text", codelist=None, origin="CRF", pages=None, method=None,
            predecessor=None, assigned=None, comment=None):
        return [dataset, name, order, label, kind, 200 if kind == "text" else 8, codelist, origin, pages, method,
                predecessor, assigned, comment, None]

    sheet(workbook, "Variables", columns, [
        var("DM", "STUDYID", 1, "Study Identifier", origin="Assigned"),
        var("DM", "DOMAIN", 2, "Domain Abbreviation", origin="Assigned", assigned="DM"),
        var("DM", "USUBJID", 3, "Unique Subject Identifier", origin="Derived", method="MT.USUBJID"),
        var("DM", "SUBJID", 4, "Subject Identifier for the Study"),
        var("DM", "RFICDTC", 5, "Date/Time of Informed Consent", kind="datetime", pages=2),
        var("DM", "SITEID", 6, "Study Site Identifier"),
        var("DM", "BRTHDTC", 7, "Date/Time of Birth", kind="datetime", pages="3"),
        var("DM", "AGE", 8, "Age", kind="integer", origin="Derived", method="Completed years from BRTHDTC to RFICDTC."),
        var("DM", "SEX", 9, "Sex", codelist="SEX"),
        var("DM", "RACE", 10, "Race", codelist="RACE"),
        var("DM", "ARMCD", 11, "Planned Arm Code", origin="Derived", method="From the randomization list."),
        var("DM", "COUNTRY", 12, "Country", codelist="COUNTRY", origin="Assigned", assigned="USA"),
        var("DM", "DMXYZ", 13, "Sponsor Extra Field"),
        var("AE", "STUDYID", 1, "Study Identifier", origin="Assigned"),
        var("AE", "DOMAIN", 2, "Domain Abbreviation", origin="Assigned", assigned="AE"),
        var("AE", "USUBJID", 3, "Unique Subject Identifier", origin="Derived", method="MT.USUBJID"),
        var("AE", "AESEQ", 4, "Sequence Number", kind="integer", origin="Derived", method="Sequential per subject."),
        var("AE", "AETERM", 5, "Reported Term for the Adverse Event", pages="10-11"),
        var("AE", "AEDECOD", 6, "Dictionary-Derived Term", codelist="MEDDRA", origin="Assigned"),
        var("AE", "AESER", 7, "Serious Event", codelist="NY"),
        var("AE", "AEOUT", 8, "Outcome of Adverse Event", origin="Other"),
        var("AE", "AESTDTC", 9, "Start Date/Time of Adverse Event", kind="datetime"),
        var("AE", "AESTDY", 10, "Study Day of Start of Adverse Event", kind="integer", origin="Derived",
            method="Study day of AESTDTC relative to RFSTDTC."),
        var("AE", "AEENDY", 11, "Study Day of End of Adverse Event", kind="integer", origin="Derived",
            method="Study day of the end date."),
        var("ADSL", "STUDYID", 1, "Study Identifier", origin="Predecessor", predecessor="DM.STUDYID"),
        var("ADSL", "USUBJID", 2, "Unique Subject Identifier", origin="Predecessor", predecessor="DM.USUBJID"),
        var("ADSL", "AGE", 3, "Age", kind="integer", origin="Predecessor", predecessor="DM.AGE"),
        var("ADSL", "SAFFL", 4, "Safety Population Flag", codelist="NY", origin="Derived",
            method="Y if the subject received any study drug."),
        var("ADSL", "TRTSDT", 5, "Date of First Exposure to Treatment", kind="integer", origin="Derived",
            method="DM.RFSTDTC as a SAS date (complete dates only)"),
        var("ADSL", "XYZGRP1", 6, "Sponsor Grouping 1", origin="Derived", method="Grouped by hand."),
    ])
    sheet(workbook, "ValueLevel", ["Order", "Dataset", "Variable", "Where Clause", "Description", "Data Type", "Origin",
                                   "Method"], [
        [1, "SUPPAE", "QVAL", "WC.AETRTEM", "Treatment Emergent Flag", "text", "Derived", "MT.AETRTEM"]])
    sheet(workbook, "WhereClauses", ["ID", "Dataset", "Variable", "Comparator", "Value"], [
        ["WC.AETRTEM", "SUPPAE", "QNAM", "EQ", "AETRTEM"]])
    sheet(workbook, "Codelists", ["ID", "Name", "NCI Codelist Code", "Data Type", "Order", "Term", "NCI Term Code",
                                  "Decoded Value"], [
        ["SEX", "Sex", "C66731", "text", 1, "F", "C16576", None],
        ["SEX", "Sex", "C66731", "text", 2, "M", "C20197", None],
        ["NY", "No Yes Response", "C66742", "text", 1, "N", "C49487", None],
        ["NY", "No Yes Response", "C66742", "text", 2, "Y", "C49488", None],
        ["COUNTRY", "Country", "C66786", "text", 1, "USA", "C17234", None]])
    sheet(workbook, "Dictionaries", ["ID", "Name", "Data Type", "Dictionary", "Version"], [
        ["MEDDRA", "MedDRA", "text", "MedDRA", "26.1"]])
    sheet(workbook, "Methods", ["ID", "Name", "Type", "Description"], [
        ["MT.USUBJID", "USUBJID", "Computation", "Concatenation of STUDYID, SITEID and SUBJID."],
        ["MT.AETRTEM", "AETRTEM", "Computation", "Y if AESTDTC is on or after RFXSTDTC."]])
    sheet(workbook, "Comments", ["ID", "Description"], [["COM.DM", "One record per screened subject."]])
    sheet(workbook, "Documents", ["ID", "Title", "Href"], [["blankcrf", "Annotated CRF", "blankcrf.pdf"]])
    path = tmp_path_factory.mktemp("handmade") / "handmade.xlsx"
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def imported(handmade, tmp_path_factory):
    target = tmp_path_factory.mktemp("starter") / "abc"
    starter, files = import_workbook(handmade, target)
    return starter, target


def spec(target: Path, name: str) -> dict:
    return yaml.safe_load((target / name).read_text())


def test_a_handmade_workbook_gives_specs_that_pass_their_schemas(imported):
    starter, target = imported
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        CHECKLIST, "adam/adsl.yaml", "sdtm/ae.yaml", "sdtm/dm.yaml", "study.yaml"]
    study, problems = read_study(target)
    assert problems == [] and study is not None
    assert [s.name for s in study.sdtm] == ["AE", "DM"] and study.adam.adsl is not None


def test_mappings_follow_from_what_the_workbook_says(imported):
    _starter, target = imported
    dm = spec(target, "sdtm/dm.yaml")["variables"]
    assert dm["STUDYID"] == {"derive": "studyid"} and dm["SUBJID"] == {"derive": "subjid"}
    assert dm["DOMAIN"] == {"constant": "DM"}  # the assigned value
    assert dm["COUNTRY"] == {"constant": "USA"}
    assert dm["USUBJID"] == {"derive": "usubjid", "method": "Concatenation of STUDYID, SITEID and SUBJID."}
    assert dm["AGE"] == {"derive": "age", "of": "BRTHDTC", "ref": "RFICDTC"}  # our own wording of the derivation
    assert dm["SEX"] == {"ct": "SEX", "col": "SEX", "values": {"F": "F", "M": "M"}}  # the two terms listed
    assert dm["RACE"] == {"ct": "RACE", "col": "RACE"}  # no terms listed: any term of the codelist
    assert dm["BRTHDTC"] == {"date": "BRTHDTC", "crf_pages": [3]}
    assert dm["ARMCD"] == {"copy": "ARMCD", "origin": "Derived", "method": "From the randomization list."}
    ae = spec(target, "sdtm/ae.yaml")
    assert ae["variables"]["AESEQ"] == {"derive": "seq", "method": "Sequential per subject."}
    assert ae["variables"]["AESTDY"]["derive"] == "study_day" and ae["variables"]["AESTDY"]["of"] == "AESTDTC"
    assert ae["variables"]["AEENDY"] == {"number": "AEENDY", "origin": "Derived",
                                         "method": "Study day of the end date."}
    assert ae["variables"]["AETERM"] == {"copy": "AETERM", "crf_pages": [10, 11]}
    assert ae["variables"]["AEDECOD"] == {"copy": "AEDECOD", "origin": "Assigned"}  # coded with MedDRA
    assert ae["keys"] == ["STUDYID", "USUBJID", "AEDECOD", "AESTDTC"]
    assert ae["supp"]["AETRTEM"] == {"copy": "AETRTEM", "origin": "Derived", "method":
                                     "Y if AESTDTC is on or after RFXSTDTC.", "label": "Treatment Emergent Flag"}
    assert spec(target, "sdtm/dm.yaml")["supp"]["DMXYZ"]["label"] == "Sponsor Extra Field"
    assert spec(target, "sdtm/dm.yaml")["comment"] == "One record per screened subject."
    adsl = spec(target, "adam/adsl.yaml")["variables"]
    assert adsl["STUDYID"] == {"copy": "STUDYID"} and adsl["AGE"] == {"copy": "AGE"}  # the predecessors
    assert adsl["TRTSDT"] == {"derive": "sas_date", "of": "RFSTDTC"}
    assert adsl["XYZGRP1"] == {"copy": "XYZGRP1", "origin": "Derived", "method": "Grouped by hand.",
                               "label": "Sponsor Grouping 1", "type": "Char"}
    study = spec(target, "study.yaml")
    assert study["study"] == {"id": "ABC-123", "description": "A study written by hand", "protocol": "ABC-123 v2"}
    assert study["standards"] == {"sdtmig": "3.4", "adamig": "1.3", "ct": bundled_ct().version, "meddra": "26.1"}
    assert study["documents"] == [{"id": "blankcrf", "title": "Annotated CRF", "href": "blankcrf.pdf",
                                   "kind": "annotated_crf"}]
    assert set(study["raw"]["forms"]) == {"dm", "ae"} and study["subjects"] == {"form": "dm", "site": "SITEID"}


def test_every_placeholder_is_a_todo_in_the_spec_and_in_the_checklist(imported):
    starter, target = imported
    unmapped = {(todo.file, todo.item) for todo in starter.unmapped()}
    assert {("sdtm/dm.yaml", "BRTHDTC"), ("sdtm/dm.yaml", "ARMCD"), ("sdtm/ae.yaml", "AEOUT"),
            ("sdtm/ae.yaml", "supp AETRTEM"), ("adam/adsl.yaml", "SAFFL")} <= unmapped
    assert ("sdtm/dm.yaml", "AGE") not in unmapped and ("sdtm/dm.yaml", "DOMAIN") not in unmapped
    assert ("adam/adsl.yaml", "TRT01P") in unmapped  # Required by ADaMIG, not in the workbook
    lines = (target / "sdtm" / "dm.yaml").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  ARMCD:"))
    assert lines[at - 1] == ("  # TODO: Derived: write the derivation (the starter copies a column named ARMCD); "
                             "the method says: From the randomization list.")
    checklist = (target / CHECKLIST).read_text()
    assert "- [ ] ARMCD: Derived: write the derivation" in checklist
    assert "the workbook names SDTMIG 3.3" in checklist and "no CT release" in checklist
    notes = " ".join(p.message for p in starter.notes)
    assert "DMXYZ is not an SDTMIG 3.4 DM variable" in notes and "AEXXX" in notes and "'Other'" in notes
    assert notes.count("character lengths are not kept") == 1


def test_check_spec_says_what_the_adam_placeholders_still_need(imported):
    _starter, target = imported
    _study, problems = check_study(target)
    messages = [str(p) for p in problems]
    assert any("SAFFL" in m and "the source dataset has no variable SAFFL" in m for m in messages), messages
    assert all(p.file and p.row for p in problems)


def test_the_import_command_lists_the_unmapped_variables(handmade, tmp_path):
    result = CliRunner().invoke(main, ["import-spec", str(handmade), str(tmp_path / "abc")])
    assert result.exit_code == 0, result.output
    assert "Wrote the starter study folder" in result.output and "2 SDTM spec(s), adam/adsl.yaml" in result.output
    assert re.search(r"sdtm/dm.yaml +BRTHDTC: Collected: map the raw column", result.output)


def test_a_target_that_is_not_empty_is_never_written_over(handmade, tmp_path):
    target = tmp_path / "study"
    target.mkdir()
    (target / "study.yaml").write_text("# mine\n")
    result = CliRunner().invoke(main, ["import-spec", str(handmade), str(target)])
    assert result.exit_code == 1 and "not empty" in result.output and "nothing was written" in result.output
    assert [p.name for p in target.iterdir()] == ["study.yaml"] and (target / "study.yaml").read_text() == "# mine\n"
    assert not list(tmp_path.glob(".study.staging-*"))


def test_a_file_that_is_not_a_workbook_is_reported_without_a_traceback(tmp_path):
    fake = tmp_path / "spec.xlsx"
    fake.write_text("Dataset,Variable\nDM,STUDYID\n")
    result = CliRunner().invoke(main, ["import-spec", str(fake), str(tmp_path / "out")])
    assert result.exit_code == 1 and "cannot read the workbook" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists()


def test_a_workbook_without_the_layout_says_which_sheets_it_has(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    workbook.active.append(["a", "b"])
    path = tmp_path / "other.xlsx"
    workbook.save(path)
    with pytest.raises(ProblemsError) as caught:
        read_book(path)
    assert "no Datasets or Variables sheet" in str(caught.value) and "Sheet1" in str(caught.value)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Variables"
    workbook.active.append(["Dataset", "Name of it", "Label"])
    workbook.active.append(["DM", "STUDYID", "Study Identifier"])
    workbook.save(path)
    with pytest.raises(ProblemsError) as caught:
        read_book(path)
    problem = caught.value.problems[0]
    assert "has no column 'Variable'" in problem.message and problem.row == 1 and "Name of it" in problem.hint


def test_a_starter_of_a_starter_is_the_same_starter(imported, tmp_path):
    """What import-spec writes, export-spec reads back: the starter's workbook imports to the same files."""
    starter, target = imported
    runner = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH})
    assert runner.invoke(main, ["export-spec", str(target), str(tmp_path / "again.xlsx")]).exit_code == 0
    again = starter_study(read_book(tmp_path / "again.xlsx"))
    for name in ("sdtm/dm.yaml", "sdtm/ae.yaml", "adam/adsl.yaml"):
        assert yaml.safe_load(again.files[name]) == spec(target, name), name


def test_every_option_of_the_workbook_commands_is_documented():
    page = (Path(__file__).resolve().parent.parent / "docs" / "spec-workbook.md").read_text(encoding="utf-8")
    for name in ("export-spec", "import-spec"):
        command = main.commands[name]
        options = [o for parameter in command.params for o in parameter.opts if o.startswith("--") and o != "--help"]
        assert options and all(f"`{option}" in page or f"{option} " in page for option in options), (name, options)
        assert f"cdisc-map {name} " in page


def test_rows_that_cannot_be_specs_are_left_out_with_a_note(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheet(workbook, "Datasets", ["Dataset", "Label", "Class"], [
        ["DM", "Demographics", "SPECIAL PURPOSE"], ["QQ", "Questionnaire-ish", ""], ["ADVERSE_EVENTS", "AE", ""]])
    sheet(workbook, "Variables", ["Dataset", "Variable", "Label", "Origin", "Assigned Value"], [
        ["DM", "STUDYID", "Study Identifier", "Assigned", None], ["DM", "SEX OF SUBJECT", "Sex", "CRF", None],
        ["DM", "AGE", "Age", "Assigned", "not a number"], ["QQ", "QQTESTCD", "Test Code", "CRF", None]])
    path = tmp_path / "odd.xlsx"
    workbook.save(path)
    starter, _files = import_workbook(path, tmp_path / "odd")
    notes = [str(p) for p in starter.notes]
    assert any("'SEX OF SUBJECT' cannot be a name" in n and "row 3" in n for n in notes), notes
    assert any("'ADVERSE_EVENTS' cannot be a name" in n for n in notes)
    assert any("QQ is left out" in n and "Class" in n for n in notes)
    assert sorted(starter.files) == ["sdtm/dm.yaml", "study.yaml"]
    study, problems = read_study(tmp_path / "odd")
    assert problems == [] and spec(tmp_path / "odd", "sdtm/dm.yaml")["variables"]["AGE"] == {"constant": "not a number"}
    _study, checked = check_study(tmp_path / "odd")
    assert any("AGE is numeric in SDTMIG but its mapping gives text" in p.message for p in checked)
