"""define.xml: present, schema-valid, and describing the datasets as they are.

The loader finds the package's define.xml (whatever its name) and reads it once with
`define_xml` (2.0 and 2.1, and 1.0 as far as it goes); these checks compare what it
says with the data: datasets, variables, labels, types, lengths, codelists, value-level
metadata and origins. Numbers are compared as numbers: VISITNUM 1.2000000000000002 in
a transport file is the 1.2 of a codelist.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd

import define_xml
from cdisc_map.core.text import number_text
from cdisc_map.validate.columns import is_text, number_key, number_keys, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.rules import check

NUMERIC_TYPES = {"integer", "float", "double"}
TEXT_TYPES = {"text", "date", "time", "datetime", "partialDate", "partialTime",
              "partialDatetime", "incompleteDatetime", "durationDatetime",
              "intervalDatetime", "URI"}
ORIGIN_TYPES = {"Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available",
                "CRF", "eDT"}
MAX_SCHEMA_FINDINGS = 50
COMPARATORS = {"LT": operator.lt, "LE": operator.le, "GT": operator.gt, "GE": operator.ge}


@check("CM0501", "CM0502", "CM0503", "CM0512", "CM0513")
def check_define_file(package: Package, ctx: Context) -> None:
    if package.define is None:
        ctx.out.add("CM0501", file=package.file,
                    message=f"no define.xml in {package.file} (no XML file whose root is an "
                            "ODM element with define metadata)")
        return
    where = package.relative(package.define)
    if package.define_version == "1.0":
        ctx.out.add("CM0513", file=where, value="1.0.0",
                    message=f"{package.define.name} is Define-XML 1.0: no schema check, and only "
                            "datasets, variables and codelists are compared with the data")
    elif package.define_version is not None:
        try:
            problems = define_xml.validate(package.define)
        except (RuntimeError, OSError) as error:
            ctx.out.add("CM0512", file=where, message=f"schema check skipped: {error}")
            problems = []
        for problem in problems[:MAX_SCHEMA_FINDINGS]:
            ctx.out.add("CM0502", file=where, value=problem.partition(": ")[0], message=problem)
        if len(problems) > MAX_SCHEMA_FINDINGS:
            ctx.out.add("CM0502", file=where,
                        message=f"... and {len(problems) - MAX_SCHEMA_FINDINGS} more schema errors")
    if package.define_error is not None:
        ctx.out.add("CM0503", file=where, message=f"define.xml cannot be read: {package.define_error}")


@check("CM0504", "CM0505", "CM0506", "CM0507", "CM0508", "CM0509", "CM0510", "CM0518")
def check_define_metadata(package: Package, ctx: Context) -> None:
    model = package.define_model
    if model is None:
        return
    where = package.relative(package.define)
    described = {d.name.upper(): d for d in model.datasets}
    for name, dataset in sorted(package.datasets.items()):
        if name not in described:
            ctx.out.add("CM0504", file=dataset.file, dataset=name,
                        message=f"{name} is not described in define.xml")
    for name, definition in described.items():
        if name not in package.datasets:
            if not definition.has_no_data and not package.partial:
                ctx.out.add("CM0505", file=where, dataset=name,
                            message=f"define.xml describes {name} but the package has no "
                                    f"{name.lower()}.xpt")
            continue
        dataset = package.get(name)
        if dataset is not None:
            _compare_dataset(dataset, definition, ctx)


def _compare_dataset(dataset: Dataset, definition: Any, ctx: Context) -> None:
    meta = dataset.meta
    where = {"file": dataset.file, "dataset": dataset.name}
    if definition.has_no_data and dataset.records:
        ctx.out.add("CM0518", **where, message=f"define.xml marks {dataset.name} HasNoData but it "
                                               f"has {dataset.records:,} records")
    if (definition.label or "").strip() != meta.label.strip():
        stated = f"is {meta.label!r} in the XPT" if meta.label.strip() else "is missing from the XPT (no dataset label)"
        ctx.out.add("CM0508", **where, value=meta.label,
                    message=f"the dataset label {stated} and {definition.label!r} in define.xml")
    variables = {v.name.upper(): v for v in definition.variables}
    for column in dataset.frame.columns:
        if column not in variables:
            ctx.out.add("CM0506", **where, variable=column,
                        message=f"{column} is not in define.xml's definition of {dataset.name}")
    for name, variable in variables.items():
        if name not in dataset.frame.columns:
            if not variable.has_no_data:
                ctx.out.add("CM0507", **where, variable=name,
                            message=f"define.xml lists {name} but {dataset.name} has no such "
                                    "variable")
            continue
        if variable.has_no_data and not dataset.blank(name).all():
            ctx.out.add("CM0518", **where, variable=name,
                        message=f"define.xml marks {name} HasNoData but it has values")
        label = meta.column_labels.get(name, "")
        if (variable.label or "").strip() != label.strip():
            ctx.out.add("CM0508", **where, variable=name, value=label,
                        message=f"the label of {name} is {label!r} in the XPT and "
                                f"{variable.label!r} in define.xml")
        kind = meta.column_types.get(name)
        wanted = ("numeric" if variable.data_type in NUMERIC_TYPES
                  else "text" if variable.data_type in TEXT_TYPES else None)
        if wanted is not None and kind != wanted:
            ctx.out.add("CM0509", **where, variable=name, value=variable.data_type,
                        message=f"{name} is {kind} in the XPT but {variable.data_type} in "
                                "define.xml")
        length = meta.character_lengths.get(name)
        if wanted == "text" and kind == "text" and variable.length is not None \
                and variable.length != length:
            ctx.out.add("CM0510", **where, variable=name, value=str(length),
                        message=f"{name} has length {length} in the XPT and "
                                f"{variable.length} in define.xml")


def _allowed(codelist: Any) -> tuple[set[str], set[float]]:
    """A codelist's coded values as text (surrounding blanks, which CM0519 reports, aside),
    and as number keys where they are numbers."""
    values = {(item.coded_value or "").strip() for item in codelist.items}
    return values, {k for k in map(number_key, values) if not np.isnan(k)}


def _outside(series: pd.Series, codelist: Any) -> np.ndarray:
    """Rows whose value is not in the codelist (numbers compared as numbers)."""
    allowed, numbers = _allowed(codelist)
    if is_text(series):
        values = text(series)
        return ((values != "") & ~values.isin(list(allowed))).to_numpy()
    keys = number_keys(series)
    return ~np.isnan(keys) & ~pd.Series(keys).isin(list(numbers)).to_numpy()


@check("CM0511", "CM0519")
def check_define_codelists(package: Package, ctx: Context) -> None:
    model = package.define_model
    if model is None:
        return
    where = package.relative(package.define)
    for codelist in model.codelists:
        for item in codelist.items:
            value = item.coded_value or ""
            if value != value.strip():
                ctx.out.add("CM0519", file=where, variable=codelist.oid, value=value,
                            message=f"codelist {codelist.oid} has coded value {value!r}: "
                                    "the data's values cannot match it as written")
    codelists = {c.oid: c for c in model.codelists}
    for definition in model.datasets:
        dataset = package.get(definition.name.upper())
        if dataset is None:
            continue
        for variable in definition.variables:
            codelist = codelists.get(variable.codelist_oid or "")
            name = variable.name.upper()
            if codelist is None or codelist.external_dictionary or not codelist.items \
                    or name not in dataset.frame.columns:
                continue
            series = dataset.frame[name]
            outside = _outside(series, codelist)
            if outside.any():
                ctx.out.add_rows(
                    "CM0511", dataset, outside, variable=name, values=series,
                    message=lambda p, s=series, n=name, c=codelist.oid: (
                        f"{n} {number_text(s.iat[p])!r} is not in define.xml codelist {c}"),
                )


def _where_mask(dataset: Dataset, clause: Any, names: dict[str, str]) -> np.ndarray | None:
    """The records a where clause selects; None when it names a variable the data lacks."""
    mask = np.ones(dataset.records, dtype=bool)
    for range_check in clause.checks:
        column = names.get(range_check.item_oid)
        if column is None or column not in dataset.frame.columns:
            return None
        series = dataset.frame[column]
        numeric = not is_text(series)
        values = pd.Series(number_keys(series)) if numeric else text(series).reset_index(drop=True)
        wanted = [number_key(v) if numeric else v for v in range_check.values]
        comparator = (range_check.comparator or "EQ").upper()
        if comparator in ("EQ", "IN"):
            mask &= values.isin(wanted).to_numpy()
        elif comparator in ("NE", "NOTIN"):
            mask &= ~values.isin(wanted).to_numpy()
        elif comparator in COMPARATORS and wanted:
            mask &= COMPARATORS[comparator](values, wanted[0]).to_numpy()
        else:
            return None
    return mask


@check("CM0514")
def check_value_level(package: Package, ctx: Context) -> None:
    model = package.define_model
    if model is None or not model.value_lists or not model.where_clauses:
        return
    codelists = {c.oid: c for c in model.codelists}
    value_lists = {v.oid: v for v in model.value_lists}
    clauses = {w.oid: w for w in model.where_clauses}
    for definition in model.datasets:
        dataset = package.get(definition.name.upper())
        if dataset is None:
            continue
        names = {v.oid: v.name.upper() for v in definition.variables}
        for variable in definition.variables:
            column = variable.name.upper()
            value_list = value_lists.get(variable.value_list_oid or "")
            if value_list is None or column not in dataset.frame.columns:
                continue
            series = dataset.frame[column]
            for item in value_list.items:
                for oid in item.where_clause_oids:
                    clause = clauses.get(oid)
                    selected = _where_mask(dataset, clause, names) if clause else None
                    if selected is None or not selected.any():
                        continue
                    _check_item(dataset, series, column, item, selected, codelists, ctx, oid)


def _check_item(dataset: Dataset, series: pd.Series, column: str, item: Any, selected: np.ndarray,
                codelists: dict, ctx: Context, clause: str) -> None:
    """The selected records' values against one value-level item: codelist, type, length."""
    problems = np.full(dataset.records, "", dtype=object)
    values = text(series).to_numpy()
    populated = selected & (values != "")
    codelist = codelists.get(item.codelist_oid or "")
    if codelist is not None and codelist.items and not codelist.external_dictionary:
        outside = populated & _outside(series, codelist)
        problems[outside] = f"not in codelist {codelist.oid}"
    if item.data_type in NUMERIC_TYPES and is_text(series):
        not_number = populated & np.isnan(number_keys(series)) & (problems == "")
        problems[not_number] = f"not a number, as {item.data_type} requires"
    if item.length is not None and is_text(series) and item.data_type in TEXT_TYPES:
        long = populated & (pd.Series(values).str.len().to_numpy() > item.length) & (problems == "")
        problems[long] = f"longer than its length {item.length}"
    bad = problems != ""
    if bad.any():
        ctx.out.add_rows("CM0514", dataset, bad, variable=column, values=series,
                         message=lambda p: (f"{column} {number_text(series.iat[p])!r} is "
                                            f"{problems[p]} (value-level metadata {item.oid}, "
                                            f"where {clause})"))


@check("CM0515", "CM0516", "CM0517")
def check_origins(package: Package, ctx: Context) -> None:
    model = package.define_model
    if model is None or package.define_version == "1.0":
        return  # Define-XML 1.0 gives origins as free text, and methods only optionally
    where = package.relative(package.define)
    for definition in model.datasets:
        for variable in definition.variables:
            location = {"file": where, "dataset": definition.name.upper(),
                        "variable": variable.name.upper()}
            if not variable.origin_type:
                ctx.out.add("CM0515", **location,
                            message=f"{definition.name}.{variable.name} has no def:Origin")
            elif variable.origin_type not in ORIGIN_TYPES:
                ctx.out.add("CM0517", **location, value=variable.origin_type,
                            message=f"{definition.name}.{variable.name} has origin type "
                                    f"{variable.origin_type!r}")
            elif variable.origin_type == "Derived" and not variable.method_oid:
                ctx.out.add("CM0516", **location,
                            message=f"{definition.name}.{variable.name} is Derived but its ItemRef "
                                    "has no MethodOID")
