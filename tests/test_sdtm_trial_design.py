"""TA, TE, TV, TI and IE of the bundled study, read back with pyreadstat and checked against
what the test computes on its own: the raw export (csv module), the visit schedule of
study.yaml (yaml), and the protocol facts written below; then every EPOCH, VISITNUM/VISIT
and arm that any dataset carries is declared in TA/TV, and the package has no finding."""

import csv
import json
import lzma
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml
from click.testing import CliRunner
from conftest import BUNDLED_STUDY

from cdisc_map.cli import main
from cdisc_map.standards.terminology import load_ct

STUDYID = "NCT06111625"
SHARED_CT = Path(__file__).resolve().parent.parent.parent / "shared" / "standards" / "sdtm-ct-2025-03-28.txt.xz"
#: The protocol's order of epochs (SCREENING from consent, TREATMENT from the first protocol
#: treatment, FOLLOW-UP from transplant day 0), as every domain's `derive: epoch` has them.
EPOCHS = ["SCREENING", "TREATMENT", "FOLLOW-UP"]
#: The criteria of the registration: inclusion, then exclusion, in its order.
INCLUSION = 3
EXCLUSION = 4
#: How the eligibility CRF words the criterion a screen failure did not meet (docs/raw-export.md),
#: and the criterion of the registration it is.
CRF_CRITERIA = {
    "Leukaemia burden >= 10% before treatment": "EXCL02",
    "Severe organ dysfunction": "EXCL03",
    "CNS leukaemia": "EXCL04",
}
ISO_DURATION = re.compile(r"P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?")
MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                      "NOV", "DEC"), 1)}


# --- what the test reads on its own -----------------------------------------------------


