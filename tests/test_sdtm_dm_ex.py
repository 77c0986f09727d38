"""DM and EX of the bundled study, read back by independent readers and checked
against the raw export itself (not against the engine's own intermediate data)."""

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from cdisc_map.standards.metadata import load_sdtmig

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct06111625"
RAW = ROOT / "cdisc_map" / "studies" / "nct06111625" / "raw"


@pytest.fixture(scope="module")
def package(bundled_run) -> Path:
    return bundled_run.sdtm


def read_both(path: Path) -> tuple[pd.DataFrame, object]:
    """The dataset as pyreadstat reads it, after checking pandas' own XPORT reader agrees."""
    frame, meta = pyreadstat.read_xport(str(path))
    other = pd.read_sas(str(path), format="xport", encoding="ascii")
    assert list(other.columns) == list(frame.columns)
    for column in frame.columns:
        mine = frame[column].fillna("") if frame[column].dtype == object else frame[column]
        theirs = other[column].fillna("") if other[column].dtype == object else other[column]
        assert list(mine.astype(str))[: len(theirs)] == list(theirs.astype(str)), column
    return frame, meta


@pytest.fixture(scope="module")
def dm(package):
    return read_both(package / "dm.xpt")


@pytest.fixture(scope="module")
def ex(package):
    return read_both(package / "ex.xpt")


def raw_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype=str, keep_default_na=False)


def infusion_log() -> pd.DataFrame:
    sheet = openpyxl.load_workbook(RAW / "blinatumomab.xlsx", read_only=True)["Infusion Log"]
    rows = list(sheet.iter_rows(values_only=True))
    frame = pd.DataFrame(rows[1:], columns=rows[0]).astype(str)
    frame["start"] = pd.to_datetime(frame["Start Date"] + " " + frame["Start Time"], format="%d-%b-%Y %H:%M")
    frame["stop"] = pd.to_datetime(frame["Stop Date"] + " " + frame["Stop Time"], format="%d-%b-%Y %H:%M")
    return frame


def test_files_are_sas_transport_version_5(package):
    for path in (package / "dm.xpt", package / "ex.xpt"):
        header = path.read_bytes()[:80 * 3]
        assert header.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
        assert b"LIBV8" not in header


def test_dataset_and_variable_metadata_follow_sdtmig(dm, ex):
    ig = load_sdtmig("3.4")
    for (frame, meta), name in ((dm, "DM"), (ex, "EX")):
        assert meta.table_name == name
        assert meta.file_label == ig.dataset(name).label
        order = [v.name for v in ig.variables(name)]
        assert list(frame.columns) == [v for v in order if v in frame.columns]
        for column, label in zip(meta.column_names, meta.column_labels):
            assert label == ig.variable(name, column).label
        required = {v.name for v in ig.variables(name) if v.core in ("Req", "Exp")}
        assert required <= set(frame.columns)


def test_character_lengths_are_the_longest_value(dm, ex):
    for frame, meta in (dm, ex):
        for column in frame.columns:
            if frame[column].dtype == object:
                longest = max(1, frame[column].fillna("").str.encode("ascii").str.len().max())
                assert meta.variable_storage_width[column] == longest, column


def test_one_dm_record_per_screened_subject_with_usubjid(dm):
    frame, _ = dm
    demographics = raw_csv("dm.csv")
    expected = ("NCT06111625-" + demographics["DM.SITEID"] + "-" + demographics["DM.SUBJID"]).tolist()
    assert sorted(frame["USUBJID"]) == sorted(expected)
    assert frame["USUBJID"].is_unique
    assert set(frame["SUBJID"]) == set(demographics["DM.SUBJID"])  # "001" stays "001"


def test_screen_failures_have_null_arm_and_a_reason(dm):
    frame, _ = dm
    eligibility = raw_csv("ie.csv")
    failed = set(eligibility.loc[eligibility["Eligible"].str.strip() == "No", "Subject"])
    assert failed, "the fixture has screen failures"
    rows = frame[frame["SUBJID"].isin(failed)]
    assert (rows["ARMCD"] == "").all() and (rows["ACTARMCD"] == "").all()
    assert (rows["ARMNRS"] == "SCREEN FAILURE").all()
    assert (rows["RFSTDTC"] == "").all()
    treated = frame[~frame["SUBJID"].isin(failed)]
    assert (treated["ARMCD"] == "BLINA").all() and (treated["ARMNRS"] == "").all()


def test_reference_dates_come_from_the_raw_logs(dm):
    """RFSTDTC/RFENDTC: the blinatumomab infusion; RFXSTDTC/RFXENDTC: any protocol treatment (CG0148)."""
    frame, _ = dm
    log = infusion_log()
    first = log.groupby("Subject ID")["start"].min()
    last = log.groupby("Subject ID")["stop"].max()
    premed = raw_csv("premed.csv")
    premed_at = pd.to_datetime(premed["Date"] + " " + premed["Time"], format="%d/%m/%Y %H:%M")
    premed_at.index = premed["Subject"]
    by_subject = frame.set_index("SUBJID")
    minute = "%Y-%m-%dT%H:%M"
    for subject in first.index:
        assert by_subject.loc[subject, "RFSTDTC"] == first[subject].strftime(minute)
        assert by_subject.loc[subject, "RFENDTC"] == last[subject].strftime(minute)
        assert by_subject.loc[subject, "RFXSTDTC"] == min(first[subject], premed_at[subject]).strftime(minute)
        assert by_subject.loc[subject, "RFXENDTC"] == last[subject].strftime(minute)


