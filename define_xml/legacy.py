"""Recognise a define.xml by its root, and read what a Define-XML 1.0 file says.

A package's define.xml is not always named so (define_cdiscpilot01.xml, define-sdtm.xml),
and packages written before 2013 carry Define-XML 1.0 (on ODM 1.2), which the 2.x
reader refuses. `detect` reads only the start of a file to tell whether it is a
define.xml and of which version; `load_v1` reads a 1.0 file into the 2.1 model as far
as 1.0 says the same things: datasets, variables (def:Label, DataType, Length, the
Origin text), codelists, computation methods and value lists. Origins become 2.1
origin types where 1.0 text names one ("CRF Page 7" is Collected from the
Investigator, "eDT" Collected from a Vendor); the 1.0 text is kept as the origin's
description. No schema for 1.0 ships with odmlib, so a 1.0 file is not schema-checked.
"""

from __future__ import annotations

import os
import re

from lxml import etree

from define_xml.checks import DefineError
from define_xml.model import (
    CodeList,
    CodeListItem,
    Dataset,
    Define,
    Method,
    Standard,
    ValueList,
    Variable,
)
from define_xml.namespaces import DEF20, DEF21, ODM, XML
from define_xml.schema import safe_parser

ODM12 = "http://www.cdisc.org/ns/odm/v1.2"
DEF10 = "http://www.cdisc.org/ns/def/v1.0"
DEFINE_NAMESPACES = {DEF10: "1.0", DEF20: "2.0", DEF21: "2.1"}
ODM_NAMESPACES = (ODM12, ODM)
_CRF = re.compile(r"^\s*CRF\b", re.IGNORECASE)
# Define-XML 1.0 names the standard the way its examples did
# (1.0 files give the SDTM IG version, but the ADaM model version: "CDISC ADaM" 2.1 is ADaMIG 1.0.)
STANDARD_NAMES_10 = {"CDISC SDTM": "SDTMIG", "CDISC ADAM": "ADaM", "CDISC SEND": "SENDIG"}


def detect(path: str | os.PathLike) -> str | None:
    """"1.0", "2.0" or "2.1" when the file is a define.xml (an ODM root with def metadata), else None.

    Reads only up to the MetaDataVersion element; a file that is not XML is None.
    """
    try:
        events = etree.iterparse(os.fspath(path), events=("start",), resolve_entities=False,
                                 no_network=True, load_dtd=False)
        for count, (_event, element) in enumerate(events):
            namespace, _, local = element.tag.rpartition("}")
            if count == 0 and (local != "ODM" or namespace.lstrip("{") not in ODM_NAMESPACES):
                return None
            if local == "MetaDataVersion":
                for uri, version in DEFINE_NAMESPACES.items():
                    if element.get(f"{{{uri}}}DefineVersion") is not None:
                        return version
                return None
            if count > 1000:  # an ODM file without metadata up front: clinical data, not a define
                return None
    except (etree.XMLSyntaxError, OSError, ValueError):
        return None
    return None


def load_v1(path: str | os.PathLike) -> Define:
    """The model of a Define-XML 1.0 file; DefineError when it is not one."""
    try:
        tree = etree.parse(os.fspath(path), safe_parser())
    except etree.XMLSyntaxError as error:
        raise DefineError([f"{path}: line {error.lineno}: not well-formed XML: {error.msg}"]) from None
    try:
        return _V1Reader(tree.getroot(), str(path)).define()
    except ValueError as error:  # a number that is not one
        if isinstance(error, DefineError):
            raise
        raise DefineError([f"{path}: {error}"]) from None


def _o(local: str) -> str:
    return f"{{{ODM12}}}{local}"


def _d(local: str) -> str:
    return f"{{{DEF10}}}{local}"


