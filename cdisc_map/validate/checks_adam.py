"""ADaM content: ADSL as the subject spine, time-to-event records, parameters.

ADaM datasets are those whose names start with AD. A time-to-event dataset is an ADaM
dataset with a CNSR variable (ADTTE, or ADTTExxx when split); its dates (STARTDT, ADT)
are SAS day numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_map.core.text import number_text
from cdisc_map.validate.columns import is_text, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.rules import check
from cdisc_map.validate.shared import check_subject_spine, report_one_to_one

# ADaMIG 1.3 Required variables that the ADaM rules rely on.
REQUIRED_EVERYWHERE = ("STUDYID", "USUBJID")
REQUIRED_ADSL = ("SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ARM", "ACTARM", "TRT01P")
REQUIRED_TTE = ("PARAM", "PARAMCD", "AVAL", "CNSR")


def is_time_to_event(dataset: Dataset) -> bool:
    return dataset.is_adam and dataset.has("CNSR")


@check("CM0401", "CM0408")
def check_required(package: Package, ctx: Context) -> None:
    adam = package.adam
    if not adam:
        return
    if "ADSL" not in package.datasets and not package.partial:
        ctx.out.add("CM0408", file=package.file,
                    message=f"the ADaM package in {package.file} has no adsl.xpt")
    for dataset in adam:
        required = list(REQUIRED_EVERYWHERE)
        if dataset.name == "ADSL":
            required += REQUIRED_ADSL
        if is_time_to_event(dataset) or dataset.name.startswith("ADTTE"):
            required += REQUIRED_TTE
        for name in required:
            if name not in dataset.frame.columns:
                ctx.out.add("CM0401", file=dataset.file, dataset=dataset.name, variable=name,
                            message=f"{dataset.name} has no {name}")


@check("CM0402", "CM0403")
def check_adsl_spine(package: Package, ctx: Context) -> None:
    adsl = package.get("ADSL")
    if adsl is None or not adsl.has("USUBJID"):
        return
    check_subject_spine(adsl, package.adam, ctx, duplicate_rule="CM0402", orphan_rule="CM0403")


@check("CM0404", "CM0405", "CM0406")
def check_time_to_event(package: Package, ctx: Context) -> None:
    for dataset in package.adam:
        if not is_time_to_event(dataset):
            continue
        frame = dataset.frame
        cnsr = frame["CNSR"]
        if is_text(cnsr):
            ctx.out.add("CM0404", file=dataset.file, dataset=dataset.name, variable="CNSR",
                        message="CNSR is a character variable; it must be numeric")
        else:
            values = cnsr.to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                bad = np.isnan(values) | (values < 0) | (values != np.floor(values))
            if bad.any():
                ctx.out.add_rows("CM0404", dataset, bad, variable="CNSR", values=values,
                                 message=lambda p, v=values: (
                                     f"CNSR is {number_text(v[p]) or 'missing'}"))
        if "AVAL" in frame.columns and not is_text(frame["AVAL"]):
            aval = frame["AVAL"].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                bad = np.isnan(aval) | (aval < 0)
            if bad.any():
                ctx.out.add_rows("CM0405", dataset, bad, variable="AVAL", values=aval,
                                 message=lambda p, v=aval: (
                                     f"AVAL is {number_text(v[p]) or 'missing'}"))
        if dataset.has("ADT", "STARTDT") and not is_text(frame["ADT"]) \
                and not is_text(frame["STARTDT"]):
            adt = frame["ADT"].to_numpy(dtype=float)
            start = frame["STARTDT"].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                before = adt < start
            if before.any():
                ctx.out.add_rows("CM0406", dataset, before, variable="ADT", values=adt,
                                 message=lambda p, a=adt, s=start: (
                                     f"ADT {_sas_date(a[p])} is before STARTDT {_sas_date(s[p])}"))


def _sas_date(days: float) -> str:
    """A SAS day number (days since 1960-01-01) as an ISO date, for messages."""
    if np.isnan(days):
        return "missing"
    return (pd.Timestamp("1960-01-01") + pd.Timedelta(days=int(days))).date().isoformat()


@check("CM0407")
def check_parameters(package: Package, ctx: Context) -> None:
    for dataset in package.adam:
        if not dataset.has("PARAMCD", "PARAM"):
            continue
        report_one_to_one("CM0407", dataset, ("PARAMCD", text(dataset.frame["PARAMCD"])),
                          ("PARAM", text(dataset.frame["PARAM"])), ctx)
