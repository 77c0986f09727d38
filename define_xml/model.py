"""The metadata model that a define.xml describes, as plain dataclasses.

Whoever builds a package (cdisc_map for SDTM and ADaM) fills these in; `writer` turns
them into Define-XML 2.1 and `reader` turns a Define-XML 2.0 or 2.1 file back into
them. Nothing here knows SDTM: names such as "Tabulation", "SDTMIG" or "FINDINGS" are
values the caller supplies. OIDs are the caller's too, so two runs on the same
metadata give the same file.

Analysis Results Metadata (ARM 1.0) rides along as `ResultDisplay`s: each display (a
table or figure) holds the analysis results shown in it, each result the datasets, the
selection (a where clause), the variables analysed, its documentation and its code.

A `Variable` carries both halves of what Define-XML splits in two: the definition
(ItemDef: name, label, type, origin, codelist) and its use in one dataset or value
list (ItemRef: order, mandatory, key sequence, method, role, where clauses). Two
variables with the same OID share one ItemDef, so their definition halves must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_STYLESHEET = "define2-1.xsl"


@dataclass
class PageRef:
    """Pages of a PDF document: `pages` is "3 7 12" (PhysicalRef) or a named destination."""

    type: str = "PhysicalRef"
    pages: str | None = None
    first: int | None = None
    last: int | None = None
    title: str | None = None


@dataclass
class DocumentRef:
    """A reference to a `Document` (by its leaf id), optionally to some of its pages."""

    leaf_id: str
    pages: list[PageRef] = field(default_factory=list)


@dataclass
class Document:
    """A file the define links to (annotated CRF, reviewer's guide), a def:leaf."""

    leaf_id: str
    href: str
    title: str


@dataclass
class Standard:
    """An implementation guide (Type "IG") or a controlled terminology package ("CT")."""

    oid: str
    name: str
    type: str
    version: str
    status: str = "Final"
    publishing_set: str | None = None
    comment_oid: str | None = None


@dataclass
class Variable:
    """One variable as a dataset (or a value list) uses it: ItemDef plus ItemRef."""

    oid: str
    name: str
    label: str | None
    data_type: str
    length: int | None = None
    significant_digits: int | None = None
    display_format: str | None = None
    sas_field_name: str | None = None
    origin_type: str | None = None
    origin_source: str | None = None
    origin_description: str | None = None
    origin_documents: list[DocumentRef] = field(default_factory=list)
    codelist_oid: str | None = None
    value_list_oid: str | None = None
    comment_oid: str | None = None
    # How the dataset or value list uses the variable (the ItemRef).
    order: int | None = None
    mandatory: bool = False
    key_sequence: int | None = None
    method_oid: str | None = None
    role: str | None = None
    role_codelist_oid: str | None = None
    where_clause_oids: list[str] = field(default_factory=list)
    is_non_standard: bool = False
    has_no_data: bool = False

    def definition(self) -> tuple:
        """The ItemDef half: what must agree between variables sharing an OID."""
        return tuple(getattr(self, name) for name in ITEM_DEF_FIELDS)


ITEM_DEF_FIELDS = (
    "oid",
    "name",
    "label",
    "data_type",
    "length",
    "significant_digits",
    "display_format",
    "sas_field_name",
    "origin_type",
    "origin_source",
    "origin_description",
    "origin_documents",
    "codelist_oid",
    "value_list_oid",
    "comment_oid",
)


@dataclass
class Dataset:
    """One dataset (ItemGroupDef) with its variables in order and its transport file."""

    oid: str
    name: str
    label: str | None
    structure: str
    purpose: str = "Tabulation"
    repeating: bool = True
    is_reference: bool = False
    cls: str | None = None
    subclasses: list[str] = field(default_factory=list)
    domain: str | None = None
    domain_description: str | None = None
    sas_name: str | None = None
    standard_oid: str | None = None
    is_non_standard: bool = False
    has_no_data: bool = False
    comment_oid: str | None = None
    leaf_id: str | None = None
    leaf_href: str | None = None
    leaf_title: str | None = None
    variables: list[Variable] = field(default_factory=list)

    @property
    def archive_leaf_id(self) -> str | None:
        """The def:leaf ID of the transport file: given, or LF.<name> when there is a file."""
        if self.leaf_href is None:
            return None
        return self.leaf_id or f"LF.{self.name}"


@dataclass
class CodeListItem:
    """One term: the submission value, its decode and its NCI code (C-code).

    `extended` marks a term the study added to an extensible CDISC codelist.
    """

    coded_value: str
    decode: str | None = None
    nci_code: str | None = None
    extended: bool = False
    order: int | None = None


@dataclass
class CodeList:
    """A codelist; written as CodeListItems when any term has a decode, else EnumeratedItems.

    An external dictionary (MedDRA, WHODrug) has `external_dictionary` and no items.
    """

    oid: str
    name: str
    data_type: str = "text"
    items: list[CodeListItem] = field(default_factory=list)
    nci_code: str | None = None
    standard_oid: str | None = None
    is_non_standard: bool = False
    comment_oid: str | None = None
    sas_format_name: str | None = None
    external_dictionary: str | None = None
    external_version: str | None = None
    external_ref: str | None = None
    external_href: str | None = None

    @property
    def has_decodes(self) -> bool:
        return any(item.decode is not None for item in self.items)


@dataclass
class Method:
    """A derivation (MethodDef): its text, and optionally code and documents."""

    oid: str
    name: str
    description: str
    type: str = "Computation"
    expression_context: str | None = None
    expression: str | None = None
    documents: list[DocumentRef] = field(default_factory=list)


@dataclass
class Comment:
    """A comment (def:CommentDef) on a dataset, variable, codelist or where clause."""

    oid: str
    text: str
    documents: list[DocumentRef] = field(default_factory=list)


@dataclass
class RangeCheck:
    """One condition of a where clause: variable `item_oid` compared with `values`."""

    item_oid: str
    comparator: str = "EQ"
    values: list[str] = field(default_factory=list)
    soft_hard: str = "Soft"


@dataclass
class WhereClause:
    """When a value-level definition applies: all its range checks hold."""

    oid: str
    checks: list[RangeCheck] = field(default_factory=list)
    comment_oid: str | None = None


@dataclass
class ValueList:
    """Value-level metadata of one variable (e.g. RSORRES by RSTESTCD)."""

    oid: str
    items: list[Variable] = field(default_factory=list)
    description: str | None = None


@dataclass
class AnalysisDataset:
    """A dataset an analysis result reads: the records its where clause selects, the variables it analyses."""

    dataset_oid: str
    where_clause_oid: str | None = None
    variable_oids: list[str] = field(default_factory=list)


@dataclass
class AnalysisResult:
    """One analysis result (arm:AnalysisResult): what it estimates, from which records, by which code.

    `reason` and `purpose` take the ARM terms ("SPECIFIED IN PROTOCOL", "PRIMARY OUTCOME
    MEASURE") or the sponsor's own; `parameter_oid` is the PARAMCD variable when the result
    is about one parameter of a BDS dataset.
    """

    oid: str
    description: str
    reason: str
    purpose: str
    datasets: list[AnalysisDataset] = field(default_factory=list)
    parameter_oid: str | None = None
    datasets_comment_oid: str | None = None
    documentation: str | None = None
    documentation_refs: list[DocumentRef] = field(default_factory=list)
    code_context: str | None = None
    code: str | None = None
    code_refs: list[DocumentRef] = field(default_factory=list)

    @property
    def has_code(self) -> bool:
        return self.code is not None or bool(self.code_refs)


@dataclass
class ResultDisplay:
    """A table, figure or listing (arm:ResultDisplay) and the analysis results it shows."""

    oid: str
    name: str
    description: str
    documents: list[DocumentRef] = field(default_factory=list)
    results: list[AnalysisResult] = field(default_factory=list)


@dataclass
class Define:
    """Everything one define.xml says."""

    study_oid: str
    study_name: str
    description: str
    protocol_name: str
    mdv_oid: str
    mdv_name: str
    mdv_description: str | None = None
    standards: list[Standard] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    codelists: list[CodeList] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    value_lists: list[ValueList] = field(default_factory=list)
    where_clauses: list[WhereClause] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    result_displays: list[ResultDisplay] = field(default_factory=list)
    annotated_crf: list[DocumentRef] = field(default_factory=list)
    supplemental_docs: list[DocumentRef] = field(default_factory=list)
    originator: str | None = None
    source_system: str | None = None
    source_system_version: str | None = None
    context: str = "Submission"
    define_version: str = "2.1.0"
    file_oid: str | None = None
    comment_oid: str | None = None
    stylesheet_href: str | None = DEFAULT_STYLESHEET
    created: datetime | None = None

    @property
    def resolved_file_oid(self) -> str:
        return self.file_oid or f"{self.mdv_oid}.define"
