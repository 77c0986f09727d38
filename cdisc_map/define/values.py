"""Value-level metadata: what a variable's values are under each condition, with its where clause.

Where the standard makes a variable's meaning depend on another variable, define.xml
describes each condition's values on their own:

* SUPP-- QVAL by QNAM (each qualifier its label, origin, comment and CRF pages);
* a Findings result (--ORRES, --STRESC, --STRESN) by --TESTCD, labelled with --TEST;
* a BDS analysis value (AVAL) by PARAMCD, with each parameter's derivation;
* a variable whose codelist depends on a condition, such as DSDECOD by DSCAT (NCOMPLT for
  a disposition event, PROTMLST for a protocol milestone): the spec's `value_level` rules
  (the variable's `value_codelists`, first rule met wins), else what SDTMIG says, read
  from the data (the DSCAT of each record).

Each condition is one where clause, shared by every value list (and analysis result)
that states the same condition. A rule whose condition a where clause cannot state
(any, not, missing) is left out: its records keep the variable's own description.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cdisc_map.core.datasets import Dataset, Variable
from cdisc_map.define.oids import oid_part, unique
from cdisc_map.define.origins import OriginDocuments, origin_of
from cdisc_map.define.terms import Terms
from cdisc_map.define.texts import Texts
from cdisc_map.define.types import data_type
from cdisc_map.spec import conditions
from cdisc_map.spec.submission import where_checks
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
    """The records of one condition: its range checks, which records, the codelist of their values."""

    checks: tuple[Check, ...]
    mask: pd.Series
    codelist: str

    @property
    def key(self) -> str:
        """The condition's values, as OIDs and value-level metadata name it: "PFS", "PROTOCOL MILESTONE"."""
        return ".".join(value for _var, _comparator, values in self.checks for value in values)

    @property
    def words(self) -> str:
        return " and ".join(f"{var} = {values[0]}" if comparator == "EQ" and len(values) == 1
                            else f"{var} {comparator} {', '.join(values)}" for var, comparator, values in self.checks)


def codelists_by_condition(variable: Variable, frame: pd.DataFrame) -> tuple[tuple[dict, str], ...]:
    """The variable's codelists per condition, (condition, codelist): the spec's rules, else the IG's
    applied to the data (the DSCAT of each DS record gives DSDECOD's codelist)."""
    if variable.value_codelists:
        return variable.value_codelists
    rule = condition_codelists(variable.name)
    if rule is None or rule[0] not in frame:
        return ()
    by, codelists = rule
    present = sorted({str(v) for v in pd.unique(frame[by]) if str(v) in codelists})
    return tuple(({"var": by, "eq": value}, codelists[value]) for value in present)


def _checks(condition: dict) -> tuple[Check, ...] | None:
    found = where_checks(condition)
    return None if found is None else tuple((var, comparator, tuple(values)) for var, comparator, values in found)


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
        own = {_checks(condition): codelist for condition, codelist in codelists_by_condition(variable, frame)}
        default = variable.codelist.split(" ")[0] if variable.codelist else ""
        plans[target] = []
        for value in sorted({str(v) for v in pd.unique(frame[by]) if str(v) != ""}):
            checks = ((by, "EQ", (value,)),)
            plans[target].append(_Group(checks, frame[by].astype(str) == value, own.get(checks, default)))
    for variable in dataset.variables:
        if variable.name in plans:
            continue
        groups = _rule_groups(codelists_by_condition(variable, frame), frame)
        if groups:
            plans[variable.name] = groups
    return plans


def _rule_groups(rules: tuple[tuple[dict, str], ...], frame: pd.DataFrame) -> list[_Group]:
    """The records of each rule: those it holds for that no earlier rule took (first rule met wins)."""
    groups = []
    pending = pd.Series(True, index=frame.index)
    for condition, codelist in rules:
        try:
            holds = pending & conditions.evaluate(condition, lambda _kind, var: frame[var], frame.index)
        except KeyError:  # a variable the dataset does not hold: nothing to describe
            continue
        pending &= ~holds
        checks = _checks(condition)
        if checks is not None:
            groups.append(_Group(checks, holds, codelist))
    return groups


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
        key = group.key
        meta = dataset.value_level.get(f"{target}.{key}")
        described = meta or variable
        user = f"{name}.{target} ({group.words})"
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
        where_oid = context.where.of(name, list(group.checks))
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
    for by, _comparator, _values in group.checks[:1]:
        source = {"QNAM": "QLABEL", "PARAMCD": "PARAM"}.get(by, by[:-2] if by.endswith("TESTCD") else "")
        if source in rows and not rows.empty and str(rows[source].iloc[0]):
            return str(rows[source].iloc[0])
    if meta is not variable and meta.label:
        return meta.label
    return variable.label or None