def test_consent_and_death_dates(dm):
    frame, _ = dm
    demographics = raw_csv("dm.csv").set_index("DM.SUBJID")
    survival = raw_csv("survival.csv").set_index("Subject")
    by_subject = frame.set_index("SUBJID")
    for subject, row in demographics.iterrows():
        consent = datetime.strptime(row["DM.ICDAT"].title(), "%d-%b-%Y").strftime("%Y-%m-%d")
        assert by_subject.loc[subject, "RFICDTC"] == consent
    dead = survival[survival["Death Date"] != ""]
    assert len(dead) >= 2
    for subject, row in dead.iterrows():
        death = datetime.strptime(row["Death Date"].title(), "%d-%b-%Y").strftime("%Y-%m-%d")
        assert by_subject.loc[subject, "DTHDTC"] == death
        assert by_subject.loc[subject, "DTHFL"] == "Y"
    alive = set(by_subject.index) - set(dead.index)
    assert (by_subject.loc[sorted(alive), "DTHFL"] == "").all()


def test_sex_and_partial_birth_dates(dm):
    frame, _ = dm
    by_subject = frame.set_index("SUBJID")
    assert set(frame["SEX"]) <= {"M", "F"}
    demographics = raw_csv("dm.csv").set_index("DM.SUBJID")
    for subject, raw in demographics["DM.SEX"].items():
        assert by_subject.loc[subject, "SEX"] == raw.strip()[0].upper()
    assert by_subject.loc["016", "BRTHDTC"] == "1985-06"  # UN-JUN-1985, right-truncated
    assert by_subject.loc["013", "BRTHDTC"] == "1990"  # UN-UNK-1990
    complete = by_subject[by_subject["BRTHDTC"].str.len() == 10]
    assert complete["AGE"].notna().all() and (complete["AGE"] >= 16).all()


def test_total_blinatumomab_dose_equals_the_raw_log(ex):
    frame, _ = ex
    log = infusion_log()
    log["dose"] = log["Dose"].astype(float) * (log["stop"] - log["start"]).dt.total_seconds() / 86400
    raw_total = log.groupby("Subject ID")["dose"].sum()
    blina = frame[frame["EXTRT"] == "BLINATUMOMAB"].copy()
    start = pd.to_datetime(blina["EXSTDTC"])
    end = pd.to_datetime(blina["EXENDTC"])
    blina["dose"] = blina["EXDOSE"] * (end - start).dt.total_seconds() / 86400
    ex_total = blina.groupby(blina["USUBJID"].str[-3:])["dose"].sum()
    pd.testing.assert_series_equal(ex_total.sort_index(), raw_total.sort_index(), check_names=False)
    assert raw_total.between(150, 200).all()
    assert set(blina["EXDOSU"]) == {"ug/day"}
    assert set(blina["EXROUTE"]) == {"INTRAVENOUS"}


def test_one_record_per_constant_dose_interval(ex):
    frame, _ = ex
    blina = frame[frame["EXTRT"] == "BLINATUMOMAB"]
    counts = blina.groupby("USUBJID").size()
    assert (counts >= 2).all()  # 8 then 28 ug/day
    # the interrupted infusion (subject 021) keeps its gap: one more record than doses
    interrupted = blina[blina["USUBJID"].str.endswith("-021")]
    assert len(interrupted) == 3
    assert (interrupted["EXENDTC"].iloc[:-1].to_numpy() != interrupted["EXSTDTC"].iloc[1:].to_numpy()).any()


def test_dexamethasone_keeps_its_actual_date_and_time(ex):
    frame, _ = ex
    premed = raw_csv("premed.csv").set_index("Subject")
    dexa = frame[frame["EXTRT"] == "DEXAMETHASONE"]
    dexa = dexa.set_index(dexa["USUBJID"].str[-3:])
    assert len(dexa) == len(premed)
    for subject, row in premed.iterrows():
        when = datetime.strptime(f"{row['Date']} {row['Time']}", "%d/%m/%Y %H:%M").strftime("%Y-%m-%dT%H:%M")
        assert dexa.loc[subject, "EXSTDTC"] == when
    assert set(dexa["EXCAT"]) == {"PREMEDICATION"}


def test_study_days_have_no_day_zero_and_follow_rfstdtc(dm, ex):
    frame, _ = ex
    ref = dm[0].set_index("USUBJID")["RFSTDTC"]
    days = (pd.to_datetime(frame["EXSTDTC"].str[:10]) - pd.to_datetime(frame["USUBJID"].map(ref).str[:10])).dt.days
    expected = days.where(days < 0, days + 1)
    assert (frame["EXSTDY"] == expected).all()
    assert (frame["EXSTDY"] != 0).all()


def test_sorted_by_keys_with_sequence_numbers(ex):
    frame, _ = ex
    keys = ["STUDYID", "USUBJID", "EXTRT", "EXSTDTC"]
    assert frame.equals(frame.sort_values(keys, kind="stable").reset_index(drop=True))
    assert (frame.groupby("USUBJID")["EXSEQ"].apply(lambda s: list(s) == list(range(1, len(s) + 1)))).all()


def test_ascii_only(dm, ex):
    for frame, _ in (dm, ex):
        for column in frame.columns:
            if frame[column].dtype == object:
                assert frame[column].fillna("").map(str.isascii).all(), column


def test_suppdm_keeps_the_pre_treatment_blasts_as_collected(package):
    supp, _ = pyreadstat.read_xport(str(package / "suppdm.xpt"))
    eligibility = raw_csv("ie.csv").set_index("Subject")["Pre-treatment Blasts (%)"]
    assert set(supp["QNAM"]) == {"BLSTPCT"} and (supp["IDVAR"] == "").all()
    found = dict(zip(supp["USUBJID"].str[-3:], supp["QVAL"]))
    assert found == {s: v.strip() for s, v in eligibility.items() if v.strip()}
