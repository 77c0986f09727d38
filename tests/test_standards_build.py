"""The whole published standard, used by the same engine that builds the bundled study.

With ../shared/standards/ imported into a standards home (SDTM CT 2025-03-28, SDTMIG 3.4
of all 63 datasets), a small study of another shape builds what the bundled subset
cannot: a DM with COUNTRY BRA, EX and DS carrying their class's VISITNUM/VISIT/VISITDY,
a vertical LB with units, normal ranges and standard results, a sponsor-defined
Events domain, and a split LB dataset with its SUPP--. Every dataset is read back with
pyreadstat and each define.xml validates against the official Define-XML 2.1 schema.
"""

from __future__ import annotations

from pathlib import Path

import pyreadstat
import pytest

from cdisc_map.core.problems import ProblemsError
from cdisc_map.pipeline import run_study
from cdisc_map.standards.selection import Standards
from define_xml import validate

STUDY = """\
study: {id: WORLD01}
standards: {sdtmig: "3.4", ct: "2025-03-28"}
raw:
  dir: raw
  forms:
    demographics: {file: dm.csv, subject: SUBJ}
    dosing: {file: dose.csv, subject: Subject}
    disposition: {file: ds.csv, subject: Subject}
    labs: {file: lab.csv, subject: Subject}
    chemistry: {file: chem.csv, subject: Subject}
    bites: {file: xb.csv, subject: Subject}
subjects: {form: demographics, site: SITE}
visits:
  schedule:
    - {visitnum: 1, visit: SCREENING, raw: [Screening], day: -7}
    - {visitnum: 2, visit: WEEK 1, raw: [Week 1], day: 1}
    - {visitnum: 3, visit: WEEK 4, raw: [Week 4], day: 22}
  unscheduled_pattern: "Unscheduled (?P<number>\\\\d+\\\\.\\\\d+)"
"""

COMMON = """\
  STUDYID: {derive: studyid}
  USUBJID: {derive: usubjid}
"""
VISITS = """\
  VISITNUM: {derive: visitnum, col: Visit}
  VISIT: {derive: visit, col: Visit}
  VISITDY: {derive: visitdy, col: Visit}
"""

