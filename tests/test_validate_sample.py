"""A small clean SDTM + ADaM package, written as real XPT files and define.xml, that
every validator test starts from; and the proof that it is clean.

The other tests/test_validate_*.py modules import `clean_package` and `rewrite` from
here, copy the package, inject one defect and check the rule fires on the right record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_map.io.xpt import read_xpt, write_xpt
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.metadata import load_sdtmig
from cdisc_map.standards.terminology import load_ct
from cdisc_map.validate import exit_code, validate_path
from define_xml import (
    CodeList,
    CodeListItem,
    Dataset,
    Define,
    Method,
    Standard,
    Variable,
    write_define,
)

STUDY = "NCT06111625"
CREATED = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)
ARM = "Blinatumomab bridge to allo-HSCT"


def subject(number: int) -> str:
    return f"{STUDY}-01-{number:03d}"


def _study_day(date: str, reference: str) -> float:
    days = (pd.Timestamp(date[:10]) - pd.Timestamp(reference[:10])).days
    return float(days + 1 if days >= 0 else days)


def trial_design_frames() -> dict[str, pd.DataFrame]:
    """TA, TE, TI, TS and TV of a one-arm trial: screening, then treatment."""
    common = {"STUDYID": STUDY}
    ta = pd.DataFrame([
        {**common, "DOMAIN": "TA", "ARMCD": "BLINA", "ARM": ARM, "TAETORD": float(order),
         "ETCD": code, "ELEMENT": element, "TABRANCH": "", "TATRANS": "", "EPOCH": epoch}
        for order, code, element, epoch in ((1, "SCRN", "Screening", "SCREENING"),
                                            (2, "BLINA", "Blinatumomab", "TREATMENT"))])
    te = pd.DataFrame([
        {**common, "DOMAIN": "TE", "ETCD": code, "ELEMENT": element, "TESTRL": start,
         "TEENRL": end, "TEDUR": duration}
        for code, element, start, end, duration in (
            ("SCRN", "Screening", "Informed consent", "First dose", "P28D"),
            ("BLINA", "Blinatumomab", "First dose", "End of study", ""))])
    ti = pd.DataFrame([{**common, "DOMAIN": "TI", "IETESTCD": "INCL01", "IECAT": "INCLUSION",
                        "IETEST": "Relapsed or refractory B-ALL"}])
    ts = pd.DataFrame([
        {**common, "DOMAIN": "TS", "TSSEQ": 1.0, "TSPARMCD": code, "TSPARM": name, "TSVAL": value,
         "TSVALCD": value_code, "TSVCDREF": reference, "TSVCDVER": version}
        for code, name, value, value_code, reference, version in (
            ("SSTDTC", "Study Start Date", "2024-02-20", "", "", ""),
            ("PCLAS", "Pharmacologic Class", "Bispecific CD19-directed CD3 T Cell Engager",
             "", "", ""))])
    tv = pd.DataFrame([{**common, "DOMAIN": "TV", "VISITNUM": 1.0, "VISIT": "SCREENING",
                        "TVSTRL": "Up to 28 days before the first dose"}])
    return {"TA": ta, "TE": te, "TI": ti, "TS": ts, "TV": tv}


def sdtm_frames() -> dict[str, pd.DataFrame]:
    """DM (3 treated subjects, 1 screen failure), EX, AE, SUPPAE and the trial design, all
    conformant."""
    starts = {1: "2024-03-05T10:00", 2: "2024-04-02T09:30", 3: "2024-05-14T11:15"}
    escalations = {1: "2024-03-08T10:00", 2: "2024-04-05T09:30", 3: "2024-05-17T11:15"}
    ends = {1: "2024-03-12T10:00", 2: "2024-04-09T09:30", 3: "2024-05-21T11:15"}
    dm_rows = []
    for n in (1, 2, 3, 4):
        treated = n in starts
        reference = starts.get(n, "")
        dm_rows.append({
            "STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": subject(n), "SUBJID": f"{n:03d}",
            "RFSTDTC": reference, "RFENDTC": "2025-06-30" if treated else "",
            "RFXSTDTC": reference, "RFXENDTC": ends.get(n, ""),
            "RFICDTC": "2024-02-20", "RFPENDTC": "2025-06-30", "DTHDTC": "", "DTHFL": "",
            "SITEID": "01", "BRTHDTC": "1990-01", "AGE": float(30 + n), "AGEU": "YEARS",
            "SEX": "M" if n % 2 else "F", "RACE": "ASIAN", "ETHNIC": "NOT HISPANIC OR LATINO",
            "ARMCD": "BLINA" if treated else "", "ARM": ARM if treated else "",
            "ACTARMCD": "BLINA" if treated else "", "ACTARM": ARM if treated else "",
            "ARMNRS": "" if treated else "SCREEN FAILURE", "ACTARMUD": "", "COUNTRY": "CHN",
            "DMDTC": "2024-02-20",
            "DMDY": _study_day("2024-02-20", reference) if treated else np.nan,
        })
    dm = pd.DataFrame(dm_rows)

    ex_rows = []
    for n in starts:
        for seq, (start, end, dose) in enumerate(
                [(starts[n], escalations[n], 8.0), (escalations[n], ends[n], 28.0)], start=1):
            ex_rows.append({
                "STUDYID": STUDY, "DOMAIN": "EX", "USUBJID": subject(n), "EXSEQ": float(seq),
                "EXTRT": "BLINATUMOMAB", "EXCAT": "STUDY TREATMENT", "EXDOSE": dose,
                "EXDOSU": "ug/day", "EXDOSFRM": "INJECTION", "EXROUTE": "INTRAVENOUS",
                "EXSTDTC": start, "EXENDTC": end,
                "EXSTDY": _study_day(start, starts[n]), "EXENDY": _study_day(end, starts[n]),
            })
    ex = pd.DataFrame(ex_rows)

    ae_rows = []
    events = [
        (1, "CYTOKINE RELEASE SYNDROME", "Cytokine release syndrome", "2024-03-06", "2024-03-09"),
        (1, "FEVER", "Pyrexia", "2024-03-10", "2024-03"),
        (2, "ACUTE GVHD OF THE SKIN", "Acute graft versus host disease", "2024-06-01", ""),
    ]
    counters: dict[int, int] = {}
    for n, term, decod, start, end in events:
        counters[n] = counters.get(n, 0) + 1
        ae_rows.append({
            "STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": subject(n), "AESEQ": float(counters[n]),
            "AETERM": term, "AELLT": decod, "AELLTCD": 10000001.0, "AEDECOD": decod,
            "AEPTCD": 10000002.0, "AEHLT": "HLT", "AEHLTCD": 10000003.0, "AEHLGT": "HLGT",
            "AEHLGTCD": 10000004.0, "AEBODSYS": "Immune system disorders",
            "AEBDSYCD": 10000005.0, "AESOC": "Immune system disorders", "AESOCCD": 10000005.0,
            "AESER": "N", "AEACN": "DOSE NOT CHANGED", "AEREL": "RELATED",
            "AESTDTC": start, "AEENDTC": end, "AESTDY": _study_day(start, starts[n]),
            "AEENRTPT": "" if end else "ONGOING", "AEENTPT": "" if end else "END OF STUDY",
        })
    ae = pd.DataFrame(ae_rows)

    suppae = pd.DataFrame([
        {"STUDYID": STUDY, "RDOMAIN": "AE", "USUBJID": subject(1), "IDVAR": "AESEQ",
         "IDVARVAL": "1", "QNAM": "AECRSGR", "QLABEL": "CRS Grade (ASTCT)", "QVAL": "2",
         "QORIG": "CRF", "QEVAL": "INVESTIGATOR"},
        {"STUDYID": STUDY, "RDOMAIN": "AE", "USUBJID": subject(2), "IDVAR": "AESEQ",
         "IDVARVAL": "1", "QNAM": "AEAGVHGR", "QLABEL": "Acute GVHD Grade (MAGIC)", "QVAL": "II",
         "QORIG": "CRF", "QEVAL": "INVESTIGATOR"},
    ])
    return {"DM": dm, "EX": ex, "AE": ae, "SUPPAE": suppae, **trial_design_frames()}


def adam_frames() -> dict[str, pd.DataFrame]:
    """ADSL (one record per subject) and ADTTE (OS and PFS for the treated subjects)."""
    hsct = {1: 23490.0, 2: 23518.0, 3: 23560.0}  # SAS dates: 2024-04-24, 2024-05-22, 2024-07-03
    adsl = pd.DataFrame([{
        "STUDYID": STUDY, "USUBJID": subject(n), "SUBJID": f"{n:03d}", "SITEID": "01",
        "AGE": float(30 + n), "AGEU": "YEARS", "SEX": "M" if n % 2 else "F", "RACE": "ASIAN",
        "ARM": ARM if n in hsct else "", "ACTARM": ARM if n in hsct else "",
        "TRT01P": "BLINATUMOMAB" if n in hsct else "", "HSCTDT": hsct.get(n, np.nan),
    } for n in (1, 2, 3, 4)])
    rows = []
    for n, start in hsct.items():
        for code, name, length, censored in (("OS", "Overall Survival (days)", 400.0, 1.0),
                                             ("PFS", "Progression-Free Survival (days)",
                                              200.0 + n, 0.0 if n == 2 else 1.0)):
            rows.append({"STUDYID": STUDY, "USUBJID": subject(n), "PARAMCD": code,
                         "PARAM": name, "AVAL": length, "CNSR": censored, "STARTDT": start,
                         "ADT": start + length, "EVNTDESC": "RELAPSE" if not censored else
                         "LAST CONTACT"})
    return {"ADSL": adsl, "ADTTE": pd.DataFrame(rows)}


LABELS = {
    "ADSL": "Subject-Level Analysis Dataset", "ADTTE": "Time-to-Event Analysis Dataset",
    "HSCTDT": "Date of Stem-Cell Infusion", "SUBJID": "Subject Identifier for the Study",
    "SITEID": "Study Site Identifier", "AGE": "Age", "AGEU": "Age Units", "SEX": "Sex",
    "RACE": "Race", "ARM": "Description of Planned Arm",
    "ACTARM": "Description of Actual Arm", "TRT01P": "Planned Treatment for Period 01",
    "PARAMCD": "Parameter Code", "PARAM": "Parameter", "AVAL": "Analysis Value",
    "CNSR": "Censor", "STARTDT": "Time-to-Event Origin Date for Subject",
    "ADT": "Analysis Date", "EVNTDESC": "Event or Censoring Description",
    "STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
}
# Trial design datasets the bundled SDTMIG tables do not describe (SDTMIG 3.4 labels).
TRIAL_DESIGN_LABELS = {
    "TA": "Trial Arms", "TE": "Trial Elements", "TI": "Trial Inclusion/Exclusion Criteria",
    "TV": "Trial Visits", "STUDYID": "Study Identifier", "DOMAIN": "Domain Abbreviation",
    "ARMCD": "Planned Arm Code", "ARM": "Description of Planned Arm",
    "TAETORD": "Planned Order of Element within Arm", "ETCD": "Element Code",
    "ELEMENT": "Description of Element", "TABRANCH": "Branch", "TATRANS": "Transition Rule",
    "EPOCH": "Epoch", "TESTRL": "Rule for Start of Element", "TEENRL": "Rule for End of Element",
    "TEDUR": "Planned Duration of Element", "IETESTCD": "Incl/Excl Criterion Short Name",
    "IETEST": "Inclusion/Exclusion Criterion", "IECAT": "Inclusion/Exclusion Category",
    "VISITNUM": "Visit Number", "VISIT": "Visit Name", "TVSTRL": "Visit Start Rule",
}
ADAM_FORMATS = {"HSCTDT": "DATE9.", "STARTDT": "DATE9.", "ADT": "DATE9."}


def labels_for(name: str) -> tuple[str, dict[str, str]]:
    """Dataset label and column labels: SDTMIG's for SDTM, the table above for ADaM."""
    if name.startswith("AD"):
        return LABELS[name], LABELS
    if name in ("TA", "TE", "TI", "TV"):
        return TRIAL_DESIGN_LABELS[name], TRIAL_DESIGN_LABELS
    standard = load_sdtmig("3.4")
    return (standard.dataset(name).label,
            {v.name: v.label for v in standard.variables(name)})


