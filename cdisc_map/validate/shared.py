"""What several families of checks need: IG variables of a dataset, its dates, the subject
spine, and values looked up by subject."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_map.standards.metadata import UnknownStandardError, VariableMeta
from cdisc_map.validate.columns import dtc_parts, first_rows, is_text, one_to_one_breaks, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.model import class_of


def standard_variables(dataset: Dataset, ctx: Context) -> list[VariableMeta] | None:
    """The IG variables of the dataset's domain (a split dataset's too, with its own name's
    prefix), or None for a dataset the installed IG does not describe."""
    name = dataset.name if dataset.is_supp else dataset.domain
    try:
        return ctx.sdtmig.variables(name)
    except UnknownStandardError:
        return None


def dataset_class(package: Package, dataset: Dataset) -> str | None:
    """The dataset's observation class: define.xml's def:Class, else the IG's for its domain."""
    definition = package.define_dataset(dataset.name)
    return class_of(dataset.domain, definition.cls if definition is not None else None)


def dtc_info(dataset: Dataset, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(problem, known prefix) per row of a --DTC column, computed once per dataset."""
    key = ("dtc", column)
    if key not in dataset.cache:
        dataset.cache[key] = dtc_parts(dataset.frame[column], dataset.factors(column))
    return dataset.cache[key]


def dtc_columns(dataset: Dataset) -> list[str]:
    return [c for c in dataset.frame.columns
            if c.endswith("DTC") and is_text(dataset.frame[c])]


def start_column(dataset: Dataset) -> str | None:
    """The variable that dates a record's start: --STDTC, else --DTC."""
    prefix = dataset.domain[:2]
    for column in (f"{prefix}STDTC", f"{prefix}DTC"):
        if dataset.has(column) and is_text(dataset.frame[column]):
            return column
    return None


def by_subject(dataset: Dataset, column: str) -> pd.Series:
    """A column of a one-record-per-subject dataset (DM) as text, indexed by USUBJID
    (the first record of a duplicated subject)."""
    frame = dataset.frame.drop_duplicates("USUBJID")
    return pd.Series(text(frame[column]).to_numpy(), index=frame["USUBJID"].to_numpy())


def check_subject_spine(spine: Dataset, datasets: list[Dataset], ctx: Context, *,
                        duplicate_rule: str, orphan_rule: str) -> None:
    """One record per subject in the spine (DM, ADSL), and every other dataset's subject in it."""
    subjects = spine.frame["USUBJID"]
    repeated = subjects.duplicated(keep="first").to_numpy() & ~spine.blank("USUBJID")
    if repeated.any():
        ctx.out.add_rows(duplicate_rule, spine, repeated, variable="USUBJID", values=subjects,
                         message=f"the subject already has a {spine.name} record")
    known = set(subjects)
    for dataset in datasets:
        if dataset is spine or not dataset.has("USUBJID"):
            continue
        ids = dataset.frame["USUBJID"]
        unknown = ~ids.isin(known).to_numpy() & ~dataset.blank("USUBJID")
        if not unknown.any():
            continue
        positions, counts = first_rows(ids, unknown)
        mask = np.zeros(len(ids), dtype=bool)
        mask[positions] = True
        count_at = dict(zip(positions.tolist(), counts.tolist()))
        ctx.out.add_rows(
            orphan_rule, dataset, mask, variable="USUBJID", values=ids,
            message=lambda p, c=count_at, n=dataset.name, s=spine.name: (
                f"the subject has {c[p]} {n} record(s) (first shown) but no {s} record"),
        )


def declared_extensions(package: Package, dataset: str, variable: str) -> set[str]:
    """Terms define.xml marks as the study's extensions (def:ExtendedValue) of the variable's codelist."""
    model = package.define_model
    definition = package.define_dataset(dataset)
    if model is None or definition is None:
        return set()
    codelists = {c.oid: c for c in model.codelists}
    for item in definition.variables:
        if item.name.upper() == variable and item.codelist_oid in codelists:
            return {i.coded_value for i in codelists[item.codelist_oid].items if i.extended}
    return set()


def report_messages(rule_id: str, ctx: Context, dataset: Dataset, messages: np.ndarray,
                    variable: str, values: pd.Series) -> None:
    """One finding per row with a non-empty message."""
    mask = messages != ""
    if mask.any():
        ctx.out.add_rows(rule_id, dataset, mask, variable=variable, values=values,
                         message=messages)


def report_one_to_one(rule_id: str, dataset: Dataset, first: tuple[str, pd.Series],
                      second: tuple[str, pd.Series], ctx: Context,
                      skip: np.ndarray | None = None) -> None:
    """Where two columns that go in pairs (PARAMCD/PARAM, --TESTCD/--TEST, ARMCD/ARM,
    QNAM/QLABEL) stop being one-to-one: one finding where each new partner first appears."""
    columns = (first, second)
    for own, mask, earlier in one_to_one_breaks(first[1], second[1], skip=skip):
        (name, values), (other, partners) = columns[own], columns[1 - own]
        ctx.out.add_rows(
            rule_id, dataset, mask, variable=name, values=values,
            message=lambda p, n=name, v=values, o=other, w=partners, e=earlier: (
                f"{n} {v.iat[p]!r} has {o} {w.iat[p]!r} here and {e[v.iat[p]]!r} "
                "in an earlier record"),
        )
