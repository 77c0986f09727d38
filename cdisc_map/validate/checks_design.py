"""Trial design and the subjects' path through it: arms, epochs, elements, visits, TS.

DM's arms are TA's arms; every EPOCH is one of TA's; a record's EPOCH is the epoch of
the subject's element (SE) it starts in; elements are defined in TE, planned visits in
TV, eligibility criteria in TI; TS has what FDA asks of it. Each check runs when the
datasets it compares are in the package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_map.core.text import number_text
from cdisc_map.validate.columns import day_bounds, number_keys, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.model import GENERAL_CLASSES, TRIAL_DESIGN_DATASETS
from cdisc_map.validate.rules import check
from cdisc_map.validate.shared import dataset_class, dtc_info, report_one_to_one, start_column

# Arm codes that say why a subject has no arm (SDTMIG 3.1.2 to 3.2; null with ARMNRS from 3.3).
NULL_ARMS = {"SCRNFAIL", "NOTASSGN", "NOTTRT", "UNPLAN"}
NOT_TREATED = {"SCRNFAIL", "NOTASSGN", "NOTTRT"}
UNPLANNED_ELEMENT = "UNPLAN"
PHARMACOLOGIC_CLASS = "PCLAS"  # the TSPARMCD term of CDISC CT (C98768), not "PCLASS"


def _arms(package: Package) -> dict[str, str] | None:
    """TA's ARMCD -> ARM, or None without TA."""
    ta = package.get("TA")
    if ta is None or not ta.has("ARMCD"):
        return None
    codes = text(ta.frame["ARMCD"])
    names = text(ta.frame["ARM"]) if ta.has("ARM") else pd.Series([""] * len(codes))
    return dict(zip(codes, names))


@check("CM0230", "CM0231")
def check_arms(package: Package, ctx: Context) -> None:
    dm = package.get("DM")
    if dm is None:
        return
    arms = _arms(package)
    for code, name in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
        if not dm.has(code):
            continue
        codes = text(dm.frame[code])
        if dm.has(name):
            names = text(dm.frame[name])
            skip = ((codes == "") | (names == "")).to_numpy()
            report_one_to_one("CM0230", dm, (code, codes), (name, names), ctx, skip=skip)
            if arms is not None:
                differs = (codes.isin(list(arms)) & (names != codes.map(arms))).to_numpy()
                ctx.out.add_rows(
                    "CM0230", dm, differs, variable=name, values=names,
                    message=lambda p, c=code, n=name, cs=codes, ns=names: (
                        f"{n} is {ns.iat[p]!r} for {c} {cs.iat[p]!r}; TA names the arm "
                        f"{arms[cs.iat[p]]!r}"),
                )
        if arms is None:
            continue
        unknown = ((codes != "") & ~codes.isin(list(arms)) & ~codes.isin(list(NULL_ARMS))).to_numpy()
        if unknown.any():
            def explain(p: int, c: str = code, cs: pd.Series = codes) -> str:
                value = cs.iat[p]
                hint = (f"; the SDTMIG code is {value.upper()}" if value.upper() in NULL_ARMS
                        else f"; TA has {', '.join(sorted(arms))}")
                return f"{c} {value!r} is not an arm of TA{hint}"

            ctx.out.add_rows("CM0231", dm, unknown, variable=code, values=codes, message=explain)


@check("CM0232")
def check_actual_arm_and_exposure(package: Package, ctx: Context) -> None:
    dm, ex = package.get("DM"), package.get("EX")
    if dm is None or ex is None or not dm.has("USUBJID", "ACTARMCD") or not ex.has("USUBJID"):
        return
    arms = _arms(package)
    actual = text(dm.frame["ACTARMCD"])
    exposed = dm.frame["USUBJID"].isin(set(ex.frame["USUBJID"])).to_numpy()
    untreated_code = actual.str.upper().isin(list(NOT_TREATED)).to_numpy()
    an_arm = actual.isin(list(arms)).to_numpy() if arms is not None else np.zeros(len(actual), bool)
    treated_as_not = exposed & untreated_code
    arm_without_exposure = ~exposed & an_arm
    ctx.out.add_rows(
        "CM0232", dm, treated_as_not | arm_without_exposure, variable="ACTARMCD", values=actual,
        message=lambda p: (f"ACTARMCD is {actual.iat[p]!r} but the subject has EX records"
                           if exposed[p] else
                           f"ACTARMCD is {actual.iat[p]!r} but the subject has no EX record"),
    )


