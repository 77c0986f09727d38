"""AE and SUPPAE of the bundled study, read back from the XPT files and checked against
the raw ae.csv read independently; and bad AE input reported all together."""

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from anyascii import anyascii

from cdisc_map.core.problems import ProblemsError
from cdisc_map.pipeline import run_study
from cdisc_map.standards.metadata import load_sdtmig

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct06111625"
RAW = ROOT / "fixtures" / "nct06111625"
SDTM = Path("m5") / "datasets" / "nct06111625" / "tabulations" / "sdtm"


@pytest.fixture(scope="module")
def package(bundled_run) -> Path:
    return bundled_run.sdtm


def read(path: Path) -> tuple[pd.DataFrame, object]:
    return pyreadstat.read_xport(str(path))


@pytest.fixture(scope="module")
def ae(package) -> pd.DataFrame:
    return read(package / "ae.xpt")[0]


@pytest.fixture(scope="module")
def suppae(package) -> pd.DataFrame:
    return read(package / "suppae.xpt")[0]


@pytest.fixture(scope="module")
def dm(package) -> pd.DataFrame:
    return read(package / "dm.xpt")[0]


def raw_csv(name: str, folder: Path = RAW) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def raw_ae() -> pd.DataFrame:
    """ae.csv with the USUBJID each row must get (site from dm.csv) and its AE No."""
    raw = raw_csv("ae.csv")
    sites = raw_csv("dm.csv").set_index("DM.SUBJID")["DM.SITEID"]
    raw["USUBJID"] = "NCT06111625-" + raw["Subject"].map(sites) + "-" + raw["Subject"]
    raw["AESPID"] = raw["AE No."].str.strip()
    return raw


@pytest.fixture(scope="module")
def merged(ae, raw_ae) -> pd.DataFrame:
    """One row per raw AE with its AE record (inner join: counts are checked separately)."""
    joined = raw_ae.merge(ae, on=["USUBJID", "AESPID"], how="left", indicator=True, suffixes=("_raw", ""))
    assert (joined["_merge"] == "both").all(), joined.loc[joined["_merge"] != "both", ["USUBJID", "AESPID"]]
    return joined


def iso(raw_date: str, raw_time: str = "") -> str:
    """The ISO 8601 form of a raw DD-MON-YYYY date, written out independently of cdisc_map."""
    raw_date = raw_date.strip()
    if raw_date in ("", "UNK"):
        return ""
    if raw_date.startswith("UN-"):
        return datetime.strptime(raw_date[3:], "%b-%Y").strftime("%Y-%m")
    day = datetime.strptime(raw_date, "%d-%b-%Y").strftime("%Y-%m-%d")
    return f"{day}T{raw_time.strip()}" if raw_time.strip() else day


def study_day(dtc: str, ref: str) -> float:
    if len(dtc) < 10 or len(ref) < 10:
        return float("nan")
    delta = (date.fromisoformat(dtc[:10]) - date.fromisoformat(ref[:10])).days
    return float(delta + 1 if delta >= 0 else delta)


# ---- the records --------------------------------------------------------------------------

def test_ae_count_per_subject_equals_raw_rows(ae, raw_ae):
    assert ae.groupby("USUBJID").size().to_dict() == raw_ae.groupby("USUBJID").size().to_dict()
    assert not ae.duplicated(["USUBJID", "AESPID"]).any()


def test_aeseq_is_1_to_n_within_subject_in_start_date_order(ae):
    for _, records in ae.groupby("USUBJID"):
        assert list(records["AESEQ"]) == list(range(1, len(records) + 1))
        dated = records["AESTDTC"][records["AESTDTC"] != ""]
        assert list(dated) == sorted(dated)


def test_every_raw_ae_keeps_its_meddra_coding(merged):
    for raw_col, var in (("AE_LLT", "AELLT"), ("AE_PT", "AEDECOD"), ("AE_SOC", "AESOC"), ("AE_SOC", "AEBODSYS")):
        assert (merged[raw_col] == merged[var]).all(), var
    for raw_col, var in (("AE_LLT_CODE", "AELLTCD"), ("AE_PT_CODE", "AEPTCD"), ("AE_SOC_CODE", "AESOCCD"),
                         ("AE_SOC_CODE", "AEBDSYCD")):
        assert (merged[raw_col].astype(int) == merged[var]).all(), var
    # MedDRA is never invented: the HLT/HLGT the export does not code stay empty.
    assert (merged["AEHLT"] == "").all() and merged["AEHLTCD"].isna().all()


