"""cdisc_map.define: the define model of small, hand-made datasets.

Each test builds a package of one or two datasets and reads what define.xml would say:
dictionaries, codelists per condition, origins, shared methods and comments, analysis
results. The bundled study's define.xml is checked in test_define_package.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdisc_map.core.datasets import Dataset, Variable
from cdisc_map.core.problems import ProblemsError
from cdisc_map.define.build import PackageInfo, build_define
from cdisc_map.spec.study import StudySpec
from cdisc_map.standards.terminology import load_ct
from define_xml import to_bytes, validate

SDTM = PackageInfo("Tabulation", "SDTMIG", "3.4")
ADAM = PackageInfo("Analysis", "ADaMIG", "1.3")
CREATED = pd.Timestamp("2026-01-01T00:00:00Z").to_pydatetime()


def study(**extra) -> StudySpec:
    data = {"study": {"id": "S1"}, "standards": {"sdtmig": "3.4", "ct": "2024-09-27"},
            "raw": {"forms": {}}, "subjects": {"form": "dm", "site": "SITE"}}
    for key, value in extra.items():
        if key in ("meddra", "whodrug"):
            data["standards"][key] = value
        else:
            data[key] = value
    return StudySpec(Path("study.yaml"), data)


def char(name: str, label: str, **metadata) -> Variable:
    return Variable(name=name, label=label, type="Char", length=20, **metadata)


def dataset(name: str, frame: dict, variables: list[Variable], keys=("STUDYID", "USUBJID")) -> Dataset:
    return Dataset(name=name, label=name, frame=pd.DataFrame(frame), variables=variables, keys=list(keys),
                   domain=name)


def build(datasets, info=SDTM, **extra):
    define = build_define(study(**extra), datasets, load_ct(), info)
    assert validate(to_bytes(define, CREATED)) == []  # every model here is a valid define.xml
    return define


def item(define, oid: str):
    for group in define.datasets:
        for variable in group.variables:
            if variable.oid == oid:
                return variable
    for value_list in define.value_lists:
        for variable in value_list.items:
            if variable.oid == oid:
                return variable
    raise KeyError(oid)


CM = dataset("CM", {"STUDYID": ["S1", "S1"], "USUBJID": ["S1-1", "S1-2"], "CMTRT": ["FLU", "BU"],
                    "CMDECOD": ["FLUDARABINE", "BUSULFAN"]},
             [char("STUDYID", "Study Identifier", origin="Assigned"), char("USUBJID", "Subject", origin="Derived",
                                                                          method="Joined ids."),
              char("CMTRT", "Reported Name", origin="Collected"), char("CMDECOD", "Standardized Name",
                                                                        origin="Collected")])


def test_whodrug_named_in_study_yaml_becomes_the_dictionary_of_cmdecod():
    define = build([CM], whodrug="GLOBAL B3 2024 MAR")
    codelist = next(c for c in define.codelists if c.oid == item(define, "IT.CM.CMDECOD").codelist_oid)
    assert (codelist.external_dictionary, codelist.external_version) == ("WHODrug", "GLOBAL B3 2024 MAR")
    assert item(define, "IT.CM.CMTRT").codelist_oid is None
    assert [c.oid for c in build([CM]).codelists] == []  # no release named: no dictionary claimed


def test_other_dictionaries_are_named_with_their_variables():
    lb = dataset("LB", {"STUDYID": ["S1"], "USUBJID": ["S1-1"], "LBLOINC": ["2345-7"]},
                 [char("STUDYID", "Study Identifier", origin="Assigned"), char("USUBJID", "Subject", origin="Assigned"),
                  char("LBLOINC", "LOINC Code", origin="Assigned")])
    define = build([lb, CM], dictionaries=[{"name": "LOINC", "version": "2.77", "variables": ["LB.LBLOINC"],
                                            "href": "https://loinc.org"}])
    loinc = next(c for c in define.codelists if c.external_dictionary == "LOINC")
    assert (loinc.oid, loinc.external_version, loinc.external_href) == ("CL.LOINC", "2.77", "https://loinc.org")
    assert item(define, "IT.LB.LBLOINC").codelist_oid == "CL.LOINC"
    assert item(define, "IT.CM.CMDECOD").codelist_oid is None  # LB.LBLOINC only


DS = dataset(
    "DS", {"STUDYID": ["S1"] * 3, "USUBJID": ["S1-1", "S1-1", "S1-2"],
           "DSDECOD": ["INFORMED CONSENT OBTAINED", "COMPLETED", "INFORMED CONSENT OBTAINED"],
           "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT", "PROTOCOL MILESTONE"]},
    [char("STUDYID", "Study Identifier", origin="Assigned"), char("USUBJID", "Subject", origin="Assigned"),
     char("DSDECOD", "Standardized Disposition Term", origin="Assigned", codelist="NCOMPLT PROTMLST OTHEVENT"),
     char("DSCAT", "Category", origin="Assigned", codelist="DSCAT")])


def test_dsdecod_gets_the_codelist_of_each_dscat_from_the_data():
    define = build([DS])
    assert item(define, "IT.DS.DSDECOD").codelist_oid is None
    assert item(define, "IT.DS.DSDECOD").value_list_oid == "VL.DS.DSDECOD"
    milestone = item(define, "IT.DS.DSDECOD.PROTOCOL_MILESTONE")
    assert milestone.codelist_oid == "CL.PROTMLST"
    clause = next(w for w in define.where_clauses if w.oid == milestone.where_clause_oids[0])
    assert [(c.item_oid, c.comparator, c.values) for c in clause.checks] == [
        ("IT.DS.DSCAT", "EQ", ["PROTOCOL MILESTONE"])]
    codelists = {c.oid: c for c in define.codelists}
    assert [(t.coded_value, t.extended) for t in codelists["CL.PROTMLST"].items] == [
        ("INFORMED CONSENT OBTAINED", False)]
    assert [t.coded_value for t in codelists["CL.NCOMPLT"].items] == ["COMPLETED"]  # not the milestone


def test_the_spec_s_value_level_rules_win_over_the_ig_rule_first_rule_met_first():
    own = (({"var": "USUBJID", "eq": "S1-2"}, "OTHEVENT"),  # the first rule takes S1-2's milestone
           ({"var": "DSCAT", "in": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"]}, "NCOMPLT"),
           ({"any": [{"var": "DSCAT", "missing": True}]}, "PROTMLST"))  # no where clause states it: left out
    variables = [v if v.name != "DSDECOD" else Variable(**{**vars(v), "value_codelists": own}) for v in DS.variables]
    define = build([Dataset(**{**vars(DS), "variables": variables})])
    items = define.value_lists[0].items
    assert [(i.oid, i.codelist_oid) for i in items] == [
        ("IT.DS.DSDECOD.S1-2", "CL.OTHEVENT"),
        ("IT.DS.DSDECOD.PROTOCOL_MILESTONE.DISPOSITION_EVENT", "CL.NCOMPLT")]
    codelists = {c.oid: [t.coded_value for t in c.items] for c in define.codelists}
    assert codelists["CL.NCOMPLT"] == ["COMPLETED", "INFORMED CONSENT OBTAINED"]  # S1-1's records only
    clause = next(w for w in define.where_clauses if w.oid == items[1].where_clause_oids[0])
    assert [(c.comparator, c.values) for c in clause.checks] == [("IN", ["PROTOCOL MILESTONE", "DISPOSITION EVENT"])]


def test_origins_as_define_xml_2_1_defines_them():
    dm = dataset("DM", {"STUDYID": ["S1"], "USUBJID": ["S1-1"], "SEX": ["F"], "ARMCD": ["A"], "AGE": [40.0]},
                 [char("STUDYID", "Study Identifier", origin="Assigned", method="The study's identifier."),
                  char("USUBJID", "Subject", origin="Predecessor", predecessor="XX.USUBJID"),
                  char("SEX", "Sex", origin="Collected", source="Subject", crf_pages=(3, 4), codelist="SEX"),
                  char("ARMCD", "Arm", origin="Protocol"),
                  Variable("AGE", "Age", "Num", 8, origin="Derived", method="Completed years.", method_name="Age")])
    documents = [{"id": "acrf", "title": "aCRF", "href": "acrf.pdf", "kind": "annotated_crf"},
                 {"id": "protocol", "title": "Protocol", "href": "protocol.pdf", "kind": "protocol"},
                 {"id": "sap", "title": "SAP", "href": "sap.pdf", "kind": "reference", "package": "adam"}]
    define = build([dm], documents=documents)
    sex, usubjid, arm, age = (item(define, f"IT.DM.{n}") for n in ("SEX", "USUBJID", "ARMCD", "AGE"))
    assert (sex.origin_type, sex.origin_source) == ("Collected", "Subject")
    assert [(r.leaf_id, [p.pages for p in r.pages]) for r in sex.origin_documents] == [("LF.acrf", ["3 4"])]
    assert (usubjid.origin_type, usubjid.origin_source, usubjid.origin_description) == (
        "Predecessor", None, "XX.USUBJID")
    assert (arm.origin_type, arm.origin_source) == ("Protocol", "Sponsor")
    assert [r.leaf_id for r in arm.origin_documents] == ["LF.protocol"]
    assert (age.origin_type, age.origin_source, age.method_oid) == ("Derived", "Sponsor", "MT.AGE")
    studyid = item(define, "IT.DM.STUDYID")
    assert studyid.method_oid is None and studyid.comment_oid  # an assigned value is explained by a comment
    assert [d.leaf_id for d in define.documents] == ["LF.acrf", "LF.protocol"]  # the SAP is the ADaM package's
    assert [r.leaf_id for r in define.annotated_crf] == ["LF.acrf"]


def test_a_method_used_by_many_variables_is_one_method_named_for_what_it_computes():
    variables = [char("STUDYID", "Study Identifier", origin="Assigned", comment="Same words."),
                 char("USUBJID", "Subject", origin="Assigned", comment="Same words.")]
    for name in ("AESTDY", "AEENDY"):
        variables.append(Variable(name, name, "Num", 8, origin="Derived", method="--DY from --DTC.",
                                  method_name="Study day"))
    variables.append(Variable("AEXDY", "Other day", "Num", 8, origin="Derived", method="From RFXSTDTC.",
                              method_name="Study day"))
    variables.append(Variable("AESDTH", "Death", "Num", 8, origin="Derived", method="Y when  fatal."))
    ae = dataset("AE", {v.name: [1.0] if v.type == "Num" else ["x"] for v in variables}, variables)
    define = build([ae])
    methods = {m.oid: (m.name, m.description) for m in define.methods}
    assert methods == {"MT.STUDY_DAY": ("Study day", "--DY from --DTC."),
                       "MT.AE.AEXDY": ("Study day (AE.AEXDY)", "From RFXSTDTC."),
                       "MT.AE.AESDTH": ("Derivation of AE.AESDTH", "Y when fatal.")}
    assert item(define, "IT.AE.AESTDY").method_oid == item(define, "IT.AE.AEENDY").method_oid == "MT.STUDY_DAY"
    assert [c.oid for c in define.comments] == ["COM.AE.STUDYID"]
    assert item(define, "IT.AE.USUBJID").comment_oid == "COM.AE.STUDYID"


ADTTE = dataset("ADTTE", {"STUDYID": ["S1"] * 2, "USUBJID": ["S1-1", "S1-2"], "PARAMCD": ["PFS", "OS"],
                          "AVAL": [100.0, 200.0], "CNSR": [0.0, 1.0], "SAFFL": ["Y", "Y"]},
                [char("STUDYID", "Study Identifier", origin="Assigned"), char("USUBJID", "Subject", origin="Assigned"),
                 char("PARAMCD", "Parameter Code", origin="Assigned"),
                 Variable("AVAL", "Analysis Value", "Num", 8, origin="Derived", method="ADT - STARTDT + 1"),
                 Variable("CNSR", "Censor", "Num", 8, origin="Derived", method="0 for an event"),
                 char("SAFFL", "Safety Population Flag", origin="Predecessor", predecessor="ADSL.SAFFL")],
                keys=("STUDYID", "USUBJID", "PARAMCD"))
RESULT = {"id": "T1", "name": "Table 1", "title": "PFS", "documents": [{"id": "sap", "pages": [3, 4]}],
          "results": [{"id": "R1", "description": "KM at 2 years", "reason": "SPECIFIED IN SAP",
                       "purpose": "PRIMARY OUTCOME MEASURE", "dataset": "ADTTE", "parameter": "PFS",
                       "where": {"all": [{"var": "SAFFL", "eq": "Y"}, {"var": "AVAL", "gt": 0}]},
                       "variables": ["AVAL", "CNSR"], "documentation": {"text": "See the SAP.",
                                                                        "documents": [{"id": "sap", "pages": 7}]},
                       "code": {"context": "R", "text": "survfit()\n"}}]}
SAP = [{"id": "sap", "title": "SAP", "href": "sap.pdf", "kind": "reference"}]


def test_analysis_results_come_from_study_yaml():
    define = build([ADTTE], info=ADAM, analysis_results=[RESULT], documents=SAP)
    (display,) = define.result_displays
    assert (display.oid, display.name, display.description) == ("RD.T1", "Table 1", "PFS")
    assert [(r.leaf_id, r.pages[0].pages) for r in display.documents] == [("LF.sap", "3 4")]
    (result,) = display.results
    assert (result.oid, result.reason, result.parameter_oid) == ("AR.R1", "SPECIFIED IN SAP", "IT.ADTTE.PARAMCD")
    clause = next(w for w in define.where_clauses if w.oid == result.datasets[0].where_clause_oid)
    assert [(c.item_oid, c.comparator, c.values) for c in clause.checks] == [
        ("IT.ADTTE.PARAMCD", "EQ", ["PFS"]), ("IT.ADTTE.SAFFL", "EQ", ["Y"]), ("IT.ADTTE.AVAL", "GT", ["0"])]
    assert result.documentation == "See the SAP." and result.documentation_refs[0].pages[0].pages == "7"
    assert (result.code_context, result.code) == ("R", "survfit()")
    assert build([ADTTE], info=SDTM, analysis_results=[RESULT], documents=SAP).result_displays == []


def test_an_analysis_result_naming_a_variable_the_dataset_lacks_is_a_problem():
    broken = {**RESULT, "results": [{**RESULT["results"][0], "variables": ["AVAL", "EVNTDESC"]}]}
    with pytest.raises(ProblemsError) as caught:
        build_define(study(analysis_results=[broken], documents=SAP), [ADTTE], load_ct(), ADAM)
    (problem,) = caught.value.problems
    assert "ADTTE has no variable EVNTDESC" in problem.message and problem.file == "study.yaml"