def _epoch_datasets(package: Package) -> list[Dataset]:
    """General-observation-class datasets (not SE, not SUPP--), whose records have an epoch."""
    return [d for d in package.sdtm if not d.is_supp and d.name != "SE"
            and dataset_class(package, d) in GENERAL_CLASSES]


@check("CM0233")
def check_epoch_names(package: Package, ctx: Context) -> None:
    ta = package.get("TA")
    if ta is None or not ta.has("EPOCH"):
        return
    epochs = set(text(ta.frame["EPOCH"])) - {""}
    for dataset in package.sdtm:
        if dataset.name == "TA" or dataset.is_supp or not dataset.has("EPOCH"):
            continue
        values = text(dataset.frame["EPOCH"])
        unknown = ((values != "") & ~values.isin(list(epochs))).to_numpy()
        ctx.out.add_rows("CM0233", dataset, unknown, variable="EPOCH", values=values,
                         message=lambda p, v=values: (f"EPOCH {v.iat[p]!r} is not an epoch of "
                                                      f"TA ({', '.join(sorted(epochs))})"))


def subject_elements(package: Package) -> pd.DataFrame | None:
    """SE as (USUBJID, first day, last day, EPOCH) per element, days since 1970-01-01.

    The epoch is SE's EPOCH where SE has it, else TA's epoch for the element (the element
    code alone where it has one epoch in TA, else in the subject's actual arm). An
    element without an end is open.
    """
    se = package.get("SE")
    if se is None or not se.has("USUBJID", "SESTDTC", "ETCD"):
        return observed_epochs(package)
    start, _ = day_bounds(dtc_info(se, "SESTDTC")[1])
    if se.has("SEENDTC"):
        _, end = day_bounds(dtc_info(se, "SEENDTC")[1])
        end = np.where(se.blank("SEENDTC"), np.inf, end)
    else:
        end = np.full(len(start), np.inf)
    if se.has("EPOCH"):
        epochs = text(se.frame["EPOCH"])
    else:
        epochs = _epochs_from_ta(package, se)
        if epochs is None:
            return None
    elements = pd.DataFrame({"USUBJID": se.frame["USUBJID"].to_numpy(), "first": start,
                             "last": end, "epoch": epochs.to_numpy()})
    elements = elements[~np.isnan(elements["first"].to_numpy()) & (elements["epoch"] != "")]
    elements.attrs["basis"] = ("element", "")
    return elements


def observed_epochs(package: Package) -> pd.DataFrame | None:
    """Without SE: each subject's epochs as the package's own records date them, from the
    first to the last complete start date of the records carrying that EPOCH."""
    frames = []
    for dataset in _epoch_datasets(package):
        column = start_column(dataset)
        if column is None or not dataset.has("EPOCH", "USUBJID"):
            continue
        first, last = day_bounds(dtc_info(dataset, column)[1])
        epochs = text(dataset.frame["EPOCH"]).to_numpy()
        keep = ~np.isnan(first) & (first == last) & (epochs != "")
        frames.append(pd.DataFrame({"USUBJID": dataset.frame["USUBJID"].to_numpy()[keep],
                                    "day": first[keep], "epoch": epochs[keep]}))
    if not frames:
        return None
    days = pd.concat(frames, ignore_index=True)
    spans = days.groupby(["USUBJID", "epoch"], sort=True)["day"].agg(["min", "max"]).reset_index()
    elements = spans.rename(columns={"min": "first", "max": "last"})
    elements.attrs["basis"] = ("epoch", " (as its dated records place it: the package has no SE)")
    return elements


