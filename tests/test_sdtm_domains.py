"""RS, PR (+SUPPPR), CM, DS and TS of the bundled study, read back with pyreadstat and
checked against the raw export read independently (pandas, dtype=str), plus the rules
every domain of the package must keep (subjects in DM, unique --SEQ, no study day 0)."""

from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from cdisc_map.standards.terminology import load_ct

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct06111625"
RAW = ROOT / "cdisc_map" / "studies" / "nct06111625" / "raw"
STUDYID = "NCT06111625"
#: The CDISC ONCRSR term for a relapse (C38155).
RELAPSE = "RELAPSED DISEASE"

#: What FDA's technical rejection criteria and conformance guide look for in TS, as this study has them.
FDA_TS_PARAMETERS = {
    "SSTDTC", "TITLE", "TPHASE", "STYPE", "REGID", "SPONSOR", "PLANSUB", "ACTSUB", "AGEMIN", "AGEMAX",
    "SEXPOP", "HLTSUBJI", "ADDON", "RANDOM", "TBLIND", "TCNTRL", "INTMODEL", "INTTYPE", "NARMS", "TTYPE",
    "TINDTP", "INDIC", "TRT", "FCNTRY", "SDTMVER", "SDTIGVER",
}
#: The codelist of TSVAL for parameters whose value is a CDISC CT term.
TS_VALUE_CODELISTS = {
    "TPHASE": "TPHASE", "STYPE": "STYPE", "INTTYPE": "INTTYPE", "INTMODEL": "INTMODEL", "TBLIND": "TBLIND",
    "TCNTRL": "TCNTRL", "RANDOM": "NY", "HLTSUBJI": "NY", "ADDON": "NY", "ADAPT": "NY", "SEXPOP": "SEXPOP",
    "TTYPE": "TTYPE", "TINDTP": "TINDTP", "DOSU": "UNIT", "ROUTE": "ROUTE",
}


@pytest.fixture(scope="module")
def package(bundled_run) -> Path:
    return bundled_run.sdtm


@pytest.fixture(scope="module")
def datasets(package) -> dict[str, pd.DataFrame]:
    """Every XPT of the package, by upper-case name."""
    found = {}
    for path in sorted(package.glob("*.xpt")):
        frame, _ = pyreadstat.read_xport(str(path))
        found[path.stem.upper()] = frame
    return found


def domain(datasets: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    assert name in datasets, f"{name.lower()}.xpt was not written (datasets: {sorted(datasets)})"
    return datasets[name]


def raw_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype=str, keep_default_na=False)


def usubjid(subject: str) -> str:
    return f"{STUDYID}-01-{subject.strip()}"


def iso_day(value: str, fmt: str = "%d-%b-%Y") -> str:
    return pd.to_datetime(value.strip(), format=fmt).strftime("%Y-%m-%d")


def treated_subjects() -> set[str]:
    sheet = openpyxl.load_workbook(RAW / "blinatumomab.xlsx", read_only=True)["Infusion Log"]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Subject ID")
    return {str(row[column]).strip() for row in rows[1:] if row[column] is not None}


# ---------------------------------------------------------------- RS


def test_every_relapse_is_in_rs_on_its_date(datasets):
    rs = domain(datasets, "RS")
    raw = raw_csv("response.csv")
    relapses = raw[raw["Overall Response"].str.strip().str.casefold() == "relapse"]
    assert len(relapses) >= 2  # the fixture has several (018, 023, ...)
    expected = {(usubjid(r.Subject), iso_day(r["Assessment Date"])) for _, r in relapses.iterrows()}
    found = rs[rs["RSSTRESC"] == RELAPSE]
    assert set(zip(found["USUBJID"], found["RSDTC"])) == expected
    assert len(found) == len(expected)


