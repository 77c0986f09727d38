"""The mapping engine's error paths and rules, on a few records each.

Every fault of the data or of a spec met while mapping is a Problem (never another
exception), located as precisely as the engine knows it; nothing is dropped or
guessed silently.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_spec_corpus import EX_YAML, make_study

from cdisc_map.core.problems import ProblemsError
from cdisc_map.mapping import MappingWarning, apply_mapping
from cdisc_map.mapping.engine import Environment, Records
from cdisc_map.mapping.kinds import evaluate
from cdisc_map.pipeline import run_study
from cdisc_map.spec.check import check_study
from cdisc_map.spec.plan import DatasetPlan, PlanCycle, Step, build_order
from cdisc_map.spec.registry import Reads


def errors(mapping: dict, source: dict | None = None, **options) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        apply_mapping(mapping, source, **options)
    return [str(p) for p in caught.value.problems if p.severity == "error"]


def run_problems(study: Path, out: Path) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        run_study(study, out_dir=out)
    return [str(p) for p in caught.value.problems]


# --- data faults --------------------------------------------------------------------------


def test_not_a_number_is_reported_once_per_value_with_its_count():
    found = errors({"number": "Dose"}, {"Dose": ["8", "eight", "eight", ""]}, variable="EXDOSE")
    assert found == ["records, row 2, column 'Dose': EXDOSE: not a number (2 rows) (value 'eight'). correct the "
                     "value in the export, or map the column with `recode`/`when` instead of `number`"]


def test_a_value_without_an_entry_in_the_value_map_is_an_error():
    found = errors({"recode": "Rel", "values": {"Related": "RELATED"}}, {"Rel": ["Related", "Unrelated"]},
                   variable="AEREL")
    assert len(found) == 1 and "AEREL: value has no entry in `values`" in found[0] and "'Unrelated'" in found[0]


def test_a_value_in_no_codelist_term_names_the_codelist():
    found = errors({"ct": "NY", "col": "Serious"}, {"Serious": ["Y", "Maybe"]}, variable="AESER")
    assert len(found) == 1 and "not in the non-extensible codelist NY (C66742)" in found[0] and "'Maybe'" in found[0]


def test_an_invalid_date_names_why():
    found = errors({"date": "Start", "format": "DD/MM/YYYY"}, {"Start": ["31/02/2024"]}, variable="AESTDTC")
    assert len(found) == 1 and "AESTDTC:" in found[0] and "31/02/2024" in found[0]


def test_modifiers_shape_the_text_first_then_map_values_then_fill_what_is_missing():
    values = apply_mapping({"copy": "Grade", "extract": "Grade (?P<value>\\w+)", "case": "lower",
                            "values": {"mild": "MILD", "severe": "SEVERE"}, "otherwise": "NONE"},
                           {"Grade": ["Grade MILD", ""]})
    assert values.tolist() == ["MILD", "NONE"]


def test_text_building_for_a_combined_site_subject_key():
    key = {"Subject": ["701-1015", "702-20", ""]}
    assert apply_mapping({"template": "01-{Subject}"}, key).tolist() == ["01-701-1015", "01-702-20", ""]
    assert apply_mapping({"copy": "Subject", "split": {"sep": "-", "part": 1}}, key).tolist() == ["701", "702", ""]
    assert apply_mapping({"copy": "Subject", "extract": "\\d+-(\\d+)", "pad": {"width": 4, "char": "0"}},
                         key).tolist() == ["1015", "0020", ""]
    assert apply_mapping({"copy": "Subject", "substring": {"start": 5}, "prefix": "S"}, key).tolist() == [
        "S1015", "S20", ""]
    assert apply_mapping({"template": "{var:STUDYID}-{Subject}"}, key,
                         built={"STUDYID": ["ST", "ST", "ST"]}).tolist() == ["ST-701-1015", "ST-702-20", "ST-"]


def test_a_value_a_text_rule_cannot_take_a_part_of_is_reported():
    assert any("does not match" in e and "'7011015'" in e for e in errors(
        {"copy": "Subject", "extract": "(\\d+)-\\d+"}, {"Subject": ["701-1015", "7011015"]}))
    assert any("no part 2 when split on '-'" in e for e in errors(
        {"copy": "Subject", "split": {"sep": "-", "part": 2}}, {"Subject": ["7011015"]}))


def test_replace_works_on_any_text_not_only_non_ascii():
    assert apply_mapping({"copy": "Unit", "replace": {" / ": "/"}}, {"Unit": ["mg / dL"]}).tolist() == ["mg/dL"]


def test_coalesce_takes_each_record_s_first_value():
    values = apply_mapping({"coalesce": [{"date": "End", "format": "DD/MM/YYYY"}, {"date": "Start",
                                                                                   "format": "DD/MM/YYYY"}]},
                           {"End": ["10/03/2024", "", ""], "Start": ["05/03/2024", "07/03/2024", ""]})
    assert values.tolist() == ["2024-03-10", "2024-03-07", ""]
    numbers = apply_mapping({"coalesce": [{"number": "A"}, {"number": "B"}, {"constant": 0}]},
                            {"A": ["2", "", ""], "B": ["9", "1.5", ""]})
    assert numbers.tolist() == [2.0, 1.5, 0.0]


def test_a_conditional_value_evaluates_each_branch_on_its_records_only():
    """The number branch never sees the 'n/a' of the records the first branch took: no spurious problem."""
    values = apply_mapping({"when": [{"if": {"col": "Dose", "eq": "n/a"}, "then": {"constant": 0}}],
                            "else": {"number": "Dose"}}, {"Dose": ["n/a", "2.5"]})
    assert values.tolist() == [0.0, 2.5]


def test_non_ascii_left_after_replace_is_kept_for_the_writer_to_refuse():
    values = apply_mapping({"copy": "Unit", "replace": {"μ": "u"}}, {"Unit": ["μg/day", "mg·kg"]})
    assert values.tolist() == ["ug/day", "mg·kg"]


# --- spec faults met while mapping -----------------------------------------------------------------


def test_a_column_the_records_lack_is_a_problem_not_a_key_error():
    found = errors({"copy": "AE Trem"}, {"AE Term": ["Fever"]})
    assert found == ["column 'AE Trem' is not in records"]


def test_a_variable_read_before_it_is_mapped_is_a_problem():
    found = errors({"derive": "study_day", "of": "AESTDTC"}, {"X": [1]},
                   datasets={"DM": {"USUBJID": ["S1"], "RFSTDTC": ["2024-01-01"]}})
    assert any("AESTDTC" in text for text in found)


def test_a_variable_another_dataset_lacks_is_a_problem_naming_it():
    found = errors({"derive": "first_date", "dataset": "EX", "var": "EXSTDTX"}, built={"USUBJID": ["S1"]},
                   datasets={"EX": {"USUBJID": ["S1"], "EXSTDTC": ["2024-01-01"]}})
    assert found == ["dataset EX has no variable EXSTDTX. check the variable names against the EX spec"]


def test_a_wrong_date_format_reaching_the_engine_is_a_problem_not_a_value_error():
    records = Records(pd.DataFrame({"D": ["2024"]}), pd.DataFrame(index=[0]), "form", {}, "AE")
    with pytest.raises(Exception) as caught:
        evaluate({"date": "D", "format": "MM/DD/YYY"}, records, Environment("S"), "AESTDTC")
    assert type(caught.value).__name__ == "MappingError" and "MM/DD/YYY" in str(caught.value)


def test_an_unknown_kind_reaching_the_engine_is_a_mapping_error():
    records = Records(pd.DataFrame({"D": ["x"]}), pd.DataFrame(index=[0]), "form", {}, "AE")
    with pytest.raises(Exception) as caught:
        evaluate({"derive": "nothing"}, records, Environment("S"), "X")
    assert type(caught.value).__name__ == "MappingError"


def test_apply_mapping_checks_the_mapping_against_the_registry_first():
    assert errors({"copy": "A", "of": "B"}, {"A": ["x"]}) == [
        "X: copy takes no `of`. `of` is a parameter of age, epoch, last_before_exposure, sas_date, sas_datetime, "
        "study_day, visit, visitnum"]


# --- whole builds ----------------------------------------------------------------------------


def test_a_joined_form_with_two_rows_for_a_subject_is_reported_not_deduplicated(tmp_path):
    study = make_study(tmp_path / "s", "sdtm/dm.yaml", "sources: [{form: demographics}]",
                       "sources: [{form: demographics, join: [{form: dosing}]}]")
    (study / "raw" / "dose.csv").write_text("Subject,Date,Dose,Unit\n001,06/01/2024,10,mg\n001,07/01/2024,10,mg\n"
                                            "002,08/01/2024,10,mg\n")
    found = run_problems(study, tmp_path / "out")
    assert any("2 rows share a subject id, but form 'dosing' is joined one row per subject" in p and "dose.csv, "
               "row 2" in p for p in found), found


def test_a_column_in_both_joined_forms_is_a_warning_and_the_source_form_wins(tmp_path):
    study = make_study(tmp_path / "s", "sdtm/dm.yaml", "sources: [{form: demographics}]",
                       "sources: [{form: demographics, join: [{form: dosing}]}]")
    (study / "raw" / "dose.csv").write_text("Subject,Date,Dose,Unit,Age\n001,06/01/2024,10,mg,99\n"
                                            "002,08/01/2024,10,mg,98\n")
    summary = run_study(study, out_dir=tmp_path / "out")
    assert any("column 'Age' is in both form 'demographics' and joined form 'dosing'" in str(p)
               for p in summary.problems if p.severity == "warning")
    assert (tmp_path / "out").is_dir()


def test_a_subject_of_no_subjects_form_row_is_an_error_naming_form_row_and_value(tmp_path):
    study = make_study(tmp_path / "s")
    (study / "raw" / "dose.csv").write_text("Subject,Date,Dose,Unit\n001,06/01/2024,10,mg\n009,08/01/2024,10,mg\n")
    found = run_problems(study, tmp_path / "out")
    assert any("dose.csv, row 3, column 'Subject': subject is not in the subjects form" in p and "'009'" in p
               for p in found), found


def test_a_missing_raw_column_names_the_file_and_a_likely_new_name(tmp_path):
    study = make_study(tmp_path / "s")
    (study / "raw" / "dose.csv").write_text("Subject,Dates,Dose,Unit\n001,06/01/2024,10,mg\n")
    found = run_problems(study, tmp_path / "out")
    assert any("dose.csv, row 1, column 'Date': form 'dosing' has no column 'Date'" in p and "'Dates'" in p
               for p in found), found


def test_datasets_interleave_in_the_order_of_what_they_read():
    """DM's reference date reads EX's records; EX's study day reads DM's reference date: no circle."""
    dm = DatasetPlan("DM", ["USUBJID"], {"USUBJID"}, {"RFSTDTC": Reads(others={("EX", "EXSTDTC")})})
    ex = DatasetPlan("EX", ["USUBJID"], {"USUBJID", "EXSTDTC"},
                     {"EXSTDY": Reads(variables={"EXSTDTC"}, others={("DM", "RFSTDTC")}),
                      "EXSEQ": Reads(order=True)})
    steps, unresolved = build_order([dm, ex])
    assert unresolved == []
    position = {step: index for index, step in enumerate(steps)}
    assert position[Step("EX", "rows")] < position[Step("DM", "variable", "RFSTDTC")] < \
        position[Step("EX", "variable", "EXSTDY")]
    assert position[Step("EX", "order")] < position[Step("EX", "variable", "EXSEQ")]


def test_a_circle_across_datasets_names_every_variable_on_it():
    dm = DatasetPlan("DM", ["USUBJID"], {"USUBJID"}, {"RFSTDTC": Reads(others={("EX", "EXSTDY")})})
    ex = DatasetPlan("EX", ["USUBJID"], {"USUBJID"}, {"EXSTDY": Reads(others={("DM", "RFSTDTC")})})
    with pytest.raises(PlanCycle) as caught:
        build_order([dm, ex])
    assert {"DM.RFSTDTC", "EX.EXSTDY"} <= set(str(caught.value).split(" -> "))


def test_a_study_day_mapped_per_source_is_built_not_dropped(tmp_path):
    """Before the build plan, a late derivation under a source's variables was silently left out."""
    study = make_study(tmp_path / "s", "sdtm/ex.yaml", "sources: [{form: dosing}]",
                       "sources: [{form: dosing, variables: {EXENDY: {derive: study_day, of: EXENDTC}}}]")
    text = (study / "sdtm" / "ex.yaml").read_text().replace("  EXENDY: {derive: study_day, of: EXENDTC}\n", "")
    (study / "sdtm" / "ex.yaml").write_text(text)
    assert check_study(study)[1] == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MappingWarning)
        summary = run_study(study, out_dir=tmp_path / "out")
    ex = next(w for w in summary.written if w.name == "EX")
    frame = pd.read_sas(ex.path, format="xport", encoding="ascii")
    assert frame["EXENDY"].tolist() == [1.0, 1.0]  # the first dose is each subject's RFSTDTC


