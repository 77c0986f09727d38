"""The second bundled study (NCT03036124, an export shaped like a Medidata Rave export), converted once
through the CLI and read back with pyreadstat, checked variable by variable against what these tests
compute from the raw files themselves (csv module and datetime, never cdisc-map's readers or engine).

The oracle below is deliberately written another way than the engine: dates by `datetime.strptime`
and string slicing, visits from a table of this file, reference ranges compared as numbers. Where
the two disagree, one of them is wrong, and the failure says which record and variable.
"""

from __future__ import annotations

import calendar
import csv
import importlib.util
import json
import math
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner

from cdisc_map.cli import main

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct03036124"
RAW = STUDY / "raw"
GENERATOR = ROOT / "fixtures" / "generate_nct03036124.py"
EPOCH = "1767225600"  # SOURCE_DATE_EPOCH of the run: 2026-01-01T00:00:00Z
MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
# the protocol's schedule, written here again: folder name -> (VISITNUM, VISIT, planned day)
SCHEDULE = {"screening": (1, "SCREENING", -14), "randomization": (2, "RANDOMIZATION", 1), "day 14": (3, "DAY 14", 14),
            "day 60": (4, "DAY 60", 60), "day 120": (5, "DAY 120", 120), "day 240": (6, "DAY 240", 240),
            "end of treatment": (7, "END OF TREATMENT", 360), "follow-up": (8, "FOLLOW-UP", 390)}
COUNTRIES = {"701": "USA", "703": "CAN", "705": "DEU", "710": "JPN"}


# --------------------------------------------------------------------------- the run, once


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("second-study") / "out"
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out)])
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sdtm(run):
    folder = run / "m5" / "datasets" / "nct03036124" / "tabulations" / "sdtm"
    cache: dict[str, list[dict]] = {}

    def read(name: str) -> list[dict]:
        if name not in cache:
            frame, _meta = pyreadstat.read_xport(str(folder / f"{name}.xpt"))
            cache[name] = frame.to_dict("records")
        return cache[name]

    return read


# --------------------------------------------------------------------------- the oracle