def test_dates_follow_the_raw_export_partial_dates_kept_partial(merged):
    expected_start = [iso(d, t) for d, t in zip(merged["Start Date"], merged["Start Time"])]
    expected_end = [iso(d) for d in merged["End Date"]]
    assert list(merged["AESTDTC"]) == expected_start
    assert list(merged["AEENDTC"]) == expected_end
    case = merged[(merged["Subject"] == "008") & (merged["Start Date"] == "UN-MAR-2024")]
    assert list(case["AESTDTC"]) == ["2024-03"]
    unknown = merged[merged["Start Date"] == "UNK"]
    assert len(unknown) and (unknown["AESTDTC"] == "").all() and unknown["AESTDY"].isna().all()


def test_study_days_from_dm_rfstdtc_and_never_day_0(ae, dm):
    ref = ae["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"])
    for var, dtc in (("AESTDY", "AESTDTC"), ("AEENDY", "AEENDTC")):
        expected = pd.Series([study_day(d, r) for d, r in zip(ae[dtc], ref)])
        pd.testing.assert_series_equal(ae[var], expected, check_names=False)
        assert not (ae[var] == 0).any()
    assert ae["AESTDY"].notna().sum() > 150


def test_epoch_from_consent_first_infusion_and_transplant(ae, dm):
    transplant = raw_csv("transplant.csv")
    sites = raw_csv("dm.csv").set_index("DM.SUBJID")["DM.SITEID"]
    transplant["USUBJID"] = "NCT06111625-" + transplant["Subject"].map(sites) + "-" + transplant["Subject"]
    day0 = transplant.set_index("USUBJID")["Infusion Date"].map(iso)
    first_dose = dm.set_index("USUBJID")["RFXSTDTC"]
    consent = dm.set_index("USUBJID")["RFICDTC"]

    def epoch_of(subject: str, start: str) -> str:
        if start[:10] >= day0[subject]:
            return "FOLLOW-UP"
        if start[:16] >= first_dose[subject][: len(start[:16])]:
            return "TREATMENT"
        return "SCREENING" if start[:10] >= consent[subject] else ""

    partial = 0
    for record in ae.itertuples():
        start = record.AESTDTC
        if not start:
            expected = ""
        elif len(start) < 10:  # a partial date: the epoch of all of its days, if one holds them
            partial += 1
            first = f"{start}-01-01"[:10]
            last = (pd.Period(start, freq="M" if len(start) == 7 else "Y").end_time.strftime("%Y-%m-%d"))
            first_epoch, last_epoch = epoch_of(record.USUBJID, first), epoch_of(record.USUBJID, last)
            expected = first_epoch if first_epoch == last_epoch else ""
        else:
            expected = epoch_of(record.USUBJID, start)
        assert record.EPOCH == expected, (record.USUBJID, record.AESEQ, start)
    assert {"TREATMENT", "FOLLOW-UP"} <= set(ae["EPOCH"])
    assert partial >= 2 and (ae["EPOCH"][ae["AESTDTC"].str.len().between(4, 7)] != "").any()


def test_ongoing_events_end_relative_to_last_contact(merged, dm):
    ongoing = merged[merged["Ongoing"] == "Yes"]
    assert len(ongoing) >= 1
    assert (ongoing["AEENRTPT"] == "ONGOING").all()
    assert (ongoing["AEENDTC"] == "").all()
    last_contact = ongoing["USUBJID"].map(dm.set_index("USUBJID")["RFPENDTC"])
    assert (ongoing["AEENTPT"] == last_contact).all() and (last_contact != "").all()
    ended = merged[merged["Ongoing"] != "Yes"]
    assert (ended["AEENRTPT"] == "").all() and (ended["AEENTPT"] == "").all()
    case = ongoing[ongoing["Subject"] == "028"]
    assert list(case["AEDECOD"]) == ["Chronic graft versus host disease"]


