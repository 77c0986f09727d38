"""Value-level metadata: what a variable's values are under each condition, with its where clause.

Where the standard makes a variable's meaning depend on another variable, define.xml
describes each condition's values on their own:

* SUPP-- QVAL by QNAM (each qualifier its label, origin, comment and CRF pages);
* a Findings result (--ORRES, --STRESC, --STRESN) by --TESTCD, labelled with --TEST;
* a BDS analysis value (AVAL) by PARAMCD, with each parameter's derivation;
* a variable whose codelist depends on a condition, such as DSDECOD by DSCAT (NCOMPLT for
  a disposition event, PROTMLST for a protocol milestone): the variable's own
  `codelists_where`, else what SDTMIG says, read from the data (the DSCAT of each record).

Each condition is one where clause, shared by every value list (and analysis result)
that states the same condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cdisc_map.core.datasets import CodelistWhere, Dataset, Variable
from cdisc_map.define.oids import oid_part, unique
from cdisc_map.define.origins import OriginDocuments, origin_of
from cdisc_map.define.terms import Terms
from cdisc_map.define.texts import Texts
from cdisc_map.define.types import data_type
from cdisc_map.standards.value_domains import condition_codelists
from define_xml import model

#: A range check as (variable, comparator, values).
Check = tuple[str, str, tuple[str, ...]]


@dataclass
class WhereClauses:
    """One where clause per distinct condition of a dataset."""

    clauses: dict[tuple, model.WhereClause] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def of(self, dataset: str, checks: list[Check]) -> str:
        """The OID of the where clause of `checks` on `dataset`'s variables ("WC.DS.DSCAT.DISPOSITION_EVENT")."""
        key = (dataset, tuple(checks))
        if key not in self.clauses:
            parts = [f"{var}{'' if comparator == 'EQ' else '.' + comparator}.{'.'.join(map(oid_part, values))}"
                     for var, comparator, values in checks]
            oid = unique(f"WC.{dataset}." + ".".join(parts), self.taken)
            self.clauses[key] = model.WhereClause(oid=oid, checks=[
                model.RangeCheck(item_oid=f"IT.{dataset}.{var}", comparator=comparator, values=list(values))
                for var, comparator, values in checks])
        return self.clauses[key].oid

    def all(self) -> list[model.WhereClause]:
        return list(self.clauses.values())


@dataclass
class Context:
    """What the value lists of one define.xml share."""

    terms: Terms
    texts: Texts
    where: WhereClauses
    documents: OriginDocuments


@dataclass(frozen=True)
class _Group:
    """The records of one condition: its (variable, value) pairs, the codelist of its values."""

    where: tuple[tuple[str, str], ...]
    mask: pd.Series
    codelist: str


def codelists_by_condition(variable: Variable, frame: pd.DataFrame) -> tuple[CodelistWhere, ...]:
    """The variable's codelists per condition: its own, else the IG's rule applied to the data (the
    DSCAT of each DS record gives DSDECOD's codelist)."""
    if variable.codelists_where:
        return variable.codelists_where
    rule = condition_codelists(variable.name)
    if rule is None or rule[0] not in frame:
        return ()
    by, codelists = rule
    present = sorted({str(v) for v in pd.unique(frame[by]) if str(v) in codelists})
    return tuple(CodelistWhere(((by, value),), codelists[value]) for value in present)


def value_lists(dataset: Dataset, items: dict[str, model.Variable], context: Context) -> list[model.ValueList]:
    """The value lists of one dataset; sets the ValueListOID (and drops a per-condition CodeListOID) of
    each variable described by condition."""
    frame = dataset.frame
    if frame.empty:
        return []
    variables = {v.name: v for v in dataset.variables}
    found = []
    for target, groups in _plans(dataset, variables).items():
        parent = items[target]
        value_list = _value_list(dataset, variables[target], parent, groups, context)
        if value_list is None:
            continue
        parent.value_list_oid = value_list.oid
        if any(group.codelist != variables[target].codelist.split(" ")[0] for group in groups):
            parent.codelist_oid = None  # the codelist depends on the condition: each value list item says which
        found.append(value_list)
    return found


