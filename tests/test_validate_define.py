"""define.xml rules: presence, schema validity, and agreement with the datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_validate_sample import (
    STUDY,
    findings_of,
    labels_for,
    only,
    rewrite,
    set_value,
    subject,
    write_dataset,
)

import define_xml
from cdisc_map.io.xpt import read_xpt
from cdisc_map.validate import validate_path


def rules_fired(report) -> set[str]:
    return {f.rule for f in report.findings}


def test_package_without_define_is_a_warning(sdtm: Path):
    (sdtm / "define.xml").unlink()
    report = validate_path(sdtm)
    assert [(f.rule, f.severity) for f in report.findings] == [("CM0501", "warning")]


def test_schema_invalid_define(sdtm: Path):
    path = sdtm / "define.xml"
    path.write_text(path.read_text().replace('Repeating="No"', 'Repeating="Maybe"', 1))
    findings = findings_of(validate_path(sdtm), "CM0502")
    assert findings and findings[0].file == "define.xml"
    assert "Repeating" in findings[0].message and findings[0].message.startswith("line ")


def test_define_that_is_not_xml(sdtm: Path):
    (sdtm / "define.xml").write_text("<ODM><unclosed>")
    report = validate_path(sdtm)
    [finding] = findings_of(report, "CM0503")
    assert finding.file == "define.xml" and "not well-formed XML" in finding.message
    assert not rules_fired(report) & {"CM0501", "CM0504", "CM0506", "CM0511"}


def test_schema_check_unavailable_is_a_notice(sdtm: Path, monkeypatch):
    def no_schema(path):
        raise RuntimeError("the odmlib package is not installed")
    monkeypatch.setattr(define_xml, "validate", no_schema)
    report = validate_path(sdtm)
    assert [(f.rule, f.severity) for f in report.findings] == [("CM0512", "notice")]


def test_dataset_missing_from_define(sdtm: Path):
    write_dataset(sdtm, "CM", pd.DataFrame({
        "STUDYID": [STUDY], "DOMAIN": ["CM"], "USUBJID": [subject(1)], "CMSEQ": [1.0],
        "CMTRT": ["FLUDARABINE"]}))
    findings = findings_of(validate_path(sdtm), "CM0504")
    assert [(f.file, f.dataset) for f in findings] == [("cm.xpt", "CM")]


def test_define_describing_a_missing_dataset(sdtm: Path):
    (sdtm / "ex.xpt").unlink()
    findings = findings_of(validate_path(sdtm), "CM0505")
    assert [(f.file, f.dataset) for f in findings] == [("define.xml", "EX")]


def test_variable_not_in_define(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(AESPID="X"), refresh_define=False,
            column_labels={**labels_for("AE")[1], "AESPID": "Sponsor-Defined Identifier"})
    findings = findings_of(validate_path(sdtm), "CM0506")
    assert [(f.dataset, f.variable) for f in findings] == [("AE", "AESPID")]


def test_variable_in_define_but_not_in_data(sdtm: Path):
    rewrite(sdtm, "EX", lambda f: f.drop(columns="EXCAT"), refresh_define=False)
    report = validate_path(sdtm)
    assert [(f.dataset, f.variable) for f in findings_of(report, "CM0507")] == [("EX", "EXCAT")]
    assert rules_fired(report) == {"CM0507"}


def test_labels_that_differ(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: None, refresh_define=False,
            column_labels={**labels_for("AE")[1], "AETERM": "Verbatim term"},
            label="Adverse events")
    findings = findings_of(validate_path(sdtm), "CM0508")
    assert sorted((f.variable, f.value) for f in findings) == [
        ("", "Adverse events"), ("AETERM", "Verbatim term")]


def test_data_type_that_differs(sdtm: Path):
    rewrite(sdtm, "DM", lambda f: f.assign(AGE=f["AGE"].map(lambda v: f"{v:.0f}")),
            refresh_define=False)
    findings = findings_of(validate_path(sdtm), "CM0509")
    assert [(f.dataset, f.variable, f.value) for f in findings] == [("DM", "AGE", "integer")]


def test_length_that_differs(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(AETERM=f["AETERM"] + " (SEVERE)"),
            refresh_define=False)
    findings = findings_of(validate_path(sdtm), "CM0510")
    assert [(f.variable, f.value) for f in findings] == [("AETERM", "34")]
    assert "25 in define.xml" in findings[0].message


def test_value_outside_the_define_codelist(sdtm: Path):
    rewrite(sdtm, "DM", lambda f: f.assign(SEX=["M", "F", "U", "F"]), refresh_define=False)
    report = validate_path(sdtm)
    findings = findings_of(report, "CM0511")
    assert [(f.variable, f.row, f.value) for f in findings] == [("SEX", 3, "U")]
    assert findings_of(report, "CM0204") == []  # U is a CDISC SEX term


# --- any name, any version; value-level metadata and origins --------------------------


def test_the_define_xml_is_found_whatever_it_is_called(sdtm: Path):
    (sdtm / "define.xml").rename(sdtm / "define_nct06111625_sdtm.xml")
    report = validate_path(sdtm)
    assert report.findings == []
    assert report.defines == ["define_nct06111625_sdtm.xml"]


def test_a_define_elsewhere_is_named_with_define(sdtm: Path, tmp_path: Path):
    elsewhere = tmp_path / "metadata" / "define-study.xml"
    elsewhere.parent.mkdir()
    (sdtm / "define.xml").rename(elsewhere)
    assert rules_fired(validate_path(sdtm)) == {"CM0501"}
    report = validate_path(sdtm, define=elsewhere)
    assert report.findings == [] and report.packages[0].define_version == "2.1"


def test_a_second_define_is_named_and_skipped(sdtm: Path):
    (sdtm / "define-old.xml").write_bytes((sdtm / "define.xml").read_bytes())
    [finding] = validate_path(sdtm).findings
    assert (finding.rule, finding.file) == ("CM0109", "define-old.xml")
    assert "define.xml was used" in finding.message


def test_a_define_xml_1_0_is_reported_and_used(sdtm: Path):
    write_define_v1(sdtm)
    report = validate_path(sdtm)
    assert only(report, "CM0513").severity == "warning"
    assert findings_of(report, "CM0502") == []  # no 1.0 schema: not checked, not failed
    # what 1.0 says is still compared with the data: DM's SEX codelist has no U
    rewrite(sdtm, "DM", set_value(0, "SEX", "U"), refresh_define=False)
    finding = only(validate_path(sdtm), "CM0511")
    assert (finding.dataset, finding.row, finding.value) == ("DM", 1, "U")


def write_define_v1(sdtm: Path) -> None:
    """A Define-XML 1.0 description of DM only (the others are then not described)."""
    frame, meta = read_xpt(sdtm / "dm.xpt")
    items = "".join(
        f'<ItemDef OID="DM.{c}" Name="{c}" DataType="{"integer" if meta.column_types[c] == "numeric" else "text"}" '
        f'Length="{meta.character_lengths.get(c, 8)}" Origin="CRF Page 1" def:Label="{meta.column_labels[c]}">'
        + ('<CodeListRef CodeListOID="SEX"/>' if c == "SEX" else "") + "</ItemDef>"
        for c in frame.columns)
    refs = "".join(f'<ItemRef ItemOID="DM.{c}" OrderNumber="{i}" Mandatory="No"/>'
                   for i, c in enumerate(frame.columns, start=1))
    (sdtm / "define.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.2" '
        'xmlns:def="http://www.cdisc.org/ns/def/v1.0" FileOID="F" ODMVersion="1.2"><Study OID="S">'
        "<GlobalVariables><StudyName>S</StudyName><StudyDescription>D</StudyDescription>"
        '<ProtocolName>P</ProtocolName></GlobalVariables><MetaDataVersion OID="M" Name="M" '
        'def:DefineVersion="1.0.0" def:StandardName="CDISC SDTM" def:StandardVersion="3.4">'
        f'<ItemGroupDef OID="DM" Name="DM" Repeating="No" Purpose="Tabulation" def:Label="{meta.label}" '
        f'def:Class="Special Purpose">{refs}</ItemGroupDef>{items}'
        '<CodeList OID="SEX" Name="SEX" DataType="text"><CodeListItem CodedValue="F"/>'
        '<CodeListItem CodedValue="M"/></CodeList></MetaDataVersion></Study></ODM>', encoding="utf-8")


def with_value_level_metadata(sdtm: Path) -> None:
    """define.xml with value-level metadata on EX.EXDOSE: an integer, in 8 or 28, for EXSEQ 1."""
    path = sdtm / "define.xml"
    model = define_xml.load(path)
    ex = next(d for d in model.datasets if d.name == "EX")
    dose = next(v for v in ex.variables if v.name == "EXDOSE")
    seq = next(v for v in ex.variables if v.name == "EXSEQ")
    dose.value_list_oid = "VL.EX.EXDOSE"
    model.where_clauses.append(define_xml.WhereClause("WC.EX.EXSEQ.1", [
        define_xml.RangeCheck(seq.oid, "EQ", ["1"])]))
    item = define_xml.Variable("IT.EX.EXDOSE.1", "EXDOSE", "Dose", "integer", length=8,
                               origin_type="Collected", origin_source="Investigator",
                               codelist_oid="CL.DOSE", where_clause_oids=["WC.EX.EXSEQ.1"])
    model.value_lists.append(define_xml.ValueList("VL.EX.EXDOSE", [item]))
    model.codelists.append(define_xml.CodeList("CL.DOSE", "Doses", data_type="integer", items=[
        define_xml.CodeListItem("8"), define_xml.CodeListItem("28")]))
    define_xml.write_define(model, path)


def test_values_against_their_value_level_metadata(sdtm: Path):
    with_value_level_metadata(sdtm)
    assert validate_path(sdtm).findings == []
    rewrite(sdtm, "EX", set_value(2, "EXDOSE", 9.0), refresh_define=False)  # EXSEQ 1 of subject 2
    rewrite(sdtm, "EX", set_value(3, "EXDOSE", 9.0), refresh_define=False)  # EXSEQ 2: not selected
    finding = only(validate_path(sdtm), "CM0514")
    assert (finding.row, finding.variable, finding.value) == (3, "EXDOSE", "9")
    assert "not in codelist CL.DOSE" in finding.message and "WC.EX.EXSEQ.1" in finding.message


def test_origins_methods_and_no_data_in_define(sdtm: Path):
    path = sdtm / "define.xml"
    model = define_xml.load(path)
    ae = next(d for d in model.datasets if d.name == "AE")
    variables = {v.name: v for v in ae.variables}
    variables["AETERM"].origin_type = None            # no origin
    variables["AESTDY"].method_oid = None             # Derived without a method
    variables["AEDECOD"].origin_type = "Sponsor"      # not an origin type
    variables["AEREL"].has_no_data = True             # says empty, is not
    define_xml.write_define(model, path)
    report = validate_path(sdtm)
    assert sorted((f.rule, f.variable) for f in report.findings if f.rule >= "CM0515") == [
        ("CM0515", "AETERM"), ("CM0516", "AESTDY"), ("CM0517", "AEDECOD"), ("CM0518", "AEREL")]


def test_numbers_are_compared_with_codelists_as_numbers(sdtm: Path):
    path = sdtm / "define.xml"
    model = define_xml.load(path)
    ex = next(d for d in model.datasets if d.name == "EX")
    next(v for v in ex.variables if v.name == "EXDOSE").codelist_oid = "CL.DOSE"
    model.codelists.append(define_xml.CodeList("CL.DOSE", "Doses", data_type="float", items=[
        define_xml.CodeListItem("8.0"), define_xml.CodeListItem("28"), define_xml.CodeListItem("1.2")]))
    define_xml.write_define(model, path)
    rewrite(sdtm, "EX", set_value(0, "EXDOSE", 1.2000000000000002), refresh_define=False)
    assert findings_of(validate_path(sdtm), "CM0511") == []  # 8.0 is 8, and the IBM-float 1.2 is 1.2
    rewrite(sdtm, "EX", set_value(0, "EXDOSE", 1.21), refresh_define=False)
    assert [f.value for f in findings_of(validate_path(sdtm), "CM0511")] == ["1.21"]


def test_a_coded_value_padded_with_a_blank(sdtm: Path):
    path = sdtm / "define.xml"
    path.write_text(path.read_text(encoding="utf-8").replace('CodedValue="F"', 'CodedValue="F\u00a0"'),
                    encoding="utf-8")
    report = validate_path(sdtm)
    assert [(f.rule, f.value) for f in report.findings] == [("CM0519", "F\u00a0")]  # F still matches
