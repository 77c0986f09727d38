"""ODM-XML 1.3 exports as raw forms: REDCap's and OpenClinica's layouts, the bundled study's
forms as ODM (same frames, same SDTM as the CSV files), and safe parsing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.odm import KEY_COLUMNS, odm_frame, read_odm
from cdisc_map.io.readers import read_form
from cdisc_map.pipeline import run_study
from cdisc_map.spec.check import check_study

ROOT = Path(__file__).resolve().parent.parent
ODM_DATA = Path(__file__).parent / "data" / "odm"
REDCAP = ODM_DATA / "redcap-longitudinal.xml"
OPENCLINICA = ODM_DATA / "openclinica-3.xml"
TWIN = ODM_DATA / "nct06111625-forms.xml"
EXPORT = ROOT / "fixtures" / "nct06111625"
STUDY = ROOT / "mappings" / "nct06111625"
# form of the twin -> (study.yaml form name, CSV file, the CSV's subject column)
TWIN_FORMS = {"F.DM": ("demographics", "dm.csv", "DM.SUBJID"), "F.RS": ("response", "response.csv", "Subject"),
              "F.SURV": ("survival", "survival.csv", "Subject")}


def odm(tmp_path: Path, clinical: str, metadata: str = "", prolog: str = "", root: str = "") -> Path:
    """A small ODM 1.3 file around the given ClinicalData (and MetaDataVersion content)."""
    path = tmp_path / "export.xml"
    root = root or '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Snapshot" FileOID="F" ODMVersion="1.3.2">'
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>{prolog}{root}<Study OID="S"><MetaDataVersion OID="V" '
                    f'Name="V">{metadata}</MetaDataVersion></Study><ClinicalData StudyOID="S" '
                    f'MetaDataVersionOID="V">{clinical}</ClinicalData></ODM>', encoding="utf-8")
    return path


def subject(key: str, *forms: str, event: str = "SE", repeat: str = "") -> str:
    repeat_key = f' StudyEventRepeatKey="{repeat}"' if repeat else ""
    return (f'<SubjectData SubjectKey="{key}"><StudyEventData StudyEventOID="{event}"{repeat_key}>'
            f'{"".join(forms)}</StudyEventData></SubjectData>')


def form(oid: str, *groups: str, repeat: str = "", transaction: str = "") -> str:
    extra = (f' FormRepeatKey="{repeat}"' if repeat else "") + (f' TransactionType="{transaction}"'
                                                                 if transaction else "")
    return f'<FormData FormOID="{oid}"{extra}>{"".join(groups)}</FormData>'


def group(oid: str, repeat: str = "1", transaction: str = "", **items: str) -> str:
    extra = f' TransactionType="{transaction}"' if transaction else ""
    data = "".join(f'<ItemData ItemOID="{item}" Value="{value}"/>' for item, value in items.items())
    return f'<ItemGroupData ItemGroupOID="{oid}" ItemGroupRepeatKey="{repeat}"{extra}>{data}</ItemGroupData>'


# --- REDCap --------------------------------------------------------------------------


def test_redcap_form_is_one_row_per_record_and_event_with_all_its_sections():
    raw = read_form(REDCAP, name="demographics", form="Form.demographics")
    frame = raw.frame
    assert list(frame.columns) == [*KEY_COLUMNS, "SubjectData.redcap:RecordIdField",
                                   "StudyEventData.redcap:UniqueEventName", "record_id", "brthdat", "sex",
                                   "race___1", "race___2", "demographics_complete"]
    assert frame[["SubjectKey", "StudyEventOID", "brthdat", "sex", "demographics_complete"]].values.tolist() == [
        ["101", "Event.baseline_arm_1", "1984-02-29", "1", "2"], ["102", "Event.baseline_arm_1", "", "2", "1"]]
    assert (raw.name, raw.first_row, raw.row_number(1)) == ("demographics", 1, 2)
    assert all(type(value) is str for column in frame for value in frame[column])


def test_redcap_longitudinal_and_repeating_instruments_keep_event_and_repeat_keys():
    visits = read_form(REDCAP, form="Form.vital_signs").frame
    assert visits[["StudyEventOID", "vs_date", "weight"]].values.tolist() == [
        ["Event.baseline_arm_1", "2024-03-05", "61.50"], ["Event.week_4_arm_1", "2024-04-02", "60"]]
    events = read_form(REDCAP, form="Form.adverse_events").frame
    assert events[["FormRepeatKey", "ae_term", "ae_start", "ae_serious"]].values.tolist() == [
        ["1", "Headache", "2024-03-07", "0"], ["2", "Nausea & vomiting", "", "1"]]


def test_redcap_metadata_gives_labels_codelists_and_types():
    raw = read_form(REDCAP, form="Form.demographics")
    sex = raw.items["sex"]
    assert (sex.label, sex.codelist, sex.codelist_oid) == ("Sex at birth", {"1": "Female", "2": "Male"}, "sex.choices")
    assert raw.label("brthdat") == "Date of birth" and raw.items["brthdat"].data_type == "date"
    assert raw.label("SubjectKey") is None
    assert sex.describe() == "sex (Sex at birth)"


def test_item_group_selection_is_one_row_per_item_group_record():
    frame = read_form(REDCAP, item_group="vital_signs.vital_signs_complete").frame
    assert frame[["StudyEventOID", "ItemGroupOID", "ItemGroupRepeatKey", "vital_signs_complete"]].values.tolist() == [
        ["Event.baseline_arm_1", "vital_signs.vital_signs_complete", "1", "2"],
        ["Event.week_4_arm_1", "vital_signs.vital_signs_complete", "1", "0"]]


# --- OpenClinica ---------------------------------------------------------------------


def test_openclinica_repeating_group_rows_carry_the_forms_other_items():
    raw = read_form(OPENCLINICA, form="F_ADVERSEEVEN_V1", column_names="name")
    frame = raw.frame
    assert frame[["SubjectKey", "SubjectData.OpenClinica:StudySubjectID", "StudyEventRepeatKey",
                  "ItemGroupRepeatKey", "AEYN", "AETERM", "AESTDAT", "AESEV"]].values.tolist() == [
        ["SS_001", "001", "1", "1", "Y", "Headache", "2024-03-09", "1"],
        ["SS_001", "001", "1", "2", "Y", "Rash", "2024-03", ""],       # IsNull="Yes" is missing
        ["SS_002", "002", "1", "", "N", "", "", ""],                    # a form without AE log records
        ["SS_002", "002", "2", "1", "Y", "Fatigue", "2024-04-14", "2"]]
    assert frame["StudyEventData.OpenClinica:Status"].tolist()[0] == "data entry started"
    assert frame["FormData.OpenClinica:Status"].tolist()[0] == "initial data entry"
    assert frame["SubjectData.OpenClinica:Status"].tolist() == ["signed", "signed", "available", "available"]
    assert raw.source_lines.tolist() == [_line_of(OPENCLINICA, 'IG_ADVER_AELOG" ItemGroupRepeatKey="1"'),
                                         _line_of(OPENCLINICA, 'IG_ADVER_AELOG" ItemGroupRepeatKey="2"'),
                                         _line_of(OPENCLINICA, "OpenClinica:StartDate=\"2024-03-20\"") + 1,
                                         _line_of(OPENCLINICA, 'Value="Fatigue"') - 1]


def _line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text in line)


def test_openclinica_items_in_metadata_order_with_units_and_names():
    raw = read_form(OPENCLINICA, form="F_DEMOGRAPHIC_V1", column_names="name")
    assert list(raw.frame.columns)[-4:] == ["BRTHDAT", "AGE", "SEX", "WEIGHT"]  # by OrderNumber
    age = raw.items["AGE"]
    assert (age.oid, age.label, age.units, age.data_type) == ("I_DEMOG_AGE", "Age at informed consent", ("years",),
                                                              "integer")
    assert raw.items["SEX"].codelist == {"F": "Female", "M": "Male"}
    assert raw.frame["WEIGHT"].tolist() == ["58.0", ""]
    by_oid = read_form(OPENCLINICA, form="F_DEMOGRAPHIC_V1").frame
    assert list(by_oid.columns)[-4:] == ["I_DEMOG_BRTHDAT", "I_DEMOG_AGE", "I_DEMOG_SEX", "I_DEMOG_WEIGHT"]


# --- the bundled study as ODM --------------------------------------------------------


def test_twin_forms_read_as_the_same_frames_as_their_csv_files():
    for oid, (name, csv, subject_column) in TWIN_FORMS.items():
        raw = read_form(TWIN, name=name, form=oid, column_names="name")
        expected = read_form(EXPORT / csv).frame
        frame = raw.frame.rename(columns={"SubjectKey": subject_column, "SiteRef": "DM.SITEID"})
        pd.testing.assert_frame_equal(frame[list(expected.columns)], expected,
                                      obj=f"{oid} (rerun tests/data/odm/make_nct06111625_twin.py if the "
                                          "fixture export changed)")
    assert read_form(TWIN, form="F.RS", column_names="name").items["Marrow Blasts (%)"].units == ("%",)


@pytest.fixture(scope="module")
def twin_study(tmp_path_factory) -> Path:
    """The bundled study with its demographics, response and survival forms read from ODM."""
    tmp_path = tmp_path_factory.mktemp("twin")
    raw = tmp_path / "raw"
    shutil.copytree(EXPORT, raw)
    shutil.copy(TWIN, raw / TWIN.name)
    folder = tmp_path / "study"
    shutil.copytree(STUDY, folder)
    data = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    data["raw"]["dir"] = str(raw)
    for oid, (name, _, _) in TWIN_FORMS.items():
        data["raw"]["forms"][name] = {"file": TWIN.name, "form": oid, "column_names": "name", "subject": "SubjectKey",
                                      "label": data["raw"]["forms"][name]["label"]}
    data["subjects"]["site"] = "SiteRef"
    (folder / "study.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def test_twin_study_is_valid_and_converts_to_the_same_packages(twin_study: Path, tmp_path: Path, monkeypatch):
    _, problems = check_study(twin_study)
    assert problems == []
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    run_study(twin_study, out_dir=tmp_path / "odm")
    run_study(STUDY, out_dir=tmp_path / "csv")
    written = sorted(p.relative_to(tmp_path / "csv") for p in (tmp_path / "csv" / "m5").rglob("*") if p.is_file())
    assert len(written) == 19  # 13 datasets and two define.xml with their stylesheets and define.html
    for relative in written:
        assert (tmp_path / "odm" / relative).read_bytes() == (tmp_path / "csv" / relative).read_bytes(), relative


def test_study_schema_knows_the_odm_keys(twin_study: Path, tmp_path: Path):
    data = yaml.safe_load((twin_study / "study.yaml").read_text(encoding="utf-8"))
    data["raw"]["forms"]["survival"]["column_names"] = "label"
    data["raw"]["forms"]["survival"]["itemgroup"] = "IG.SURV"
    folder = tmp_path / "bad"
    shutil.copytree(twin_study, folder)
    (folder / "study.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _, problems = check_study(folder)
    messages = [f"{p.message} {p.hint}" for p in problems]
    assert any("'label' is not one of" in m for m in messages)
    assert any("itemgroup" in m and "item_group" in m for m in messages)


# --- what goes wrong -----------------------------------------------------------------


def test_unknown_selection_suggests_the_oid(tmp_path: Path):
    with pytest.raises(ProblemsError) as excinfo:
        read_form(OPENCLINICA, form="F_ADVERSEEVEN_V2")
    assert excinfo.value.problems[0].hint == "did you mean 'F_ADVERSEEVEN_V1'?"
    with pytest.raises(ProblemsError) as excinfo:
        read_form(OPENCLINICA, form="Demographics - v1")
    assert "write its OID" in excinfo.value.problems[0].hint and "F_DEMOGRAPHIC_V1" in excinfo.value.problems[0].hint
    with pytest.raises(ProblemsError, match="holds 2 forms: say which one"):
        read_form(OPENCLINICA)
    with pytest.raises(ProblemsError, match="either form or item_group"):
        read_form(OPENCLINICA, form="F_DEMOGRAPHIC_V1", item_group="IG_DEMOG_UNGROUPED")
    (tmp_path / "ae.csv").write_text("Subject\n001\n", encoding="utf-8")
    with pytest.raises(ProblemsError, match="only ODM-XML files"):
        read_form(tmp_path / "ae.csv", form="F_AE")


def test_the_only_form_is_read_without_naming_it(tmp_path: Path):
    path = odm(tmp_path, subject("1", form("F.AE", group("IG.AE", AETERM="Fever"))))
    assert read_form(path).frame["AETERM"].tolist() == ["Fever"]


def test_names_that_collide_are_refused(tmp_path: Path):
    metadata = ('<ItemGroupDef OID="IG.A" Name="A" Repeating="No"><ItemRef ItemOID="I.A.DATE" Mandatory="No"/>'
                '<ItemRef ItemOID="I.B.DATE" Mandatory="No"/><ItemRef ItemOID="I.KEY" Mandatory="No"/></ItemGroupDef>'
                '<ItemDef OID="I.A.DATE" Name="DATE" DataType="date"/><ItemDef OID="I.B.DATE" Name="DATE" '
                'DataType="date"/><ItemDef OID="I.KEY" Name="SubjectKey" DataType="text"/>')
    path = odm(tmp_path, subject("1", form("F", group("IG.A", **{"I.A.DATE": "2024"}))), metadata)
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path, item_group="IG.A", column_names="name")
    messages = sorted(p.message for p in excinfo.value.problems)
    assert messages == ["2 items are named 'DATE' (I.A.DATE, I.B.DATE)",
                        "item I.KEY would be a column named 'SubjectKey', which the record keys use"]
    assert read_form(path, item_group="IG.A").frame["I.A.DATE"].tolist() == ["2024"]


def test_a_form_with_two_repeating_groups_must_be_read_by_group(tmp_path: Path):
    metadata = ('<FormDef OID="F" Name="F" Repeating="No"><ItemGroupRef ItemGroupOID="IG.A" Mandatory="No"/>'
                '<ItemGroupRef ItemGroupOID="IG.B" Mandatory="No"/></FormDef>'
                '<ItemGroupDef OID="IG.A" Name="A" Repeating="Yes"/>'
                '<ItemGroupDef OID="IG.B" Name="B" Repeating="Yes"/>')
    path = odm(tmp_path, subject("1", form("F", group("IG.A", A="1"), group("IG.B", B="2"))), metadata)
    with pytest.raises(ProblemsError, match="2 repeating item groups"):
        read_form(path, form="F")
    assert read_form(path, item_group="IG.B").frame["B"].tolist() == ["2"]


def test_without_metadata_a_group_that_repeats_within_a_form_is_repeating(tmp_path: Path):
    path = odm(tmp_path, subject("1", form("F", group("IG.H", HEAD="x"), group("IG.L", "1", TERM="a"),
                                           group("IG.L", "2", TERM="b"))))
    frame = read_form(path, form="F").frame
    assert frame[["ItemGroupOID", "ItemGroupRepeatKey", "HEAD", "TERM"]].values.tolist() == [
        ["IG.L", "1", "x", "a"], ["IG.L", "2", "x", "b"]]


def test_transactions_update_and_remove_in_file_order(tmp_path: Path):
    clinical = (subject("1", form("F", group("IG", A="old", B="kept"))) + subject("1", form("F", group("IG", A="new")))
                + subject("2", form("F", group("IG", A="gone"))) + subject("2", form("F", transaction="Remove"))
                + subject("3", form("F", group("IG", A="x", B="y")))
                + '<SubjectData SubjectKey="3"><StudyEventData StudyEventOID="SE"><FormData FormOID="F">'
                  '<ItemGroupData ItemGroupOID="IG" ItemGroupRepeatKey="1">'
                  '<ItemData ItemOID="B" TransactionType="Remove"/>'
                  '<ItemDataString ItemOID="C">typed &amp; kept </ItemDataString></ItemGroupData></FormData>'
                  '</StudyEventData></SubjectData>')
    frame = read_form(odm(tmp_path, clinical), form="F").frame
    assert frame[["SubjectKey", "A", "B", "C"]].values.tolist() == [["1", "new", "kept", ""],
                                                                    ["3", "x", "", "typed & kept "]]


def test_site_ref_gives_the_site(tmp_path: Path):
    path = odm(tmp_path, '<SubjectData SubjectKey="7"><SiteRef LocationOID="SITE.02"/><StudyEventData '
                         'StudyEventOID="SE"><FormData FormOID="F"><ItemGroupData ItemGroupOID="IG"><ItemData '
                         'ItemOID="A" Value="1"/></ItemGroupData></FormData></StudyEventData></SubjectData>')
    assert read_form(path).frame[["SubjectKey", "SiteRef", "A"]].values.tolist() == [["7", "SITE.02", "1"]]


@pytest.mark.parametrize("root, message", [
    ('<ODM xmlns="http://www.cdisc.org/ns/odm/v2.0">', "ODM 2.0 files are not supported"),
    ("<Define>", "the root element is Define"),
])
def test_files_that_are_not_odm_1_3_are_refused(tmp_path: Path, root: str, message: str):
    path = odm(tmp_path, "", root=root)
    path.write_text(path.read_text(encoding="utf-8").replace("</ODM>", "</" + root[1:].split()[0].rstrip(">") + ">"),
                    encoding="utf-8")
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path, form="F")
    assert message in str(excinfo.value)


def test_malformed_xml_names_the_line(tmp_path: Path):
    path = tmp_path / "cut.xml"
    text = REDCAP.read_text(encoding="utf-8")
    path.write_text(text[: len(text) * 3 // 4], encoding="utf-8")  # cut short, inside the clinical data
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path, form="Form.demographics")
    problem = excinfo.value.problems[0]
    assert "not well-formed XML" in problem.message and problem.row is not None and problem.file == str(path)


def test_external_entities_are_never_resolved(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    prolog = f'<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    path = odm(tmp_path, subject("1", form("F", group("IG", A="&xxe;"))), prolog=prolog)
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path, form="F")
    assert "declares XML entities" in str(excinfo.value) and "TOP-SECRET" not in str(excinfo.value)


def test_entity_expansion_bombs_are_refused(tmp_path: Path):
    prolog = ('<!DOCTYPE ODM [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')
    path = odm(tmp_path, subject("1", form("F", group("IG", A="&d;&d;&d;&d;"))), prolog=prolog)
    with pytest.raises(ProblemsError, match="declares XML entities"):
        read_form(path, form="F")


def test_an_external_dtd_is_not_fetched(tmp_path: Path):
    prolog = '<!DOCTYPE ODM SYSTEM "http://127.0.0.1:9/odm.dtd">'  # nothing listens there: a fetch would fail
    path = odm(tmp_path, subject("1", form("F", group("IG", A="1"))), prolog=prolog)
    assert read_form(path, form="F").frame["A"].tolist() == ["1"]


def test_the_file_is_parsed_once_for_all_its_forms(tmp_path: Path):
    path = tmp_path / "export.xml"
    shutil.copy(OPENCLINICA, path)
    assert read_odm(path) is read_odm(path)
    first = odm_frame(path, form="F_DEMOGRAPHIC_V1").frame
    path.write_text(path.read_text(encoding="utf-8").replace('Value="43"', 'Value="44"'), encoding="utf-8")
    assert odm_frame(path, form="F_DEMOGRAPHIC_V1").frame["I_DEMOG_AGE"].tolist()[0] == "44"
    assert first["I_DEMOG_AGE"].tolist()[0] == "43"


def test_a_group_declared_non_repeating_that_repeats_is_not_merged(tmp_path: Path):
    metadata = '<ItemGroupDef OID="IG.L" Name="L" Repeating="No"/>'
    path = odm(tmp_path, subject("1", form("F", group("IG.L", "1", TERM="a"), group("IG.L", "2", TERM="b"))), metadata)
    with pytest.raises(ProblemsError, match="repeats within one record of form 'F'"):
        read_form(path, form="F")
    assert read_form(path, item_group="IG.L").frame["TERM"].tolist() == ["a", "b"]