@pytest.fixture(scope="module")
def study() -> dict:
    return yaml.safe_load((BUNDLED_STUDY / "study.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schedule(study) -> list[dict]:
    return study["visits"]["schedule"]


def raw_rows(study: dict, form: str) -> list[dict[str, str]]:
    """A raw CSV form, as the csv module reads it (every value text, as exported)."""
    spec = study["raw"]["forms"][form]
    path = (BUNDLED_STUDY / study["raw"]["dir"] / spec["file"]).resolve()
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def dd_mon_yyyy(text: str) -> date:
    day, month, year = text.strip().split("-")
    return date(int(year), MONTHS[month.upper()], int(day))


@pytest.fixture(scope="module")
def datasets(bundled_run) -> dict[str, pd.DataFrame]:
    """Every SDTM XPT of the bundled run, read by pyreadstat, by upper-case name."""
    found = {}
    for path in sorted(bundled_run.sdtm.glob("*.xpt")):
        frame, _ = pyreadstat.read_xport(str(path))
        found[path.stem.upper()] = frame
    return found


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


# --- TA and TE ---------------------------------------------------------------------------


def test_ta_is_the_one_arm_of_dm_with_its_elements_in_order(datasets):
    ta, dm = datasets["TA"], datasets["DM"]
    arms = {(code, name) for code, name in zip(dm["ARMCD"], dm["ARM"], strict=True) if code}
    assert arms == {(code, name) for code, name in zip(ta["ARMCD"], ta["ARM"], strict=True)}
    assert len(arms) == 1  # single arm (TS NARMS 1)
    assert dict(zip(datasets["TS"]["TSPARMCD"], datasets["TS"]["TSVAL"]))["NARMS"] == str(len(arms))
    assert ta["TAETORD"].tolist() == [float(n) for n in range(1, len(ta) + 1)]
    # the epochs in protocol order, each once or more, none skipped or revisited
    assert list(dict.fromkeys(ta["EPOCH"])) == EPOCHS
    assert ta["EPOCH"].tolist() == sorted(ta["EPOCH"], key=EPOCHS.index)
    # no randomisation and no planned way out of the sequence
    assert set(ta["TABRANCH"]) == {""} and set(ta["TATRANS"]) == {""}


def test_te_defines_every_element_of_ta_once_and_elements_are_contiguous(datasets):
    ta, te = datasets["TA"], datasets["TE"]
    assert te["ETCD"].is_unique and set(te["ETCD"]) == set(ta["ETCD"])
    elements = te.set_index("ETCD")
    for row in records(ta):
        assert elements.loc[row["ETCD"], "ELEMENT"] == row["ELEMENT"]
    assert (te["TESTRL"] != "").all() and ((te["TEENRL"] != "") | (te["TEDUR"] != "")).all()
    # an element ends where the next one starts (the next start rule's event, before its detail)
    ordered = [elements.loc[code] for code in ta["ETCD"]]
    for this, following in zip(ordered, ordered[1:]):
        assert this["TEENRL"].startswith(following["TESTRL"].split(" (")[0]), (this.name, following.name)
    assert ta["ETCD"].iat[0] == "SCRN" and elements.loc["SCRN", "TESTRL"] == "Informed consent"


def test_tedur_only_where_the_protocol_fixes_it(datasets, schedule):
    te = datasets["TE"].set_index("ETCD")
    given = {code: duration for code, duration in te["TEDUR"].items() if duration}
    assert all(ISO_DURATION.fullmatch(d) for d in given.values()), given
    # the follow-up runs to the last scheduled visit, months after transplant day 0
    last_month = max(int(v["visit"].split()[1]) for v in schedule if v["visit"].startswith("MONTH "))
    assert given == {"FOLLOWUP": f"P{last_month}M"}


def test_the_elements_epochs_agree_with_the_dated_records_of_the_raw_export(datasets, study):
    """Each subject's element starts, from the raw forms, come in TA's order, and the records
    dated within an element carry that element's epoch: the conditioning agents (CM) are in
    the conditioning element, so TREATMENT; the transplant (PR) opens FOLLOW-UP."""
    epoch_of = dict(zip(datasets["TA"]["ETCD"], datasets["TA"]["EPOCH"], strict=True))
    consent = {r["DM.SUBJID"]: dd_mon_yyyy(r["DM.ICDAT"]) for r in raw_rows(study, "demographics")}
    premed = {r["Subject"]: datetime.strptime(r["Date"], "%d/%m/%Y").date() for r in raw_rows(study, "premedication")}
    conditioning: dict[str, date] = {}
    for row in raw_rows(study, "conditioning"):
        if len(row["Start Date"]) == 10:  # a partial start ('2024-03') says nothing exact
            day = date.fromisoformat(row["Start Date"])
            conditioning[row["Subject"]] = min(day, conditioning.get(row["Subject"], day))
    transplant = {r["Subject"]: dd_mon_yyyy(r["Infusion Date"]) for r in raw_rows(study, "transplant")}
    assert transplant and set(transplant) == set(premed)
    for subject in conditioning:
        assert consent[subject] <= premed[subject] < conditioning[subject] < transplant[subject], subject
    cm = datasets["CM"][datasets["CM"]["CMCAT"] == "CONDITIONING REGIMEN"]
    dated = cm[cm["CMSTDTC"].str.len() == 10]
    assert len(dated) > 0 and set(dated["EPOCH"]) == {epoch_of["COND"]}
    assert set(datasets["PR"]["EPOCH"]) == {epoch_of["FOLLOWUP"]}
    assert set(datasets["EX"]["EPOCH"]) == {epoch_of["BRIDGE"]}
    ds = datasets["DS"]
    assert set(ds.loc[ds["DSDECOD"] == "INFORMED CONSENT OBTAINED", "EPOCH"]) == {epoch_of["SCRN"]}


# --- TV ----------------------------------------------------------------------------------


def test_tv_is_the_visit_schedule_of_study_yaml(datasets, schedule):
    tv = datasets["TV"]
    assert list(zip(tv["VISITNUM"], tv["VISIT"], strict=True)) == [
        (float(v["visitnum"]), v["visit"]) for v in schedule]
    # VISITDY only from planned days the schedule gives: it gives none, so there is no VISITDY
    assert ("VISITDY" in tv) == any("day" in v for v in schedule)
    # the schedule does not depend on the arm (SDTMIG 3.4: ARMCD null then)
    assert set(tv["ARMCD"]) == {""} and "ARM" not in tv
    for row in records(tv):
        assert row["TVSTRL"], row
        if row["VISIT"].startswith("MONTH "):
            months = int(row["VISIT"].split()[1])
            assert row["TVSTRL"].startswith(f"{months} month{'s' if months > 1 else ''} after the stem-cell infusion")


def test_every_visit_any_dataset_carries_is_a_tv_visit_or_numbered_after_one(datasets):
    planned = dict(zip(datasets["TV"]["VISITNUM"], datasets["TV"]["VISIT"], strict=True))
    carried = 0
    for name, frame in datasets.items():
        if name == "TV" or "VISITNUM" not in frame:
            continue
        for number, visit in set(zip(frame["VISITNUM"], frame["VISIT"], strict=True)):
            carried += 1
            if number.is_integer():
                assert planned.get(number) == visit, (name, number, visit)
            else:  # unscheduled: not planned, numbered after the planned visit before it
                assert int(number) in planned and visit == f"UNSCHEDULED {number:.2f}", (name, number, visit)
    assert carried > len(planned)  # RS and IE carry visits, unscheduled ones included


# --- TI ----------------------------------------------------------------------------------


def test_ti_has_the_registration_s_criteria_coded_by_category(datasets):
    ti = datasets["TI"]
    codes = sorted(ti["IETESTCD"])
    assert codes == sorted([f"INCL{n:02d}" for n in range(1, INCLUSION + 1)]
                           + [f"EXCL{n:02d}" for n in range(1, EXCLUSION + 1)])
    for row in records(ti):
        assert row["IECAT"] == ("INCLUSION" if row["IETESTCD"].startswith("INCL") else "EXCLUSION")
        assert 0 < len(row["IETEST"]) <= 200 and row["IETEST"].isascii()
    assert ti["IETEST"].is_unique
    age = ti.loc[ti["IETEST"].str.startswith("Age"), "IETEST"].item()
    minimum = dict(zip(datasets["TS"]["TSPARMCD"], datasets["TS"]["TSVAL"]))["AGEMIN"]
    years = re.search(r">= (\d+) years", age).group(1)
    assert minimum == f"P{years}Y"  # TS AGEMIN says the same


# --- IE ----------------------------------------------------------------------------------


def test_ie_holds_the_criterion_each_screen_failure_did_not_meet(datasets, study, schedule):
    sites = {r["DM.SUBJID"]: r["DM.SITEID"] for r in raw_rows(study, "demographics")}
    consent = {r["DM.SUBJID"]: dd_mon_yyyy(r["DM.ICDAT"]) for r in raw_rows(study, "demographics")}
    criteria = datasets["TI"].set_index("IETESTCD")
    screening = next(v for v in schedule if "Screening" in v["raw"])
    expected = []
    for row in raw_rows(study, "eligibility"):
        if row["Eligible"] != "No":
            continue
        code = CRF_CRITERIA[row["Criterion Not Met"].strip()]
        assessed = datetime.strptime(row["Assessment Date"], "%d/%m/%Y").date()
        assert assessed >= consent[row["Subject"]]  # so in the SCREENING epoch
        category = criteria.loc[code, "IECAT"]
        result = "Y" if category == "EXCLUSION" else "N"
        subject = f"{STUDYID}-{sites[row['Subject']]}-{row['Subject']}"
        expected.append({
            "STUDYID": STUDYID, "DOMAIN": "IE", "USUBJID": subject, "IESEQ": 1.0, "IETESTCD": code,
            "IETEST": criteria.loc[code, "IETEST"], "IECAT": category, "IEORRES": result, "IESTRESC": result,
            "VISITNUM": float(screening["visitnum"]), "VISIT": screening["visit"], "EPOCH": "SCREENING",
            "IEDTC": assessed.isoformat()})
    ie = datasets["IE"]
    assert len(expected) == 4  # the screen failures of the fixture
    assert records(ie.drop(columns="IEDY")) == sorted(expected, key=lambda r: (r["USUBJID"], r["IETESTCD"]))
    # never treated, so no RFSTDTC and no study day
    dm = datasets["DM"].set_index("USUBJID")
    assert (dm.loc[ie["USUBJID"], "RFSTDTC"] == "").all() and ie["IEDY"].isna().all()
    assert set(ie["USUBJID"]) == set(dm.index[dm["ARMNRS"] == "SCREEN FAILURE"])
    ds = datasets["DS"]
    assert set(ie["USUBJID"]) == set(ds.loc[ds["DSDECOD"] == "SCREEN FAILURE", "USUBJID"])


def test_ie_codes_are_ti_s_and_terms_are_in_the_bundled_ct(datasets):
    ti = datasets["TI"].set_index("IETESTCD")
    for row in records(datasets["IE"]):
        assert (row["IETEST"], row["IECAT"]) == tuple(ti.loc[row["IETESTCD"], ["IETEST", "IECAT"]])
    ct = load_ct()
    assert set(datasets["TI"]["IECAT"]) <= set(ct["IECAT"].submission_values())
    assert set(datasets["IE"]["IESTRESC"]) | set(datasets["IE"]["IEORRES"]) <= set(ct["NY"].submission_values())
    assert set(datasets["TA"]["EPOCH"]) <= set(ct["EPOCH"].submission_values())
    assert {"IE", "TA", "TE", "TI", "TV"} <= set(ct["DOMAIN"].submission_values())


# --- the package as a whole ---------------------------------------------------------------


def test_every_epoch_and_arm_any_dataset_carries_is_declared_in_ta(datasets):
    ta = datasets["TA"]
    epochs, arms = set(ta["EPOCH"]), dict(zip(ta["ARMCD"], ta["ARM"], strict=True))
    used = set()
    for name, frame in datasets.items():
        if "EPOCH" in frame and name != "TA":
            assert set(frame["EPOCH"]) - {""} <= epochs, name
            used |= set(frame["EPOCH"]) - {""}
        for code, label in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
            if code in frame and label in frame and name not in ("TA", "TV"):
                for value, description in set(zip(frame[code], frame[label], strict=True)) - {("", "")}:
                    assert arms.get(value) == description, (name, code, value)
    assert used == epochs  # and every epoch of TA is one the data reach


def test_the_bundled_package_has_no_finding_with_the_bundled_and_the_published_ct(bundled_run, tmp_path):
    result = CliRunner().invoke(main, ["validate", str(bundled_run.out), "--fail-on", "notice", "--format", "json"])
    assert result.exit_code == 0, result.output[:2000]
    summary = json.loads(result.output)["summary"]
    assert (summary["errors"], summary["warnings"], summary["notices"], summary["datasets"]) == (0, 0, 0, 18)
    if not SHARED_CT.is_file():
        pytest.skip(f"{SHARED_CT} (the published CT) is absent")
    ct = tmp_path / "sdtm-ct-2025-03-28.txt"
    ct.write_bytes(lzma.decompress(SHARED_CT.read_bytes()))
    result = CliRunner().invoke(main, ["validate", str(bundled_run.out), "--fail-on", "notice", "--ct", str(ct)])
    assert result.exit_code == 0, result.output[:2000]
    assert "0 errors, 0 warnings, 0 notices in 18 datasets" in result.output
