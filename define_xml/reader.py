"""Read a Define-XML 2.0 or 2.1 file into the `Define` model.

So that a package another tool made can be checked against its own define.xml, and
so that our own files read back to the model that wrote them (loading a file we wrote
and writing it again gives the same bytes).

A 2.0 file is read into the 2.1 model: its def:StandardName/def:StandardVersion become
one IG standard, its def:Class attribute the dataset class, and its origin types CRF
and eDT become Collected (source Investigator) and Collected (source Vendor), as the
2.1 specification maps them. Analysis Results Metadata (ARM 1.0, on either version) is
read into `ResultDisplay`s. Parts of the ODM the model does not carry (such as a second
def:Origin of a variable) are not read.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime

from lxml import etree

from define_xml.checks import DefineError
from define_xml.legacy import detect, load_v1
from define_xml.model import (
    AnalysisDataset,
    AnalysisResult,
    CodeList,
    CodeListItem,
    Comment,
    Dataset,
    Define,
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
)
from define_xml.namespaces import ARM, DEF20, DEF21, ODM, XML, arm, odm, xlink
from define_xml.schema import parse

NCI_CONTEXT = "nci:ExtCodeID"
# How Define-XML 2.1 renames the 2.0 origin types.
ORIGIN_20_TO_21 = {"CRF": ("Collected", "Investigator"), "eDT": ("Collected", "Vendor")}
# Define-XML 2.0 files often name the IG the way 2.0 examples did.
STANDARD_NAMES_20 = {"SDTM-IG": "SDTMIG", "ADaM-IG": "ADaMIG", "SEND-IG": "SENDIG"}


def load(path: str | os.PathLike) -> Define:
    """The model of the define.xml at `path`; DefineError when it is not Define-XML 2.0/2.1.

    A Define-XML 1.0 file is read by `define_xml.legacy.load_v1` (its `define_version`
    is then "1.0.0").
    """
    if detect(path) == "1.0":
        return load_v1(path)
    try:
        tree = parse(path)
    except etree.XMLSyntaxError as error:
        raise DefineError(
            [f"{path}: line {error.lineno}: not well-formed XML: {error.msg}"]
        ) from None
    try:
        return from_tree(tree, source=str(path))
    except ValueError as error:  # a number or a date-time that is not one
        if isinstance(error, DefineError):
            raise
        raise DefineError([f"{path}: {error}"]) from None


def from_tree(tree: etree._ElementTree, source: str = "define.xml") -> Define:
    return _Reader(tree, source).define()


class _Reader:
    def __init__(self, tree: etree._ElementTree, source: str):
        self.root = tree.getroot()
        self.source = source
        if self.root.tag != odm("ODM"):
            raise DefineError([f"{source}: the root element is {self.root.tag}, not ODM"])
        self.mdv = self.root.find(f"{odm('Study')}/{odm('MetaDataVersion')}")
        if self.mdv is None:
            raise DefineError([f"{source}: no Study/MetaDataVersion"])
        if self.mdv.get(f"{{{DEF21}}}DefineVersion") is not None:
            self.ns, self.version = DEF21, "2.1"
        elif self.mdv.get(f"{{{DEF20}}}DefineVersion") is not None:
            self.ns, self.version = DEF20, "2.0"
        else:
            raise DefineError([f"{source}: MetaDataVersion has no def:DefineVersion "
                               "(neither Define-XML 2.0 nor 2.1)"])

    # -- helpers ---------------------------------------------------------------
    def d(self, local: str) -> str:
        return f"{{{self.ns}}}{local}"

    def dget(self, element: etree._Element, local: str) -> str | None:
        return element.get(self.d(local))

    def children(self, element: etree._Element, local: str, ns: str = ODM) -> list:
        return element.findall(f"{{{ns}}}{local}")

    def text(self, element: etree._Element | None, local: str = "Description") -> str | None:
        """The TranslatedText of a Description (or Decode) child: English, else the first."""
        if element is None:
            return None
        holder = element.find(odm(local))
        if holder is None:
            return None
        texts = holder.findall(odm("TranslatedText"))
        if not texts:
            return None
        chosen = next((t for t in texts if t.get(f"{{{XML}}}lang") == "en"), texts[0])
        return chosen.text or ""

    def document_refs(self, element: etree._Element) -> list[DocumentRef]:
        refs = []
        for ref in self.children(element, "DocumentRef", self.ns):
            pages = [
                PageRef(type=page.get("Type", "PhysicalRef"), pages=page.get("PageRefs"),
                        first=_int(page.get("FirstPage")), last=_int(page.get("LastPage")),
                        title=page.get("Title"))
                for page in self.children(ref, "PDFPageRef", self.ns)
            ]
            refs.append(DocumentRef(leaf_id=ref.get("leafID"), pages=pages))
        return refs

    def alias(self, element: etree._Element, context: str) -> str | None:
        for alias in self.children(element, "Alias"):
            if alias.get("Context") == context:
                return alias.get("Name")
        return None

    # -- the model -------------------------------------------------------------
    def define(self) -> Define:
        root, mdv = self.root, self.mdv
        study = root.find(odm("Study"))
        glob = study.find(odm("GlobalVariables"))
        created = root.get("CreationDateTime")
        item_defs = {item.get("OID"): item for item in self.children(mdv, "ItemDef")}
        return Define(
            study_oid=study.get("OID"),
            study_name=_child_text(glob, "StudyName"),
            description=_child_text(glob, "StudyDescription"),
            protocol_name=_child_text(glob, "ProtocolName"),
            mdv_oid=mdv.get("OID"),
            mdv_name=mdv.get("Name"),
            mdv_description=mdv.get("Description"),
            standards=self.standards(),
            datasets=[self.dataset(group, item_defs)
                      for group in self.children(mdv, "ItemGroupDef")],
            codelists=[self.codelist(c) for c in self.children(mdv, "CodeList")],
            methods=[self.method(m) for m in self.children(mdv, "MethodDef")],
            comments=[Comment(oid=c.get("OID"), text=self.text(c) or "",
                              documents=self.document_refs(c))
                      for c in self.children(mdv, "CommentDef", self.ns)],
            value_lists=[self.value_list(v, item_defs)
                         for v in self.children(mdv, "ValueListDef", self.ns)],
            where_clauses=[self.where_clause(w)
                           for w in self.children(mdv, "WhereClauseDef", self.ns)],
            documents=[self.document(leaf) for leaf in self.children(mdv, "leaf", self.ns)],
            result_displays=self.result_displays(),
            annotated_crf=self.documents_of(mdv.find(self.d("AnnotatedCRF"))),
            supplemental_docs=self.documents_of(mdv.find(self.d("SupplementalDoc"))),
            originator=root.get("Originator"),
            source_system=root.get("SourceSystem"),
            source_system_version=root.get("SourceSystemVersion"),
            context=root.get(f"{{{DEF21}}}Context", "Submission"),
            define_version=self.dget(mdv, "DefineVersion") if self.version == "2.1" else "2.1.0",
            file_oid=root.get("FileOID"),
            comment_oid=self.dget(mdv, "CommentOID"),
            stylesheet_href=_stylesheet_href(root),
            created=datetime.fromisoformat(created) if created else None,
        )

    def documents_of(self, holder: etree._Element | None) -> list[DocumentRef]:
        return [] if holder is None else self.document_refs(holder)

    def standards(self) -> list[Standard]:
        if self.version == "2.0":
            name = self.dget(self.mdv, "StandardName")
            version = self.dget(self.mdv, "StandardVersion")
            if not name:
                return []
            return [Standard(oid="STD.1", name=STANDARD_NAMES_20.get(name, name), type="IG",
                             version=version or "")]
        holder = self.mdv.find(self.d("Standards"))
        if holder is None:
            return []
        return [
            Standard(oid=s.get("OID"), name=s.get("Name"), type=s.get("Type"),
                     version=s.get("Version"), status=s.get("Status"),
                     publishing_set=s.get("PublishingSet"), comment_oid=self.dget(s, "CommentOID"))
            for s in self.children(holder, "Standard", self.ns)
        ]

    def dataset(self, group: etree._Element, item_defs: dict) -> Dataset:
        leaf = group.find(self.d("leaf"))
        cls_element = group.find(self.d("Class"))
        if cls_element is not None:
            cls = cls_element.get("Name")
            subclasses = [s.get("Name") for s in self.children(cls_element, "SubClass", self.ns)]
        else:
            cls, subclasses = self.dget(group, "Class"), []
        return Dataset(
            oid=group.get("OID"),
            name=group.get("Name"),
            label=self.text(group),
            structure=self.dget(group, "Structure") or "",
            purpose=group.get("Purpose"),
            repeating=group.get("Repeating") == "Yes",
            is_reference=group.get("IsReferenceData") == "Yes",
            cls=cls,
            subclasses=subclasses,
            domain=group.get("Domain"),
            domain_description=self.alias(group, "DomainDescription"),
            sas_name=group.get("SASDatasetName"),
            standard_oid=self.dget(group, "StandardOID"),
            is_non_standard=self.dget(group, "IsNonStandard") == "Yes",
            has_no_data=self.dget(group, "HasNoData") == "Yes",
            comment_oid=self.dget(group, "CommentOID"),
            leaf_id=leaf.get("ID") if leaf is not None else None,
            leaf_href=leaf.get(xlink("href")) if leaf is not None else None,
            leaf_title=_child_text(leaf, "title", self.ns) if leaf is not None else None,
            variables=self.item_refs(group, item_defs, f"dataset {group.get('Name')}"),
        )

    def item_refs(self, parent: etree._Element, item_defs: dict, owner: str) -> list[Variable]:
        variables = []
        for ref in self.children(parent, "ItemRef"):
            oid = ref.get("ItemOID")
            if oid not in item_defs:
                raise DefineError([f"{self.source}: {owner} refers to ItemDef {oid!r}, "
                                   "which is not defined"])
            variables.append(replace(
                self.item_def(item_defs[oid]),
                order=_int(ref.get("OrderNumber")),
                mandatory=ref.get("Mandatory") == "Yes",
                key_sequence=_int(ref.get("KeySequence")),
                method_oid=ref.get("MethodOID"),
                role=ref.get("Role"),
                role_codelist_oid=ref.get("RoleCodeListOID"),
                where_clause_oids=[w.get("WhereClauseOID")
                                   for w in self.children(ref, "WhereClauseRef", self.ns)],
                is_non_standard=self.dget(ref, "IsNonStandard") == "Yes",
                has_no_data=self.dget(ref, "HasNoData") == "Yes",
            ))
        return variables

    def item_def(self, item: etree._Element) -> Variable:
        codelist_ref = item.find(odm("CodeListRef"))
        value_list_ref = item.find(self.d("ValueListRef"))
        origin = item.find(self.d("Origin"))
        origin_type = origin_source = None
        if origin is not None:
            origin_type, origin_source = origin.get("Type"), origin.get("Source")
            if self.version == "2.0" and origin_type in ORIGIN_20_TO_21:
                origin_type, origin_source = ORIGIN_20_TO_21[origin_type]
        return Variable(
            oid=item.get("OID"),
            name=item.get("Name"),
            label=self.text(item),
            data_type=item.get("DataType"),
            length=_int(item.get("Length")),
            significant_digits=_int(item.get("SignificantDigits")),
            display_format=self.dget(item, "DisplayFormat"),
            sas_field_name=item.get("SASFieldName"),
            origin_type=origin_type,
            origin_source=origin_source,
            origin_description=self.text(origin),
            origin_documents=self.document_refs(origin) if origin is not None else [],
            codelist_oid=codelist_ref.get("CodeListOID") if codelist_ref is not None else None,
            value_list_oid=(value_list_ref.get("ValueListOID")
                            if value_list_ref is not None else None),
            comment_oid=self.dget(item, "CommentOID"),
        )

    def codelist(self, element: etree._Element) -> CodeList:
        terms = self.children(element, "CodeListItem") or self.children(element, "EnumeratedItem")
        external = element.find(odm("ExternalCodeList"))
        return CodeList(
            oid=element.get("OID"),
            name=element.get("Name"),
            data_type=element.get("DataType"),
            items=[
                CodeListItem(
                    coded_value=term.get("CodedValue"),
                    decode=self.text(term, "Decode"),
                    nci_code=self.alias(term, NCI_CONTEXT),
                    extended=self.dget(term, "ExtendedValue") == "Yes",
                    order=_int(term.get("OrderNumber")),
                )
                for term in terms
            ],
            nci_code=self.alias(element, NCI_CONTEXT),
            standard_oid=self.dget(element, "StandardOID"),
            is_non_standard=self.dget(element, "IsNonStandard") == "Yes",
            comment_oid=self.dget(element, "CommentOID"),
            sas_format_name=element.get("SASFormatName"),
            external_dictionary=external.get("Dictionary") if external is not None else None,
            external_version=external.get("Version") if external is not None else None,
            external_ref=external.get("ref") if external is not None else None,
            external_href=external.get("href") if external is not None else None,
        )

    def method(self, element: etree._Element) -> Method:
        expression = element.find(odm("FormalExpression"))
        return Method(
            oid=element.get("OID"),
            name=element.get("Name"),
            description=self.text(element) or "",
            type=element.get("Type"),
            expression_context=expression.get("Context") if expression is not None else None,
            expression=(expression.text or "") if expression is not None else None,
            documents=self.document_refs(element),
        )

    def value_list(self, element: etree._Element, item_defs: dict) -> ValueList:
        return ValueList(
            oid=element.get("OID"),
            items=self.item_refs(element, item_defs, f"value list {element.get('OID')}"),
            description=self.text(element),
        )

    def where_clause(self, element: etree._Element) -> WhereClause:
        return WhereClause(
            oid=element.get("OID"),
            checks=[
                RangeCheck(
                    item_oid=self.dget(check, "ItemOID"),
                    comparator=check.get("Comparator"),
                    values=[value.text or "" for value in self.children(check, "CheckValue")],
                    soft_hard=check.get("SoftHard"),
                )
                for check in self.children(element, "RangeCheck")
            ],
            comment_oid=self.dget(element, "CommentOID"),
        )

    def result_displays(self) -> list[ResultDisplay]:
        holder = self.mdv.find(arm("AnalysisResultDisplays"))
        if holder is None:
            return []
        return [
            ResultDisplay(oid=display.get("OID"), name=display.get("Name"), description=self.text(display) or "",
                          documents=self.document_refs(display),
                          results=[self.analysis_result(r) for r in self.children(display, "AnalysisResult", ARM)])
            for display in self.children(holder, "ResultDisplay", ARM)
        ]

    def analysis_result(self, element: etree._Element) -> AnalysisResult:
        datasets = element.find(arm("AnalysisDatasets"))
        documentation = element.find(arm("Documentation"))
        code = element.find(arm("ProgrammingCode"))
        code_text = code.find(arm("Code")) if code is not None else None
        used = []
        for dataset in self.children(datasets, "AnalysisDataset", ARM) if datasets is not None else []:
            where = dataset.find(self.d("WhereClauseRef"))
            used.append(AnalysisDataset(
                dataset_oid=dataset.get("ItemGroupOID"),
                where_clause_oid=where.get("WhereClauseOID") if where is not None else None,
                variable_oids=[v.get("ItemOID") for v in self.children(dataset, "AnalysisVariable", ARM)],
            ))
        return AnalysisResult(
            oid=element.get("OID"),
            description=self.text(element) or "",
            reason=element.get("AnalysisReason"),
            purpose=element.get("AnalysisPurpose"),
            datasets=used,
            parameter_oid=element.get("ParameterOID"),
            datasets_comment_oid=self.dget(datasets, "CommentOID") if datasets is not None else None,
            documentation=self.text(documentation) if documentation is not None else None,
            documentation_refs=self.document_refs(documentation) if documentation is not None else [],
            code_context=code.get("Context") if code is not None else None,
            code=(code_text.text or "") if code_text is not None else None,
            code_refs=self.document_refs(code) if code is not None else [],
        )

    def document(self, leaf: etree._Element) -> Document:
        return Document(leaf_id=leaf.get("ID"), href=leaf.get(xlink("href")),
                        title=_child_text(leaf, "title", self.ns) or "")


def _child_text(parent: etree._Element | None, local: str, ns: str = ODM) -> str | None:
    if parent is None:
        return None
    child = parent.find(f"{{{ns}}}{local}")
    return None if child is None else (child.text or "")


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _stylesheet_href(root: etree._Element) -> str | None:
    for node in root.itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-stylesheet":
            return node.get("href")
    return None
