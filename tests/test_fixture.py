"""The bundled NCT06111625 export and its generator (fixtures/generate.py).

The bundled files are what every mapping test reads, so they must be exactly what
the generator writes, carry every messy case the mapping must cope with, and be
clinically clean otherwise (bad-input tests inject impossibilities on purpose).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "cdisc_map" / "studies" / "nct06111625" / "raw"
SUBJECTS, SEED = 24, 6111625
FORMS = (
    "dm.csv",
    "ie.csv",
    "premed.csv",
    "blinatumomab.xlsx",
    "conditioning.csv",
    "transplant.csv",
    "ae.csv",
    "response.csv",
    "survival.csv",
)
CJK = re.compile("[\u4e00-\u9fff]")


def _load_generator():
    spec = importlib.util.spec_from_file_location("fixture_generate", ROOT / "fixtures" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


class Export:
    """One export folder, each form read as text (empty cell = "")."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, form: str) -> pd.DataFrame:
        if form not in self._frames:
            path = self.folder / form
            if form.endswith(".xlsx"):
                frame = pd.read_excel(
        path, sheet_name="Infusion Log", dtype=str, keep_default_na=False, engine="openpyxl"
    )
            else:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            self._frames[form] = frame
        return self._frames[form]


def _day(text: str) -> date:
    """A complete DD-MON-YYYY or ISO date."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    return datetime.strptime(text, "%d-%b-%Y").date()


def _earliest(text: str) -> date | None:
    """The earliest day a possibly partial DD-MON-YYYY date can be; None if unknown."""
    if text in ("", "UNK"):
        return None
    if text.startswith("UN-"):
        _, month, year = text.split("-")
        return None if month == "UNK" else datetime.strptime(f"01-{month}-{year}", "%d-%b-%Y").date()
    return _day(text)


def _stamp(day: str, clock: str) -> datetime:
    return datetime.combine(_day(day), datetime.strptime(clock, "%H:%M").time())


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def bundled() -> Export:
    return Export(BUNDLED)


@pytest.fixture(scope="module")
def n200(tmp_path_factory: pytest.TempPathFactory) -> Export:
    out = tmp_path_factory.mktemp("n200")
    generator.generate(200, 7, out)
    return Export(out)


@pytest.fixture(params=["bundled", "n200"])
def export(request: pytest.FixtureRequest) -> Export:
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------- determinism and shape
def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    generator.generate(SUBJECTS, SEED, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FORMS)
    for form in FORMS:
        assert (tmp_path / form).read_bytes() == (BUNDLED / form).read_bytes(), form


def test_with_no_out_it_regenerates_the_bundled_export(tmp_path: Path, monkeypatch, capsys) -> None:
    assert generator.BUNDLED_EXPORT == BUNDLED
    monkeypatch.setattr(generator, "BUNDLED_EXPORT", tmp_path)
    generator.main([])
    assert all((tmp_path / form).read_bytes() == (BUNDLED / form).read_bytes() for form in FORMS)
    with pytest.raises(SystemExit) as refused:  # another size never overwrites the bundled export
        generator.main(["--subjects", "30"])
    assert refused.value.code == 2 and "--out is required" in capsys.readouterr().err


def test_xlsx_metadata_is_pinned() -> None:
    workbook = openpyxl.load_workbook(BUNDLED / "blinatumomab.xlsx")
    assert workbook.properties.created == generator.PINNED_TIMESTAMP
    assert workbook.properties.modified == generator.PINNED_TIMESTAMP


def test_another_seed_gives_another_export_of_the_same_shape(tmp_path: Path, bundled: Export) -> None:
    generator.generate(SUBJECTS, SEED + 1, tmp_path)
    other = Export(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FORMS)
    for form in FORMS:
        assert list(other[form].columns) == list(bundled[form].columns), form
    assert len(other["dm.csv"]) == len(bundled["dm.csv"])
    assert not other["ae.csv"].equals(bundled["ae.csv"])
    assert (tmp_path / "dm.csv").read_bytes() != (BUNDLED / "dm.csv").read_bytes()


def test_n200_has_200_treated_subjects_and_screen_failures(n200: Export) -> None:
    dm, ie = n200["dm.csv"], n200["ie.csv"]
    assert len(dm) == 230
    assert (ie["Eligible"] == "Yes").sum() == 200
    assert n200["premed.csv"]["Subject"].nunique() == 200
    assert n200["survival.csv"]["Subject"].nunique() == 200
    assert dm["DM.SUBJID"].str.fullmatch(r"\d{3}").all()


def test_bundled_fixture_has_at_least_20_treated_subjects(bundled: Export) -> None:
    assert (bundled["ie.csv"]["Eligible"] == "Yes").sum() >= 20


def test_readme_names_the_subject_of_each_messy_case() -> None:
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert f"--subjects {SUBJECTS} --seed {SEED}" in readme
    for case, subject in generator.messy_cases(SUBJECTS, SEED).items():
        assert re.search(rf"\|\s*`{case}`\s*\|\s*{subject}\s*\|", readme), case


# ---------------------------------------------------------------- messy cases, one test each
def test_partial_birth_dates(bundled: Export) -> None:
    births = set(bundled["dm.csv"]["DM.BRTHDAT"])
    assert {"UN-JUN-1985", "UN-UNK-1990"} <= births


def test_partial_ae_start_date(bundled: Export) -> None:
    ae = bundled["ae.csv"]
    rows = ae[ae["Start Date"] == "UN-MAR-2024"]
    assert len(rows) >= 1
    assert (rows["Start Time"] == "").all()


def test_partial_conditioning_start(bundled: Export) -> None:
    conditioning = bundled["conditioning.csv"]
    assert (conditioning["Start Date"] == "2024-03").sum() == 1


def test_unknown_ae_start_date_with_a_known_end(bundled: Export) -> None:
    ae = bundled["ae.csv"]
    rows = ae[ae["Start Date"] == "UNK"]
    assert len(rows) == 1
    assert rows.iloc[0]["End Date"] != ""


def test_site_date_formats(bundled: Export) -> None:
    slash = r"\d{2}/\d{2}/\d{4}"
    assert bundled["ie.csv"]["Assessment Date"].str.fullmatch(slash).all()
    assert bundled["premed.csv"]["Date"].str.fullmatch(slash).all()
    mon = r"\d{2}-[A-Z]{3}-\d{4}"
    assert bundled["dm.csv"]["DM.ICDAT"].str.fullmatch(mon).all()
    assert bundled["transplant.csv"]["Infusion Date"].str.fullmatch(mon).all()
    assert bundled["blinatumomab.xlsx"]["Start Date"].str.fullmatch(mon).all()
    assert bundled["conditioning.csv"]["End Date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_free_text_with_trailing_blanks_and_mixed_case(bundled: Export) -> None:
    assert {"male", "F", "Female "} <= set(bundled["dm.csv"]["DM.SEX"])
    assert "dexamethasone " in set(bundled["premed.csv"]["Medication"])
    terms = bundled["ae.csv"]["AE Term"]
    assert terms.str.endswith(" ").any()
    assert (terms.str.isupper() & terms.str.len().gt(4)).any()


def test_greek_mu_in_the_infusion_unit() -> None:
    sheet = openpyxl.load_workbook(BUNDLED / "blinatumomab.xlsx")["Infusion Log"]
    header = [cell.value for cell in sheet[1]]
    units = {row[header.index("Unit")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert units == {"\u03bcg/day"}


def test_dose_is_a_number_cell_and_the_rest_text() -> None:
    sheet = openpyxl.load_workbook(BUNDLED / "blinatumomab.xlsx")["Infusion Log"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert row[header.index("Dose")] in (8, 28)
        assert all(isinstance(value, str) for name, value in zip(header, row) if name != "Dose")


def test_chinese_free_text(bundled: Export) -> None:
    ae = bundled["ae.csv"]
    assert "\u53d1\u70ed fever" in set(ae["AE Term"])
    assert ae["Comments"].str.contains(CJK).any()
    assert bundled["survival.csv"]["Comments"].str.contains(CJK).any()


def test_comment_over_200_characters(bundled: Export) -> None:
    assert bundled["ae.csv"]["Comments"].str.len().max() > 200


def test_ongoing_adverse_event(bundled: Export) -> None:
    ae = bundled["ae.csv"]
    ongoing = ae[ae["Ongoing"] == "Yes"]
    assert len(ongoing) >= 1
    assert (ongoing["End Date"] == "").all()
    assert (ae.loc[ae["Ongoing"] == "No", "End Date"] != "").all()


def test_subject_who_dies_of_an_adverse_event(bundled: Export) -> None:
    survival, ae = bundled["survival.csv"], bundled["ae.csv"]
    dead = survival[(survival["Vital Status"] == "Dead") & (survival["Cause of Death"] != "Relapse")]
    assert len(dead) >= 1
    for _, subject in dead.iterrows():
        fatal = ae[(ae["Subject"] == subject["Subject"]) & (ae["Outcome"] == "Fatal")]
        assert len(fatal) == 1
        assert fatal.iloc[0]["CTCAE Grade"] == "5"
        assert fatal.iloc[0]["End Date"] == subject["Death Date"]


def test_subject_who_relapses(bundled: Export) -> None:
    response, survival = bundled["response.csv"], bundled["survival.csv"]
    relapsed = set(response.loc[response["Overall Response"] == "Relapse", "Subject"])
    alive = set(survival.loc[survival["Vital Status"] == "Alive", "Subject"])
    assert relapsed & alive


def test_relapse_deaths_follow_a_relapse_and_have_no_fatal_ae(bundled: Export) -> None:
    survival, response, ae = bundled["survival.csv"], bundled["response.csv"], bundled["ae.csv"]
    relapse_deaths = survival[survival["Cause of Death"] == "Relapse"]
    assert len(relapse_deaths) >= 1
    for _, subject in relapse_deaths.iterrows():
        relapse = response[(response["Subject"] == subject["Subject"]) & (response["Overall Response"] == "Relapse")]
        assert len(relapse) == 1
        assert _day(relapse.iloc[0]["Assessment Date"]) < _day(subject["Death Date"])
        assert not ((ae["Subject"] == subject["Subject"]) & (ae["Outcome"] == "Fatal")).any()


def test_subject_lost_to_follow_up(bundled: Export) -> None:
    survival = bundled["survival.csv"]
    lost = survival[survival["End of Study Status"] == "Lost to follow-up"]
    assert len(lost) >= 1
    assert (lost["Vital Status"] == "Unknown").all()
    assert (lost["Death Date"] == "").all()


def test_screen_failure_is_only_in_dm_and_ie(bundled: Export) -> None:
    ie = bundled["ie.csv"]
    failures = set(ie.loc[ie["Eligible"] == "No", "Subject"])
    assert failures and failures <= set(bundled["dm.csv"]["DM.SUBJID"])
    assert (ie.loc[ie["Eligible"] == "No", "Criterion Not Met"] != "").all()
    assert (ie.loc[ie["Eligible"] == "Yes", "Criterion Not Met"] == "").all()
    assert ">= 10 %" in set(ie["Pre-treatment Blasts (%)"])
    for form, column in (
        ("premed.csv", "Subject"),
        ("blinatumomab.xlsx", "Subject ID"),
        ("transplant.csv", "Subject"),
        ("ae.csv", "Subject"),
        ("response.csv", "Subject"),
        ("survival.csv", "Subject"),
    ):
        assert not failures & set(bundled[form][column]), form


def test_one_interrupted_infusion(bundled: Export) -> None:
    bags = bundled["blinatumomab.xlsx"]
    interrupted = set()
    for subject, rows in bags.groupby("Subject ID"):
        stops = [_stamp(d, t) for d, t in zip(rows["Stop Date"], rows["Stop Time"])][:-1]
        starts = [_stamp(d, t) for d, t in zip(rows["Start Date"], rows["Start Time"])][1:]
        gaps = [start - stop for stop, start in zip(stops, starts)]
        assert all(gap >= timedelta(0) for gap in gaps), subject
        if any(gap > timedelta(0) for gap in gaps):
            interrupted.add(subject)
    assert len(interrupted) == 1
    ae = bundled["ae.csv"]
    assert (ae.loc[ae["Subject"].isin(interrupted), "Action Taken"] == "Drug interrupted").any()


# ---------------------------------------------------------------- clinical plausibility
def test_enrolment_and_age_at_consent(export: Export) -> None:
    dm = export["dm.csv"]
    consents = dm["DM.ICDAT"].map(_day)
    assert consents.min() >= date(2023, 11, 1) and consents.max() <= date(2024, 10, 31)
    years = dm["DM.BRTHDAT"].str[-4:].astype(int)
    assert (consents.map(lambda d: d.year) - years).between(16, 66).all()


def test_premedication_1_to_12_hours_before_the_first_bag(export: Export) -> None:
    bags = export["blinatumomab.xlsx"]
    first = bags.groupby("Subject ID").first()
    for _, premed in export["premed.csv"].iterrows():
        given = datetime.strptime(f"{premed['Date']} {premed['Time']}", "%d/%m/%Y %H:%M")
        bag = first.loc[premed["Subject"]]
        lead = _stamp(bag["Start Date"], bag["Start Time"]) - given
        assert timedelta(hours=1) <= lead <= timedelta(hours=12), premed["Subject"]


def test_blinatumomab_total_dose_and_duration(export: Export) -> None:
    bags = export["blinatumomab.xlsx"]
    for subject, rows in bags.groupby("Subject ID"):
        hours = [
            (_stamp(rd, rt) - _stamp(sd, st)).total_seconds() / 3600
            for sd, st, rd, rt in zip(rows["Start Date"], rows["Start Time"], rows["Stop Date"], rows["Stop Time"])
        ]
        doses = rows["Dose"].astype(int).tolist()
        total = sum(rate * h / 24 for rate, h in zip(doses, hours))
        assert 150 <= total <= 200 + 1e-9, subject
        assert 5 <= sum(hours) / 24 <= 10, subject
        assert doses[0] == 8 and doses[-1] == 28 and doses == sorted(doses), subject
        assert rows["Bag No."].tolist() == [str(n) for n in range(1, len(rows) + 1)]


def test_transplant_two_days_after_conditioning_ends(export: Export) -> None:
    conditioning = export["conditioning.csv"]
    ends = conditioning.groupby("Subject")["End Date"].agg(lambda s: max(map(_day, s)))
    transplant = export["transplant.csv"].set_index("Subject")["Infusion Date"].map(_day)
    assert set(ends.index) == set(transplant.index)
    assert (transplant - ends.reindex(transplant.index) == timedelta(days=2)).all()
    last_bag = export["blinatumomab.xlsx"].groupby("Subject ID")["Stop Date"].agg(lambda s: max(map(_day, s)))
    starts = conditioning.groupby("Subject")["Start Date"].agg(lambda s: min(s))  # ISO or partial, sorts as text
    for subject, start in starts.items():
        assert start >= last_bag[subject].isoformat()[: len(start)], subject
    haplo = set(export["transplant.csv"].query("`Donor Type` == 'HID'")["Subject"])
    atg = set(conditioning.loc[conditioning["Agent"] == "Anti-thymocyte globulin", "Subject"])
    assert atg == haplo


def test_visits_on_protocol_months(export: Export) -> None:
    response = export["response.csv"]
    transplant = export["transplant.csv"].set_index("Subject")["Infusion Date"].map(_day)
    scheduled = response[response["Visit"].str.startswith("Month ")]
    assert len(scheduled) > 0
    for _, visit in scheduled.iterrows():
        month = int(visit["Visit"].split()[1])
        assert month in (1, 2, 3, 4, 6, 9, 12, 18, 24)
        target = _add_months(transplant[visit["Subject"]], month)
        assert abs((_day(visit["Assessment Date"]) - target).days) <= 7, (visit["Subject"], month)
    for subject, rows in response.groupby("Subject"):
        days = rows["Assessment Date"].map(_day).tolist()
        assert days == sorted(days), subject
        assert rows["Visit"].iloc[0] == "Screening" and rows["Visit"].iloc[1] == "Pre-transplant"
        relapse = rows.index[rows["Overall Response"] == "Relapse"]
        assert len(relapse) == 0 or relapse[0] == rows.index[-1], subject


def test_no_adverse_event_ends_before_it_starts(export: Export) -> None:
    ae = export["ae.csv"]
    ended = ae[ae["End Date"] != ""]
    for _, event in ended.iterrows():
        start = _earliest(event["Start Date"])
        if start is not None:
            assert _day(event["End Date"]) >= start, (event["Subject"], event["AE No."])
    assert (ae["Ongoing"] == ae["End Date"].eq("").map({True: "Yes", False: "No"})).all()


def test_nothing_happens_after_death_or_before_transplant(export: Export) -> None:
    survival = export["survival.csv"].set_index("Subject")
    transplant = export["transplant.csv"].set_index("Subject")["Infusion Date"].map(_day)
    response, ae = export["response.csv"], export["ae.csv"]
    for subject, row in survival.iterrows():
        last_contact = _day(row["Last Contact Date"])
        assert transplant[subject] < last_contact <= date(2026, 6, 30)
        visits = response.loc[response["Subject"] == subject, "Assessment Date"].map(_day)
        assert visits.max() <= last_contact, subject
        starts = [d for d in ae.loc[ae["Subject"] == subject, "Start Date"].map(_earliest) if d is not None]
        assert all(d <= last_contact for d in starts), subject
        if row["Vital Status"] == "Dead":
            death = _day(row["Death Date"])
            assert death > transplant[subject] and death == last_contact, subject
            assert visits.max() < death, subject
            ends = ae.loc[(ae["Subject"] == subject) & (ae["End Date"] != ""), "End Date"].map(_day)
            assert ends.max() <= death, subject
            assert row["End of Study Status"] == "Death"
        else:
            assert row["Death Date"] == "" and row["Cause of Death"] == ""


def test_fatal_adverse_events_only_for_non_relapse_deaths(export: Export) -> None:
    ae, survival = export["ae.csv"], export["survival.csv"].set_index("Subject")
    fatal = ae[ae["Outcome"] == "Fatal"]
    assert (fatal["CTCAE Grade"] == "5").all()
    assert (ae.loc[ae["CTCAE Grade"] == "5", "Outcome"] == "Fatal").all()
    for subject in fatal["Subject"]:
        assert survival.loc[subject, "Vital Status"] == "Dead"
        assert survival.loc[subject, "Cause of Death"] != "Relapse"


def test_graft_versus_host_disease_timing(export: Export) -> None:
    ae = export["ae.csv"]
    transplant = export["transplant.csv"].set_index("Subject")["Infusion Date"].map(_day)
    for pt, low, high, grade_column in (
        ("Acute graft versus host disease", 14, 100, "aGVHD Grade (MAGIC)"),
        ("Chronic graft versus host disease", 100, 731, "cGVHD Severity (NIH)"),
    ):
        rows = ae[(ae["AE_PT"] == pt) & ~ae["Start Date"].str.startswith("UN")]
        assert (rows[grade_column] != "").all()
        for _, event in rows.iterrows():
            day = (_day(event["Start Date"]) - transplant[event["Subject"]]).days
            assert low <= day <= high, (event["Subject"], pt, day)
    crs = ae[ae["AE_PT"] == "Cytokine release syndrome"]
    assert (crs["CRS Grade (ASTCT)"] == crs["CTCAE Grade"]).all()
    assert (ae.loc[ae["AE_PT"] != "Cytokine release syndrome", "CRS Grade (ASTCT)"] == "").all()