def write_dataset(folder: Path, name: str, frame: pd.DataFrame, **overrides) -> Path:
    """Write one dataset as <name>.xpt with standard labels (overridable for defects; a
    dataset the bundled IG does not describe is labelled by its variable names)."""
    try:
        label, column_labels = labels_for(name)
    except KeyError:
        label, column_labels = name, {c: c for c in frame.columns}
    path = folder / f"{name.lower()}.xpt"
    arguments = {"dataset": name, "label": label, "column_labels": column_labels,
                 "formats": {k: v for k, v in ADAM_FORMATS.items() if k in frame.columns},
                 "created": CREATED}
    arguments.update(overrides)
    write_xpt(frame, path, **arguments)
    return path


def _variable(dataset: str, name: str, frame: pd.DataFrame, label: str,
              lengths: dict[str, int]) -> Variable:
    series = frame[name]
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    if numeric:
        integral = bool(np.all(np.isnan(series) | (series == np.floor(series))))
        data_type, length = ("integer" if integral else "float"), 8
    else:
        data_type, length = "text", lengths[name]
    return Variable(f"IT.{dataset}.{name}", name, label, data_type, length=length,
                    origin_type="Derived" if numeric else "Collected",
                    origin_source=None if numeric else "Investigator",
                    method_oid="MT.DERIVED" if numeric else None,
                    codelist_oid="CL.SEX" if name == "SEX" else None,
                    mandatory=name in ("STUDYID", "USUBJID"))