SPECS = {
    "dm": """\
dataset: DM
keys: [STUDYID, USUBJID]
sources: [{form: demographics}]
variables:
""" + COMMON + """\
  DOMAIN: {constant: DM}
  SUBJID: {derive: subjid}
  RFSTDTC: {derive: first_date, dataset: EX, var: EXSTDTC}
  RFENDTC: {derive: last_date, dataset: EX, var: EXSTDTC}
  SITEID: {derive: siteid}
  AGE: {number: Age}
  AGEU: {constant: YEARS}
  SEX: {ct: SEX, col: Sex}
  ARMCD: {constant: A}
  ARM: {constant: Drug A}
  ACTARMCD: {constant: A}
  ACTARM: {constant: Drug A}
  COUNTRY: {copy: Country}
""",
    "ex": """\
dataset: EX
keys: [STUDYID, USUBJID, EXTRT, EXSTDTC]
sources: [{form: dosing}]
variables:
""" + COMMON + VISITS + """\
  DOMAIN: {constant: EX}
  EXSEQ: {derive: seq}
  EXTRT: {constant: DRUG A}
  EXDOSE: {number: Dose}
  EXDOSU: {ct: UNIT, col: Unit}
  EXROUTE: {ct: ROUTE, col: Route}
  EXSTDTC: {date: Date, format: DD/MM/YYYY}
  EXSTDY: {derive: study_day, of: EXSTDTC}
""",
    "ds": """\
dataset: DS
keys: [STUDYID, USUBJID, DSSTDTC, DSDECOD]
sources: [{form: disposition}]
variables:
""" + COMMON + VISITS + """\
  DOMAIN: {constant: DS}
  DSSEQ: {derive: seq}
  DSTERM: {copy: Event, case: upper}
  DSDECOD: {ct: NCOMPLT, col: Event}
  DSCAT: {constant: DISPOSITION EVENT}
  DSSTDTC: {date: Date, format: DD/MM/YYYY}
""",
    "lb": """\
dataset: LB
keys: [STUDYID, USUBJID, LBTESTCD, VISITNUM]
sources: [{form: labs}]
variables:
""" + COMMON + VISITS + """\
  DOMAIN: {constant: LB}
  LBSEQ: {derive: seq}
  LBTESTCD: {ct: LBTESTCD, col: Test}
  LBTEST: {ct: LBTEST, col: Test, values: {HGB: Hemoglobin, PLAT: Platelets}}
  LBORRES: {copy: Result}
  LBORRESU: {ct: UNIT, col: Unit}
  LBORNRLO: {copy: Low}
  LBORNRHI: {copy: High}
  LBSTRESC: {copy: Result}
  LBSTRESN: {number: Result}
  LBSTRESU: {ct: UNIT, col: Unit}
  LBDTC: {date: Date, format: DD/MM/YYYY}
  LBDY: {derive: study_day, of: LBDTC}
""",
    "lbch": """\
dataset: LBCH
label: Laboratory Test Results - Chemistry
keys: [STUDYID, USUBJID, LBTESTCD, VISITNUM]
sources: [{form: chemistry}]
variables:
""" + COMMON + VISITS + """\
  DOMAIN: {constant: LB}
  LBSEQ: {derive: seq}
  LBTESTCD: {ct: LBTESTCD, col: Test}
  LBTEST: {ct: LBTEST, col: Test, values: {ALT: Alanine Aminotransferase}}
  LBCAT: {constant: CHEMISTRY}
  LBORRES: {copy: Result}
  LBORRESU: {ct: UNIT, col: Unit}
  LBSTRESC: {copy: Result}
  LBSTRESN: {number: Result}
  LBSTRESU: {ct: UNIT, col: Unit}
  LBDTC: {date: Date, format: DD/MM/YYYY}
supp:
  LBCOMM: {label: Comment on the Result, copy: Comment, origin: Collected}
""",
    "xb": """\
dataset: XB
class: Events
label: Insect Bites
keys: [STUDYID, USUBJID, XBTERM, XBSTDTC]
sources: [{form: bites}]
variables:
""" + COMMON + """\
  DOMAIN: {constant: XB}
  XBSEQ: {derive: seq}
  XBTERM: {copy: Bite, case: upper}
  XBSTDTC: {date: Date, format: DD/MM/YYYY}
  XBSTDY: {derive: study_day, of: XBSTDTC}
""",
}

RAW = {
    "dm.csv": "SITE,SUBJ,Age,Sex,Country\n01,001,34,M,BRA\n02,002,51,F,CAN\n",
    "dose.csv": "Subject,Visit,Date,Dose,Unit,Route\n001,Week 1,06/01/2024,10,mg,Ophthalmic\n"
                "002,Week 1,08/01/2024,10,mg,NASAL\n",
    "ds.csv": "Subject,Visit,Date,Event\n001,Week 4,27/01/2024,Completed\n002,Unscheduled 2.1,15/01/2024,"
              "Adverse Event\n",
    "lab.csv": "Subject,Visit,Date,Test,Result,Unit,Low,High\n001,Screening,01/01/2024,HGB,13.5,g/dL,12,16\n"
               "001,Week 4,27/01/2024,PLAT,250,10^9/L,150,400\n002,Screening,02/01/2024,HGB,11.8,g/dL,12,16\n",
    "chem.csv": "Subject,Visit,Date,Test,Result,Unit,Comment\n001,Screening,01/01/2024,ALT,31,U/L,\n"
                "002,Screening,02/01/2024,ALT,88,U/L,haemolysed sample\n",
    "xb.csv": "Subject,Date,Bite\n001,10/01/2024,Mosquito\n",
}


