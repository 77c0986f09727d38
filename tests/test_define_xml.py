"""define_xml: a hand-built model becomes a schema-valid, complete, deterministic
Define-XML 2.1 file that reads back to the same model, and renders as a page."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from define_xml import (
    AnalysisDataset,
    AnalysisResult,
    CodeList,
    CodeListItem,
    Comment,
    Dataset,
    Define,
    DefineError,
    Document,
    DocumentRef,
    Method,
    PageRef,
    RangeCheck,
    ResultDisplay,
    Standard,
    ValueList,
    Variable,
    WhereClause,
    load,
    render_html,
    to_bytes,
    validate,
    write_define,
    write_html,
    write_stylesheet,
)
from define_xml.schema import schema_path, schema_version
from define_xml.stylesheet import stylesheet_bytes

DATA = Path(__file__).resolve().parent / "data" / "define"
CREATED = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)
CHROMIUM = Path("/usr/bin/chromium")
NS = {
    "odm": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.1",
    "xlink": "http://www.w3.org/1999/xlink",
}


def sample_define() -> Define:
    """Two datasets, codelists (one extended), methods, comments, VLM and documents."""
    studyid = Variable("IT.STUDYID", "STUDYID", "Study Identifier", "text", length=11,
                       origin_type="Protocol", mandatory=True, key_sequence=1, role="Identifier")
    dm = Dataset(
        oid="IG.DM", name="DM", label="Demographics", domain="DM",
        structure="One record per subject", repeating=False, cls="SPECIAL PURPOSE",
        standard_oid="STD.SDTMIG", comment_oid="COM.DM", leaf_href="dm.xpt",
        variables=[
            studyid,
            Variable("IT.DM.USUBJID", "USUBJID", "Unique Subject Identifier", "text",
                     length=20, origin_type="Derived", method_oid="MT.USUBJID",
                     mandatory=True, key_sequence=2, role="Identifier"),
            Variable("IT.DM.AGE", "AGE", "Age", "integer", length=3, origin_type="Derived",
                     method_oid="MT.AGE", role="Record Qualifier"),
            Variable("IT.DM.SEX", "SEX", "Sex", "text", length=1, codelist_oid="CL.SEX",
                     origin_type="Collected", origin_source="Investigator",
                     origin_documents=[DocumentRef("LF.acrf", [PageRef(pages="3 4")])],
                     mandatory=True, role="Record Qualifier"),
            Variable("IT.DM.BRTHDTC", "BRTHDTC", "Date/Time of Birth", "date", length=10,
                     origin_type="Collected", origin_source="Subject",
                     display_format="ISO 8601", role="Record Qualifier"),
        ],
    )
    rs = Dataset(
        oid="IG.RS", name="RS", label="Disease Response and Clin Classification",
        domain="RS", structure="One record per response assessment per visit per subject",
        cls="FINDINGS", standard_oid="STD.SDTMIG", leaf_href="rs.xpt",
        leaf_title="Disease response",
        variables=[
            studyid,
            Variable("IT.RS.RSTESTCD", "RSTESTCD", "Assessment Short Name", "text", length=8,
                     codelist_oid="CL.RSTESTCD", origin_type="Assigned",
                     origin_source="Sponsor", mandatory=True, key_sequence=2, role="Topic"),
            Variable("IT.RS.RSORRES", "RSORRES", "Result or Finding in Original Units",
                     "text", length=20, origin_type="Collected", origin_source="Investigator",
                     value_list_oid="VL.RS.RSORRES", role="Result Qualifier"),
            Variable("IT.RS.RSSTRESN", "RSSTRESN", "Numeric Result/Finding in Std Units",
                     "float", length=8, significant_digits=2, display_format="8.2",
                     origin_type="Derived", method_oid="MT.RSSTRESN",
                     comment_oid="COM.RSSTRESN", role="Result Qualifier"),
        ],
    )
    vlm = ValueList("VL.RS.RSORRES", [
        Variable("IT.RS.RSORRES.OVRLRESP", "RSORRES", "Overall Response", "text", length=20,
                 codelist_oid="CL.OVRLRESP", origin_type="Collected",
                 origin_source="Investigator", where_clause_oids=["WC.RS.OVRLRESP"],
                 mandatory=True),
        Variable("IT.RS.RSORRES.BLAST", "RSORRES", "Marrow blasts (%)", "float", length=8,
                 significant_digits=1, origin_type="Collected", origin_source="Vendor",
                 where_clause_oids=["WC.RS.BLAST"]),
    ])
    return Define(
        study_oid="ST.NCT06111625", study_name="NCT06111625",
        description="Blinatumomab bridge to allo-HSCT in B-ALL", protocol_name="NCT06111625",
        mdv_oid="MDV.SDTM", mdv_name="SDTM metadata", mdv_description="SDTM package",
        originator="cdisc-map", source_system="cdisc-map", source_system_version="0.1.0",
        standards=[
            Standard("STD.SDTMIG", "SDTMIG", "IG", "3.4"),
            Standard("STD.CT.SDTM", "CDISC/NCI", "CT", "2024-09-27", publishing_set="SDTM"),
        ],
        datasets=[dm, rs],
        value_lists=[vlm],
        where_clauses=[
            WhereClause("WC.RS.OVRLRESP", [RangeCheck("IT.RS.RSTESTCD", "EQ", ["OVRLRESP"])]),
            WhereClause("WC.RS.BLAST", [RangeCheck("IT.RS.RSTESTCD", "IN",
                                                   ["BLASTS", "BLASTPCT"])]),
        ],
        codelists=[
            CodeList("CL.SEX", "Sex", items=[
                CodeListItem("F", "Female", "C16576", order=1),
                CodeListItem("M", "Male", "C20197", order=2),
            ], nci_code="C66731", standard_oid="STD.CT.SDTM"),
            CodeList("CL.RSTESTCD", "Oncology Response Assessment Test Code", items=[
                CodeListItem("OVRLRESP", nci_code="C96613"),
                CodeListItem("BLASTS", extended=True),
                CodeListItem("BLASTPCT", extended=True),
            ], nci_code="C96782", standard_oid="STD.CT.SDTM"),
            CodeList("CL.OVRLRESP", "Overall Response", items=[
                CodeListItem("CR", "Complete Remission", "C4870"),
                CodeListItem("CR MRD-", "Complete Remission, MRD negative", extended=True),
            ]),
        ],
        methods=[
            Method("MT.USUBJID", "USUBJID", "STUDYID, SITEID and SUBJID joined by hyphens"),
            Method("MT.AGE", "AGE", "Whole years from BRTHDTC to RFICDTC",
                   expression_context="Python 3.11", expression="age(BRTHDTC, RFICDTC)"),
            Method("MT.RSSTRESN", "RSSTRESN", "RSSTRESC as a number where it is one",
                   documents=[DocumentRef("LF.csdrg", [PageRef(first=4, last=6)])]),
        ],
        comments=[
            Comment("COM.DM", "Screen failures are included"),
            Comment("COM.RSSTRESN", "See the reviewer's guide",
                    documents=[DocumentRef("LF.csdrg",
                                           [PageRef("NamedDestination", "rsstresn")])]),
        ],
        documents=[
            Document("LF.acrf", "acrf.pdf", "Annotated CRF"),
            Document("LF.csdrg", "csdrg.pdf", "Clinical Study Data Reviewer's Guide"),
        ],
        annotated_crf=[DocumentRef("LF.acrf")],
        supplemental_docs=[DocumentRef("LF.csdrg")],
    )


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "define.xml"
    write_define(sample_define(), path, created=CREATED)
    return path


def xpath(path: Path, expression: str) -> list:
    return etree.parse(str(path)).xpath(expression, namespaces=NS)


def one(path: Path, expression: str):
    found = xpath(path, expression)
    assert len(found) == 1, f"{expression}: {len(found)} matches"
    return found[0]


# -- schema ------------------------------------------------------------------------
def test_the_schema_is_the_official_one_from_odmlib():
    assert schema_path().name == "define2-1-0.xsd"
    assert "odmlib" in schema_path().parts


def test_written_define_is_schema_valid(written: Path):
    assert validate(written) == []
    assert validate(written.read_bytes()) == []
    assert validate(etree.parse(str(written))) == []


def test_validate_reports_schema_errors_with_line_numbers(written: Path):
    broken = written.read_bytes().replace(b' def:Structure="One record per subject"', b"", 1)
    broken = broken.replace(b'Type="Collected"', b'Type="CRF"', 1)
    errors = validate(broken)
    assert len(errors) == 2
    assert all(error.startswith("line ") for error in errors)
    assert any("Structure" in error for error in errors)
    assert any("CRF" in error for error in errors)


def test_validate_reports_malformed_xml_instead_of_raising():
    errors = validate(b"<ODM><Study></ODM>")
    assert len(errors) == 1 and errors[0].startswith("line 1: not well-formed XML")


def test_xml_input_is_parsed_without_external_entities(tmp_path: Path, written: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hostile = written.read_text().replace(
        "<?xml-stylesheet", f'<!DOCTYPE ODM [<!ENTITY leak SYSTEM "file://{secret}">]>\n<?xml-stylesheet'
    ).replace("<StudyName>NCT06111625</StudyName>", "<StudyName>&leak;</StudyName>")
    path = tmp_path / "hostile.xml"
    path.write_text(hostile)
    assert "TOP-SECRET-VALUE" not in load(path).study_name
    assert "TOP-SECRET-VALUE" not in render_html(path)


# -- content ---------------------------------------------------------------------
def test_root_study_and_metadata_version(written: Path):
    root = one(written, "/odm:ODM")
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get("FileType") == "Snapshot"
    assert root.get("FileOID") == "MDV.SDTM.define"
    assert root.get("CreationDateTime") == "2024-10-01T12:00:00+00:00"
    assert root.get("Originator") == "cdisc-map"
    assert root.get("SourceSystem") == "cdisc-map"
    assert root.get(f"{{{NS['def']}}}Context") == "Submission"
    assert one(written, "//odm:GlobalVariables/odm:StudyName/text()") == "NCT06111625"
    assert one(written, "//odm:GlobalVariables/odm:ProtocolName/text()") == "NCT06111625"
    mdv = one(written, "//odm:MetaDataVersion")
    assert (mdv.get("OID"), mdv.get("Name")) == ("MDV.SDTM", "SDTM metadata")
    assert mdv.get(f"{{{NS['def']}}}DefineVersion").startswith("2.1.")
    ct = one(written, "//def:Standards/def:Standard[@Type='CT']")
    assert (ct.get("Name"), ct.get("PublishingSet"), ct.get("Version")) == (
        "CDISC/NCI", "SDTM", "2024-09-27")
    ig = one(written, "//def:Standards/def:Standard[@Type='IG']")
    assert (ig.get("Name"), ig.get("Version"), ig.get("Status")) == ("SDTMIG", "3.4", "Final")


def test_the_stylesheet_instruction_precedes_the_root(written: Path):
    lines = written.read_text().splitlines()
    assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    assert lines[1] == '<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>'


def test_one_item_group_per_dataset_with_its_attributes_and_leaf(written: Path):
    assert xpath(written, "//odm:ItemGroupDef/@Name") == ["DM", "RS"]
    dm = one(written, "//odm:ItemGroupDef[@Name='DM']")
    assert {k: dm.get(k) for k in ("OID", "Repeating", "IsReferenceData", "SASDatasetName",
                                   "Purpose", "Domain")} == {
        "OID": "IG.DM", "Repeating": "No", "IsReferenceData": "No", "SASDatasetName": "DM",
        "Purpose": "Tabulation", "Domain": "DM"}
    d = f"{{{NS['def']}}}"
    assert dm.get(d + "Structure") == "One record per subject"
    assert dm.get(d + "StandardOID") == "STD.SDTMIG"
    assert dm.get(d + "CommentOID") == "COM.DM"
    assert dm.get(d + "ArchiveLocationID") == "LF.DM"
    assert one(written, "//odm:ItemGroupDef[@Name='DM']/def:Class/@Name") == "SPECIAL PURPOSE"
    assert one(written, "//odm:ItemGroupDef[@Name='DM']/odm:Description/odm:TranslatedText"
                        "/text()") == "Demographics"
    leaf = one(written, "//odm:ItemGroupDef[@Name='RS']/def:leaf")
    assert leaf.get("ID") == "LF.RS"
    assert leaf.get(f"{{{NS['xlink']}}}href") == "rs.xpt"
    assert leaf.findtext("def:title", namespaces=NS) == "Disease response"
    assert one(written, "//odm:ItemGroupDef[@Name='DM']/def:leaf/def:title/text()") == "dm.xpt"


def test_item_refs_carry_order_mandatory_keys_methods_and_roles(written: Path):
    refs = xpath(written, "//odm:ItemGroupDef[@Name='DM']/odm:ItemRef")
    assert [r.get("OrderNumber") for r in refs] == ["1", "2", "3", "4", "5"]
    assert [r.get("KeySequence") for r in refs] == ["1", "2", None, None, None]
    assert [r.get("Mandatory") for r in refs] == ["Yes", "Yes", "No", "Yes", "No"]
    assert refs[2].get("MethodOID") == "MT.AGE"
    assert refs[0].get("Role") == "Identifier"


def test_a_shared_item_def_is_written_once(written: Path):
    assert len(xpath(written, "//odm:ItemDef[@OID='IT.STUDYID']")) == 1
    assert len(xpath(written, "//odm:ItemRef[@ItemOID='IT.STUDYID']")) == 2


def test_item_defs_carry_type_length_format_origin_and_codelist(written: Path):
    sex = one(written, "//odm:ItemDef[@OID='IT.DM.SEX']")
    assert (sex.get("Name"), sex.get("DataType"), sex.get("Length"), sex.get("SASFieldName")) == (
        "SEX", "text", "1", "SEX")
    assert sex.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.SEX"
    origin = sex.find("def:Origin", NS)
    assert (origin.get("Type"), origin.get("Source")) == ("Collected", "Investigator")
    page = origin.find("def:DocumentRef[@leafID='LF.acrf']/def:PDFPageRef", NS)
    assert (page.get("PageRefs"), page.get("Type")) == ("3 4", "PhysicalRef")
    stresn = one(written, "//odm:ItemDef[@OID='IT.RS.RSSTRESN']")
    assert (stresn.get("DataType"), stresn.get("Length"), stresn.get("SignificantDigits")) == (
        "float", "8", "2")
    assert stresn.get(f"{{{NS['def']}}}DisplayFormat") == "8.2"
    assert stresn.get(f"{{{NS['def']}}}CommentOID") == "COM.RSSTRESN"
    assert one(written, "//odm:ItemDef[@OID='IT.RS.RSORRES']/def:ValueListRef/@ValueListOID") == (
        "VL.RS.RSORRES")
    assert one(written, "//odm:ItemDef[@OID='IT.STUDYID']/def:Origin/@Type") == "Protocol"


def test_codelists_carry_c_codes_decodes_and_extended_values(written: Path):
    sex = one(written, "//odm:CodeList[@OID='CL.SEX']")
    assert sex.get(f"{{{NS['def']}}}StandardOID") == "STD.CT.SDTM"
    assert sex.find("odm:Alias[@Context='nci:ExtCodeID']", NS).get("Name") == "C66731"
    male = sex.find("odm:CodeListItem[@CodedValue='M']", NS)
    assert male.findtext("odm:Decode/odm:TranslatedText", namespaces=NS) == "Male"
    assert male.find("odm:Alias", NS).get("Name") == "C20197"
    # Without decodes the terms are EnumeratedItems; study terms are marked extended.
    testcd = one(written, "//odm:CodeList[@OID='CL.RSTESTCD']")
    assert [i.get("CodedValue") for i in testcd.findall("odm:EnumeratedItem", NS)] == [
        "OVRLRESP", "BLASTS", "BLASTPCT"]
    assert xpath(written, "//odm:CodeList[@OID='CL.RSTESTCD']/*[@def:ExtendedValue='Yes']"
                          "/@CodedValue") == ["BLASTS", "BLASTPCT"]
    assert xpath(written, "//odm:CodeList[@OID='CL.RSTESTCD']/odm:EnumeratedItem"
                          "[@CodedValue='OVRLRESP']/odm:Alias/@Name") == ["C96613"]


def test_value_level_metadata_and_where_clauses(written: Path):
    refs = xpath(written, "//def:ValueListDef[@OID='VL.RS.RSORRES']/odm:ItemRef")
    assert [r.get("ItemOID") for r in refs] == ["IT.RS.RSORRES.OVRLRESP", "IT.RS.RSORRES.BLAST"]
    assert refs[0].find("def:WhereClauseRef", NS).get("WhereClauseOID") == "WC.RS.OVRLRESP"
    check = one(written, "//def:WhereClauseDef[@OID='WC.RS.BLAST']/odm:RangeCheck")
    assert (check.get("Comparator"), check.get("SoftHard")) == ("IN", "Soft")
    assert check.get(f"{{{NS['def']}}}ItemOID") == "IT.RS.RSTESTCD"
    assert [v.text for v in check.findall("odm:CheckValue", NS)] == ["BLASTS", "BLASTPCT"]
    assert one(written, "//odm:ItemDef[@OID='IT.RS.RSORRES.BLAST']/@SignificantDigits") == "1"


def test_methods_comments_and_documents(written: Path):
    age = one(written, "//odm:MethodDef[@OID='MT.AGE']")
    assert (age.get("Name"), age.get("Type")) == ("AGE", "Computation")
    assert age.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == (
        "Whole years from BRTHDTC to RFICDTC")
    assert age.find("odm:FormalExpression", NS).get("Context") == "Python 3.11"
    assert one(written, "//def:CommentDef[@OID='COM.DM']/odm:Description/odm:TranslatedText"
                        "/text()") == "Screen failures are included"
    assert one(written, "//def:AnnotatedCRF/def:DocumentRef/@leafID") == "LF.acrf"
    assert one(written, "//def:SupplementalDoc/def:DocumentRef/@leafID") == "LF.csdrg"
    assert one(written, "//odm:MetaDataVersion/def:leaf[@ID='LF.acrf']/@xlink:href") == "acrf.pdf"


def test_elements_follow_the_schema_sequence(written: Path):
    children = [etree.QName(e).localname for e in one(written, "//odm:MetaDataVersion")]
    order = ["Standards", "AnnotatedCRF", "SupplementalDoc", "ValueListDef", "WhereClauseDef",
             "ItemGroupDef", "ItemDef", "CodeList", "MethodDef", "CommentDef", "leaf"]
    assert sorted(children, key=order.index) == children
    assert set(children) == set(order)


# -- determinism and safety --------------------------------------------------------
def test_same_model_gives_the_same_bytes():
    assert to_bytes(sample_define(), CREATED) == to_bytes(sample_define(), CREATED)


def test_only_creation_time_depends_on_created():
    first = to_bytes(sample_define(), CREATED).decode()
    later = to_bytes(sample_define(), datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)).decode()
    assert "2025-01-02T03:04:05+00:00" in later
    assert first.replace("2024-10-01T12:00:00+00:00", "2025-01-02T03:04:05+00:00") == later


def test_a_creation_time_is_required():
    with pytest.raises(ValueError, match="created"):
        to_bytes(sample_define())


def test_broken_references_are_all_reported_and_nothing_is_written(tmp_path: Path):
    define = sample_define()
    define.datasets[0].variables[3].codelist_oid = "CL.NOPE"
    define.datasets[1].variables[3].method_oid = "MT.NOPE"
    define.where_clauses[0].checks[0].item_oid = "IT.NOPE"
    define.comments[1].documents[0].leaf_id = "LF.NOPE"
    target = tmp_path / "define.xml"
    with pytest.raises(DefineError) as raised:
        write_define(define, target, created=CREATED)
    text = str(raised.value)
    for oid in ("CL.NOPE", "MT.NOPE", "IT.NOPE", "LF.NOPE"):
        assert oid in text
    assert len(raised.value.problems) == 4
    assert list(tmp_path.iterdir()) == []


def test_variables_sharing_an_oid_must_share_a_definition():
    define = sample_define()
    define.datasets[1].variables[0] = replace(define.datasets[1].variables[0], length=12)
    with pytest.raises(DefineError, match="IT.STUDYID.*defined differently"):
        to_bytes(define, CREATED)


def test_a_codelist_mixing_decoded_and_bare_terms_is_refused():
    define = sample_define()
    define.codelists[0].items.append(CodeListItem("U"))
    with pytest.raises(DefineError, match="CL.SEX.*'U'"):
        to_bytes(define, CREATED)


def test_a_failed_write_leaves_the_previous_file(written: Path):
    before = written.read_bytes()
    define = sample_define()
    define.datasets[0].standard_oid = "STD.NOPE"
    with pytest.raises(DefineError):
        write_define(define, written, created=CREATED)
    assert written.read_bytes() == before
    assert [p.name for p in written.parent.iterdir()] == ["define.xml"]


def test_external_dictionaries_are_written_valid():
    define = sample_define()
    define.codelists.append(CodeList("CL.MEDDRA", "MedDRA", external_dictionary="MedDRA",
                                     external_version="27.0"))
    define.datasets[1].variables.append(Variable(
        "IT.RS.RSDECOD", "RSDECOD", "Coded term", "text", length=40, codelist_oid="CL.MEDDRA",
        origin_type="Assigned", origin_source="Sponsor"))
    content = to_bytes(define, CREATED)
    assert validate(content) == []
    assert b'<ExternalCodeList Dictionary="MedDRA" Version="27.0"/>' in content


def test_an_analysis_dataset_with_a_subclass_is_valid():
    define = sample_define()
    define.standards[0] = Standard("STD.SDTMIG", "ADaMIG", "IG", "1.3")
    define.datasets[1] = replace(define.datasets[1], purpose="Analysis",
                                 cls="BASIC DATA STRUCTURE", subclasses=["TIME-TO-EVENT"])
    content = to_bytes(define, CREATED)
    assert validate(content) == []
    tree = etree.fromstring(content)
    assert tree.xpath("//odm:ItemGroupDef[@Name='RS']/def:Class/def:SubClass/@Name",
                      namespaces=NS) == ["TIME-TO-EVENT"]


# -- reading back ------------------------------------------------------------------
def test_round_trip_gives_the_same_model_and_bytes(written: Path, tmp_path: Path):
    loaded = load(written)
    assert loaded.created == CREATED
    expected = sample_define()
    expected.created = CREATED
    expected.file_oid = "MDV.SDTM.define"
    # The writer fills in what the model left to it: order numbers, SAS names, leaf ids
    # and titles; the file it reads back says them explicitly.
    for dataset in expected.datasets:
        dataset.sas_name = dataset.name
        dataset.leaf_id = f"LF.{dataset.name}"
        dataset.leaf_title = dataset.leaf_title or dataset.leaf_href
        for position, variable in enumerate(dataset.variables, 1):
            variable.order = position
            variable.sas_field_name = variable.name
    for value_list in expected.value_lists:
        for position, variable in enumerate(value_list.items, 1):
            variable.order = position
            variable.sas_field_name = variable.name
    assert loaded == expected
    again = tmp_path / "again.xml"
    write_define(loaded, again)
    assert again.read_bytes() == written.read_bytes()


def test_loads_a_define_xml_2_0_from_another_tool(tmp_path: Path):
    legacy = DATA / "define-2.0.xml"
    assert validate(legacy) == []  # valid against the official 2.0 schema
    define = load(legacy)
    assert define.study_name == "LEGACY-01"
    assert define.originator == "Another Tool"
    assert define.standards == [Standard("STD.1", "SDTMIG", "IG", "3.2")]
    assert [d.name for d in define.datasets] == ["DM", "LB"]
    dm, lb = define.datasets
    assert [v.name for v in dm.variables] == ["STUDYID", "USUBJID", "AGE", "SEX"]
    assert (dm.cls, dm.leaf_href, dm.repeating) == ("SPECIAL PURPOSE", "dm.xpt", False)
    assert (lb.cls, lb.comment_oid) == ("FINDINGS", "COM.LB")
    sex = dm.variables[3]
    assert (sex.origin_type, sex.origin_source) == ("Collected", "Investigator")
    assert sex.origin_documents == [DocumentRef("LF.blankcrf", [PageRef(pages="3")])]
    assert (lb.variables[1].origin_type, lb.variables[1].origin_source) == ("Collected", "Vendor")
    assert dm.variables[2].method_oid == "MT.AGE"
    assert [k.key_sequence for k in lb.variables] == [1, 2, None]
    assert define.codelists[0].items[2] == CodeListItem("UNDIFFERENTIATED", "Undifferentiated",
                                                        order=3, extended=True)
    assert define.value_lists[0].items[0].where_clause_oids == ["WC.LB.LBTESTCD.GLUC"]
    assert define.where_clauses[0].checks == [RangeCheck("IT.LB.LBTESTCD", "EQ", ["GLUC"])]
    assert define.annotated_crf == [DocumentRef("LF.blankcrf")]
    # Written again, it is Define-XML 2.1 and valid against the 2.1 schema.
    upgraded = tmp_path / "define.xml"
    write_define(define, upgraded)
    assert validate(upgraded) == []
    assert b'def:DefineVersion="2.1.0"' in upgraded.read_bytes()


def test_loading_something_else_is_a_clear_error(tmp_path: Path):
    other = tmp_path / "other.xml"
    other.write_text('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S">'
                     "<MetaDataVersion OID='M' Name='M'/></Study></ODM>")
    with pytest.raises(DefineError, match="DefineVersion"):
        load(other)
    broken = tmp_path / "broken.xml"
    broken.write_text("<ODM>")
    with pytest.raises(DefineError, match="not well-formed"):
        load(broken)


# -- rendering ---------------------------------------------------------------------
def test_write_stylesheet_puts_our_stylesheet_beside_the_define(written: Path):
    path = write_stylesheet(written.parent)
    assert path == written.parent / "define2-1.xsl"
    assert path.read_bytes() == stylesheet_bytes()
    assert etree.fromstring(path.read_bytes()).get("version") == "1.0"


def check_rendered_page(page: lxml.html.HtmlElement) -> None:
    """What a reviewer must find on the page of the sample define."""
    datasets = {s.get("data-name"): s for s in page.xpath("//section[@class='dataset']")}
    assert list(datasets) == ["DM", "RS"]
    expected_variables = {
        "DM": ["STUDYID", "USUBJID", "AGE", "SEX", "BRTHDTC"],
        "RS": ["STUDYID", "RSTESTCD", "RSORRES", "RSSTRESN"],
    }
    for name, section in datasets.items():
        rows = section.xpath(".//table[@class='variables']/tbody/tr")
        assert [r.xpath("string(td[1])").strip() for r in rows] == expected_variables[name]
    assert page.xpath("//section[@id='IG.DM']//a[@class='xpt']/@href") == ["dm.xpt"]
    assert page.xpath("//section[@id='IG.RS']//a[@class='xpt']/@href") == ["rs.xpt"]
    # The table of contents links to every dataset.
    assert page.xpath("//nav[@id='toc']//a/@href")[:4] == ["#study", "#documents", "#datasets",
                                                          "#IG.DM"]


def test_the_stylesheet_renders_every_part_of_the_define(written: Path):
    html = render_html(written)
    page = lxml.html.fromstring(html)
    check_rendered_page(page)
    sex = page.xpath("//section[@id='IG.DM']//tr[@id='IT.DM.SEX']")[0]
    cells = [c.text_content().strip() for c in sex.xpath("td")]
    assert cells[:5] == ["SEX", "Sex", "", "text", "1"]
    assert cells[5] == "Sex" and sex.xpath(".//a[@class='codelist']/@href") == ["#CL.SEX"]
    assert cells[6].startswith("Collected (Investigator)")
    assert sex.xpath(".//a/@href")[-2:] == ["acrf.pdf#page=3", "acrf.pdf#page=4"]
    age = page.xpath("//tr[@id='IT.DM.AGE']")[0].text_content()
    assert "Whole years from BRTHDTC to RFICDTC" in age
    assert "(2 decimals)" in page.xpath("//tr[@id='IT.RS.RSSTRESN']")[0].text_content()
    assert "See the reviewer's guide" in page.xpath("//tr[@id='IT.RS.RSSTRESN']")[0].text_content()
    where = [" ".join(t.text_content().split()) for t in page.xpath("//td[@class='where']")]
    assert where == ["RSTESTCD EQ OVRLRESP", "RSTESTCD IN (BLASTS, BLASTPCT)"]
    terms = page.xpath("//section[@id='CL.OVRLRESP']//tbody/tr")
    assert [t.xpath("string(td[1])").strip() for t in terms] == ["CR", "CR MRD- *"]
    assert "C96782" in page.xpath("string(//section[@id='CL.RSTESTCD']/h3)")
    assert page.xpath("//section[@id='CL.RSTESTCD']//th/text()") == ["Coded value", "NCI code"]
    assert page.xpath("//section[@id='CL.SEX']//tbody/tr[2]/td/text()") == ["M", "Male", "C20197"]
    assert page.xpath("//table[@class='methods']/tbody/tr/@id") == ["MT.USUBJID", "MT.AGE",
                                                                     "MT.RSSTRESN"]
    assert page.xpath("//table[@class='comments']/tbody/tr/@id") == ["COM.DM", "COM.RSSTRESN"]
    assert "Screen failures are included" in page.xpath("string(//section[@id='IG.DM']/dl)")
    assert page.xpath("//section[@id='documents']//a[@class='document']/@href") == [
        "acrf.pdf", "csdrg.pdf"]
    assert "Keys" in html and "STUDYID, USUBJID" in page.xpath("string(//table[@class='datasets'])")


PROBE_XML = '<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="probe.xsl"?>\n<r/>\n'
PROBE_XSL = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><html><body><p id="xslt-probe">ran</p></body></html></xsl:template>
</xsl:stylesheet>"""