def test_fatal_ae_is_a_serious_death(merged):
    fatal = merged[merged["Outcome"] == "Fatal"]
    assert "007" in set(fatal["Subject"])
    assert (fatal["AEOUT"] == "FATAL").all()
    assert (fatal["AESDTH"] == "Y").all() and (fatal["AESER"] == "Y").all() and (fatal["AETOXGR"] == "5").all()


def test_serious_criteria_flags_y_or_n_for_serious_events_only(merged):
    flags = ["AESDTH", "AESHOSP", "AESLIFE", "AESDISAB", "AESCONG", "AESMIE"]
    serious = merged[merged["Serious"] == "Yes"]
    not_serious = merged[merged["Serious"] == "No"]
    assert (serious["AESER"] == "Y").all() and (not_serious["AESER"] == "N").all()
    assert (not_serious[flags] == "").all().all()
    assert serious[flags].isin(["Y", "N"]).all().all()
    hospital = serious["SAE Criteria"].isin(["Hospitalization", "Prolonged hospitalization"])
    assert hospital.any()
    assert ((serious["AESHOSP"] == "Y") == hospital).all()
    assert ((serious["AESDTH"] == "Y") == (serious["SAE Criteria"] == "Death")).all()
    assert ((serious[flags] == "Y").sum(axis=1) == 1).all()


def test_causality_action_outcome_and_grade_through_terminology(merged):
    assert (merged["AEREL"] == merged["Relationship to Blinatumomab"].str.upper()).all()
    assert set(merged["AEREL"]) == {"RELATED", "POSSIBLY RELATED", "UNLIKELY RELATED", "NOT RELATED"}
    assert (merged["AEACN"] == merged["Action Taken"].str.upper()).all()
    assert (merged["AEOUT"] == merged["Outcome"].str.upper()).all()
    assert (merged["AETOXGR"] == merged["CTCAE Grade"]).all()


def test_verbatim_terms_trimmed_ascii_and_never_emptied(merged):
    assert merged["AETERM"].map(str.isascii).all()
    assert (merged["AETERM"] != "").all()
    plain = merged[merged["AE Term"].map(str.isascii)]
    assert (plain["AETERM"] == plain["AE Term"].str.strip()).all()
    chinese = merged[merged["AE Term"].str.strip() == "发热 fever"]
    assert len(chinese) >= 1 and (chinese["AETERM"] == "fever").all()


def test_dataset_metadata_follows_sdtmig(package):
    ae, meta = read(package / "ae.xpt")
    ig = load_sdtmig("3.4")
    assert meta.table_name == "AE"
    order = [v.name for v in ig.variables("AE")]
    assert list(ae.columns) == [v for v in order if v in ae.columns]
    assert {v.name for v in ig.variables("AE") if v.core in ("Req", "Exp")} <= set(ae.columns)
    assert "AESEV" not in ae.columns  # not collected
    for column, label in zip(meta.column_names, meta.column_labels):
        assert label == ig.variable("AE", column).label


# ---- SUPPAE -------------------------------------------------------------------------------

def test_every_suppae_record_resolves_to_exactly_one_ae(ae, suppae):
    assert (suppae["RDOMAIN"] == "AE").all() and (suppae["IDVAR"] == "AESEQ").all()
    parents = ae.assign(IDVARVAL=ae["AESEQ"].map(lambda v: str(int(v))))[["USUBJID", "IDVARVAL"]]
    matched = suppae.merge(parents, on=["USUBJID", "IDVARVAL"], how="left", indicator=True)
    assert len(matched) == len(suppae) and (matched["_merge"] == "both").all()
    assert not parents.duplicated().any()
    assert not suppae.duplicated(["USUBJID", "IDVARVAL", "QNAM"]).any()
    assert (suppae["QNAM"].str.len() <= 8).all() and (suppae["QLABEL"].str.len() <= 40).all()
    assert (suppae["QORIG"] == "Collected").all()