def test_rs_has_one_overall_response_per_assessment(datasets):
    rs = domain(datasets, "RS")
    raw = raw_csv("response.csv")
    assert len(rs) == len(raw)
    assert (rs["RSTESTCD"] == "OVRLRESP").all() and (rs["RSTEST"] == "Overall Response").all()
    assert (rs["RSEVAL"] == "INVESTIGATOR").all()
    assert (rs["RSCAT"] != "").all()
    assert set(rs["RSSTRESC"]) <= {"CR", "CR MRD-NEGATIVE", "CR MRD-POSITIVE", RELAPSE}
    mine = sorted(zip(rs["USUBJID"], rs["RSDTC"], rs["RSORRES"]))
    theirs = sorted((usubjid(r.Subject), iso_day(r["Assessment Date"]), r["Overall Response"].strip())
                    for _, r in raw.iterrows())
    assert mine == theirs


def test_rs_standard_results_are_controlled_terms(datasets):
    """CR and the relapse come from ONCRSR itself; only the MRD-qualified remissions are extensions."""
    rs = domain(datasets, "RS")
    ct = load_ct(yaml.safe_load((STUDY / "study.yaml").read_text())["standards"]["ct"])
    results = ct.codelist("ONCRSR")
    assert "CR" in results and RELAPSE in results
    assert set(rs["RSSTRESC"]) - set(results.submission_values()) <= {"CR MRD-NEGATIVE", "CR MRD-POSITIVE"}
    assert "OVRLRESP" in ct.codelist("ONCRTSCD")


def test_scheduled_visits_follow_study_yaml(datasets):
    rs = domain(datasets, "RS")
    schedule = yaml.safe_load((STUDY / "study.yaml").read_text())["visits"]["schedule"]
    by_name = {visit["visit"]: float(visit["visitnum"]) for visit in schedule}
    scheduled = rs[~rs["VISIT"].str.startswith("UNSCHEDULED")]
    assert set(scheduled["VISIT"]) <= set(by_name)
    assert (scheduled["VISITNUM"] == scheduled["VISIT"].map(by_name)).all()


def test_unscheduled_visit_is_previous_visit_plus_001(datasets):
    rs = domain(datasets, "RS")
    unscheduled = rs[rs["VISIT"].str.startswith("UNSCHEDULED")]
    assert len(unscheduled) >= 2  # the fixture has relapses and marrow checks at unscheduled visits
    for _, record in unscheduled.iterrows():
        subject = rs[(rs["USUBJID"] == record["USUBJID"]) & (rs["RSDTC"] < record["RSDTC"])]
        previous = subject.sort_values("RSDTC")["VISITNUM"].iloc[-1]
        assert record["VISITNUM"] == pytest.approx(round(previous + 0.01, 2)), record.to_dict()
        assert record["VISIT"] == f"UNSCHEDULED {record['VISITNUM']:.2f}"


def test_rs_epoch_follows_consent_first_dose_and_transplant(datasets):
    """EPOCH recomputed from the raw dates: consent, first blinatumomab bag, stem-cell infusion."""
    rs = domain(datasets, "RS")
    consent = {usubjid(r["DM.SUBJID"]): iso_day(r["DM.ICDAT"]) for _, r in raw_csv("dm.csv").iterrows()}
    transplant = {usubjid(r.Subject): iso_day(r["Infusion Date"]) for _, r in raw_csv("transplant.csv").iterrows()}
    first_dose = domain(datasets, "DM").set_index("USUBJID")["RFXSTDTC"].str.slice(0, 10).to_dict()
    for _, record in rs.iterrows():
        day, subject = record["RSDTC"], record["USUBJID"]
        if day >= transplant[subject]:
            expected = "FOLLOW-UP"
        elif first_dose[subject] and day >= first_dose[subject]:
            expected = "TREATMENT"
        else:
            expected = "SCREENING" if day >= consent[subject] else ""
        assert record["EPOCH"] == expected, record.to_dict()


# ---------------------------------------------------------------- PR / SUPPPR


