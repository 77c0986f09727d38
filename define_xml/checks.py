"""Checks on a `Define` that the schema cannot make: every OID it refers to exists.

The Define-XML schema types OIDs as plain strings, so a CodeListOID naming no
codelist is schema-valid yet leaves a reviewer with a dead link. The writer refuses
such a model, listing every broken reference at once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from define_xml.model import Define, DocumentRef, Variable

# def:leaf IDs are xs:ID values, which must be XML names without a colon.
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class DefineError(ValueError):
    """A model that cannot become a correct define.xml, or a file that is not one."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def all_variables(define: Define) -> Iterator[tuple[str, Variable]]:
    """Every variable with where it is used: "dataset DM" or "value list VL.RS.RSORRES"."""
    for dataset in define.datasets:
        for variable in dataset.variables:
            yield f"dataset {dataset.name}", variable
    for value_list in define.value_lists:
        for variable in value_list.items:
            yield f"value list {value_list.oid}", variable


def check_references(define: Define) -> list[str]:
    """Every duplicate OID and every reference to an OID or leaf that is not defined."""
    problems: list[str] = []
    problems += _duplicates("standard", (s.oid for s in define.standards))
    problems += _duplicates("dataset", (d.oid for d in define.datasets))
    problems += _duplicates("dataset name", (d.name for d in define.datasets))
    problems += _duplicates("codelist", (c.oid for c in define.codelists))
    problems += _duplicates("method", (m.oid for m in define.methods))
    problems += _duplicates("comment", (c.oid for c in define.comments))
    problems += _duplicates("value list", (v.oid for v in define.value_lists))
    problems += _duplicates("where clause", (w.oid for w in define.where_clauses))
    leaf_ids = [d.leaf_id for d in define.documents]
    leaf_ids += [d.archive_leaf_id for d in define.datasets if d.archive_leaf_id]
    problems += _duplicates("leaf ID", leaf_ids)
    problems += [f"leaf ID {leaf!r} is not an XML name (letters, digits, '.', '-', '_')"
                 for leaf in leaf_ids if not _NCNAME.fullmatch(leaf)]

    standards = {s.oid for s in define.standards}
    codelists = {c.oid for c in define.codelists}
    methods = {m.oid for m in define.methods}
    comments = {c.oid for c in define.comments}
    value_lists = {v.oid for v in define.value_lists}
    where_clauses = {w.oid for w in define.where_clauses}
    documents = {d.leaf_id for d in define.documents}

    def missing(owner: str, kind: str, oid: str | None, known: set[str]) -> None:
        if oid is not None and oid not in known:
            problems.append(f"{owner}: {kind} {oid!r} is not defined")

    def missing_documents(owner: str, refs: Iterable[DocumentRef]) -> None:
        for ref in refs:
            missing(owner, "document", ref.leaf_id, documents)

    missing("MetaDataVersion", "comment", define.comment_oid, comments)
    missing_documents("annotated CRF", define.annotated_crf)
    missing_documents("supplemental documents", define.supplemental_docs)
    for standard in define.standards:
        missing(f"standard {standard.oid}", "comment", standard.comment_oid, comments)
    for dataset in define.datasets:
        owner = f"dataset {dataset.name}"
        missing(owner, "standard", dataset.standard_oid, standards)
        missing(owner, "comment", dataset.comment_oid, comments)
        problems += _duplicates(f"{owner}: variable", (v.oid for v in dataset.variables))

    definitions: dict[str, tuple] = {}
    for where, variable in all_variables(define):
        owner = f"{where}, variable {variable.name} ({variable.oid})"
        missing(owner, "codelist", variable.codelist_oid, codelists)
        missing(owner, "value list", variable.value_list_oid, value_lists)
        missing(owner, "method", variable.method_oid, methods)
        missing(owner, "comment", variable.comment_oid, comments)
        missing(owner, "role codelist", variable.role_codelist_oid, codelists)
        missing_documents(owner + " origin", variable.origin_documents)
        for oid in variable.where_clause_oids:
            missing(owner, "where clause", oid, where_clauses)
        known = definitions.setdefault(variable.oid, variable.definition())
        if known != variable.definition():
            problems.append(f"{owner}: shares its OID with a variable defined differently")
    for value_list in define.value_lists:
        problems += _duplicates(f"value list {value_list.oid}: variable",
                                (v.oid for v in value_list.items))
        if not value_list.items:
            problems.append(f"value list {value_list.oid}: has no variables")
    for clause in define.where_clauses:
        owner = f"where clause {clause.oid}"
        missing(owner, "comment", clause.comment_oid, comments)
        if not clause.checks:
            problems.append(f"{owner}: has no range checks")
        for check in clause.checks:
            missing(owner, "variable", check.item_oid, set(definitions))
            if not check.values:
                problems.append(f"{owner}: the check on {check.item_oid} has no values")
    for codelist in define.codelists:
        owner = f"codelist {codelist.oid}"
        missing(owner, "standard", codelist.standard_oid, standards)
        missing(owner, "comment", codelist.comment_oid, comments)
        if codelist.external_dictionary is None and not codelist.items:
            problems.append(f"{owner}: has neither terms nor an external dictionary")
        if codelist.external_dictionary is not None and codelist.items:
            problems.append(f"{owner}: has both terms and an external dictionary")
        if codelist.has_decodes:
            bare = [i.coded_value for i in codelist.items if i.decode is None]
            if bare:
                problems.append(f"{owner}: some terms have a decode and these do not: {bare}")
    for method in define.methods:
        missing_documents(f"method {method.oid}", method.documents)
    for comment in define.comments:
        missing_documents(f"comment {comment.oid}", comment.documents)
    _result_problems(define, problems, set(definitions), where_clauses, comments, missing, missing_documents)
    return problems


def _result_problems(define: Define, problems: list[str], items: set[str], where_clauses: set[str],
                     comments: set[str], missing: Callable, missing_documents: Callable) -> None:
    """Analysis Results Metadata: every dataset, variable, where clause and document it names exists."""
    problems += _duplicates("result display", (d.oid for d in define.result_displays))
    problems += _duplicates("analysis result", (r.oid for d in define.result_displays for r in d.results))
    groups = {d.oid: {v.oid for v in d.variables} for d in define.datasets}
    for display in define.result_displays:
        owner = f"result display {display.oid}"
        missing_documents(owner, display.documents)
        if not display.results:
            problems.append(f"{owner}: has no analysis results")
        for result in display.results:
            where = f"analysis result {result.oid}"
            missing(where, "parameter variable", result.parameter_oid, items)
            missing(where, "comment", result.datasets_comment_oid, comments)
            missing_documents(where + " documentation", result.documentation_refs)
            missing_documents(where + " programming code", result.code_refs)
            if not result.datasets:
                problems.append(f"{where}: names no analysis dataset")
            for dataset in result.datasets:
                missing(where, "dataset", dataset.dataset_oid, set(groups))
                missing(where, "where clause", dataset.where_clause_oid, where_clauses)
                for oid in dataset.variable_oids:
                    if dataset.dataset_oid in groups and oid not in groups[dataset.dataset_oid]:
                        problems.append(f"{where}: variable {oid!r} is not a variable of {dataset.dataset_oid}")


def _duplicates(kind: str, values: Iterable[str]) -> list[str]:
    counts = Counter(values)
    return [f"{kind} {value!r} is defined {n} times" for value, n in counts.items() if n > 1]
