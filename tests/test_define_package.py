"""define.xml of the SDTM package: schema-valid, and saying exactly what the XPT files hold."""

import re
import shutil
from pathlib import Path

import lxml.html
import pandas as pd
import pyreadstat
import pytest
import yaml
from lxml import etree

from cdisc_map.pipeline import run_study
from cdisc_map.standards.terminology import load_ct
from define_xml import load, render_html, to_bytes, validate
from define_xml.schema import schema_version

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
            if codelist.find("odm:ExternalCodeList", NS) is not None:
                continue  # a dictionary (MedDRA): its terms are not listed
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


@pytest.fixture(scope="module")
def with_acrf(tmp_path_factory) -> Path:
    """The bundled study with an annotated CRF and a reviewer's guide declared, CRF pages named for the
    adverse events form and for AETERM, converted: the SDTM package folder."""
    root = tmp_path_factory.mktemp("acrf")
    study = root / "study"
    shutil.copytree(ROOT / "cdisc_map" / "studies" / "nct06111625", study)
    data = yaml.safe_load((study / "study.yaml").read_text())
    data["raw"]["forms"]["adverse_events"]["crf_pages"] = [21, 22]
    data["documents"] += [
        {"id": "acrf", "title": "Annotated CRF", "href": "acrf.pdf", "kind": "annotated_crf", "package": "sdtm"},
        {"id": "csdrg", "title": "Reviewer's Guide", "href": "csdrg.pdf", "kind": "supplemental", "package": "sdtm"},
    ]
    (study / "study.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    ae = yaml.safe_load((study / "sdtm" / "ae.yaml").read_text())
    ae["variables"]["AETERM"]["crf_pages"] = 20
    (study / "sdtm" / "ae.yaml").write_text(yaml.safe_dump(ae, sort_keys=False, allow_unicode=True))
    run_study(study, out_dir=root / "out")
    return root / "out" / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"


def test_documents_named_in_study_yaml_are_linked(with_acrf):
    assert validate(with_acrf / "define.xml") == []
    define = parse(with_acrf / "define.xml")
    assert define.find(".//def:AnnotatedCRF/def:DocumentRef", NS).get("leafID") == "LF.acrf"
    assert define.find(".//def:SupplementalDoc/def:DocumentRef", NS).get("leafID") == "LF.csdrg"
    hrefs = {leaf.get(f"{{{NS['xlink']}}}href") for leaf in define.findall(".//def:leaf", NS)}
    assert {"acrf.pdf", "csdrg.pdf", "https://clinicaltrials.gov/study/NCT06111625"} <= hrefs


def test_collected_origins_point_at_their_annotated_crf_pages(with_acrf):
    define = parse(with_acrf / "define.xml")
    leaves = {leaf.get("ID") for leaf in define.findall(".//def:leaf", NS)}
    pages = {}
    for item in define.findall(".//odm:ItemDef", NS):
        origin = item.find("def:Origin", NS)
        for ref in origin.findall("def:DocumentRef", NS) if origin is not None else []:
            assert ref.get("leafID") in leaves, item.get("OID")  # every document an origin names is declared
            for page in ref.findall("def:PDFPageRef", NS):
                assert origin.get("Type") in ("Collected", "Assigned"), item.get("OID")
                assert ref.get("leafID") == "LF.acrf"
                pages[item.get("OID")] = page.get("PageRefs")
    assert pages["IT.AE.AETERM"] == "20"  # the variable's own pages
    assert pages["IT.AE.AEDECOD"] == pages["IT.SUPPAE.QVAL.AECRSGR"] == "21 22"  # the form's
    assert "IT.AE.AESTDY" not in pages and "IT.AE.DOMAIN" not in pages  # derived and assigned values: none


def test_protocol_origins_point_at_the_protocol(folder, define):
    leaves = {leaf.get("ID"): leaf.get(f"{{{NS['xlink']}}}href") for leaf in define.findall(".//def:leaf", NS)}
    protocol = [o for o in define.findall(".//def:Origin", NS) if o.get("Type") == "Protocol"]
    if folder.name == "sdtm":
        assert protocol
    for origin in protocol:
        assert origin.get("Source") == "Sponsor"
        refs = [ref.get("leafID") for ref in origin.findall("def:DocumentRef", NS)]
        assert refs == ["LF.registration"]
        assert leaves["LF.registration"] == "https://clinicaltrials.gov/study/NCT06111625"


def test_every_predecessor_names_an_existing_dataset_and_variable(out):
    packages = out / "m5" / "datasets" / "nct06111625"
    defines = [parse(packages / "tabulations" / "sdtm" / "define.xml"),
               parse(packages / "analysis" / "adam" / "datasets" / "define.xml")]
    variables = set()
    for define in defines:
        items = {i.get("OID"): i.get("Name") for i in define.findall(".//odm:ItemDef", NS)}
        for group in define.findall(".//odm:ItemGroupDef", NS):
            variables |= {f"{group.get('Name')}.{items[r.get('ItemOID')]}" for r in group.findall("odm:ItemRef", NS)}
    predecessors = {}
    for define in defines:
        for item in define.findall(".//odm:ItemDef", NS):
            origin = item.find("def:Origin", NS)
            if origin is not None and origin.get("Type") == "Predecessor":
                assert origin.get("Source") is None
                predecessors[item.get("OID")] = origin.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
    assert predecessors and set(predecessors.values()) <= variables
    assert predecessors["IT.ADSL.AGE"] == "DM.AGE"
    assert predecessors["IT.ADTTE.AGE"] == "ADSL.AGE"  # ADaM copies of ADSL variables trace to ADSL
    assert predecessors["IT.ADTTE.STARTDT"] == "ADSL.HSCTDT"
    assert predecessors["IT.SUPPAE.USUBJID"] == "AE.USUBJID"


def test_dictionary_coded_variables_reference_their_dictionary_and_release(folder, define):
    codelists = {c.get("OID"): c for c in define.findall(".//odm:CodeList", NS)}
    external = {oid for oid, c in codelists.items() if c.find("odm:ExternalCodeList", NS) is not None}
    refs = {}
    for item in define.findall(".//odm:ItemDef", NS):
        ref = item.find("odm:CodeListRef", NS)
        if ref is not None:
            refs[item.get("Name")] = ref.get("CodeListOID")
            # a codelist has the data type of the variables using it
            assert codelists[ref.get("CodeListOID")].get("DataType") == item.get("DataType"), item.get("OID")
    assert external <= set(refs.values())  # every dictionary codelist is referenced
    if folder.name == "sdtm":
        for name in ("AEDECOD", "AELLT", "AEBODSYS", "AESOC", "AEHLT", "AEPTCD", "AELLTCD", "AESOCCD"):
            dictionary = codelists[refs[name]].find("odm:ExternalCodeList", NS)
            assert (dictionary.get("Dictionary"), dictionary.get("Version")) == ("MedDRA", "27.0"), name
        assert refs["AEDECOD"] != refs["AEPTCD"]  # terms (text) and codes (integer)


AUTHOR_NOTES = re.compile(r"`|\bspecs?\b|specification|study\.yaml|yaml|cdisc-map|bundled|\bsubset\b|\bextend\b"
                          r"|never invented|\bexport\b|\bcolumn\b", re.IGNORECASE)


def test_no_comment_or_method_is_a_note_for_spec_authors(define):
    texts = [(e.get("OID"), e.findtext("odm:Description/odm:TranslatedText", namespaces=NS))
             for e in define.findall(".//def:CommentDef", NS) + define.findall(".//odm:MethodDef", NS)]
    assert texts
    notes = [(oid, text) for oid, text in texts if AUTHOR_NOTES.search(text)]
    assert notes == []


def test_methods_and_comments_are_one_per_text_shared_by_their_variables(folder, define):
    methods = define.findall(".//odm:MethodDef", NS)
    descriptions = [m.findtext("odm:Description/odm:TranslatedText", namespaces=NS) for m in methods]
    assert len(descriptions) == len(set(descriptions))
    assert len({m.get("Name") for m in methods}) == len(methods)  # names tell methods apart
    comments = [c.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
                for c in define.findall(".//def:CommentDef", NS)]
    assert len(comments) == len(set(comments))
    refs = define.findall(".//odm:ItemGroupDef/odm:ItemRef", NS)
    method_of = {r.get("ItemOID"): r.get("MethodOID") for r in refs}
    if folder.name == "sdtm":
        # every --SEQ counts within the subject but TSSEQ, which counts within TSPARMCD: another algorithm
        seq = {oid: m for oid, m in method_of.items() if oid.endswith("SEQ") and not oid.endswith("TSSEQ")}
        assert len(seq) >= 6 and set(seq.values()) == {"MT.SEQUENCE_NUMBER"}
        assert method_of["IT.TS.TSSEQ"] != "MT.SEQUENCE_NUMBER"
        days = {oid: m for oid, m in method_of.items() if oid.endswith("DY")}
        assert len(days) >= 8 and set(days.values()) == {"MT.STUDY_DAY"}
        names = {m.get("OID"): m.get("Name") for m in methods}
        assert names["MT.STUDY_DAY"] == "Study day" and names["MT.SEQUENCE_NUMBER"] == "Sequence number"
        studyid = [i.get(f"{{{NS['def']}}}CommentOID") for i in define.findall(".//odm:ItemDef[@Name='STUDYID']", NS)]
        assert studyid.count("COM.DM.STUDYID") >= 8 and set(studyid) == {"COM.DM.STUDYID", None}  # one, shared


def test_dsdecod_takes_its_codelist_from_dscat(out):
    folder = out / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    define = parse(folder / "define.xml")
    frame, _ = pyreadstat.read_xport(str(folder / "ds.xpt"))
    item = define.find(".//odm:ItemDef[@OID='IT.DS.DSDECOD']", NS)
    assert item.find("odm:CodeListRef", NS) is None  # the codelist depends on DSCAT
    assert item.find("def:ValueListRef", NS).get("ValueListOID") == "VL.DS.DSDECOD"
    by_dscat = {}
    for entry in vlm_entries(define, "VL.DS.DSDECOD"):
        (variable, value), = entry["where"]
        assert variable == "DSCAT"
        by_dscat[value] = entry["codelist"]
        terms = codelist_terms(define, entry["codelist"])
        used = set(frame.loc[frame["DSCAT"] == value, "DSDECOD"])
        assert used <= set(terms) and not any(terms[t] for t in used)  # CDISC terms, no extension
    assert by_dscat == {"DISPOSITION EVENT": "CL.NCOMPLT", "PROTOCOL MILESTONE": "CL.PROTMLST"}
    assert set(codelist_terms(define, "CL.PROTMLST")) == {"INFORMED CONSENT OBTAINED"}


def test_findings_results_and_supplemental_qualifiers_are_described_by_condition(out):
    folder = out / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    define = parse(folder / "define.xml")
    rs, _ = pyreadstat.read_xport(str(folder / "rs.xpt"))
    for target in ("RSORRES", "RSSTRESC"):
        entries = vlm_entries(define, f"VL.RS.{target}")
        assert {e["where"] for e in entries} == {(("RSTESTCD", code),) for code in set(rs["RSTESTCD"])}
        assert {e["label"] for e in entries} == set(rs["RSTEST"])
    suppae, _ = pyreadstat.read_xport(str(folder / "suppae.xpt"))
    entries = vlm_entries(define, "VL.SUPPAE.QVAL")
    assert {e["where"] for e in entries} == {(("QNAM", qnam),) for qnam in set(suppae["QNAM"])}
    labels = dict(zip(suppae["QNAM"], suppae["QLABEL"], strict=True))
    assert all(e["label"] == labels[e["where"][0][1]] for e in entries)
    assert {e["origin"] for e in entries} == {"Collected"}
    supppr = vlm_entries(define, "VL.SUPPPR.QVAL")
    assert any(e["comment"] and "haploidentical" in e["comment"] for e in supppr)  # the qualifier's comment


def test_every_value_level_condition_selects_records(out):
    packages = out / "m5" / "datasets" / "nct06111625"
    for folder in (packages / "tabulations" / "sdtm", packages / "analysis" / "adam" / "datasets"):
        define = parse(folder / "define.xml")
        for value_list in define.findall(".//def:ValueListDef", NS):
            dataset = value_list.get("OID").split(".")[1]
            frame, _ = pyreadstat.read_xport(str(folder / f"{dataset.lower()}.xpt"))
            for entry in vlm_entries(define, value_list.get("OID")):
                mask = pd.Series(True, index=frame.index)
                for variable, value in entry["where"]:
                    mask &= frame[variable].astype(str) == value
                assert mask.any(), (value_list.get("OID"), entry["where"])


def test_the_primary_endpoint_has_analysis_results_metadata(out):
    folder = out / "m5" / "datasets" / "nct06111625" / "analysis" / "adam" / "datasets"
    assert schema_version(parse(folder / "define.xml")) == "2.1+arm"
    assert validate(folder / "define.xml") == []  # against the ARM 1.0 schema (Define-XML 2.1 variant)
    define = load(folder / "define.xml")
    (display,) = define.result_displays
    (result,) = display.results
    assert (result.reason, result.purpose) == ("SPECIFIED IN PROTOCOL", "PRIMARY OUTCOME MEASURE")
    assert result.parameter_oid == "IT.ADTTE.PARAMCD" and "Kaplan-Meier" in result.description
    (dataset,) = result.datasets
    assert dataset.dataset_oid == "IG.ADTTE" and dataset.variable_oids == ["IT.ADTTE.AVAL", "IT.ADTTE.CNSR"]
    clause = next(w for w in define.where_clauses if w.oid == dataset.where_clause_oid)
    checks = {(c.item_oid, c.comparator, tuple(c.values)) for c in clause.checks}
    assert checks == {("IT.ADTTE.PARAMCD", "EQ", ("PFS",)), ("IT.ADTTE.SAFFL", "EQ", ("Y",))}
    adtte, _ = pyreadstat.read_xport(str(folder / "adtte.xpt"))
    selected = adtte[(adtte["PARAMCD"] == "PFS") & (adtte["SAFFL"] == "Y")]
    assert len(selected) == (adtte["PARAMCD"] == "PFS").sum() > 0
    assert result.documentation and result.documentation_refs[0].leaf_id == "LF.registration"
    assert result.code_context and "survfit(Surv(AVAL, CNSR == 0)" in result.code
    sdtm = load(out / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm" / "define.xml")
    assert sdtm.result_displays == []


def test_define_html_is_beside_each_define_self_contained_and_its_links_resolve(folder):
    html = (folder / "define.html").read_text(encoding="utf-8")
    assert html == render_html(folder / "define.xml")  # the page of this define.xml, rendered by our stylesheet
    page = lxml.html.fromstring(html)
    assert page.xpath("//script | //link | //iframe | //img | //@src") == []  # nothing to run, nothing to load
    assert "url(" not in html and "@import" not in html
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids))
    links = [href[1:] for href in page.xpath("//a/@href") if href.startswith("#")]
    assert len(links) > 100 and set(links) <= set(ids)
    others = {href for href in page.xpath("//a/@href") if not href.startswith("#")}
    assert {href for href in others if href.endswith(".xpt")} == {p.name for p in folder.glob("*.xpt")}


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))