def test_every_transplant_is_one_pr_record_on_its_date(datasets):
    pr = domain(datasets, "PR")
    raw = raw_csv("transplant.csv")
    assert pr["USUBJID"].is_unique
    expected = {usubjid(r.Subject): f"{iso_day(r['Infusion Date'])}T{r['Infusion Time'].strip()}"
                for _, r in raw.iterrows()}
    assert dict(zip(pr["USUBJID"], pr["PRSTDTC"])) == expected
    assert (pr["PRTRT"] == "ALLOGENEIC HEMATOPOIETIC STEM CELL TRANSPLANT").all()
    assert (pr["PRCAT"] == "TRANSPLANT").all()
    assert (pr["EPOCH"] == "FOLLOW-UP").all()  # the transplant opens the follow-up epoch


def test_supppr_resolves_to_pr_and_carries_the_transplant_facts(datasets):
    pr, supp = domain(datasets, "PR"), domain(datasets, "SUPPPR")
    assert (supp["RDOMAIN"] == "PR").all() and (supp["IDVAR"] == "PRSEQ").all()
    parents = set(zip(pr["USUBJID"], pr["PRSEQ"].astype(int).astype(str)))
    assert set(zip(supp["USUBJID"], supp["IDVARVAL"])) <= parents
    assert not supp.duplicated(["USUBJID", "IDVARVAL", "QNAM"]).any()
    assert (supp["QNAM"].str.len() <= 8).all() and (supp["QLABEL"].str.len() <= 40).all()
    assert (supp["QORIG"] != "").all()
    raw = raw_csv("transplant.csv")
    for qnam, column in (("DONTYP", "Donor Type"), ("GRAFTSRC", "Graft Source")):
        values = supp[supp["QNAM"] == qnam]
        assert dict(zip(values["USUBJID"], values["QVAL"])) == {
            usubjid(r.Subject): r[column].strip() for _, r in raw.iterrows()}, qnam
    doses = supp[supp["QNAM"] == "CD34DOSE"]
    assert {k: float(v) for k, v in zip(doses["USUBJID"], doses["QVAL"])} == {
        usubjid(r.Subject): float(r["CD34+ Dose (x10^6/kg)"]) for _, r in raw.iterrows()}
    assert set(supp["QVAL"][supp["QNAM"] == "DONTYP"]) <= {"MSD", "MUD", "HID"}


# ---------------------------------------------------------------- CM


def test_conditioning_agents_per_subject_match_the_export(datasets):
    cm = domain(datasets, "CM")
    raw = raw_csv("conditioning.csv")
    assert (cm["CMCAT"] == "CONDITIONING REGIMEN").all()
    mine = sorted(zip(cm["USUBJID"], cm["CMTRT"], cm["CMDOSE"], cm["CMDOSU"], cm["CMSTDTC"], cm["CMENDTC"]))
    theirs = sorted((usubjid(r.Subject), r.Agent.strip().upper(), float(r["Daily Dose"]), r.Unit.strip(),
                     r["Start Date"].strip(), r["End Date"].strip()) for _, r in raw.iterrows())
    assert mine == theirs
    assert set(cm["CMDOSFRQ"]) == {"QD"}


def test_partial_conditioning_date_stays_partial(datasets):
    cm = domain(datasets, "CM")
    raw = raw_csv("conditioning.csv")
    partial = raw[raw["Start Date"].str.len() == 7]
    assert len(partial) >= 1  # subject 008's fludarabine "2024-03"
    for _, row in partial.iterrows():
        record = cm[(cm["USUBJID"] == usubjid(row.Subject)) & (cm["CMTRT"] == row.Agent.strip().upper())]
        assert list(record["CMSTDTC"]) == [row["Start Date"].strip()]
        assert record["CMSTDY"].isna().all()  # no study day for a partial date
        assert (record["EPOCH"] == "").all()  # and no guessed epoch


# ---------------------------------------------------------------- DS


