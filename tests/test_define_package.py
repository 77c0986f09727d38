"""define.xml of the SDTM package: schema-valid, and saying exactly what the XPT files hold."""

import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from lxml import etree

from cdisc_map.pipeline import run_study
from cdisc_map.standards.terminology import load_ct
from define_xml import validate

ROOT = Path(__file__).resolve().parent.parent
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def out(bundled_run) -> Path:
    return bundled_run.out


@pytest.fixture(scope="module", params=["tabulations/sdtm", "analysis/adam/datasets"])
def folder(out, request) -> Path:
    """Each package folder: SDTM and ADaM each have their own define.xml."""
    return out / "m5" / "datasets" / "nct06111625" / request.param


@pytest.fixture(scope="module")
def define(folder) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(str(folder / "define.xml"), parser)


def test_schema_valid_against_the_official_define_2_1_schema(folder):
    assert validate(folder / "define.xml") == []


def test_stylesheet_is_shipped_beside_and_named(folder):
    assert (folder / "define2-1.xsl").is_file()
    assert b'<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>' in (folder / "define.xml").read_bytes()[:200]


def test_every_xpt_has_its_itemgroupdef_and_back(folder, define):
    groups = define.findall(".//odm:ItemGroupDef", NS)
    hrefs = {g.find("def:leaf", NS).get(f"{{{NS['xlink']}}}href") for g in groups}
    assert hrefs == {p.name for p in folder.glob("*.xpt")}


def test_variables_labels_types_and_lengths_match_the_data(folder, define):
    items = {i.get("OID"): i for i in define.findall(".//odm:ItemDef", NS)}
    for group in define.findall(".//odm:ItemGroupDef", NS):
        frame, meta = pyreadstat.read_xport(str(folder / f"{group.get('Name').lower()}.xpt"))
        assert group.find("odm:Description/odm:TranslatedText", NS).text == meta.file_label
        refs = sorted(group.findall("odm:ItemRef", NS), key=lambda r: int(r.get("OrderNumber")))
        defs = [items[r.get("ItemOID")] for r in refs]
        assert [d.get("Name") for d in defs] == list(frame.columns)
        for item in defs:
            name = item.get("Name")
            label = item.find("odm:Description/odm:TranslatedText", NS).text
            assert label == meta.column_names_to_labels[name]
            kind = item.get("DataType")
            if meta.readstat_variable_types[name] == "string":
                assert kind in ("text", "datetime", "date")
                if kind == "text":
                    assert int(item.get("Length")) == meta.variable_storage_width[name], name
            else:
                assert kind in ("integer", "float")
                values = frame[name].dropna()
                if kind == "integer" and pd.api.types.is_numeric_dtype(values):  # DATE9. reads as dates
                    assert (values == values.round()).all(), name


def test_codelist_values_cover_the_data(folder, define):
    terminology = load_ct()
    codelists = {c.get("OID"): c for c in define.findall(".//odm:CodeList", NS)}
    items = {i.get("OID"): i for i in define.findall(".//odm:ItemDef", NS)}
    checked = 0
    for group in define.findall(".//odm:ItemGroupDef", NS):
        frame, _ = pyreadstat.read_xport(str(folder / f"{group.get('Name').lower()}.xpt"))
        for ref in group.findall("odm:ItemRef", NS):
            item = items[ref.get("ItemOID")]
            codelist_ref = item.find("odm:CodeListRef", NS)
            if codelist_ref is None:
                continue
            codelist = codelists[codelist_ref.get("CodeListOID")]
            terms = {e.get("CodedValue"): e for e in codelist.findall("odm:EnumeratedItem", NS)
                     + codelist.findall("odm:CodeListItem", NS)}
            used = set(frame[item.get("Name")]) - {""}
            assert used <= set(terms), (item.get("Name"), used - set(terms))
            code = codelist.find("odm:Alias", NS).get("Name")
            ct = terminology.codelist(code)
            for value, term in terms.items():
                extended = term.get(f"{{{NS['def']}}}ExtendedValue") == "Yes"
                if not ct.extensible:
                    assert not extended and value in ct, value
                if not extended:
                    assert term.find("odm:Alias", NS).get("Name") == ct.lookup(value).code
            checked += 1
    assert checked >= 5


def test_adtte_has_value_level_metadata_by_paramcd(out):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    folder = out / "m5" / "datasets" / "nct06111625" / "analysis" / "adam" / "datasets"
    define = etree.parse(str(folder / "define.xml"), parser)
    frame, _ = pyreadstat.read_xport(str(folder / "adtte.xpt"))
    checks = define.findall(".//def:WhereClauseDef/odm:RangeCheck", NS)
    item_oid = f"{{{NS['def']}}}ItemOID"
    by_paramcd = {c.find("odm:CheckValue", NS).text for c in checks if c.get(item_oid) == "IT.ADTTE.PARAMCD"}
    assert by_paramcd == set(frame["PARAMCD"])
    assert define.find(".//def:SubClass", NS).get("Name") == "TIME-TO-EVENT"


def test_derived_variables_have_methods_and_origins(define):
    items = define.findall(".//odm:ItemDef", NS)
    methods = {m.get("OID") for m in define.findall(".//odm:MethodDef", NS)}
    refs = {r.get("ItemOID"): r for r in define.findall(".//odm:ItemRef", NS)}
    for item in items:
        origin = item.find("def:Origin", NS)
        assert origin is not None, item.get("OID")
        ref = refs.get(item.get("OID"))
        if origin.get("Type") == "Derived" and ref is not None:
            assert ref.get("MethodOID") in methods, item.get("OID")


def test_documents_named_in_study_yaml_are_linked(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(ROOT / "cdisc_map" / "studies" / "nct06111625", study)
    text = (study / "study.yaml").read_text()
    text += ("\ndocuments:\n"
             "  - {id: acrf, title: Annotated CRF, href: acrf.pdf, kind: annotated_crf, package: sdtm}\n"
             "  - {id: csdrg, title: Reviewer's Guide, href: csdrg.pdf, kind: supplemental, package: sdtm}\n")
    (study / "study.yaml").write_text(text)
    run_study(study, out_dir=tmp_path / "out")
    folder = tmp_path / "out" / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    assert validate(folder / "define.xml") == []
    define = etree.parse(str(folder / "define.xml"), etree.XMLParser(resolve_entities=False, no_network=True))
    assert define.find(".//def:AnnotatedCRF/def:DocumentRef", NS).get("leafID") == "LF.acrf"
    assert define.find(".//def:SupplementalDoc/def:DocumentRef", NS).get("leafID") == "LF.csdrg"
    hrefs = {leaf.get(f"{{{NS['xlink']}}}href") for leaf in define.findall(".//def:leaf", NS)}
    assert {"acrf.pdf", "csdrg.pdf"} <= hrefs