def write_define_for(folder: Path, adam: bool) -> Path:
    """define.xml describing the XPT files of `folder` as they were written."""
    datasets = []
    for path in sorted(folder.glob("*.xpt")):
        frame, meta = read_xpt(path)
        classes = {"DM": "SPECIAL PURPOSE", "EX": "INTERVENTIONS", "CM": "INTERVENTIONS", "AE": "EVENTS",
                   "SUPPAE": "RELATIONSHIP", "ADSL": "SUBJECT LEVEL ANALYSIS DATASET",
                   "ADTTE": "BASIC DATA STRUCTURE", **dict.fromkeys(("TA", "TE", "TI", "TS", "TV"),
                                                                     "TRIAL DESIGN")}
        datasets.append(Dataset(
            oid=f"IG.{meta.dataset}", name=meta.dataset, label=meta.label,
            structure="One record per subject", purpose="Analysis" if adam else "Tabulation",
            repeating=meta.dataset not in ("DM", "ADSL"),
            cls=classes.get(meta.dataset, "FINDINGS"),  # the tests' own datasets: findings
            domain=None if adam else (meta.dataset[4:] if meta.dataset.startswith("SUPP")
                                      else meta.dataset),
            standard_oid="STD.IG", leaf_href=path.name,
            variables=[_variable(meta.dataset, c, frame, meta.column_labels[c],
                                 meta.character_lengths) for c in frame.columns],
        ))
    define = Define(
        study_oid=f"ST.{STUDY}", study_name=STUDY, description="Sample package",
        protocol_name=STUDY, mdv_oid="MDV.1", mdv_name="Sample",
        standards=[Standard("STD.IG", "ADaMIG" if adam else "SDTMIG", "IG",
                            "1.3" if adam else "3.4")],
        datasets=datasets,
        codelists=[CodeList("CL.SEX", "Sex", items=[CodeListItem("F"), CodeListItem("M")])],
        methods=[Method("MT.DERIVED", "Derived", "Derived as the sample package says")],
    )
    path = folder / "define.xml"
    write_define(define, path, created=CREATED)
    return path