@pytest.fixture
def chromium(tmp_path: Path):
    """Dump the DOM Chromium renders for a file, as a string."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium (Debian package chromium) is not installed")

    def dump_dom(path: Path) -> str:
        # Chromium treats every file:// URL as its own origin and will not load the
        # stylesheet beside define.xml unless file pages may read files.
        result = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--allow-file-access-from-files",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", path.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    return dump_dom


def test_chromium_renders_the_define_with_our_stylesheet(written: Path, chromium, tmp_path: Path):
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "probe.xml").write_text(PROBE_XML)
    (probe / "probe.xsl").write_text(PROBE_XSL)
    if "xslt-probe" not in chromium(probe / "probe.xml"):
        pytest.skip("this Chromium runs no XSLT stylesheet at all (browsers are dropping "
                    "XSLT); the page rendered by lxml is checked in Chromium below")
    write_stylesheet(written.parent)
    dom = chromium(written)
    assert "<section" in dom, "Chromium runs XSLT but did not apply ours"
    check_rendered_page(lxml.html.fromstring(dom))


def test_chromium_shows_the_page_rendered_by_lxml(written: Path, chromium):
    page = written.with_name("define.html")
    page.write_text(render_html(written), encoding="utf-8")
    check_rendered_page(lxml.html.fromstring(chromium(page)))


# -- Analysis Results Metadata -------------------------------------------------------
def analysis_define() -> Define:
    """The sample define as an analysis package with one result display (ARM 1.0)."""
    define = sample_define()
    define.where_clauses.append(WhereClause("WC.RS.ARM", [
        RangeCheck("IT.RS.RSTESTCD", "EQ", ["OVRLRESP"]), RangeCheck("IT.RS.RSORRES", "IN", ["CR", "CR MRD-"])]))
    define.result_displays = [ResultDisplay(
        "RD.T1", "Table 14.2.1", "Best overall response", documents=[DocumentRef("LF.csdrg", [PageRef(pages="9")])],
        results=[AnalysisResult(
            "AR.T1.CR", "Complete remission rate with its exact 95% CI", "SPECIFIED IN PROTOCOL",
            "PRIMARY OUTCOME MEASURE", parameter_oid="IT.RS.RSTESTCD",
            datasets=[AnalysisDataset("IG.RS", "WC.RS.ARM", ["IT.RS.RSORRES", "IT.RS.RSTESTCD"])],
            datasets_comment_oid="COM.DM", documentation="Clopper-Pearson interval.",
            documentation_refs=[DocumentRef("LF.csdrg", [PageRef(pages="12 13")])],
            code_context="R 4.4", code='binom.test(sum(cr), n)',
            code_refs=[DocumentRef("LF.acrf")])])]
    return define


def test_analysis_results_are_valid_against_the_arm_schema_from_odmlib(tmp_path: Path):
    content = to_bytes(analysis_define(), CREATED)
    tree = etree.fromstring(content)
    assert schema_version(tree) == "2.1+arm"
    assert "arm" in schema_path("2.1+arm").parts and "odmlib" in schema_path("2.1+arm").parts
    assert validate(content) == []
    arm = {"arm": "http://www.cdisc.org/ns/arm/v1.0", **NS}
    result = tree.xpath("//arm:ResultDisplay/arm:AnalysisResult", namespaces=arm)[0]
    assert result.get("ParameterOID") == "IT.RS.RSTESTCD"
    assert result.xpath("arm:AnalysisDatasets/arm:AnalysisDataset/def:WhereClauseRef/@WhereClauseOID",
                        namespaces=arm) == ["WC.RS.ARM"]
    assert result.xpath("arm:ProgrammingCode/arm:Code/text()", namespaces=arm) == ["binom.test(sum(cr), n)"]
    # ARM comes last in MetaDataVersion, after the leaves, as the ARM schema's sequence requires.
    assert etree.QName(tree.find(".//odm:MetaDataVersion", NS)[-1]).localname == "AnalysisResultDisplays"


def test_a_define_without_analysis_results_declares_no_arm_namespace(written: Path):
    root = etree.parse(str(written)).getroot()
    assert "arm" not in root.nsmap and schema_version(root) == "2.1"


def test_the_arm_schema_catches_what_the_define_schema_would_let_through():
    content = to_bytes(analysis_define(), CREATED).replace(b' AnalysisPurpose="PRIMARY OUTCOME MEASURE"', b"")
    assert any("AnalysisPurpose" in problem for problem in validate(content))


def test_analysis_results_read_back_and_write_the_same_bytes(tmp_path: Path):
    path = tmp_path / "define.xml"
    write_define(analysis_define(), path, created=CREATED)
    loaded = load(path)
    assert loaded.result_displays == analysis_define().result_displays
    again = tmp_path / "again.xml"
    write_define(loaded, again)
    assert again.read_bytes() == path.read_bytes()


def test_broken_analysis_result_references_are_all_reported():
    define = analysis_define()
    result = define.result_displays[0].results[0]
    result.parameter_oid = "IT.RS.NOPE"
    result.datasets[0] = AnalysisDataset("IG.XX", "WC.NOPE", ["IT.RS.RSORRES"])
    result.code_refs = [DocumentRef("LF.program")]
    define.result_displays.append(ResultDisplay("RD.T1", "Again", "Twice", results=[]))
    with pytest.raises(DefineError) as caught:
        to_bytes(define, CREATED)
    problems = "\n".join(caught.value.problems)
    for expected in ("parameter variable 'IT.RS.NOPE'", "dataset 'IG.XX'", "where clause 'WC.NOPE'",
                     "document 'LF.program'", "result display 'RD.T1' is defined 2 times",
                     "result display RD.T1: has no analysis results"):
        assert expected in problems
    define = analysis_define()
    define.result_displays[0].results[0].datasets[0].variable_oids = ["IT.DM.AGE"]
    with pytest.raises(DefineError, match="'IT.DM.AGE' is not a variable of IG.RS"):
        to_bytes(define, CREATED)


# -- the page: every target links back -------------------------------------------------
def test_every_internal_link_of_the_page_resolves_to_one_element(tmp_path: Path):
    path = tmp_path / "define.xml"
    write_define(analysis_define(), path, created=CREATED)
    page = lxml.html.fromstring(render_html(path))
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids))
    links = [href[1:] for href in page.xpath("//a/@href") if href.startswith("#")]
    assert links and set(links) <= set(ids)
    # The ItemDef STUDYID is used by DM and RS: each row has an id of its own.
    assert {"IG.DM.IT.STUDYID", "IG.RS.IT.STUDYID"} <= set(ids)


def test_codelists_methods_comments_and_value_lists_link_back_to_their_variables(written: Path):
    page = lxml.html.fromstring(render_html(written))

    def used_by(element_id: str) -> list[str]:
        return page.xpath(f"//*[@id='{element_id}']//div[@class='used-by']/a/@href")

    assert used_by("CL.SEX") == ["#IT.DM.SEX"]
    assert used_by("CL.OVRLRESP") == ["#IT.RS.RSORRES.OVRLRESP"]
    assert used_by("MT.AGE") == ["#IT.DM.AGE"]
    assert used_by("COM.DM") == ["#IG.DM"]
    assert used_by("COM.RSSTRESN") == ["#IT.RS.RSSTRESN"]
    assert page.xpath("//h3[@id='VL.RS.RSORRES']/a/@href") == ["#IT.RS.RSORRES"]
    assert page.xpath("//h3[@id='VL.RS.RSORRES']/a/text()") == ["RS.RSORRES"]
    assert "(RSTESTCD EQ OVRLRESP)" in page.xpath("string(//*[@id='CL.OVRLRESP']//div[@class='used-by'])")
    assert page.xpath("//tr[@id='IT.RS.RSORRES']//a[@class='value-list']/@href") == ["#VL.RS.RSORRES"]


def test_a_predecessor_in_the_same_define_is_a_link_and_its_source_names_the_copies(written: Path, tmp_path: Path):
    define = sample_define()
    define.datasets[1].variables.append(Variable(
        "IT.RS.AGE", "AGE", "Age", "integer", length=3, origin_type="Predecessor", origin_description="DM.AGE"))
    define.datasets[1].variables.append(Variable(
        "IT.RS.RACE", "RACE", "Race", "text", length=5, origin_type="Predecessor", origin_description="DM.RACE"))
    path = tmp_path / "define.xml"
    write_define(define, path, created=CREATED)
    page = lxml.html.fromstring(render_html(path))
    assert page.xpath("//tr[@id='IT.RS.AGE']//a[@class='predecessor']/@href") == ["#IT.DM.AGE"]
    assert page.xpath("//tr[@id='IT.DM.AGE']//div[@class='used-by']/a/@href") == ["#IT.RS.AGE"]
    # DM.RACE is not in this define: the description stays text.
    assert page.xpath("//tr[@id='IT.RS.RACE']//a[@class='predecessor']") == []
    assert "Predecessor: DM.RACE" in page.xpath("string(//tr[@id='IT.RS.RACE'])")


def test_the_page_shows_the_analysis_results_with_links_into_the_datasets(tmp_path: Path):
    path = tmp_path / "define.xml"
    write_define(analysis_define(), path, created=CREATED)
    html = render_html(path)
    assert html.startswith("<!DOCTYPE html>")
    page = lxml.html.fromstring(html)
    assert page.xpath("//nav[@id='toc']//a[@href='#RD.T1']/text()") == ["Table 14.2.1"]
    result = page.xpath("//table[@id='AR.T1.CR']")[0]
    text = " ".join(result.text_content().split())
    for expected in ("Complete remission rate", "SPECIFIED IN PROTOCOL", "PRIMARY OUTCOME MEASURE",
                     "RS where RSTESTCD EQ OVRLRESP and RSORRES IN (CR, CR MRD-)", "Clopper-Pearson interval.",
                     "R 4.4", "binom.test(sum(cr), n)"):
        assert expected in text
    assert result.xpath(".//a[@class='dataset']/@href") == ["#IG.RS"]
    assert result.xpath(".//a[contains(@class, 'analysis-variable')]/@href") == ["#IT.RS.RSORRES", "#IT.RS.RSTESTCD"]
    assert "csdrg.pdf#page=12" in result.xpath(".//a/@href")


def test_write_html_puts_the_rendered_page_beside_the_define(written: Path):
    path = write_html(written)
    assert path == written.with_name("define.html")
    assert path.read_text(encoding="utf-8") == render_html(written)
    assert sorted(p.name for p in written.parent.iterdir()) == ["define.html", "define.xml"]
