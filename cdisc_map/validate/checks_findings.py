"""Findings: results with their units, --STRESN as the number in --STRESC, baseline flags.

A Findings dataset is one with --TESTCD (LB, VS, EG, QS, custom findings, split pieces
such as LBCH). Numbers are compared as numbers (`columns.number_key`), never as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_map.core.text import number_text
from cdisc_map.validate.columns import number_keys, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.rules import check

# Qualifiers that make two records of one test different tests for a baseline.
BASELINE_KEYS = ("CAT", "SCAT", "TSTDTL", "SPEC", "POS", "LOC", "LAT", "DIR", "METHOD",
                 "TPTREF", "EVAL", "EVALID")


def findings_datasets(package: Package) -> list[Dataset]:
    return [d for d in package.sdtm if not d.is_supp and d.has(f"{d.domain[:2]}TESTCD")]


@check("CM0225")
def check_units(package: Package, ctx: Context) -> None:
    for dataset in findings_datasets(package):
        prefix = dataset.domain[:2]
        for result, unit in ((f"{prefix}ORRES", f"{prefix}ORRESU"), (f"{prefix}STRESC", f"{prefix}STRESU")):
            if dataset.has(result, unit):
                _check_unit(dataset, f"{prefix}TESTCD", result, unit, ctx)


def _check_unit(dataset: Dataset, test: str, result: str, unit: str, ctx: Context) -> None:
    tests = text(dataset.frame[test])
    units = text(dataset.frame[unit])
    numeric = ~np.isnan(number_keys(dataset.frame[result]))
    with_unit = set(tests[(units != "").to_numpy()])
    missing = numeric & (units == "").to_numpy() & tests.isin(with_unit).to_numpy()
    if not missing.any():
        return
    examples = (pd.DataFrame({"t": tests, "u": units})[units != ""]
                .drop_duplicates("t").set_index("t")["u"])
    results = dataset.frame[result]
    ctx.out.add_rows(
        "CM0225", dataset, missing, variable=unit, values=results,
        message=lambda p: (f"{result} is {number_text(results.iat[p])!r} with no {unit}; other "
                           f"{tests.iat[p]} results are in {examples[tests.iat[p]]!r}"),
    )


@check("CM0226")
def check_standard_numbers(package: Package, ctx: Context) -> None:
    for dataset in findings_datasets(package):
        prefix = dataset.domain[:2]
        if dataset.has(f"{prefix}STRESC", f"{prefix}STRESN"):
            _check_standard_number(dataset, f"{prefix}STRESC", f"{prefix}STRESN", ctx)


def _check_standard_number(dataset: Dataset, character: str, numeric: str, ctx: Context) -> None:
    expected = number_keys(dataset.frame[character])
    actual = number_keys(dataset.frame[numeric])
    both = ~np.isnan(expected) & ~np.isnan(actual)
    wrong = (both & (expected != actual)) | (np.isnan(expected) != np.isnan(actual))
    if not wrong.any():
        return
    shown = text(dataset.frame[character])
    stated = dataset.frame[numeric]

    def explain(p: int) -> str:
        number = number_text(stated.iat[p]) or "null"
        if np.isnan(expected[p]):
            return f"{numeric} is {number} but {character} {shown.iat[p]!r} is not a number"
        return f"{numeric} is {number} but {character} is {shown.iat[p]!r}"

    ctx.out.add_rows("CM0226", dataset, wrong, variable=numeric, values=stated, message=explain)


@check("CM0227")
def check_baseline_flags(package: Package, ctx: Context) -> None:
    for dataset in findings_datasets(package):
        prefix = dataset.domain[:2]
        if dataset.has(f"{prefix}BLFL", "USUBJID"):
            _check_baseline(dataset, prefix, ctx)


def _check_baseline(dataset: Dataset, prefix: str, ctx: Context) -> None:
    flag = f"{prefix}BLFL"
    flags = text(dataset.frame[flag])
    invalid = ~flags.isin(["Y", ""]).to_numpy()
    if invalid.any():
        ctx.out.add_rows("CM0227", dataset, invalid, variable=flag, values=flags,
                         message=f"{flag} is neither Y nor null")
    keys = ["USUBJID", f"{prefix}TESTCD"] + [f"{prefix}{k}" for k in BASELINE_KEYS
                                             if dataset.has(f"{prefix}{k}")]
    flagged = (flags == "Y").to_numpy()
    frame = pd.DataFrame({k: text(dataset.frame[k]) for k in keys})
    repeated = np.zeros(len(frame), dtype=bool)
    repeated[np.flatnonzero(flagged)[frame[flagged].duplicated(keep="first").to_numpy()]] = True
    if repeated.any():
        ctx.out.add_rows("CM0227", dataset, repeated, variable=flag, values=flags,
                         message=lambda p: (f"a second baseline record of {frame.iat[p, 1]} for "
                                            "the subject"))