def raw(name: str) -> list[dict[str, str]]:
    with open(RAW / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def usubjid(key: str) -> str:
    return "DAPAHF-" + key


def mdy(text: str) -> str:
    """MM/DD/YYYY, MM/UN/YYYY, MM/YYYY or YYYY as ISO 8601, partial where the raw value is."""
    if not text:
        return ""
    if re.fullmatch(r"\d{4}", text):
        return text
    if re.fullmatch(r"\d{2}/\d{4}", text):
        return f"{text[3:]}-{text[:2]}"
    month, day, year = text.split("/")
    if day == "UN":
        return f"{year}-{month}"
    return datetime.strptime(text, "%m/%d/%Y").date().isoformat()


def mdy_dash(text: str) -> str:
    return datetime.strptime(text, "%m-%d-%Y").date().isoformat() if text else ""


def dmy(text: str, time: str = "") -> str:
    """DD-Mon-YYYY (UN for an unknown day), with an HH:MM time from a column of its own."""
    if not text:
        return ""
    day, month, year = text.split("-")
    if day == "UN":
        return f"{year}-{MONTHS[month]:02d}"
    iso = date(int(year), MONTHS[month], int(day)).isoformat()
    return f"{iso}T{time}" if time else iso


def study_day(dtc: str, reference: str) -> float:
    if len(dtc) < 10 or len(reference) < 10:
        return math.nan
    days = (date.fromisoformat(dtc[:10]) - date.fromisoformat(reference[:10])).days
    return float(days + 1 if days >= 0 else days)


def visit_of(name: str) -> tuple[float, str, float]:
    folded = name.strip().casefold()
    if folded in SCHEDULE:
        number, visit, day = SCHEDULE[folded]
        return float(number), visit, float(day)
    match = re.fullmatch(r"unscheduled (\d+\.\d+)", folded)
    assert match, name
    return float(match.group(1)), f"UNSCHEDULED {match.group(1)}", math.nan


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


class Subjects:
    """What the raw files say about each subject: reference dates and arms."""

    def __init__(self) -> None:
        self.consent = {r["Subject"]: mdy(r["IT.ICDAT"]) for r in raw("ic.csv")}
        self.rand = {r["Subject"]: r for r in raw("rand.csv")}
        doses: dict[str, list[tuple[str, str]]] = {}
        for r in raw("ex.csv"):
            doses.setdefault(r["Subject"], []).append((mdy_dash(r["IT.EXSTDAT"]), mdy_dash(r["IT.EXENDAT"])))
        self.first_dose = {key: min(start for start, _ in spans) for key, spans in doses.items()}
        self.last_dose = {key: max(end or start for start, end in spans) for key, spans in doses.items()}
        self.follow_up = {r["Subject"]: mdy(r["IT.VISDAT"]) for r in raw("vd.csv") if r["InstanceName"] == "Follow-Up"}
        self.end_of_study = {r["Subject"]: mdy(r["IT.DTHDAT"] or r["IT.DSSTDAT"]) for r in raw("eos.csv")}
        self.death = {r["Subject"]: mdy(r["IT.DTHDAT"]) for r in raw("eos.csv") if r["IT.DTHDAT"]}
        ends: dict[str, list[str]] = {}
        for r in raw("vd.csv"):
            ends.setdefault(r["Subject"], []).append(mdy(r["IT.VISDAT"]))
        for r in raw("ie.csv"):
            if r["IT.IEYN"] == "No":
                ends.setdefault(r["Subject"], []).append(mdy(r["IT.IEDAT"]))
        for r in raw("eot.csv"):
            ends.setdefault(r["Subject"], []).append(mdy(r["IT.DSSTDAT"]))
        for key, day in self.end_of_study.items():
            ends.setdefault(key, []).append(day)
        self.last_contact = {key: max(days) for key, days in ends.items()}

    def epoch(self, key: str, dtc: str) -> str:
        if 4 <= len(dtc) < 10:  # a partial date: the epoch that holds all of its days, if one does
            year, month = int(dtc[:4]), int(dtc[5:7]) if len(dtc) >= 7 else None
            first = date(year, month or 1, 1)
            last = date(year, 12, 31) if month is None else date(year, month, calendar.monthrange(year, month)[1])
            at_first, at_last = self.epoch(key, first.isoformat()), self.epoch(key, last.isoformat())
            return at_first if at_first == at_last else ""
        if len(dtc) < 10:
            return ""
        starts = [("SCREENING", self.consent.get(key, "")), ("TREATMENT", self.first_dose.get(key, "")),
                  ("FOLLOW-UP", self.follow_up.get(key, ""))]
        found = ""
        for epoch, start in starts:
            if start and start[:10] <= dtc[:10]:
                found = epoch
        return found


@pytest.fixture(scope="module")
def subjects() -> Subjects:
    return Subjects()


def by(records: list[dict], *keys: str) -> dict[tuple, dict]:
    index = {tuple(r[k] for k in keys): r for r in records}
    assert len(index) == len(records), f"{keys} is not a key"
    return index


def same(actual, expected) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, float):
        return isinstance(actual, float) and math.isclose(actual, expected)
    return actual == expected


def compare(dataset: str, record: dict, expected: dict, where: str, differences: list[str]) -> None:
    for variable, value in expected.items():
        if not same(record[variable], value):
            differences.append(f"{dataset} {where} {variable}: SDTM {record[variable]!r}, raw says {value!r}")


def assert_no(differences: list[str]) -> None:
    assert not differences, f"{len(differences)} difference(s):\n" + "\n".join(differences[:40])


# --------------------------------------------------------------------------- the run itself