def make_study(root: Path) -> Path:
    (root / "sdtm").mkdir(parents=True)
    (root / "raw").mkdir()
    (root / "study.yaml").write_text(STUDY)
    for name, text in SPECS.items():
        (root / "sdtm" / f"{name}.yaml").write_text(text)
    for name, text in RAW.items():
        (root / "raw" / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def package(standards_home, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("world")
    run_study(make_study(root / "study"), out_dir=root / "out", standards=Standards(standards_home))
    return root / "out" / "m5" / "datasets" / "world01" / "tabulations" / "sdtm"


def read(package: Path, name: str):
    return pyreadstat.read_xport(str(package / f"{name}.xpt"))


def test_the_published_terminology_holds_what_the_subset_lacks(package):
    dm, _ = read(package, "dm")
    assert dm["COUNTRY"].tolist() == ["BRA", "CAN"]
    ex, _ = read(package, "ex")
    assert ex["EXROUTE"].tolist() == ["OPHTHALMIC", "NASAL"]


def test_class_variables_of_interventions_and_events_in_the_model_s_order(package):
    for name in ("ex", "ds"):
        frame, meta = read(package, name)
        columns = list(frame.columns)
        assert {"VISITNUM", "VISIT", "VISITDY"} <= set(columns), name
        assert meta.column_names_to_labels["VISITDY"] == "Planned Study Day of Visit"
    ex, _ = read(package, "ex")
    assert ex["VISITNUM"].tolist() == [2.0, 2.0] and ex["VISITDY"].tolist() == [1.0, 1.0]
    assert list(ex.columns).index("VISITDY") < list(ex.columns).index("EXSTDTC")


def test_an_unscheduled_visit_takes_its_number_from_its_name(package):
    ds, _ = read(package, "ds")
    row = ds[ds["USUBJID"] == "WORLD01-02-002"].iloc[0]
    assert (row["VISITNUM"], row["VISIT"]) == (2.1, "UNSCHEDULED 2.1")
    assert row["DSDECOD"] == "ADVERSE EVENT"


def test_vertical_findings_with_units_ranges_and_standard_results(package):
    lb, meta = read(package, "lb")
    assert lb["LBTESTCD"].tolist() == ["HGB", "PLAT", "HGB"]
    assert lb["LBSTRESN"].tolist() == [13.5, 250.0, 11.8]
    assert lb["LBORRESU"].tolist() == ["g/dL", "10^9/L", "g/dL"]
    assert lb["LBORNRLO"].tolist() == ["12", "150", "12"]
    assert meta.readstat_variable_types["LBSTRESN"] == "double"


def test_a_split_dataset_keeps_its_domain_and_its_supp_names_it(package):
    lbch, _ = read(package, "lbch")
    assert set(lbch["DOMAIN"]) == {"LB"} and "LBSEQ" in lbch.columns
    supp, _ = read(package, "supplbch")
    assert supp[["RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["LB", "LBSEQ", "1", "LBCOMM", "haemolysed sample"]]


def test_a_sponsor_defined_domain_is_built_from_its_class(package):
    xb, meta = read(package, "xb")
    assert xb[["XBTERM", "XBSTDTC", "XBSEQ", "XBSTDY"]].values.tolist() == [["MOSQUITO", "2024-01-10", 1.0, 5.0]]
    assert meta.file_label == "Insect Bites"
    assert meta.column_names_to_labels["XBTERM"] == "Reported Term"


def test_define_xml_of_the_package_is_schema_valid(package):
    assert validate(package / "define.xml") == []
    text = (package / "define.xml").read_text(encoding="utf-8")
    assert 'Name="LBCH"' in text and 'Domain="LB"' in text and 'Name="XB"' in text


def test_without_the_published_ig_the_subset_says_what_to_install(tmp_path):
    study = make_study(tmp_path / "study")
    (study / "sdtm" / "eg.yaml").write_text(  # EG: a domain the subset does not carry (LB it does)
        "dataset: EG\nkeys: [STUDYID, USUBJID]\nsources: [{form: demographics}]\nvariables:\n"
        "  STUDYID: {derive: studyid}\n  DOMAIN: {constant: EG}\n  USUBJID: {derive: usubjid}\n")
    with pytest.raises(ProblemsError) as caught:
        run_study(study, out_dir=tmp_path / "out")
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "no dataset 'EG'" in text and "standards import" in text