def test_subject_identity_from_a_combined_site_subject_key(tmp_path):
    """One key '701-1015' holding site and subject; the sponsor's USUBJID is '01-701-1015'."""
    study = make_study(tmp_path / "s", "study.yaml", "subjects: {form: demographics, site: SITE}",
                       'subjects:\n  form: demographics\n  site: {copy: SUBJ, split: {sep: "-", part: 1}}\n'
                       '  subjid: {copy: SUBJ, split: {sep: "-", part: 2}}\n  usubjid: {template: "01-{SUBJ}"}')
    (study / "raw" / "dm.csv").write_text("SITE,SUBJ,Consent,Age,Sex\n,701-1015,05-JAN-2024,34,M\n"
                                          ",702-1020,07-JAN-2024,51,Female\n")
    (study / "raw" / "dose.csv").write_text("Subject,Date,Dose,Unit\n701-1015,06/01/2024,10,mg\n"
                                            "702-1020,08/01/2024,10,mg\n")
    assert check_study(study)[1] == []
    summary = run_study(study, out_dir=tmp_path / "out")
    dm = pd.read_sas(next(w.path for w in summary.written if w.name == "DM"), format="xport", encoding="ascii")
    assert dm[["USUBJID", "SITEID", "SUBJID"]].values.tolist() == [["01-701-1015", "701", "1015"],
                                                                    ["01-702-1020", "702", "1020"]]
    ex = pd.read_sas(next(w.path for w in summary.written if w.name == "EX"), format="xport", encoding="ascii")
    assert ex["USUBJID"].tolist() == ["01-701-1015", "01-702-1020"]