def test_the_second_study_converts_and_validates_without_errors(run):
    report = json.loads((run / "validation" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["errors"] == 0, report["findings"]
    assert report["standard"] == "SDTMIG 3.4 (bundled subset)"  # nothing installed: the bundled subset did it
    names = sorted(p.stem for p in (run / "m5" / "datasets" / "nct03036124" / "tabulations" / "sdtm").glob("*.xpt"))
    assert names == ["ae", "cm", "dm", "ds", "ex", "lb", "mh", "suppmh", "sv", "ta", "te", "ti", "ts", "tv", "vs"]


def test_the_generator_rewrites_the_bundled_export_byte_for_byte(tmp_path):
    spec = importlib.util.spec_from_file_location("second_study_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    module.generate(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in RAW.glob("*.csv"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name
    cases = module.messy_cases()
    readme = (RAW / "README.md").read_text(encoding="utf-8")
    for case, subject in cases.items():  # the README names every messy case and its subject
        assert f"| `{case}` | {subject} |" in readme, case


# --------------------------------------------------------------------------- DM


def test_dm_is_the_raw_subjects_variable_by_variable(sdtm, subjects):
    dm = by(sdtm("dm"), "USUBJID")
    rows = raw("dm.csv")
    assert len(dm) == len(rows)
    differences: list[str] = []
    for row in rows:
        key = row["Subject"]
        site, subject = key.split("-")
        rand = subjects.rand.get(key)
        arm = rand["Randomized Treatment"] if rand else ""
        actual = rand["Treatment Dispensed"] if rand else ""
        codes = {"Dapagliflozin 10 mg": "DAPA10", "Placebo": "PBO", "": ""}
        birth = row["IT.BRTHDAT"]
        expected = {
            "STUDYID": "NCT03036124", "DOMAIN": "DM", "SUBJID": subject, "SITEID": site,
            "BRTHDTC": birth if len(birth) == 4 else mdy(birth), "AGE": float(row["IT.AGE"]), "AGEU": "YEARS",
            "SEX": {"Male": "M", "Female": "F"}[row["IT.SEX"]], "RACE": row["IT.RACE"].upper(),
            "ETHNIC": row["IT.ETHNIC"].upper(), "COUNTRY": COUNTRIES[row["SiteNumber"]],
            "ARMCD": codes[arm], "ARM": arm, "ACTARMCD": codes[actual], "ACTARM": actual,
            "ARMNRS": "SCREEN FAILURE" if not rand else ("ASSIGNED, NOT TREATED" if not actual else ""),
            "RFICDTC": subjects.consent[key], "RFSTDTC": subjects.first_dose.get(key, ""),
            "RFXSTDTC": subjects.first_dose.get(key, ""), "RFENDTC": subjects.last_dose.get(key, ""),
            "RFXENDTC": subjects.last_dose.get(key, ""), "DTHDTC": subjects.death.get(key, ""),
            "DTHFL": "Y" if key in subjects.death else "", "ACTARMUD": "",
        }
        compare("DM", dm[(usubjid(key),)], expected, usubjid(key), differences)
        if dm[(usubjid(key),)]["RFPENDTC"][:10] != subjects.last_contact[key]:
            differences.append(f"DM {usubjid(key)} RFPENDTC: SDTM {dm[(usubjid(key),)]['RFPENDTC']!r}, "
                               f"raw says {subjects.last_contact[key]!r}")
    assert_no(differences)


def test_dm_shows_the_arm_cases_of_the_export(sdtm):
    dm = sdtm("dm")
    assert {r["ARMNRS"] for r in dm} == {"", "SCREEN FAILURE", "ASSIGNED, NOT TREATED"}
    other = [r for r in dm if r["ACTARMCD"] and r["ACTARMCD"] != r["ARMCD"]]
    assert [(r["ARMCD"], r["ACTARMCD"]) for r in other] == [("PBO", "DAPA10")]
    assert any(len(r["BRTHDTC"]) == 4 for r in dm) and any(r["DTHFL"] == "Y" for r in dm)


# --------------------------------------------------------------------------- AE


def test_ae_is_the_raw_ae_log_variable_by_variable(sdtm, subjects):
    ae = by(sdtm("ae"), "USUBJID", "AESPID")
    rows = raw("ae.csv")
    assert len(ae) == len(rows)
    differences: list[str] = []
    yes_no = {"Yes": "Y", "No": "N", "": ""}
    for row in rows:
        key = row["Subject"]
        start = dmy(row["IT.AESTDAT"], row["IT.AESTTIM"])
        end = dmy(row["IT.AEENDAT"])
        reference = subjects.first_dose.get(key, "")
        ongoing = row["IT.AEONGO"] == "Yes" and not end
        expected = {
            "AETERM": row["IT.AETERM"].upper(), "AELLT": row["AETERM_LLT"], "AELLTCD": float(row["AETERM_LLT_CODE"]),
            "AEDECOD": row["AETERM_PT"], "AEPTCD": float(row["AETERM_PT_CODE"]), "AEBODSYS": row["AETERM_SOC"],
            "AEBDSYCD": float(row["AETERM_SOC_CODE"]), "AESOC": row["AETERM_SOC"],
            "AESOCCD": float(row["AETERM_SOC_CODE"]), "AEHLT": "", "AEHLTCD": math.nan,
            "AESEV": row["IT.AESEV"].upper(), "AESER": yes_no[row["IT.AESER"]],
            "AESDTH": yes_no[row["IT.AESDTH"]], "AESLIFE": yes_no[row["IT.AESLIFE"]],
            "AESHOSP": yes_no[row["IT.AESHOSP"]], "AESDISAB": yes_no[row["IT.AESDISAB"]],
            "AESCONG": yes_no[row["IT.AESCONG"]], "AESMIE": yes_no[row["IT.AESMIE"]],
            "AEACN": row["IT.AEACN"].upper(), "AEREL": row["IT.AEREL"].upper(), "AEOUT": row["IT.AEOUT"].upper(),
            "AESTDTC": start, "AEENDTC": end, "AESTDY": study_day(start, reference),
            "AEENDY": study_day(end, reference), "EPOCH": subjects.epoch(key, start),
            "AEENRTPT": "ONGOING" if ongoing else "", "AEENTPT": subjects.last_contact[key] if ongoing else "",
        }
        compare("AE", ae[(usubjid(key), row["RecordPosition"])], expected,
                f"{usubjid(key)} line {row['RecordPosition']}", differences)
    assert_no(differences)
    for subject in {r["USUBJID"] for r in ae.values()}:  # AESEQ 1..n within subject
        assert sorted(r["AESEQ"] for r in ae.values() if r["USUBJID"] == subject) == \
            [float(n) for n in range(1, sum(r["USUBJID"] == subject for r in ae.values()) + 1)]


# --------------------------------------------------------------------------- EX


def test_ex_is_the_raw_study_drug_log_with_the_dispensed_treatment(sdtm, subjects):
    ex = by(sdtm("ex"), "USUBJID", "EXSPID")
    rows = raw("ex.csv")
    assert len(ex) == len(rows)
    differences: list[str] = []
    for row in rows:
        key = row["Subject"]
        treatment = {"Dapagliflozin 10 mg": "DAPAGLIFLOZIN", "Placebo": "PLACEBO"}[
            subjects.rand[key]["Treatment Dispensed"]]
        start, end = mdy_dash(row["IT.EXSTDAT"]), mdy_dash(row["IT.EXENDAT"])
        expected = {
            "EXTRT": treatment, "EXDOSE": 0.0 if treatment == "PLACEBO" else float(row["IT.EXDOSE"]),
            "EXDOSU": row["IT.EXDOSU"], "EXDOSFRM": "TABLET", "EXDOSFRQ": "QD", "EXROUTE": "ORAL",
            "EXADJ": row["IT.EXADJ"].upper(), "EXSTDTC": start, "EXENDTC": end,
            "EXSTDY": study_day(start, subjects.first_dose[key]), "EXENDY": study_day(end, subjects.first_dose[key]),
            "EPOCH": "TREATMENT",
        }
        compare("EX", ex[(usubjid(key), row["RecordPosition"])], expected,
                f"{usubjid(key)} line {row['RecordPosition']}", differences)
    assert_no(differences)
    assert {r["EXDOSE"] for r in ex.values()} == {0.0, 5.0, 10.0}  # placebo, the reduced dose, the dose


# --------------------------------------------------------------------------- LB


LAB_CODES = {"NA": "SODIUM", "K": "K", "CREA": "CREAT", "HGB": "HGB", "ALT": "ALT", "A1C": "HBA1C"}


def range_indicator(result: str, low: str, high: str) -> str:
    """Where a result lies against its range, compared as numbers ("<5" lies below 5)."""
    if not result:
        return ""
    bound = re.fullmatch(r"<\s*([0-9.]+)", result)
    if bound:
        return "LOW" if float(bound.group(1)) <= float(low) else ""
    value = float(result)
    return "LOW" if value < float(low) else "HIGH" if value > float(high) else "NORMAL"


def test_lb_is_the_raw_laboratory_transfer_variable_by_variable(sdtm, subjects):
    lb = by(sdtm("lb"), "USUBJID", "LBREFID", "LBTESTCD")
    rows = raw("lab.csv")
    assert len(lb) == len(rows)
    differences: list[str] = []
    for row in rows:
        key = row["Subject"]
        visitnum, visit, visitdy = visit_of(row["Visit"])
        dtc = dmy(row["Collection Date"], row["Collection Time"])
        unit = row["Units"].replace("\u00b5", "u")
        result = row["Result"]
        expected = {
            "LBCAT": "HEMATOLOGY" if row["Test Code"] == "HGB" else "CHEMISTRY",
            "LBORRES": result, "LBORRESU": unit, "LBORNRLO": row["Normal Low"], "LBORNRHI": row["Normal High"],
            "LBSTRESC": result, "LBSTRESN": number(result) if result else math.nan, "LBSTRESU": unit,
            "LBSTNRLO": float(row["Normal Low"]), "LBSTNRHI": float(row["Normal High"]),
            "LBNRIND": range_indicator(result, row["Normal Low"], row["Normal High"]),
            "LBSTAT": "" if result else "NOT DONE", "LBREASND": "" if result else row["Comment"].upper(),
            "LBSPEC": {"Serum": "SERUM", "Whole Blood": "BLOOD"}[row["Specimen"]],
            "LBFAST": {"Yes": "Y", "No": "N"}[row["Fasting"]],
            "VISITNUM": visitnum, "VISIT": visit, "VISITDY": visitdy, "LBDTC": dtc,
            "LBDY": study_day(dtc, subjects.first_dose.get(key, "")), "EPOCH": subjects.epoch(key, dtc),
        }
        compare("LB", lb[(usubjid(key), row["Accession"], LAB_CODES[row["Test Code"]])], expected,
                f"{usubjid(key)} {row['Accession']} {row['Test Code']}", differences)
        # the vendor's own flag agrees with the range (an independent check of the export, not of the mapping)
        flag = {"H": "HIGH", "L": "LOW", "": "NORMAL" if result else ""}[row["Flag"]]
        if flag != expected["LBNRIND"]:
            differences.append(f"lab.csv {row['Accession']} {row['Test Code']}: flag {row['Flag']!r} "
                               f"disagrees with the range")
    assert_no(differences)
    tests = {(r["LBTESTCD"], r["LBTEST"]) for r in lb.values()}
    assert tests == {("SODIUM", "Sodium"), ("K", "Potassium"), ("CREAT", "Creatinine"), ("HGB", "Hemoglobin"),
                     ("ALT", "Alanine Aminotransferase"), ("HBA1C", "Hemoglobin A1C")}


def test_lblobxfl_flags_the_last_result_per_test_on_or_before_the_first_dose(sdtm, subjects):
    lb = sdtm("lb")
    flagged = {(r["USUBJID"], r["LBREFID"], r["LBTESTCD"]) for r in lb if r["LBLOBXFL"] == "Y"}
    last: dict[tuple, tuple] = {}
    for row in raw("lab.csv"):
        first_dose = subjects.first_dose.get(row["Subject"], "")
        dtc = dmy(row["Collection Date"], row["Collection Time"])
        if not row["Result"] or not first_dose or dtc[:10] > first_dose[:10]:  # no time on a dose: by day
            continue
        group = (row["Subject"], row["Test Code"], row["Specimen"])
        order = (dtc, visit_of(row["Visit"])[0])
        if group not in last or order >= last[group][0]:
            last[group] = (order, (usubjid(row["Subject"]), row["Accession"], LAB_CODES[row["Test Code"]]))
    assert flagged == {record for _order, record in last.values()}
    assert len(flagged) > 100 and all(r["LBLOBXFL"] in ("", "Y") for r in lb)


# --------------------------------------------------------------------------- VS


def test_vs_is_the_raw_vital_signs_log_variable_by_variable(sdtm, subjects):
    vs = by(sdtm("vs"), "USUBJID", "VISITNUM", "VSTESTCD")
    rows = raw("vs.csv")
    assert len(vs) == len(rows)
    codes = {"Systolic Blood Pressure": "SYSBP", "Diastolic Blood Pressure": "DIABP", "Pulse Rate": "PULSE",
             "Weight": "WEIGHT", "Height": "HEIGHT"}
    differences: list[str] = []
    for row in rows:
        key = row["Subject"]
        visitnum, visit, visitdy = visit_of(row["InstanceName"])
        dtc = f"{mdy(row['IT.VSDAT'])}T{row['IT.VSTIM']}"
        expected = {
            "VSTEST": row["IT.VSTEST"], "VSPOS": row["IT.VSPOS"].upper(), "VSORRES": row["IT.VSORRES"],
            "VSORRESU": row["IT.VSORRESU"], "VSSTRESC": row["IT.VSORRES"], "VSSTRESN": number(row["IT.VSORRES"])
            if row["IT.VSORRES"] else math.nan, "VSSTRESU": row["IT.VSORRESU"], "VSSTAT": row["IT.VSSTAT"].upper(),
            "VSREASND": row["IT.VSREASND"].upper(), "VISIT": visit, "VISITDY": visitdy, "VSDTC": dtc,
            "VSDY": study_day(dtc, subjects.first_dose.get(key, "")), "EPOCH": subjects.epoch(key, dtc),
        }
        compare("VS", vs[(usubjid(key), visitnum, codes[row["IT.VSTEST"]])], expected,
                f"{usubjid(key)} {visit} {row['IT.VSTEST']}", differences)
    assert_no(differences)


# --------------------------------------------------------------------------- DS


def test_ds_holds_every_milestone_and_disposition_of_the_five_forms(sdtm, subjects):
    expected = []
    for r in raw("ic.csv"):
        expected.append((r["Subject"], "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE",
                         "", mdy(r["IT.ICDAT"])))
    for r in raw("ie.csv"):
        if r["IT.IEYN"] == "No":
            expected.append((r["Subject"], r["IT.IENMET"].upper(), "SCREEN FAILURE", "DISPOSITION EVENT",
                             "STUDY PARTICIPATION", mdy(r["IT.IEDAT"])))
    for r in raw("rand.csv"):
        expected.append((r["Subject"], "RANDOMIZED", "RANDOMIZED", "PROTOCOL MILESTONE", "",
                         dmy(r["Randomization Date"], r["Randomization Time"])))
    for r in raw("eot.csv"):
        expected.append((r["Subject"], r["IT.DSDECOD"].upper(), r["IT.DSDECOD"].upper(), "DISPOSITION EVENT",
                         "STUDY TREATMENT", mdy(r["IT.DSSTDAT"])))
    for r in raw("eos.csv"):
        expected.append((r["Subject"], r["IT.DSDECOD"].upper(), r["IT.DSDECOD"].upper(), "DISPOSITION EVENT",
                         "STUDY PARTICIPATION", mdy(r["IT.DTHDAT"] or r["IT.DSSTDAT"])))
    ds = sdtm("ds")
    found = sorted((r["USUBJID"], r["DSTERM"], r["DSDECOD"], r["DSCAT"], r["DSSCAT"], r["DSSTDTC"]) for r in ds)
    assert found == sorted((usubjid(k), *rest) for k, *rest in expected)
    differences: list[str] = []
    for r in ds:
        key = r["USUBJID"].removeprefix("DAPAHF-")
        compare("DS", r, {"DSSTDY": study_day(r["DSSTDTC"], subjects.first_dose.get(key, "")),
                          "EPOCH": subjects.epoch(key, r["DSSTDTC"])}, f"{r['USUBJID']} {r['DSDECOD']}", differences)
    assert_no(differences)
    assert {r["DSDECOD"] for r in ds} >= {"DEATH", "LOST TO FOLLOW-UP", "ADVERSE EVENT", "WITHDRAWAL BY SUBJECT"}


# --------------------------------------------------------------------------- SV


def test_sv_is_the_raw_visit_dates_with_the_schedule(sdtm, subjects):
    sv = by(sdtm("sv"), "USUBJID", "VISITNUM")
    rows = raw("vd.csv")
    assert len(sv) == len(rows)
    differences: list[str] = []
    for row in rows:
        key = row["Subject"]
        visitnum, visit, visitdy = visit_of(row["InstanceName"])
        day = mdy(row["IT.VISDAT"])
        planned = not math.isnan(visitdy)
        expected = {"VISIT": visit, "VISITDY": visitdy, "SVSTDTC": day, "SVENDTC": day,
                    "SVSTDY": study_day(day, subjects.first_dose.get(key, "")),
                    "SVUPDES": row["IT.SVUPDES"].upper(), "SVPRESP": "Y" if planned else "",
                    "SVOCCUR": "Y" if planned else ""}
        compare("SV", sv[(usubjid(key), visitnum)], expected, f"{usubjid(key)} {visit}", differences)
    assert_no(differences)
    assert any(r["VISIT"] == "UNSCHEDULED 6.1" and r["VISITNUM"] == 6.1 for r in sv.values())


# --------------------------------------------------------------------------- CM and MH: partial dates


def test_cm_and_mh_keep_partial_dates_partial(sdtm):
    cm = by(sdtm("cm"), "USUBJID", "CMSPID")
    for row in raw("cm.csv"):
        record = cm[(usubjid(row["Subject"]), row["RecordPosition"])]
        assert record["CMSTDTC"] == mdy(row["IT.CMSTDAT"]), row
        dose = row["IT.CMDOSE"]
        assert (record["CMDOSTXT"], same(record["CMDOSE"], number(dose))) == ("" if "/" not in dose else dose, True)
        assert record["CMENRTPT"] == ("ONGOING" if row["IT.CMONGO"] == "Yes" else "")
    mh = {(r["USUBJID"], r["MHSPID"]): r for r in sdtm("mh") if r["MHCAT"] == "GENERAL MEDICAL HISTORY"}
    rows = raw("mh.csv")
    assert len(mh) == len(rows)
    for row in rows:
        record = mh[(usubjid(row["Subject"]), row["RecordPosition"])]
        assert (record["MHTERM"], record["MHDECOD"], record["MHSTDTC"]) == (
            row["IT.MHTERM"].upper(), row["MHTERM_PT"], mdy(row["IT.MHSTDAT"]))
    heart_failure = {r["USUBJID"]: r for r in sdtm("mh") if r["MHCAT"] == "HEART FAILURE HISTORY"}
    for row in raw("hfh.csv"):
        assert heart_failure[usubjid(row["Subject"])]["MHSTDTC"] == mdy(row["IT.HFDIAGDAT"])
    assert "2003" in {r["MHSTDTC"] for r in mh.values()}


# --------------------------------------------------------------------------- trial design


def test_the_trial_design_domains_agree_with_dm_and_sv(sdtm):
    dm, ta, te, tv, sv = sdtm("dm"), sdtm("ta"), sdtm("te"), sdtm("tv"), sdtm("sv")
    arms = {(r["ARMCD"], r["ARM"]) for r in ta}
    assert {(r["ARMCD"], r["ARM"]) for r in dm if r["ARMCD"]} == arms
    assert {(r["ACTARMCD"], r["ACTARM"]) for r in dm if r["ACTARMCD"]} <= arms
    assert {r["ETCD"] for r in ta} == {r["ETCD"] for r in te}
    for armcd, _arm in arms:  # every arm's elements in order 1, 2, 3
        assert sorted(r["TAETORD"] for r in ta if r["ARMCD"] == armcd) == [1.0, 2.0, 3.0]
    epochs = {r["EPOCH"] for r in ta}
    for name in ("ae", "ex", "lb", "vs", "ds", "cm"):
        assert {r["EPOCH"] for r in sdtm(name)} - {""} <= epochs, name
    planned = {r["VISITNUM"]: (r["VISIT"], r["VISITDY"]) for r in tv}
    for visit in sv:
        if visit["VISITNUM"] in planned:
            assert (visit["VISIT"], visit["VISITDY"]) == planned[visit["VISITNUM"]]
        else:  # an unscheduled visit lies between two planned ones
            assert math.floor(visit["VISITNUM"]) in planned and visit["VISIT"].startswith("UNSCHEDULED")


def test_ts_has_the_parameters_fda_asks_for_and_they_agree_with_the_data(sdtm):
    ts: dict[str, list[dict]] = {}
    for record in sdtm("ts"):
        ts.setdefault(record["TSPARMCD"], []).append(record)
    # FDA Technical Conformance Guide / technical rejection criteria: the trial summary parameters
    asked = {"SSTDTC", "SENDTC", "TITLE", "TPHASE", "STYPE", "INTMODEL", "INTTYPE", "TBLIND", "TCNTRL", "RANDOM",
             "NARMS", "PLANSUB", "ACTSUB", "ADDON", "ADAPT", "AGEMIN", "AGEMAX", "SEXPOP", "HLTSUBJI", "INDIC", "TRT",
             "COMPTRT", "REGID", "SPONSOR", "TTYPE", "TINDTP", "FCNTRY", "SDTMVER", "SDTIGVER", "OUTMSPRI"}
    assert asked <= set(ts), asked - set(ts)
    dm, ta = sdtm("dm"), sdtm("ta")
    value = {code: records[0]["TSVAL"] for code, records in ts.items()}
    assert value["SSTDTC"] == min(r["RFICDTC"] for r in dm)
    assert value["SENDTC"] == max(r["RFPENDTC"] for r in dm)
    assert value["ACTSUB"] == str(sum(1 for r in dm if r["ARMCD"]))
    assert value["NARMS"] == str(len({r["ARMCD"] for r in ta}))
    assert {r["TSVAL"] for r in ts["FCNTRY"]} == {r["COUNTRY"] for r in dm}
    assert (value["RANDOM"], value["TCNTRL"], value["TBLIND"]) == ("Y", "PLACEBO", "DOUBLE BLIND")
    assert (ts["AGEMAX"][0]["TSVAL"], ts["AGEMAX"][0]["TSVALNF"]) == ("", "PINF")


def test_ti_names_the_criteria_the_screen_failures_failed(sdtm):
    criteria = {r["IETESTCD"]: r["IECAT"] for r in sdtm("ti")}
    for record in sdtm("ds"):
        if record["DSDECOD"] == "SCREEN FAILURE":
            kind, number_ = re.match(r"(INCLUSION|EXCLUSION) (\d+):", record["DSTERM"]).groups()
            code = f"{kind[:4]}{int(number_):02d}"
            assert criteria[code] == kind, record["DSTERM"]