def clean_package(root: Path) -> Path:
    """An OUT-like tree with an SDTM and an ADaM package; returns `root`."""
    sdtm = root / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    adam = root / "m5" / "datasets" / "nct06111625" / "analysis" / "adam" / "datasets"
    for folder, frames in ((sdtm, sdtm_frames()), (adam, adam_frames())):
        folder.mkdir(parents=True)
        for name, frame in frames.items():
            write_dataset(folder, name, frame)
        write_define_for(folder, adam=folder is adam)
    return root


def sdtm_folder(root: Path) -> Path:
    return root / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"


def adam_folder(root: Path) -> Path:
    return root / "m5" / "datasets" / "nct06111625" / "analysis" / "adam" / "datasets"


def rewrite(folder: Path, name: str, change, refresh_define: bool = True,
            **overrides) -> pd.DataFrame:
    """Read <name>.xpt, apply change(frame) (in place or returning a frame), write it back.

    define.xml is written again from the changed files unless `refresh_define` is False,
    so that a data defect does not also show up as a define.xml inconsistency.
    """
    path = folder / f"{name.lower()}.xpt"
    frame, _meta = read_xpt(path)
    changed = change(frame)
    frame = frame if changed is None else changed
    write_dataset(folder, name, frame, **overrides)
    if refresh_define and (folder / "define.xml").exists():
        write_define_for(folder, adam=name.startswith("AD"))
    return frame


def published_stand_in() -> Terminology:
    """The bundled CT subset marked as a published package: what `--ct FILE` gives the
    validator (a full release, whose "not in CT" answers are findings, not notices)."""
    bundled = load_ct()
    return Terminology.from_records(bundled.to_records(), version=bundled.version, source="stand-in",
                                    package=bundled.package, origin="published")


def findings_of(report, rule: str) -> list:
    return [f for f in report.findings if f.rule == rule]


# --- the clean package is clean -------------------------------------------------------


def only(report, rule: str):
    """The one finding of `rule` (fails, listing every finding, when there is not exactly one)."""
    found = findings_of(report, rule)
    assert len(found) == 1, [(f.rule, f.row, f.message) for f in report.findings]
    return found[0]


def set_value(row: int, column: str, value):
    """A change for `rewrite`: one cell set to `value`."""
    def change(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value
    return change


def test_the_clean_package_has_no_findings_at_all(tmp_path: Path):
    report = validate_path(clean_package(tmp_path))
    assert [(f.rule, f.file, f.message) for f in report.findings] == []
    assert exit_code(report, "notice") == 0
    names = sorted(d.name for d in report.datasets)
    assert names == ["ADSL", "ADTTE", "AE", "DM", "EX", "SUPPAE", "TA", "TE", "TI", "TS", "TV"]
    assert len(report.defines) == 2


def test_each_package_folder_validates_on_its_own(tmp_path: Path):
    root = clean_package(tmp_path)
    assert validate_path(sdtm_folder(root)).findings == []
    assert validate_path(adam_folder(root)).findings == []