def test_every_death_is_in_ds_and_dm_on_its_date(datasets):
    ds, dm = domain(datasets, "DS"), domain(datasets, "DM")
    raw = raw_csv("survival.csv")
    dead = raw[raw["Death Date"].str.strip() != ""]
    assert len(dead) >= 2
    expected = {usubjid(r.Subject): iso_day(r["Death Date"]) for _, r in dead.iterrows()}
    deaths = ds[ds["DSDECOD"] == "DEATH"]
    assert dict(zip(deaths["USUBJID"], deaths["DSSTDTC"])) == expected
    assert len(deaths) == len(expected)
    for _, r in dead.iterrows():
        term = deaths.loc[deaths["USUBJID"] == usubjid(r.Subject), "DSTERM"].iloc[0]
        assert term.startswith("DEATH")
        cause = r["Cause of Death"].strip().upper()
        assert cause == "" or cause in term or (cause == "GVHD" and "GRAFT VERSUS HOST" in term), term
    on_dm = dm[dm["DTHDTC"] != ""]
    assert dict(zip(on_dm["USUBJID"], on_dm["DTHDTC"])) == expected
    assert set(dm.loc[dm["DTHFL"] == "Y", "USUBJID"]) == set(expected)


def test_consent_screen_failure_and_end_of_study(datasets):
    ds = domain(datasets, "DS")
    consent = ds[ds["DSDECOD"] == "INFORMED CONSENT OBTAINED"]
    assert (consent["DSCAT"] == "PROTOCOL MILESTONE").all()
    assert dict(zip(consent["USUBJID"], consent["DSSTDTC"])) == {
        usubjid(r["DM.SUBJID"]): iso_day(r["DM.ICDAT"]) for _, r in raw_csv("dm.csv").iterrows()}
    assert (consent["EPOCH"] == "SCREENING").all()

    ie = raw_csv("ie.csv")
    failed = ie[ie["Eligible"].str.strip() == "No"]
    screen = ds[ds["DSDECOD"] == "SCREEN FAILURE"]
    assert sorted(zip(screen["USUBJID"], screen["DSTERM"], screen["DSSTDTC"])) == sorted(
        (usubjid(r.Subject), r["Criterion Not Met"].strip().upper(), iso_day(r["Assessment Date"], "%d/%m/%Y"))
        for _, r in failed.iterrows())

    survival = raw_csv("survival.csv")
    status = survival["End of Study Status"].str.strip()
    ended = ds[(ds["DSCAT"] == "DISPOSITION EVENT") & (ds["DSDECOD"] != "SCREEN FAILURE")]
    for decod, raw_status in (("COMPLETED", "Completed"), ("LOST TO FOLLOW-UP", "Lost to follow-up")):
        rows = survival[status == raw_status]
        got = ended[ended["DSDECOD"] == decod]
        assert dict(zip(got["USUBJID"], got["DSSTDTC"])) == {
            usubjid(r.Subject): iso_day(r["Last Contact Date"]) for _, r in rows.iterrows()}, decod
    ongoing = {usubjid(s) for s in survival.loc[status == "Ongoing", "Subject"]}
    assert ongoing and not (set(ended["USUBJID"]) & ongoing)
    assert not ds.duplicated(["USUBJID", "DSCAT", "DSDECOD"]).any()


# ---------------------------------------------------------------- TS


def test_ts_study_start_is_the_first_informed_consent(datasets):
    ts = domain(datasets, "TS")
    first = min(pd.to_datetime(raw_csv("dm.csv")["DM.ICDAT"], format="%d-%b-%Y")).strftime("%Y-%m-%d")
    sstdtc = ts[ts["TSPARMCD"] == "SSTDTC"]
    assert list(sstdtc["TSVAL"]) == [first]
    assert list(sstdtc["TSVCDREF"]) == ["ISO 8601"]