def vlm_entries(define: etree._ElementTree, oid: str) -> list[dict]:
    """The items of a value list: their where clause as ((variable, value), ...), label, codelist, origin, comment."""
    items = {i.get("OID"): i for i in define.findall(".//odm:ItemDef", NS)}
    names = {oid: item.get("Name") for oid, item in items.items()}
    clauses = {w.get("OID"): w for w in define.findall(".//def:WhereClauseDef", NS)}
    comments = {c.get("OID"): c.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
                for c in define.findall(".//def:CommentDef", NS)}
    found = []
    for ref in define.find(f".//def:ValueListDef[@OID='{oid}']", NS).findall("odm:ItemRef", NS):
        item = items[ref.get("ItemOID")]
        clause = clauses[ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")]
        where = tuple((names[c.get(f"{{{NS['def']}}}ItemOID")], c.findtext("odm:CheckValue", namespaces=NS))
                      for c in clause.findall("odm:RangeCheck", NS))
        codelist = item.find("odm:CodeListRef", NS)
        found.append({"where": where, "label": item.findtext("odm:Description/odm:TranslatedText", namespaces=NS),
                      "codelist": codelist.get("CodeListOID") if codelist is not None else None,
                      "origin": item.find("def:Origin", NS).get("Type"),
                      "comment": comments.get(item.get(f"{{{NS['def']}}}CommentOID"))})
    return found


def codelist_terms(define: etree._ElementTree, oid: str) -> dict[str, bool]:
    """Coded value -> whether it is a sponsor extension."""
    codelist = define.find(f".//odm:CodeList[@OID='{oid}']", NS)
    return {t.get("CodedValue"): t.get(f"{{{NS['def']}}}ExtendedValue") == "Yes"
            for t in codelist.findall("odm:EnumeratedItem", NS) + codelist.findall("odm:CodeListItem", NS)}


def test_our_define_reads_back_to_the_same_bytes(folder):
    """The reader knows everything the writer wrote, Analysis Results Metadata included."""
    assert to_bytes(load(folder / "define.xml")) == (folder / "define.xml").read_bytes()


def test_every_codelist_points_at_the_ct_package_its_terms_come_from(define):
    """SEX, RACE and NY are SDTM CT codelists in the ADaM define too: the CT standard they point
    at is SDTM's (PublishingSet SDTM), beside the IG the package follows."""
    standards = {s.get("OID"): s for s in define.findall(".//def:Standard", NS)}
    assert sorted(s.get("Type") for s in standards.values()) == ["CT", "IG"]
    for codelist in define.findall(".//odm:CodeList", NS):
        if codelist.find("odm:ExternalCodeList", NS) is not None:
            continue  # a dictionary (MedDRA): no CDISC standard
        standard = standards[codelist.get(f"{{{NS['def']}}}StandardOID")]
        assert (standard.get("Type"), standard.get("PublishingSet")) == ("CT", "SDTM"), codelist.get("OID")
