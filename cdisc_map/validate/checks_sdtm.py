"""SDTM content: core variables, terminology, dates, --SEQ, subjects, study days, EX.

SDTM datasets are the package's datasets whose names do not start with AD. Checks that
need the standard's metadata (core, codelists) run on the datasets SDTMIG describes;
the rest (dates, --SEQ, subjects, study days) run on every SDTM dataset, custom domains
included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdisc_map.standards.metadata import UnknownStandardError, VariableMeta
from cdisc_map.validate.columns import (
    compare_at_common_precision,
    date_days,
    dtc_parts,
    first_rows,
    is_text,
    known_prefixes,
    number_text,
    text,
)
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.rules import check

if TYPE_CHECKING:
    from cdisc_map.validate.engine import Context


def standard_variables(dataset: Dataset, ctx: Context) -> list[VariableMeta] | None:
    """The SDTMIG variables of the dataset, or None for a dataset the IG does not describe."""
    try:
        return ctx.sdtmig.variables(dataset.name)
    except UnknownStandardError:
        return None


def dtc_info(dataset: Dataset, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(problem, known prefix) per row of a --DTC column, computed once per dataset."""
    key = ("dtc", column)
    if key not in dataset.cache:
        dataset.cache[key] = dtc_parts(dataset.frame[column], dataset.factors(column))
    return dataset.cache[key]


def dtc_columns(dataset: Dataset) -> list[str]:
    return [c for c in dataset.frame.columns
            if c.endswith("DTC") and is_text(dataset.frame[c])]