def supp_values(suppae: pd.DataFrame, ae: pd.DataFrame, qnam: str) -> dict[tuple[str, str], str]:
    """(USUBJID, AESPID) -> QVAL of one qualifier."""
    spid = ae.assign(IDVARVAL=ae["AESEQ"].map(lambda v: str(int(v)))).set_index(["USUBJID", "IDVARVAL"])["AESPID"]
    rows = suppae[suppae["QNAM"] == qnam]
    return {(u, spid[(u, i)]): v for u, i, v in zip(rows["USUBJID"], rows["IDVARVAL"], rows["QVAL"])}


@pytest.mark.parametrize("qnam, column, scale, convert", [
    ("AECRSGR", "CRS Grade (ASTCT)", "ASTCT", str),
    ("AEAGVHGR", "aGVHD Grade (MAGIC)", "MAGIC", str),
    ("AECGVHSV", "cGVHD Severity (NIH)", "NIH", str.upper),
])
def test_transplant_grades_in_suppae_on_the_right_records(ae, suppae, raw_ae, qnam, column, scale, convert):
    graded = raw_ae[raw_ae[column] != ""]
    expected = {(u, s): convert(g) for u, s, g in zip(graded["USUBJID"], graded["AESPID"], graded[column])}
    assert expected and supp_values(suppae, ae, qnam) == expected
    assert (suppae.loc[suppae["QNAM"] == qnam, "QLABEL"].str.contains(scale)).all()
    assert (suppae.loc[suppae["QNAM"] == qnam, "QEVAL"] == "INVESTIGATOR").all()


def test_gvhd_grades_sit_on_gvhd_terms(ae, suppae, raw_ae):
    decod = ae.set_index(["USUBJID", "AESPID"])["AEDECOD"].str.lower()
    for qnam, kind in (("AEAGVHGR", "acute"), ("AECGVHSV", "chronic")):
        for key in supp_values(suppae, ae, qnam):
            assert decod[key] == f"{kind} graft versus host disease"
    for key in supp_values(suppae, ae, "AECRSGR"):
        assert decod[key] == "cytokine release syndrome"