def test_ts_has_the_fda_parameters_with_values(datasets):
    ts = domain(datasets, "TS")
    assert FDA_TS_PARAMETERS <= set(ts["TSPARMCD"])
    no_value = ts[ts["TSVAL"] == ""]
    assert (no_value["TSVALNF"] != "").all(), no_value  # a missing value says why
    values = ts.groupby("TSPARMCD")["TSVAL"].apply(set).to_dict()
    assert values["REGID"] == {STUDYID}
    assert values["TPHASE"] == {"PHASE II TRIAL"}
    assert values["PLANSUB"] == {"20"}
    assert values["ACTSUB"] == {str(len(treated_subjects()))}
    assert values["AGEMIN"] == {"P16Y"}
    assert list(ts.loc[ts["TSPARMCD"] == "AGEMAX", "TSVALNF"]) == ["PINF"]


def test_ts_terms_and_codes_agree_with_controlled_terminology(datasets):
    ts = domain(datasets, "TS")
    ct = load_ct(yaml.safe_load((STUDY / "study.yaml").read_text())["standards"]["ct"])
    parm_codes, parm_names = ct.codelist("TSPARMCD"), ct.codelist("TSPARM")
    for _, record in ts.iterrows():
        code = parm_codes.lookup(record["TSPARMCD"])
        name = parm_names.lookup(record["TSPARM"])
        assert code is not None and name is not None and code.code == name.code, record.to_dict()
        if record["TSPARMCD"] in TS_VALUE_CODELISTS:
            term = ct.codelist(TS_VALUE_CODELISTS[record["TSPARMCD"]]).lookup(record["TSVAL"])
            assert term is not None and term.submission_value == record["TSVAL"], record.to_dict()
            assert record["TSVALCD"] == term.code, record.to_dict()
            assert record["TSVCDREF"] == "CDISC CT"


def test_tsseq_numbers_each_parameter_from_one(datasets):
    ts = domain(datasets, "TS")
    for _, group in ts.groupby("TSPARMCD"):
        assert sorted(group["TSSEQ"]) == list(range(1, len(group) + 1))


# ---------------------------------------------------------------- every domain


SUBJECT_DOMAINS = ("AE", "CM", "DS", "EX", "PR", "RS")


def test_every_subject_of_every_domain_is_in_dm(datasets):
    subjects = set(domain(datasets, "DM")["USUBJID"])
    for name, frame in datasets.items():
        if "USUBJID" in frame:
            assert set(frame["USUBJID"]) <= subjects, name


def test_seq_is_unique_within_subject(datasets):
    for name in SUBJECT_DOMAINS:
        if name not in datasets:
            continue
        frame = datasets[name]
        seq = f"{name}SEQ"
        assert frame[seq].notna().all(), name
        assert not frame.duplicated(["USUBJID", seq]).any(), name


def test_no_study_day_zero(datasets):
    checked = 0
    for name, frame in datasets.items():
        for column in frame.columns:
            if column.endswith("DY") and column != "VISITDY":
                assert not (frame[column] == 0).any(), f"{name}.{column}"
                checked += 1
    assert checked >= 6  # RSDY, PRSTDY, CMSTDY, CMENDY, DSSTDY at least


def test_study_days_are_counted_from_rfstdtc(datasets):
    reference = domain(datasets, "DM").set_index("USUBJID")["RFSTDTC"].str.slice(0, 10)
    for name, dtc, dy in (("RS", "RSDTC", "RSDY"), ("PR", "PRSTDTC", "PRSTDY"), ("CM", "CMENDTC", "CMENDY"),
                          ("DS", "DSSTDTC", "DSSTDY")):
        frame = domain(datasets, name)
        start = pd.to_datetime(frame["USUBJID"].map(reference), format="%Y-%m-%d", errors="coerce")
        day = pd.to_datetime(frame[dtc].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        delta = (day - start).dt.days
        expected = delta.where(delta < 0, delta + 1)
        pd.testing.assert_series_equal(frame[dy], expected.astype("float64"), check_names=False)
