"""Write a `Define` as Define-XML 2.1.

Elements come in the order the schema's sequences require, attributes in a fixed
order, and nothing depends on the clock but `created`, so the same model gives the
same bytes. The file is written to a temporary name and renamed onto the target, so
a define.xml is never half-written.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime
from pathlib import Path

from lxml import etree

from define_xml.checks import DefineError, check_references
from define_xml.model import (
    AnalysisResult,
    CodeList,
    Comment,
    Dataset,
    Define,
    DocumentRef,
    Method,
    ResultDisplay,
    Standard,
    ValueList,
    Variable,
    WhereClause,
)
from define_xml.namespaces import DEF21, NSMAP_21, NSMAP_21_ARM, XML, arm, odm, xlink

NCI_CONTEXT = "nci:ExtCodeID"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_SAS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,7}")


def _def(local: str) -> str:
    return f"{{{DEF21}}}{local}"


def write_define(define: Define, path: str | os.PathLike, created: datetime | None = None) -> None:
    """Write `define` to `path` atomically (temporary file, then rename)."""
    content = to_bytes(define, created)
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def to_bytes(define: Define, created: datetime | None = None) -> bytes:
    """The define.xml document; `created` (else `define.created`) is its CreationDateTime.

    Raises DefineError listing every broken reference in the model.
    """
    problems = check_references(define)
    if problems:
        raise DefineError(problems)
    stamp = created if created is not None else define.created
    if stamp is None:
        raise ValueError("no creation time: pass created= (e.g. from SOURCE_DATE_EPOCH)")
    root = build_tree(define, stamp)
    if define.stylesheet_href:
        root.addprevious(
            etree.ProcessingInstruction(
                "xml-stylesheet", f'type="text/xsl" href="{define.stylesheet_href}"'
            )
        )
    # lxml would quote its declaration with single quotes; write the usual one.
    return XML_DECLARATION + etree.tostring(root.getroottree(), encoding="UTF-8",
                                            pretty_print=True)


def format_datetime(stamp: datetime) -> str:
    return stamp.isoformat(timespec="seconds")


def build_tree(define: Define, created: datetime) -> etree._Element:
    """The ODM root element of the define."""
    # The arm: namespace is declared only by a define that has Analysis Results Metadata.
    root = etree.Element(odm("ODM"), nsmap=NSMAP_21_ARM if define.result_displays else NSMAP_21)
    _attrs(
        root,
        ODMVersion="1.3.2",
        FileType="Snapshot",
        FileOID=define.resolved_file_oid,
        CreationDateTime=format_datetime(created),
        Originator=define.originator,
        SourceSystem=define.source_system,
        SourceSystemVersion=define.source_system_version,
    )
    root.set(_def("Context"), define.context)
    study = _sub(root, "Study", OID=define.study_oid)
    global_variables = _sub(study, "GlobalVariables")
    _sub(global_variables, "StudyName").text = define.study_name
    _sub(global_variables, "StudyDescription").text = define.description
    _sub(global_variables, "ProtocolName").text = define.protocol_name
    mdv = _sub(study, "MetaDataVersion", OID=define.mdv_oid, Name=define.mdv_name,
               Description=define.mdv_description)
    mdv.set(_def("DefineVersion"), define.define_version)
    _def_attrs(mdv, CommentOID=define.comment_oid)

    if define.standards:
        standards = etree.SubElement(mdv, _def("Standards"))
        for standard in define.standards:
            _standard(standards, standard)
    if define.annotated_crf:
        _document_refs(etree.SubElement(mdv, _def("AnnotatedCRF")), define.annotated_crf)
    if define.supplemental_docs:
        _document_refs(etree.SubElement(mdv, _def("SupplementalDoc")), define.supplemental_docs)
    for value_list in define.value_lists:
        _value_list(mdv, value_list)
    for clause in define.where_clauses:
        _where_clause(mdv, clause)
    for dataset in define.datasets:
        _dataset(mdv, dataset)
    for variable in _unique_definitions(define):
        _item_def(mdv, variable)
    for codelist in define.codelists:
        _codelist(mdv, codelist)
    for method in define.methods:
        _method(mdv, method)
    for comment in define.comments:
        _comment(mdv, comment)
    for document in define.documents:
        _leaf(mdv, document.leaf_id, document.href, document.title)
    if define.result_displays:
        displays = etree.SubElement(mdv, arm("AnalysisResultDisplays"))
        for display in define.result_displays:
            _result_display(displays, display)
    return root


def _unique_definitions(define: Define) -> list[Variable]:
    """One variable per OID, datasets first then value lists, in order of appearance."""
    seen: dict[str, Variable] = {}
    for dataset in define.datasets:
        for variable in dataset.variables:
            seen.setdefault(variable.oid, variable)
    for value_list in define.value_lists:
        for variable in value_list.items:
            seen.setdefault(variable.oid, variable)
    return list(seen.values())


def _standard(parent: etree._Element, standard: Standard) -> None:
    element = etree.SubElement(parent, _def("Standard"))
    _attrs(element, OID=standard.oid, Name=standard.name, Type=standard.type,
           PublishingSet=standard.publishing_set, Version=standard.version,
           Status=standard.status)
    _def_attrs(element, CommentOID=standard.comment_oid)


def _value_list(parent: etree._Element, value_list: ValueList) -> None:
    element = etree.SubElement(parent, _def("ValueListDef"), OID=value_list.oid)
    _description(element, value_list.description)
    for position, variable in enumerate(value_list.items, 1):
        _item_ref(element, variable, position)


def _where_clause(parent: etree._Element, clause: WhereClause) -> None:
    element = etree.SubElement(parent, _def("WhereClauseDef"), OID=clause.oid)
    _def_attrs(element, CommentOID=clause.comment_oid)
    for check in clause.checks:
        range_check = _sub(element, "RangeCheck", Comparator=check.comparator,
                           SoftHard=check.soft_hard)
        range_check.set(_def("ItemOID"), check.item_oid)
        for value in check.values:
            _sub(range_check, "CheckValue").text = value


def _dataset(parent: etree._Element, dataset: Dataset) -> None:
    element = _sub(
        parent,
        "ItemGroupDef",
        OID=dataset.oid,
        Domain=dataset.domain,
        Name=dataset.name,
        Repeating=_yes_no(dataset.repeating),
        IsReferenceData=_yes_no(dataset.is_reference),
        SASDatasetName=dataset.sas_name or dataset.name,
        Purpose=dataset.purpose,
    )
    _def_attrs(
        element,
        Structure=dataset.structure,
        StandardOID=dataset.standard_oid,
        IsNonStandard=_yes_only(dataset.is_non_standard),
        HasNoData=_yes_only(dataset.has_no_data),
        CommentOID=dataset.comment_oid,
        ArchiveLocationID=dataset.archive_leaf_id,
    )
    _description(element, dataset.label)
    for position, variable in enumerate(dataset.variables, 1):
        _item_ref(element, variable, position)
    if dataset.domain_description:
        _sub(element, "Alias", Context="DomainDescription", Name=dataset.domain_description)
    if dataset.cls:
        cls = etree.SubElement(element, _def("Class"), Name=dataset.cls)
        for subclass in dataset.subclasses:
            etree.SubElement(cls, _def("SubClass"), Name=subclass)
    if dataset.leaf_href is not None:
        _leaf(element, dataset.archive_leaf_id, dataset.leaf_href,
              dataset.leaf_title or Path(dataset.leaf_href).name)


def _item_ref(parent: etree._Element, variable: Variable, position: int) -> None:
    element = _sub(
        parent,
        "ItemRef",
        ItemOID=variable.oid,
        OrderNumber=str(variable.order if variable.order is not None else position),
        Mandatory=_yes_no(variable.mandatory),
        KeySequence=_str(variable.key_sequence),
        MethodOID=variable.method_oid,
        Role=variable.role,
        RoleCodeListOID=variable.role_codelist_oid,
    )
    _def_attrs(element, IsNonStandard=_yes_only(variable.is_non_standard),
               HasNoData=_yes_only(variable.has_no_data))
    for oid in variable.where_clause_oids:
        etree.SubElement(element, _def("WhereClauseRef"), WhereClauseOID=oid)


def _item_def(parent: etree._Element, variable: Variable) -> None:
    element = _sub(
        parent,
        "ItemDef",
        OID=variable.oid,
        Name=variable.name,
        DataType=variable.data_type,
        Length=_str(variable.length),
        SignificantDigits=_str(variable.significant_digits),
        SASFieldName=variable.sas_field_name or _sas_name(variable.name),
    )
    _def_attrs(element, DisplayFormat=variable.display_format, CommentOID=variable.comment_oid)
    _description(element, variable.label)
    if variable.codelist_oid:
        _sub(element, "CodeListRef", CodeListOID=variable.codelist_oid)
    if variable.origin_type:
        origin = etree.SubElement(element, _def("Origin"), Type=variable.origin_type)
        _attrs(origin, Source=variable.origin_source)
        _description(origin, variable.origin_description)
        _document_refs(origin, variable.origin_documents)
    if variable.value_list_oid:
        etree.SubElement(element, _def("ValueListRef"), ValueListOID=variable.value_list_oid)


def _codelist(parent: etree._Element, codelist: CodeList) -> None:
    element = _sub(parent, "CodeList", OID=codelist.oid, Name=codelist.name,
                   DataType=codelist.data_type, SASFormatName=codelist.sas_format_name)
    _def_attrs(element, StandardOID=codelist.standard_oid,
               IsNonStandard=_yes_only(codelist.is_non_standard),
               CommentOID=codelist.comment_oid)
    tag = "CodeListItem" if codelist.has_decodes else "EnumeratedItem"
    for term in codelist.items:
        item = _sub(element, tag, CodedValue=term.coded_value, OrderNumber=_str(term.order))
        _def_attrs(item, ExtendedValue=_yes_only(term.extended))
        if term.decode is not None:
            _translated(_sub(item, "Decode"), term.decode)
        if term.nci_code:
            _sub(item, "Alias", Context=NCI_CONTEXT, Name=term.nci_code)
    if codelist.external_dictionary is not None:
        _sub(element, "ExternalCodeList", Dictionary=codelist.external_dictionary,
             Version=codelist.external_version, ref=codelist.external_ref,
             href=codelist.external_href)
    if codelist.nci_code:
        _sub(element, "Alias", Context=NCI_CONTEXT, Name=codelist.nci_code)


def _method(parent: etree._Element, method: Method) -> None:
    element = _sub(parent, "MethodDef", OID=method.oid, Name=method.name, Type=method.type)
    _description(element, method.description)
    if method.expression is not None:
        _sub(element, "FormalExpression", Context=method.expression_context).text = (
            method.expression
        )
    _document_refs(element, method.documents)


def _comment(parent: etree._Element, comment: Comment) -> None:
    element = etree.SubElement(parent, _def("CommentDef"), OID=comment.oid)
    _description(element, comment.text)
    _document_refs(element, comment.documents)


def _result_display(parent: etree._Element, display: ResultDisplay) -> None:
    element = etree.SubElement(parent, arm("ResultDisplay"), OID=display.oid, Name=display.name)
    _description(element, display.description)
    _document_refs(element, display.documents)
    for result in display.results:
        _analysis_result(element, result)


def _analysis_result(parent: etree._Element, result: AnalysisResult) -> None:
    element = etree.SubElement(parent, arm("AnalysisResult"), OID=result.oid)
    _attrs(element, ParameterOID=result.parameter_oid, AnalysisReason=result.reason,
           AnalysisPurpose=result.purpose)
    _description(element, result.description)
    datasets = etree.SubElement(element, arm("AnalysisDatasets"))
    _def_attrs(datasets, CommentOID=result.datasets_comment_oid)
    for dataset in result.datasets:
        used = etree.SubElement(datasets, arm("AnalysisDataset"), ItemGroupOID=dataset.dataset_oid)
        if dataset.where_clause_oid:
            etree.SubElement(used, _def("WhereClauseRef"), WhereClauseOID=dataset.where_clause_oid)
        for oid in dataset.variable_oids:
            etree.SubElement(used, arm("AnalysisVariable"), ItemOID=oid)
    if result.documentation is not None or result.documentation_refs:
        documentation = etree.SubElement(element, arm("Documentation"))
        _description(documentation, result.documentation or "")
        _document_refs(documentation, result.documentation_refs)
    if result.has_code:
        code = etree.SubElement(element, arm("ProgrammingCode"))
        _attrs(code, Context=result.code_context)
        if result.code is not None:
            etree.SubElement(code, arm("Code")).text = result.code
        _document_refs(code, result.code_refs)


def _leaf(parent: etree._Element, leaf_id: str, href: str, title: str) -> None:
    leaf = etree.SubElement(parent, _def("leaf"), ID=leaf_id)
    leaf.set(xlink("href"), href)
    etree.SubElement(leaf, _def("title")).text = title


def _document_refs(parent: etree._Element, refs: list[DocumentRef]) -> None:
    for ref in refs:
        element = etree.SubElement(parent, _def("DocumentRef"), leafID=ref.leaf_id)
        for page in ref.pages:
            page_ref = etree.SubElement(element, _def("PDFPageRef"))
            _attrs(page_ref, PageRefs=page.pages, FirstPage=_str(page.first),
                   LastPage=_str(page.last), Type=page.type, Title=page.title)


def _description(parent: etree._Element, text: str | None) -> None:
    if text is not None:
        _translated(_sub(parent, "Description"), text)


def _translated(parent: etree._Element, text: str) -> None:
    element = _sub(parent, "TranslatedText")
    element.set(f"{{{XML}}}lang", "en")
    element.text = text


def _sub(parent: etree._Element, local: str, **attributes: str | None) -> etree._Element:
    element = etree.SubElement(parent, odm(local))
    _attrs(element, **attributes)
    return element


def _attrs(element: etree._Element, **attributes: str | None) -> None:
    for name, value in attributes.items():
        if value is not None:
            element.set(name, value)


def _def_attrs(element: etree._Element, **attributes: str | None) -> None:
    for name, value in attributes.items():
        if value is not None:
            element.set(_def(name), value)


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def _yes_only(flag: bool) -> str | None:
    return "Yes" if flag else None


def _sas_name(name: str) -> str | None:
    return name if _SAS_NAME.fullmatch(name) else None


def _str(number: int | None) -> str | None:
    return None if number is None else str(number)
