"""SDTM content: dates, --SEQ, subjects, study days, start before end, EX and DM.

SDTM datasets are the package's datasets whose names do not start with AD. These checks
need no IG metadata and run on every SDTM dataset, custom domains and split datasets
included (a split dataset's variables carry its domain's prefix: LBCH has LBSEQ).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_map.core.text import number_text
from cdisc_map.validate.columns import (
    compare_at_common_precision,
    date_days,
    is_text,
    known_prefixes,
    number_keys,
    text,
)
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Package
from cdisc_map.validate.model import expected_domain
from cdisc_map.validate.rules import check
from cdisc_map.validate.shared import (
    by_subject,
    check_subject_spine,
    dtc_columns,
    dtc_info,
    report_messages,
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
    """--SEQ is unique per subject within a domain, across its split datasets too (SDTMIG
    4.1.7): a repeat is reported in the dataset where it appears second."""
    by_domain: dict[str, list] = {}
    for dataset in package.sdtm:
        if dataset.seq_variable is not None and not dataset.is_supp and dataset.has("USUBJID"):
            by_domain.setdefault(dataset.domain, []).append(dataset)
    for datasets in by_domain.values():
        _check_seq_across(datasets, ctx)


def _check_seq_across(datasets: list, ctx: Context) -> None:
    keys = pd.concat([pd.DataFrame({"USUBJID": d.frame["USUBJID"].to_numpy(),
                                    "SEQ": number_keys(d.frame[d.seq_variable])}) for d in datasets],
                     ignore_index=True)
    owner = np.concatenate([np.full(d.records, index) for index, d in enumerate(datasets)])
    position = np.concatenate([np.arange(d.records) for d in datasets])
    repeated = keys.duplicated(keep="first").to_numpy() & ~np.isnan(keys["SEQ"].to_numpy())
    if not repeated.any():
        return
    group = keys.groupby(["USUBJID", "SEQ"], sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(keys))).groupby(group).transform("min").to_numpy()
    for index, dataset in enumerate(datasets):
        mine = owner == index
        if not (repeated & mine).any():
            continue
        seq = dataset.seq_variable
        firsts = first[mine]

        def explain(p: int, firsts=firsts, seq=seq, dataset=dataset) -> str:
            other = datasets[owner[firsts[p]]]
            where = "" if other is dataset else f" of {other.name}"
            return f"{seq} is already used by row {position[firsts[p]] + 1}{where} of the same subject"

        ctx.out.add_rows("CM0207", dataset, repeated[mine], variable=seq, values=dataset.frame[seq],
                         message=explain)


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


@check("CM0210", "CM0211")
def check_study_days(package: Package, ctx: Context) -> None:
    dm = package.get("DM")
    reference = None
    if dm is not None and dm.has("USUBJID", "RFSTDTC"):
        reference = by_subject(dm, "RFSTDTC")
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
            own = date_days(frame[dtc])
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
        reference = pd.Series(ex_subjects).map(by_subject(dm, column))
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
        report_messages("CM0213", ctx, dm, messages, "RFXSTDTC", first)
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
        report_messages("CM0213", ctx, dm, messages, "RFXENDTC", last)
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


@check("CM0242")
def check_age_unit(package: Package, ctx: Context) -> None:
    """AGEU only with an AGE (CDISC CORE-000122/000190)."""
    dm = package.get("DM")
    if dm is None or not dm.has("AGE", "AGEU"):
        return
    orphan = dm.blank("AGE") & ~dm.blank("AGEU")
    if orphan.any():
        ctx.out.add_rows("CM0242", dm, orphan, variable="AGEU", values=dm.frame["AGEU"],
                         message=lambda p: f"AGEU is {dm.frame['AGEU'].iat[p]!r} but AGE is null")


@check("CM0243")
def check_domain_codes(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        wanted = expected_domain(dataset.name)
        if dataset.is_supp or wanted is None or not dataset.has("DOMAIN"):
            continue
        values = text(dataset.frame["DOMAIN"])
        wrong = ((values != wanted) & (values != "")).to_numpy()
        ctx.out.add_rows("CM0243", dataset, wrong, variable="DOMAIN", values=values,
                         message=lambda p, v=values, w=wanted: f"DOMAIN is {v.iat[p]!r}; {w} is expected")
