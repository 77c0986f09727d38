"""Supplemental qualifiers: each resolves to exactly one parent; QNAM and QLABEL are sound.

A SUPP-- dataset's parents are the records of the dataset its name continues (SUPPAE:
AE; SUPPLBCH: the split dataset LBCH, whose domain LB is the RDOMAIN), or, for SUPPQUAL
and a SUPP-- whose dataset is absent, every dataset holding RDOMAIN (LB and its split
pieces LBCH, LBHE).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_map.validate.columns import is_text, number_keys, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.model import NAME, split_domain
from cdisc_map.validate.rules import check
from cdisc_map.validate.shared import report_one_to_one

MAX_QLABEL = 40
PIECE = re.compile(r"^(?P<stem>[A-Z][A-Z0-9_]*?)(?P<number>\d+)$")


def supp_datasets(package: Package) -> list[Dataset]:
    return [d for d in package.sdtm if d.is_supp]


@check("CM0301", "CM0302", "CM0306")
def check_parents(package: Package, ctx: Context) -> None:
    """Match every qualifier to its parent records by RDOMAIN, USUBJID, IDVAR, IDVARVAL."""
    for supp in supp_datasets(package):
        if not supp.has("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"):
            continue  # the missing variables are reported by CM0201/CM0203
        frame = supp.frame
        rdomain, idvar = text(frame["RDOMAIN"]), text(frame["IDVAR"])
        subjects, idvarval = text(frame["USUBJID"]), text(frame["IDVARVAL"])
        own_parent = package.datasets.get(supp.name[4:]) if supp.name != "SUPPQUAL" else None
        if supp.name != "SUPPQUAL":
            expected = own_parent.domain if own_parent is not None and own_parent.readable \
                else split_domain(supp.name[4:])
            wrong = (rdomain != expected).to_numpy() & (rdomain != "").to_numpy()
            if wrong.any():
                ctx.out.add_rows("CM0306", supp, wrong, variable="RDOMAIN", values=rdomain,
                                 message=f"RDOMAIN must be {expected} in {supp.name}")
        groups = pd.DataFrame({"r": rdomain, "i": idvar}).groupby(["r", "i"], sort=True).indices
        for (domain, variable), rows in groups.items():
            if not domain:
                continue  # null RDOMAIN: CM0202
            mask = np.zeros(len(frame), dtype=bool)
            mask[rows] = True
            if own_parent is not None:
                if not own_parent.readable:
                    continue  # the parent file is unreadable: CM0101
                if own_parent.domain != domain:
                    continue  # reported by CM0306 above
                parents = [own_parent]
            else:
                if any(d.domain == domain and not d.readable for d in package.datasets.values()
                       if not d.is_supp and not d.is_adam):
                    continue  # a parent file is unreadable: CM0101
                parents = package.of_domain(domain)
            parents = [d for d in parents if d.has("USUBJID")]
            if not parents:
                ctx.out.add_rows("CM0301", supp, mask, variable="RDOMAIN", values=rdomain,
                                 message=f"the package has no {domain} dataset")
                continue
            missing = [d.name for d in parents if variable and variable not in d.frame.columns]
            if missing:
                ctx.out.add_rows("CM0306", supp, mask, variable="IDVAR", values=idvar,
                                 message=f"IDVAR {variable} is not a variable of "
                                         f"{' or '.join(missing)}")
                continue
            # a numeric IDVAR (--SEQ, VISITNUM) matches IDVARVAL as a number: "1.2" is 1.2000000000000002
            numeric = bool(variable) and all(not is_text(d.frame[variable]) for d in parents)
            parent_frame = pd.concat([pd.DataFrame({"s": text(d.frame["USUBJID"]),
                                                    "v": _key_values(d.frame[variable], numeric)
                                                    if variable else ""})
                                      for d in parents], ignore_index=True)
            # how many parent records each qualifier's key matches
            if variable:
                counts = parent_frame.value_counts()
                keys = pd.MultiIndex.from_arrays([subjects.to_numpy()[rows],
                                                  _key_values(idvarval, numeric)[rows]])
            else:
                counts = parent_frame["s"].value_counts()
                keys = pd.Index(subjects.to_numpy()[rows])
            matches = np.zeros(len(frame))
            matches[rows] = counts.reindex(keys, fill_value=0).to_numpy()
            label = f"{variable} = " if variable else ""

            def describe(p: int, count: np.ndarray = matches, domain: str = domain,
                         label: str = label, idvarval: pd.Series = idvarval,
                         subjects: pd.Series = subjects) -> str:
                what = f"with {label}{idvarval.iat[p]!r}" if label else "(subject level)"
                if count[p] == 0:
                    return f"no {domain} record of {subjects.iat[p]} {what}"
                return f"{int(count[p])} {domain} records of {subjects.iat[p]} {what}"

            none = mask & (matches == 0)
            if none.any():
                ctx.out.add_rows("CM0301", supp, none, variable="IDVARVAL", values=idvarval,
                                 message=describe)
            several = mask & (matches > 1) & (not variable.endswith("GRPID"))
            if several.any():
                ctx.out.add_rows("CM0302", supp, several, variable="IDVARVAL",
                                 values=idvarval, message=describe)


def _key_values(values: pd.Series, numeric: bool) -> np.ndarray:
    """Values to match qualifiers with parents by: number keys (as text) for numeric IDVARs."""
    if not numeric:
        return text(values).to_numpy()
    return np.array([repr(k) if not np.isnan(k) else "" for k in number_keys(values)], dtype=object)


@check("CM0303", "CM0304", "CM0305")
def check_qualifier_names(package: Package, ctx: Context) -> None:
    for supp in supp_datasets(package):
        if not supp.has("QNAM"):
            continue
        frame = supp.frame
        qnam = text(frame["QNAM"])
        malformed = ((qnam != "") & ~qnam.str.fullmatch(NAME.pattern)).to_numpy()
        if malformed.any():
            ctx.out.add_rows("CM0304", supp, malformed, variable="QNAM", values=qnam,
                             message="QNAM must have at most 8 characters: A-Z, 0-9 and _, "
                                     "not starting with a digit")
        keys = [c for c in ("USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL") if c in frame.columns]
        repeated = frame[[*keys, "QNAM"]].duplicated(keep="first").to_numpy() & (qnam != "").to_numpy()
        if repeated.any():
            ctx.out.add_rows("CM0303", supp, repeated, variable="QNAM", values=qnam,
                             message="the parent record already has this QNAM")
        if supp.has("QLABEL"):
            _check_labels(supp, qnam, text(frame["QLABEL"]), ctx)


def _check_labels(supp: Dataset, qnam: pd.Series, qlabel: pd.Series, ctx: Context) -> None:
    long = (qlabel.str.len() > MAX_QLABEL).to_numpy()
    if long.any():
        ctx.out.add_rows("CM0305", supp, long, variable="QLABEL", values=qlabel,
                         message=lambda p: f"QLABEL has {len(qlabel.iat[p])} characters")
    report_one_to_one("CM0305", supp, ("QNAM", qnam), ("QLABEL", qlabel), ctx,
                      skip=(qnam == "").to_numpy())


@check("CM0307")
def check_split_text(package: Package, ctx: Context) -> None:
    """No piece of split text (QNAM stem + number, such as AECOMM1 after AECOMM) begins with a
    blank; a blank at the end of a piece cannot be seen, since SAS drops trailing blanks."""
    for supp in supp_datasets(package):
        if supp.has("QNAM", "QVAL"):
            _check_pieces(package, supp, ctx)


def _check_pieces(package: Package, supp: Dataset, ctx: Context) -> None:
    qnam, qval = text(supp.frame["QNAM"]), text(supp.frame["QVAL"])
    names = set(qnam)
    parents = {c for d in package.of_domain(supp.domain) for c in d.frame.columns}
    stems = {}
    for name in names:
        match = PIECE.match(name)
        if match and (match.group("stem") in names or match.group("stem") in parents):
            stems[name] = match.group("stem")
    pieces = qnam.isin(list(stems) + [s for s in stems.values() if s in names]).to_numpy()
    blank_edge = (qval.str.startswith(" ") | qval.str.endswith(" ")).to_numpy()
    ctx.out.add_rows("CM0307", supp, pieces & blank_edge, variable="QVAL", values=qval,
                     message=lambda p: (f"the {qnam.iat[p]} piece of split text begins or ends "
                                        "with a blank"))