@check("CM0201", "CM0202", "CM0203")
def check_core_variables(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        variables = standard_variables(dataset, ctx)
        if variables is None:
            continue
        for variable in variables:
            where = {"file": dataset.file, "dataset": dataset.name, "variable": variable.name}
            if variable.name not in dataset.frame.columns:
                if variable.core == "Req":
                    ctx.out.add("CM0201", **where,
                                message=f"Required variable {variable.name} is missing")
                elif variable.core == "Exp":
                    ctx.out.add("CM0203", **where,
                                message=f"Expected variable {variable.name} is missing")
            elif variable.core == "Req":
                missing = dataset.blank(variable.name)
                if missing.any():
                    ctx.out.add_rows("CM0202", dataset, missing, variable=variable.name,
                                     message=f"Required variable {variable.name} is null")


def declared_extensions(package: Package, ctx: Context, dataset: str, variable: str) -> set[str]:
    """Terms define.xml marks as the study's extensions (def:ExtendedValue) of the variable's codelist."""
    from cdisc_map.validate.checks_define import _load

    model = _load(package, ctx)
    if model is None:
        return set()
    codelists = {c.oid: c for c in model.codelists}
    for definition in model.datasets:
        if definition.name.upper() != dataset:
            continue
        for item in definition.variables:
            if item.name.upper() == variable and item.codelist_oid in codelists:
                return {i.coded_value for i in codelists[item.codelist_oid].items if i.extended}
    return set()


@check("CM0204", "CM0205")
def check_codelists(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        for variable in standard_variables(dataset, ctx) or []:
            if variable.name not in dataset.frame.columns:
                continue
            codelists = [ctx.ct[name] for name in variable.codelists if name in ctx.ct]
            series = dataset.frame[variable.name]
            if not codelists or not is_text(series):
                continue
            # An extensible codelist may carry the study's own terms, declared in define.xml.
            extended = declared_extensions(package, ctx, dataset.name, variable.name) \
                if any(c.extensible for c in codelists) else set()
            valid = dataset.per_value(
                variable.name,
                lambda v, lists=codelists, ext=extended: v == "" or v in ext or any(v in c for c in lists),
                True, dtype=bool)
            if valid.all():
                continue
            names = " or ".join(c.short_name for c in codelists)
            extensible = any(c.extensible for c in codelists)
            ctx.out.add_rows(
                "CM0205" if extensible else "CM0204", dataset, ~valid,
                variable=variable.name, values=series,
                message=lambda p, s=series, n=names, v=variable.name: (
                    f"{v} {s.iat[p]!r} is not in codelist {n} ({ctx.ct.version or 'CT'})"),
            )


@check("CM0206")
def check_iso8601(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        for column in dtc_columns(dataset):
            problems, _prefixes = dtc_info(dataset, column)
            bad = problems != ""
            if bad.any():
                ctx.out.add_rows("CM0206", dataset, bad, variable=column,
                                 values=dataset.frame[column],
                                 message=lambda p, c=column, why=problems: f"{c}: {why[p]}")


@check("CM0207")
def check_seq_unique(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        seq = dataset.seq_variable
        if seq is None or dataset.is_supp or not dataset.has("USUBJID"):
            continue
        keys = dataset.frame[["USUBJID", seq]]
        repeated = keys.duplicated(keep="first").to_numpy() & ~dataset.blank(seq)
        if not repeated.any():
            continue
        group = keys.groupby(["USUBJID", seq], sort=False, dropna=False).ngroup().to_numpy()
        first = pd.Series(np.arange(len(keys))).groupby(group).transform("min").to_numpy()
        ctx.out.add_rows(
            "CM0207", dataset, repeated, variable=seq, values=dataset.frame[seq],
            message=lambda p, f=first, s=seq: f"{s} is already used by row {f[p] + 1} "
                                              "of the same subject",
        )


@check("CM0208", "CM0209", "CM0217")
def check_subjects(package: Package, ctx: Context) -> None:
    with_subjects = [d for d in package.sdtm if d.has("USUBJID")]
    if not with_subjects:
        return
    dm = package.get("DM")
    if dm is None or not dm.has("USUBJID"):
        if "DM" not in package.datasets and not package.partial:  # unreadable: CM0101
            ctx.out.add("CM0217", file=package.file,
                        message=f"the SDTM package in {package.file} has no dm.xpt")
        return
    check_subject_spine(dm, with_subjects, ctx, duplicate_rule="CM0209", orphan_rule="CM0208")


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


def _reference_by_subject(dm: Dataset, column: str) -> pd.Series:
    """DM column indexed by USUBJID (first record of a duplicated subject)."""
    frame = dm.frame.drop_duplicates("USUBJID")
    return pd.Series(text(frame[column]).to_numpy(), index=frame["USUBJID"].to_numpy())


@check("CM0210", "CM0211")
def check_study_days(package: Package, ctx: Context) -> None:
    dm = package.get("DM")
    reference = None
    if dm is not None and dm.has("USUBJID", "RFSTDTC"):
        reference = _reference_by_subject(dm, "RFSTDTC")
        reference_days = pd.Series(date_days(reference), index=reference.index)
    for dataset in package.sdtm:
        frame = dataset.frame
        for column in frame.columns:
            if not column.endswith("DY") or is_text(frame[column]):
                continue
            values = frame[column].to_numpy(dtype=float)
            zero = values == 0
            if zero.any():
                ctx.out.add_rows("CM0210", dataset, zero, variable=column, values=values,
                                 message=f"{column} is 0; SDTM study days have no day 0")
            dtc = column[:-2] + "DTC"
            if reference is None or dtc not in frame.columns or "USUBJID" not in frame.columns:
                continue
            subjects = frame["USUBJID"]
            own = date_days(frame[dtc], dataset.factors(dtc))
            ref = subjects.map(reference_days).to_numpy(dtype=float)
            expected = own - ref + (own >= ref)
            populated = ~np.isnan(values) & ~zero
            derivable = ~np.isnan(own) & ~np.isnan(ref)
            wrong = populated & derivable & (values != expected)
            underivable = populated & ~derivable
            dates, refs = frame[dtc], subjects.map(reference)

            def explain(p: int, dates=dates, refs=refs, dtc=dtc, column=column,
                        expected=expected, values=values) -> str:
                base = (f"{column} is {number_text(values[p])} with {dtc} {dates.iat[p]!r} "
                        f"and RFSTDTC {refs.iat[p] if isinstance(refs.iat[p], str) else ''!r}")
                if np.isnan(expected[p]):
                    return base + ": a study day needs both dates complete"
                return base + f": it should be {number_text(expected[p])}"

            bad = wrong | underivable
            if bad.any():
                ctx.out.add_rows("CM0211", dataset, bad, variable=column, values=values,
                                 message=explain)


@check("CM0212")
def check_start_before_end(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        frame = dataset.frame
        for start in dtc_columns(dataset):
            end = start[:-5] + "ENDTC"
            if not start.endswith("STDTC") or end not in frame.columns or not is_text(frame[end]):
                continue
            sign = compare_at_common_precision(dtc_info(dataset, start)[1],
                                               dtc_info(dataset, end)[1])
            after = sign == 1
            if after.any():
                ctx.out.add_rows(
                    "CM0212", dataset, after, variable=start, values=frame[start],
                    message=lambda p, s=start, e=end, f=frame: (
                        f"{s} {f[s].iat[p]!r} is after {e} {f[e].iat[p]!r}"),
                )


@check("CM0213", "CM0214", "CM0215", "CM0216")
def check_reference_dates(package: Package, ctx: Context) -> None:
    """DM's treatment reference dates against EX, compared at their common precision."""
    dm, ex = package.get("DM"), package.get("EX")
    if dm is None or ex is None or not dm.has("USUBJID") or not ex.has("USUBJID", "EXSTDTC"):
        return
    ex_subjects = ex.frame["USUBJID"].to_numpy()
    subjects = dm.frame["USUBJID"]
    exposed = subjects.isin(set(ex_subjects)).to_numpy()
    starts = dtc_info(ex, "EXSTDTC")[1]
    ends = starts  # an exposure without EXENDTC ends, as far as we know, when it starts
    if ex.has("EXENDTC") and is_text(ex.frame["EXENDTC"]):
        end_prefixes = dtc_info(ex, "EXENDTC")[1]
        ends = np.where(end_prefixes != "", end_prefixes, starts)

    def sign_against(column: str, ex_values: np.ndarray) -> np.ndarray:
        """Per EX row: its value compared with the subject's DM.<column> (-1, 0, 1, NaN)."""
        reference = pd.Series(ex_subjects).map(_reference_by_subject(dm, column))
        return compare_at_common_precision(ex_values, known_prefixes(reference))

    def any_of_subject(ex_rows: np.ndarray) -> np.ndarray:
        """Per DM row: does any EX row of the subject satisfy ex_rows?"""
        return subjects.isin(set(ex_subjects[ex_rows])).to_numpy()

    def first_of_subject(ex_rows: np.ndarray) -> dict[str, int]:
        positions = np.flatnonzero(ex_rows)[::-1]  # reversed: the first row wins in dict()
        return dict(zip(ex_subjects[positions], positions))

    treatments = text(ex.frame["EXTRT"]) if ex.has("EXTRT") else None

    def ex_record(position: int, column: str) -> str:
        what = f" ({treatments.iat[position]})" if treatments is not None else ""
        return f"EX row {position + 1}{what} has {column} {ex.frame[column].iat[position]!r}"

    if dm.has("RFXSTDTC"):
        first = text(dm.frame["RFXSTDTC"])
        populated = (first != "").to_numpy()
        sign = sign_against("RFXSTDTC", starts)
        messages = np.full(len(subjects), "", dtype=object)
        messages[~exposed & populated] = "RFXSTDTC is populated but the subject has no EX records"
        messages[exposed & ~populated] = "the subject has EX records but RFXSTDTC is empty"
        unmatched = exposed & populated & ~any_of_subject(sign == 0)
        messages[unmatched] = [f"RFXSTDTC {v!r} is not the start of any EX record of the subject"
                               for v in first[unmatched]]
        _report("CM0213", ctx, dm, messages, "RFXSTDTC", first)
        not_first = exposed & populated & ~unmatched & any_of_subject(sign == -1)
        if not_first.any():
            earlier = first_of_subject(sign == -1)
            ctx.out.add_rows(
                "CM0214", dm, not_first, variable="RFXSTDTC", values=first,
                message=lambda p: (f"RFXSTDTC is {first.iat[p]!r} but "
                                   f"{ex_record(earlier[subjects.iat[p]], 'EXSTDTC')}"),
            )
    if dm.has("RFXENDTC"):
        last = text(dm.frame["RFXENDTC"])
        populated = (last != "").to_numpy()
        sign = sign_against("RFXENDTC", ends)
        messages = np.full(len(subjects), "", dtype=object)
        messages[~exposed & populated] = "RFXENDTC is populated but the subject has no EX records"
        if dm.has("RFXSTDTC"):
            started = (text(dm.frame["RFXSTDTC"]) != "").to_numpy()
            messages[exposed & started & ~populated] = (
                "RFXENDTC is empty although RFXSTDTC is populated")
        matched = any_of_subject(sign == 0) | any_of_subject(sign_against("RFXENDTC", starts) == 0)
        unmatched = exposed & populated & ~matched
        messages[unmatched] = [f"RFXENDTC {v!r} is not the start or end of any EX record"
                               for v in last[unmatched]]
        _report("CM0213", ctx, dm, messages, "RFXENDTC", last)
        not_last = exposed & populated & any_of_subject(sign == 1)
        if not_last.any():
            later = first_of_subject(sign == 1)
            ctx.out.add_rows(
                "CM0215", dm, not_last, variable="RFXENDTC", values=last,
                message=lambda p: (f"RFXENDTC is {last.iat[p]!r} but EX row "
                                   f"{later[subjects.iat[p]] + 1} ends later"),
            )
    if dm.has("RFSTDTC"):
        missing = exposed & dm.blank("RFSTDTC")
        if missing.any():
            ctx.out.add_rows("CM0216", dm, missing, variable="RFSTDTC",
                             message="the subject has EX records but RFSTDTC is empty")


def _report(rule_id: str, ctx: Context, dataset: Dataset, messages: np.ndarray,
            variable: str, values: pd.Series) -> None:
    mask = messages != ""
    if mask.any():
        ctx.out.add_rows(rule_id, dataset, mask, variable=variable, values=values,
                         message=messages)
