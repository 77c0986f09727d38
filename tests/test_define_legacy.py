"""Define-XML 1.0 and define.xml files of any name: recognised by their root, read as far
as 1.0 says the same things as 2.x."""

from __future__ import annotations

from pathlib import Path

import pytest

import define_xml
from define_xml.legacy import detect, load_v1

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"

V1 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.2" xmlns:def="http://www.cdisc.org/ns/def/v1.0"
     FileOID="S1" ODMVersion="1.2" FileType="Snapshot">
 <Study OID="S1">
  <GlobalVariables><StudyName>S1</StudyName><StudyDescription>D</StudyDescription>
   <ProtocolName>P</ProtocolName></GlobalVariables>
  <MetaDataVersion OID="MDV" Name="M" def:DefineVersion="1.0.0" def:StandardName="CDISC SDTM"
                   def:StandardVersion="3.1.2">
   <def:ComputationMethod OID="MT.AGE">Years from birth to first dose</def:ComputationMethod>
   <ItemGroupDef OID="DM" Name="DM" Repeating="No" Purpose="Tabulation" def:Label="Demographics"
                 def:Class="Special Purpose" def:Structure="One record per subject">
    <ItemRef ItemOID="DM.SEX" OrderNumber="1" Mandatory="Yes"/>
    <ItemRef ItemOID="DM.AGE" OrderNumber="2" Mandatory="No"/>
   </ItemGroupDef>
   <ItemDef OID="DM.SEX" Name="SEX" DataType="text" Length="1" Origin="CRF Page 7" def:Label="Sex">
    <CodeListRef CodeListOID="SEX"/>
   </ItemDef>
   <ItemDef OID="DM.AGE" Name="AGE" DataType="integer" Length="8" Origin="Derived"
            def:Label="Age" def:ComputationMethodOID="MT.AGE"/>
   <CodeList OID="SEX" Name="SEX" DataType="text">
    <CodeListItem CodedValue="F" def:Rank="1">
     <Decode><TranslatedText xml:lang="en">Female</TranslatedText></Decode></CodeListItem>
    <CodeListItem CodedValue="M" def:Rank="2">
     <Decode><TranslatedText xml:lang="en">Male</TranslatedText></Decode></CodeListItem>
   </CodeList>
  </MetaDataVersion>
 </Study>
</ODM>
"""


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    path = tmp_path / "define_study.xml"
    path.write_text(V1, encoding="latin-1")
    return path


def test_detect_tells_define_versions_from_other_files(v1: Path, tmp_path: Path):
    assert detect(v1) == "1.0"
    other = tmp_path / "odm.xml"
    other.write_text('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S">'
                     '<MetaDataVersion OID="M" Name="M"/></Study></ODM>')
    assert detect(other) is None  # ODM without define metadata: clinical data
    (tmp_path / "note.xml").write_text("<note>hello</note>")
    (tmp_path / "broken.xml").write_text("<ODM><unclosed>")
    (tmp_path / "binary.xml").write_bytes(b"\x00\xff" * 10)
    assert [detect(tmp_path / n) for n in ("note.xml", "broken.xml", "binary.xml")] == [None] * 3


def test_a_version_1_define_reads_into_the_model(v1: Path):
    model = define_xml.load(v1)  # load dispatches 1.0 files to load_v1
    assert model.define_version == "1.0.0"
    assert [(s.name, s.version) for s in model.standards] == [("SDTMIG", "3.1.2")]
    [dm] = model.datasets
    assert (dm.name, dm.label, dm.cls, dm.repeating) == ("DM", "Demographics", "Special Purpose", False)
    sex, age = dm.variables
    assert (sex.label, sex.data_type, sex.length, sex.origin_type, sex.origin_source,
            sex.origin_description, sex.codelist_oid, sex.mandatory) == (
        "Sex", "text", 1, "Collected", "Investigator", "CRF Page 7", "SEX", True)
    assert (age.origin_type, age.method_oid) == ("Derived", "MT.AGE")
    assert [i.coded_value for i in model.codelists[0].items] == ["F", "M"]
    assert model.methods[0].description == "Years from birth to first dose"


def test_a_broken_version_1_define_is_a_define_error(v1: Path):
    v1.write_text(V1.replace('Length="1"', 'Length="one"'), encoding="latin-1")
    with pytest.raises(define_xml.DefineError, match="not a whole number"):
        load_v1(v1)
    v1.write_text(V1.replace('<ItemRef ItemOID="DM.AGE"', '<ItemRef ItemOID="DM.NOPE"'),
                  encoding="latin-1")
    with pytest.raises(define_xml.DefineError, match="DM.NOPE"):
        define_xml.load(v1)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference (the CDISC pilot packages) is absent")
def test_the_cdisc_pilot_defines_are_version_1_and_read():
    sdtm = define_xml.load(REFERENCE / "cdiscpilot01-sdtm" / "define.xml")
    assert sdtm.define_version == "1.0.0" and len(sdtm.datasets) == 22
    assert [(s.name, s.version) for s in sdtm.standards] == [("SDTMIG", "3.1.2")]
    adam = define_xml.load(REFERENCE / "cdiscpilot01-adam" / "define.xml")
    assert [(s.name, s.version) for s in adam.standards] == [("ADaM", "2.1")]  # the model version