def test_a_subjects_mapping_reading_a_column_the_form_lacks_names_study_yaml(tmp_path):
    study = make_study(tmp_path / "s", "study.yaml", "subjects: {form: demographics, site: SITE}",
                       'subjects: {form: demographics, site: {copy: Centre}}')
    found = run_problems(study, tmp_path / "out")
    assert any("study.yaml" in p and "no column 'Centre'" in p for p in found), found


def test_dates_as_exports_have_them_several_layouts_partial_only_where_the_spec_says():
    dates = {"D": ["03/15/2003", "2003", "UN/15/2003", "2003-03-15", "--/--/2004"]}
    mapping = {"date": "D", "format": ["MM/DD/YYYY", "YYYY"], "partial": True}
    with pytest.raises(ProblemsError) as caught:
        apply_mapping(mapping, dates)
    # an ISO date in a field declared MM/DD/YYYY or YYYY is an error, not a silent success
    assert [p.value for p in caught.value.problems] == ["2003-03-15"]
    del dates["D"][3]
    assert apply_mapping(mapping, dates).tolist() == ["2003-03-15", "2003", "2003---15", "2004"]
    complete_only = errors({"date": "D", "format": ["MM/DD/YYYY", "YYYY"]}, {"D": ["03/15/2003", "2003"]})
    assert len(complete_only) == 1 and "'2003'" in complete_only[0] and "partial: true" in complete_only[0]