def _epochs_from_ta(package: Package, se: Dataset) -> pd.Series | None:
    ta, dm = package.get("TA"), package.get("DM")
    if ta is None or not ta.has("ETCD", "EPOCH"):
        return None
    design = pd.DataFrame({"ETCD": text(ta.frame["ETCD"]), "EPOCH": text(ta.frame["EPOCH"]),
                           "ARMCD": text(ta.frame["ARMCD"]) if ta.has("ARMCD") else ""})
    single = design.drop_duplicates(["ETCD", "EPOCH"]).drop_duplicates("ETCD", keep=False)
    by_element = dict(zip(single["ETCD"], single["EPOCH"]))
    codes = text(se.frame["ETCD"])
    epochs = codes.map(by_element).fillna("")
    if dm is not None and dm.has("USUBJID", "ACTARMCD"):
        by_arm = design.drop_duplicates(["ARMCD", "ETCD"], keep=False)
        arm_epoch = {(a, e): p for a, e, p in zip(by_arm["ARMCD"], by_arm["ETCD"], by_arm["EPOCH"])}
        actual = se.frame["USUBJID"].map(dict(zip(dm.frame["USUBJID"], text(dm.frame["ACTARMCD"]))))
        from_arm = pd.Series([arm_epoch.get((a, e), "") for a, e in zip(actual.fillna(""), codes)],
                             index=codes.index)
        epochs = epochs.where(epochs != "", from_arm)
    return epochs


def epoch_of_start(dataset: Dataset, column: str, elements: pd.DataFrame) -> np.ndarray:
    """Per record, the epoch of the one element of its subject that wholly contains the
    record's start (a partial date spans its month or year); "" when none or several do."""
    first, last = day_bounds(dtc_info(dataset, column)[1])
    records = pd.DataFrame({"row": np.arange(len(first)), "USUBJID": dataset.frame["USUBJID"].to_numpy(),
                            "lo": first, "hi": last})
    records = records[~np.isnan(records["lo"].to_numpy())]
    pairs = records.merge(elements, on="USUBJID", how="inner")
    inside = pairs[(pairs["first"] <= pairs["lo"]) & (pairs["hi"] <= pairs["last"])]
    counts = inside.groupby("row")["epoch"].transform("size")
    unique = inside[counts.to_numpy() == 1]
    result = np.full(len(dataset.frame), "", dtype=object)
    result[unique["row"].to_numpy()] = unique["epoch"].to_numpy()
    return result


@check("CM0234", "CM0235")
def check_epochs(package: Package, ctx: Context) -> None:
    elements = subject_elements(package)
    if elements is None or elements.empty:
        return
    for dataset in _epoch_datasets(package):
        column = start_column(dataset)
        if column is not None and dataset.has("USUBJID"):
            _check_epoch(dataset, column, elements, ctx)


def _check_epoch(dataset: Dataset, column: str, elements: pd.DataFrame, ctx: Context) -> None:
    expected = epoch_of_start(dataset, column, elements)
    known = expected != ""
    if not known.any():
        return
    dates = dataset.frame[column]
    noun, note = elements.attrs.get("basis", ("element", ""))
    if not dataset.has("EPOCH"):
        first = int(np.flatnonzero(known)[0])
        ctx.out.add("CM0234", file=dataset.file, dataset=dataset.name, variable="EPOCH",
                    message=f"{dataset.name} has no EPOCH variable, but {int(known.sum()):,} of "
                            f"its {dataset.records:,} records start within one {noun} of the "
                            f"subject{note} (row {first + 1}: {column} {dates.iat[first]!r}, "
                            f"epoch {expected[first]!r})")
        return
    epochs = text(dataset.frame["EPOCH"]).to_numpy()
    missing = known & (epochs == "")
    ctx.out.add_rows("CM0234", dataset, missing, variable="EPOCH", values=dates,
                     message=lambda p: (f"EPOCH is null; {column} {dates.iat[p]!r} lies in the "
                                        f"subject's {expected[p]} {noun}{note}"))
    wrong = known & (epochs != "") & (epochs != expected)
    ctx.out.add_rows("CM0235", dataset, wrong, variable="EPOCH", values=epochs,
                     message=lambda p: (f"EPOCH is {epochs[p]!r} but {column} {dates.iat[p]!r} "
                                        f"lies in the subject's {expected[p]} {noun}{note}"))