class _V1Reader:
    def __init__(self, root: etree._Element, source: str):
        if root.tag != _o("ODM"):
            raise DefineError([f"{source}: the root element is {root.tag}, not ODM 1.2"])
        self.root = root
        self.source = source
        self.mdv = root.find(f"{_o('Study')}/{_o('MetaDataVersion')}")
        if self.mdv is None or self.mdv.get(_d("DefineVersion")) is None:
            raise DefineError([f"{source}: no Study/MetaDataVersion with def:DefineVersion (Define-XML 1.0)"])

    def define(self) -> Define:
        study = self.root.find(_o("Study"))
        glob = study.find(_o("GlobalVariables"))
        item_defs = {item.get("OID"): item for item in self.mdv.findall(_o("ItemDef"))}
        name = self.mdv.get(_d("StandardName")) or ""
        standards = []
        if name:
            standards.append(Standard(oid="STD.1", name=STANDARD_NAMES_10.get(name.upper(), name),
                                      type="IG", version=self.mdv.get(_d("StandardVersion")) or ""))
        return Define(
            study_oid=study.get("OID") or "",
            study_name=_text_of(glob, "StudyName"),
            description=_text_of(glob, "StudyDescription"),
            protocol_name=_text_of(glob, "ProtocolName"),
            mdv_oid=self.mdv.get("OID") or "",
            mdv_name=self.mdv.get("Name") or "",
            mdv_description=self.mdv.get("Description"),
            standards=standards,
            datasets=[self.dataset(group, item_defs) for group in self.mdv.findall(_o("ItemGroupDef"))],
            codelists=[self.codelist(element) for element in self.mdv.findall(_o("CodeList"))],
            methods=[Method(oid=m.get("OID") or "", name=m.get("OID") or "", description=m.text or "")
                     for m in self.mdv.findall(_d("ComputationMethod"))],
            value_lists=[ValueList(oid=v.get("OID") or "",
                                   items=self.item_refs(v, item_defs, f"value list {v.get('OID')}"))
                         for v in self.mdv.findall(_d("ValueListDef"))],
            define_version="1.0.0",
            file_oid=self.root.get("FileOID"),
            stylesheet_href=None,
        )

    def dataset(self, group: etree._Element, item_defs: dict) -> Dataset:
        return Dataset(
            oid=group.get("OID") or "",
            name=group.get("Name") or "",
            label=group.get(_d("Label")),
            structure=group.get(_d("Structure")) or "",
            purpose=group.get("Purpose") or "Tabulation",
            repeating=group.get("Repeating") == "Yes",
            is_reference=group.get("IsReferenceData") == "Yes",
            cls=group.get(_d("Class")),
            domain=group.get("Domain"),
            variables=self.item_refs(group, item_defs, f"dataset {group.get('Name')}"),
        )

    def item_refs(self, parent: etree._Element, item_defs: dict, owner: str) -> list[Variable]:
        variables = []
        for ref in parent.findall(_o("ItemRef")):
            oid = ref.get("ItemOID")
            if oid not in item_defs:
                raise DefineError([f"{self.source}: {owner} refers to ItemDef {oid!r}, which is not defined"])
            variable = self.item_def(item_defs[oid])
            variable.order = _int(ref.get("OrderNumber"))
            variable.mandatory = ref.get("Mandatory") == "Yes"
            variable.key_sequence = _int(ref.get("KeySequence"))
            variable.role = ref.get("Role")
            variables.append(variable)
        return variables

    def item_def(self, item: etree._Element) -> Variable:
        codelist_ref = item.find(_o("CodeListRef"))
        value_list_ref = item.find(_d("ValueListRef"))
        origin = (item.get("Origin") or "").strip()
        if _CRF.match(origin):
            origin_type, origin_source = "Collected", "Investigator"
        elif origin.lower() == "edt":
            origin_type, origin_source = "Collected", "Vendor"
        else:
            origin_type, origin_source = (origin or None), None
        return Variable(
            oid=item.get("OID") or "",
            name=item.get("Name") or "",
            label=item.get(_d("Label")),
            data_type=item.get("DataType") or "",
            length=_int(item.get("Length")),
            significant_digits=_int(item.get("SignificantDigits")),
            display_format=item.get(_d("DisplayFormat")),
            sas_field_name=item.get("SASFieldName"),
            origin_type=origin_type,
            origin_source=origin_source,
            origin_description=origin or None,
            codelist_oid=codelist_ref.get("CodeListOID") if codelist_ref is not None else None,
            value_list_oid=value_list_ref.get("ValueListOID") if value_list_ref is not None else None,
            method_oid=item.get(_d("ComputationMethodOID")),
        )

    def codelist(self, element: etree._Element) -> CodeList:
        external = element.find(_o("ExternalCodeList"))
        return CodeList(
            oid=element.get("OID") or "",
            name=element.get("Name") or "",
            data_type=element.get("DataType") or "text",
            items=[CodeListItem(coded_value=term.get("CodedValue") or "", decode=_decode(term),
                                order=_int(term.get(_d("Rank"))))
                   for term in element.findall(_o("CodeListItem"))],
            external_dictionary=external.get("Dictionary") if external is not None else None,
            external_version=external.get("Version") if external is not None else None,
        )


def _decode(term: etree._Element) -> str | None:
    texts = term.findall(f"{_o('Decode')}/{_o('TranslatedText')}")
    if not texts:
        return None
    chosen = next((t for t in texts if t.get(f"{{{XML}}}lang") == "en"), texts[0])
    return chosen.text or ""


def _text_of(parent: etree._Element | None, local: str) -> str:
    child = None if parent is None else parent.find(_o(local))
    return "" if child is None else (child.text or "")


def _int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