def comments(suppae: pd.DataFrame, ae: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(USUBJID, AESPID) -> the comment, its AECOMM, AECOMM1, ... pieces joined in order.

    SDTMIG 3.4 4.5.3.2 splits long text between words; the cut is made before the blank,
    which leads the next piece (XPT keeps leading blanks), so the pieces join back as they are.
    """
    pieces = suppae[suppae["QNAM"].str.match(r"^AECOMM\d*$")].copy()
    pieces["n"] = pieces["QNAM"].str.slice(6).replace("", "0").astype(int)
    joined = {}
    for (usubjid, idvarval), group in pieces.sort_values("n").groupby(["USUBJID", "IDVARVAL"]):
        assert list(group["n"]) == list(range(len(group)))
        joined[(usubjid, idvarval)] = "".join(group["QVAL"])
    spid = ae.assign(IDVARVAL=ae["AESEQ"].map(lambda v: str(int(v)))).set_index(["USUBJID", "IDVARVAL"])["AESPID"]
    return {(u, spid[(u, i)]): text for (u, i), text in joined.items()}


def test_comments_ascii_and_none_lost(ae, suppae, raw_ae):
    found = comments(suppae, ae)
    with_comment = raw_ae[raw_ae["Comments"].str.strip() != ""]
    assert set(found) == set(zip(with_comment["USUBJID"], with_comment["AESPID"]))
    for usubjid, spid, text in zip(with_comment["USUBJID"], with_comment["AESPID"], with_comment["Comments"]):
        value = found[(usubjid, spid)]
        assert value.isascii() and value != ""
        if text.isascii():
            assert value == text.strip()
    assert suppae["QVAL"].map(str.isascii).all()


def test_long_comment_split_at_200_and_joins_back(ae, suppae, raw_ae):
    long = raw_ae[raw_ae["Comments"].str.len() > 200]
    assert list(long["Subject"]) == ["020"]
    usubjid, spid, text = long.iloc[0][["USUBJID", "AESPID", "Comments"]]
    seq = str(int(ae.set_index(["USUBJID", "AESPID"]).loc[(usubjid, spid), "AESEQ"]))
    pieces = suppae[(suppae["USUBJID"] == usubjid) & (suppae["IDVARVAL"] == seq)
                    & suppae["QNAM"].str.startswith("AECOMM")]
    assert sorted(pieces["QNAM"]) == ["AECOMM", "AECOMM1"]
    assert (pieces["QVAL"].str.encode("ascii").str.len() <= 200).all()
    ascii_form = " ".join(anyascii(text.strip()).split())
    assert comments(suppae, ae)[(usubjid, spid)] == ascii_form
    english = text[: text.index("血")].strip()
    assert ascii_form.startswith(english)


# ---- bad input ----------------------------------------------------------------------------

def edit_ae_csv(folder: Path) -> dict[str, int]:
    """Break a copy of ae.csv in four ways; returns the file row (header = 1) of each break."""
    path = folder / "ae.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)

    def find(subject: str, number: str) -> int:
        return next(i for i, r in enumerate(rows) if r["Subject"] == subject and r["AE No."] == number)

    rows_of = {}
    i = find("002", "1")           # starts 04-JAN-2024
    rows[i]["End Date"] = "01-JAN-2024"
    rows_of["end_before_start"] = i + 2
    i = find("002", "2")
    rows[i]["Outcome"] = "Resolved"
    rows_of["outcome"] = i + 2
    i = find("004", "2")
    rows[i]["AE Term"] = "low platelets 20 x10^9/µL"
    rows_of["non_ascii"] = i + 2
    orphan = dict(rows[find("001", "2")], Subject="099", **{"AE No.": "1"})
    rows.append(orphan)
    rows_of["orphan"] = len(rows) + 1
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return rows_of


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    """One run on a broken copy of the export: every problem, and what was written."""
    root = tmp_path_factory.mktemp("bad")
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    rows = edit_ae_csv(raw)
    out = root / "out"
    with pytest.raises(ProblemsError) as caught:
        run_study(STUDY, raw_dir=raw, out_dir=out)
    return caught.value.problems, rows, str(raw / "ae.csv"), out


def test_end_before_start_names_file_row_column_and_values(bad_run):
    problems, rows, ae_file, _ = bad_run
    found = [p for p in problems if "AEENDTC is before AESTDTC" in p.message]
    assert len(found) == 1
    problem = found[0]
    assert (problem.file, problem.row, problem.column) == (ae_file, rows["end_before_start"], "AEENDTC")
    assert "2024-01-04" in problem.value and "2024-01-01" in problem.value


def test_unmapped_outcome_names_file_row_column_and_value(bad_run):
    problems, rows, ae_file, _ = bad_run
    problem = next(p for p in problems if p.column == "Outcome")
    assert "codelist OUT" in problem.message and problem.severity == "error"
    assert (problem.file, problem.row, problem.value) == (ae_file, rows["outcome"], "Resolved")


def test_ae_of_a_subject_not_in_dm_is_an_orphan(bad_run):
    problems, rows, ae_file, _ = bad_run
    problem = next(p for p in problems if "not in the subjects form" in p.message)
    assert (problem.file, problem.row, problem.column, problem.value) == (ae_file, rows["orphan"], "Subject", "099")


def test_non_ascii_without_a_rule_names_row_and_character(bad_run):
    problems, rows, ae_file, _ = bad_run
    problem = next(p for p in problems if p.column == "AETERM" and "non-ASCII" in p.message)
    assert (problem.file, problem.row) == (ae_file, rows["non_ascii"])
    assert "µ" in problem.message and "U+00B5" in problem.message
    assert problem.value == "low platelets 20 x10^9/µL"


def test_all_bad_input_in_one_error_and_nothing_written(bad_run):
    problems, _, ae_file, out = bad_run
    kinds = ("AEENDTC is before AESTDTC", "codelist OUT", "not in the subjects form", "non-ASCII")
    assert all(any(kind in p.message and p.file == ae_file for p in problems) for kind in kinds)
    assert not out.exists() or not any(out.rglob("*.xpt"))