def test_a_reference_date_falls_back_to_another_variable_where_its_own_is_missing():
    ex = {"USUBJID": ["S1", "S1", "S2"], "EXSTDTC": ["2024-01-01", "2024-01-08", "2024-02-01"],
          "EXENDTC": ["2024-01-05", "", ""]}
    values = apply_mapping({"derive": "last_date", "dataset": "EX", "var": "EXENDTC", "fallback": "EXSTDTC"},
                           built={"USUBJID": ["S1", "S2"]}, datasets={"EX": ex})
    assert values.tolist() == ["2024-01-08", "2024-02-01"]
    numeric = apply_mapping({"derive": "last_date", "sources": [{"dataset": "EX", "var": "EXENDTC",
                                                                 "fallback": "EXSTDTC"}]},
                            {"USUBJID": ["S1", "S2"]}, datasets={"EX": ex}, standard="ADaM")
    assert numeric.tolist() == [23383.0, 23407.0]  # 2024-01-08, 2024-02-01 as SAS dates


def test_seq_in_an_explicit_order_within_each_subject():
    values = apply_mapping({"derive": "seq", "order": ["AESTDTC"]},
                           built={"USUBJID": ["S1", "S1", "S1", "S2"],
                                  "AESTDTC": ["2024-03-05", "2024-01-02", "2024-03-05", "2024-01-01"]})
    assert values.tolist() == [2.0, 1.0, 3.0, 1.0]