@check("CM0236", "CM0237", "CM0238")
def check_trial_design_datasets(package: Package, ctx: Context) -> None:
    if package.partial or package.get("DM") is None:
        return
    for name in TRIAL_DESIGN_DATASETS:
        if name not in package.datasets:
            ctx.out.add("CM0236", file=package.file, dataset=name,
                        message=f"the SDTM package has no {name.lower()}.xpt")
    ts = package.get("TS")
    if ts is None or not ts.has("TSPARMCD"):
        return
    parameters = set(text(ts.frame["TSPARMCD"]))
    if PHARMACOLOGIC_CLASS not in parameters:
        ctx.out.add("CM0237", file=ts.file, dataset="TS", variable="TSPARMCD",
                    message=f"TS has no TSPARMCD {PHARMACOLOGIC_CLASS} (Pharmacologic Class) record")
    if "SSTDTC" not in parameters:
        ctx.out.add("CM0238", file=ts.file, dataset="TS", variable="TSPARMCD",
                    message="TS has no TSPARMCD SSTDTC record")


@check("CM0239")
def check_elements(package: Package, ctx: Context) -> None:
    te = package.get("TE")
    if te is None or not te.has("ETCD"):
        return
    defined = set(text(te.frame["ETCD"]))
    for name in ("TA", "SE"):
        dataset = package.get(name)
        if dataset is None or not dataset.has("ETCD"):
            continue
        codes = text(dataset.frame["ETCD"])
        unknown = ((codes != "") & ~codes.isin(list(defined | {UNPLANNED_ELEMENT}))).to_numpy()
        ctx.out.add_rows("CM0239", dataset, unknown, variable="ETCD", values=codes,
                         message=lambda p, c=codes: f"ETCD {c.iat[p]!r} is not an element of TE")


@check("CM0240")
def check_visits(package: Package, ctx: Context) -> None:
    tv = package.get("TV")
    if tv is None or not tv.has("VISITNUM", "VISIT"):
        return
    planned = pd.DataFrame({"number": number_keys(tv.frame["VISITNUM"]),
                            "name": text(tv.frame["VISIT"])}).drop_duplicates()
    planned = planned[~np.isnan(planned["number"].to_numpy())].drop_duplicates("number", keep=False)
    names = dict(zip(planned["number"], planned["name"]))
    for dataset in package.sdtm:
        if dataset.name == "TV" or dataset.is_supp or not dataset.has("VISITNUM", "VISIT"):
            continue
        numbers = number_keys(dataset.frame["VISITNUM"])
        visits = text(dataset.frame["VISIT"])
        expected = pd.Series(numbers).map(names).fillna("").to_numpy()
        wrong = (expected != "") & (visits.to_numpy() != expected) & (visits != "").to_numpy()
        ctx.out.add_rows("CM0240", dataset, wrong, variable="VISIT", values=visits,
                         message=lambda p, v=visits, n=numbers, e=expected: (
                             f"VISIT is {v.iat[p]!r} for VISITNUM {number_text(n[p])}; TV names "
                             f"the visit {e[p]!r}"))


@check("CM0241")
def check_criteria(package: Package, ctx: Context) -> None:
    ti = package.get("TI")
    if ti is None or not ti.has("IETESTCD"):
        return
    criteria = set(text(ti.frame["IETESTCD"]))
    for ie in package.of_domain("IE"):
        if not ie.has("IETESTCD"):
            continue
        codes = text(ie.frame["IETESTCD"])
        unknown = ((codes != "") & ~codes.isin(list(criteria))).to_numpy()
        ctx.out.add_rows("CM0241", ie, unknown, variable="IETESTCD", values=codes,
                         message=lambda p, c=codes: f"IETESTCD {c.iat[p]!r} is not a criterion of TI")