def _plans(dataset: Dataset, variables: dict[str, Variable]) -> dict[str, list[_Group]]:
    """Which variables are described by condition, and the conditions."""
    frame = dataset.frame
    prefix = dataset.domain or dataset.name
    by_column: dict[str, str] = {}
    if dataset.name.startswith("SUPP") and {"QNAM", "QVAL"} <= set(frame.columns):
        by_column["QVAL"] = "QNAM"
    if f"{prefix}TESTCD" in frame:
        for suffix in ("ORRES", "STRESC", "STRESN"):
            if f"{prefix}{suffix}" in frame:
                by_column[f"{prefix}{suffix}"] = f"{prefix}TESTCD"
    if {"PARAMCD", "AVAL"} <= set(frame.columns):
        by_column["AVAL"] = "PARAMCD"
    plans: dict[str, list[_Group]] = {}
    for target, by in by_column.items():
        variable = variables[target]
        own = {cw.where: cw.codelist for cw in codelists_by_condition(variable, frame)}
        default = variable.codelist.split(" ")[0] if variable.codelist else ""
        plans[target] = [
            _Group(((by, value),), frame[by] == value, own.get(((by, value),), default))
            for value in sorted({str(v) for v in pd.unique(frame[by]) if str(v) != ""})
        ]
    for variable in dataset.variables:
        if variable.name in plans:
            continue
        conditions = codelists_by_condition(variable, frame)
        if conditions:
            plans[variable.name] = [_Group(cw.where, _mask(frame, cw.where), cw.codelist) for cw in conditions]
    return plans


def _mask(frame: pd.DataFrame, where: tuple[tuple[str, str], ...]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for var, value in where:
        mask &= frame[var].astype(str) == value
    return mask


def _value_list(dataset: Dataset, variable: Variable, parent: model.Variable, groups: list[_Group],
                context: Context) -> model.ValueList | None:
    frame = dataset.frame
    name, target = dataset.name, variable.name
    entries = []
    for group in groups:
        values = frame.loc[group.mask, target]
        present = values.notna() if variable.type == "Num" else values.astype(str) != ""
        if not present.any():
            continue  # no values under this condition: nothing to describe
        key = ".".join(value for _, value in group.where)
        meta = dataset.value_level.get(f"{target}.{key}")
        described = meta or variable
        user = f"{name}.{target} ({' and '.join(f'{var} = {value}' for var, value in group.where)})"
        kind, length, digits = data_type(variable, values[present], subset=True)
        origin = origin_of(_with_defaults(described, variable), context.documents)
        method_oid = None
        if origin.type == "Derived":
            text = dataset.methods.get(f"{target}.{key}") or (meta.method if meta else "")
            method_oid = (context.texts.method(text, meta.method_name if meta else "", user,
                                               oid=f"MT.{name}.{target}.{oid_part(key)}") if text
                          else parent.method_oid)
        codelist_oid = None
        if group.codelist and variable.type == "Char":
            codelist_oid = context.terms.ct(group.codelist, values[present])
        where_oid = context.where.of(name, [(var, "EQ", (value,)) for var, value in group.where])
        entries.append(model.Variable(
            oid=f"IT.{name}.{target}.{oid_part(key)}", name=target, label=_label(frame, group, described, variable),
            data_type=kind, length=length, significant_digits=digits if kind == "float" else None,
            display_format=parent.display_format,
            origin_type=origin.type, origin_source=origin.source, origin_description=origin.description,
            origin_documents=list(origin.documents), codelist_oid=codelist_oid,
            comment_oid=(context.texts.comment(meta.comment, user, oid=f"COM.{name}.{target}.{oid_part(key)}")
                         if meta else None),
            mandatory=False, where_clause_oids=[where_oid], method_oid=method_oid,
        ))
    if not entries:
        return None
    for order, entry in enumerate(entries, 1):
        entry.order = order
    return model.ValueList(oid=f"VL.{name}.{target}", items=entries)


def _with_defaults(meta: Variable, variable: Variable) -> Variable:
    """A value-level description inherits what it does not say from its variable."""
    if meta is variable:
        return variable
    return Variable(name=variable.name, label=meta.label or variable.label, type=variable.type,
                    length=variable.length, origin=meta.origin or variable.origin, source=meta.source,
                    predecessor=meta.predecessor or variable.predecessor, crf_pages=meta.crf_pages)


def _label(frame: pd.DataFrame, group: _Group, meta: Variable, variable: Variable) -> str | None:
    """QLABEL of a qualifier, --TEST of a test, PARAM of a parameter, as the data hold them (a piece of
    split text has its own QLABEL); else what the build says, else the variable's own label."""
    rows = frame[group.mask]
    for by, _value in group.where[:1]:
        source = {"QNAM": "QLABEL", "PARAMCD": "PARAM"}.get(by, by[:-2] if by.endswith("TESTCD") else "")
        if source in rows and not rows.empty and str(rows[source].iloc[0]):
            return str(rows[source].iloc[0])
    if meta is not variable and meta.label:
        return meta.label
    return variable.label or None