EX_YAML_WITHOUT_UNIT_CT = EX_YAML.replace("EXDOSU: {ct: UNIT, col: Unit}", 'EXDOSU: {constant: "mg"}')

DS_YAML = """\
dataset: DS
keys: [STUDYID, USUBJID, DSSTDTC, DSDECOD]
sources: [{form: dosing}]
value_level:
  DSDECOD:
    - {where: {var: DSCAT, eq: PROTOCOL MILESTONE}, ct: PROTMLST}
    - {where: {var: DSCAT, eq: DISPOSITION EVENT}, ct: NCOMPLT}
variables:
  STUDYID: {derive: studyid}
  DOMAIN: {constant: DS}
  USUBJID: {derive: usubjid}
  DSSEQ: {derive: seq}
  DSTERM: {copy: Unit}
  DSDECOD: {copy: Unit}
  DSCAT: {when: [{if: {col: Unit, eq: COMPLETED}, then: {constant: DISPOSITION EVENT}}],
          else: {constant: PROTOCOL MILESTONE}}
  DSSTDTC: {date: Date, format: DD/MM/YYYY}
"""


def test_a_codelist_that_depends_on_a_condition_checks_each_record_against_its_own(tmp_path):
    study = make_study(tmp_path / "s", "study.yaml", "sdtm: [dm, ex]", "sdtm: [dm, ex, ds]")
    (study / "sdtm" / "ds.yaml").write_text(DS_YAML)
    # COMPLETED is an NCOMPLT term; RANDOMIZED a PROTMLST term, but not an NCOMPLT one
    (study / "raw" / "dose.csv").write_text("Subject,Date,Dose,Unit\n001,06/01/2024,10,COMPLETED\n"
                                            "002,08/01/2024,10,RANDOMIZED\n")
    (study / "sdtm" / "ex.yaml").write_text(EX_YAML_WITHOUT_UNIT_CT)
    summary = run_study(study, out_dir=tmp_path / "out")
    assert not [p for p in summary.problems if "DSDECOD" in str(p)]
    (study / "raw" / "dose.csv").write_text("Subject,Date,Dose,Unit\n001,06/01/2024,10,RANDOMIZED\n"
                                            "002,08/01/2024,10,COMPLETED\n")
    (study / "sdtm" / "ds.yaml").write_text(DS_YAML.replace("eq: COMPLETED", "eq: RANDOMIZED"))
    found = [str(p) for p in run_study(study, out_dir=tmp_path / "out2").problems]
    wrong = [p for p in found if "DSDECOD value is not in the extensible codelist NCOMPLT" in p]
    assert wrong and "where DSCAT = 'DISPOSITION EVENT'" in wrong[0] and "'RANDOMIZED'" in wrong[0], found


def test_last_before_exposure_skips_partial_dates_results_not_done_and_subjects_never_exposed():
    built = {"USUBJID": ["S-1", "S-1", "S-1", "S-1", "S-2", "S-3"],
             "VSTESTCD": ["SYSBP"] * 6,
             "VSDTC": ["2024-03-01", "2024-03-04", "2024-03-04", "2024-03", "2024-03-01", "2024-03-01"],
             "VSORRES": ["120", "118", "121", "119", "", "130"]}
    dm = {"USUBJID": ["S-1", "S-2", "S-3"], "RFXSTDTC": ["2024-03-04T09:00", "2024-03-05", ""]}
    flags = apply_mapping({"derive": "last_before_exposure", "of": "VSDTC", "results": ["VSORRES"],
                           "by": ["VSTESTCD"]}, built=built, datasets={"DM": dm}, variable="VSLOBXFL")
    # S-1: two records on the day of the first dose without a time, the later in key order wins; the
    # partial 2024-03 never counts. S-2: its only record was not done. S-3: never exposed.
    assert flags.tolist() == ["", "", "Y", "", "", ""]
