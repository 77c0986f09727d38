"""A finished dataset as the writers and define.xml receive it: records plus variable metadata.

SDTM and ADaM builds both end here, so the XPT writer, the package writer and the
define.xml builder handle one shape, whatever standard made it. Metadata is settled
when the dataset is conformed; nothing downstream reads the spec again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Variable:
    """A variable as written: what the XPT header and define.xml say about it."""

    name: str
    label: str
    type: str  # "Char" or "Num"
    length: int
    core: str = ""
    role: str = ""
    codelist: str = ""  # the codelist the values come from (short name or C-code), "" for none
    extended: tuple[str, ...] = ()  # values the study adds to that codelist (sponsor extensions)
    #: codelists that depend on a condition: (condition, codelist) per rule, first rule met wins
    value_codelists: tuple[tuple[dict, str], ...] = ()
    origin: str = ""
    source: str = ""
    method: str = ""
    comment: str = ""
    format: str = ""  # SAS display format (DATE9., DATETIME20.), "" for none
    method_name: str = ""  # what define.xml names the method ("Study day"): one MethodDef per algorithm
    predecessor: str = ""  # the variable a Predecessor origin copies, DATASET.VARIABLE ("DM.AGE")
    crf_pages: tuple[int, ...] = ()  # pages of the annotated CRF where the value is collected


@dataclass
class Dataset:
    """One finished dataset: its records and what define.xml and the writer need to know."""

    name: str
    label: str
    frame: pd.DataFrame
    variables: list[Variable]
    keys: list[str]
    cls: str = ""  # the ADaM class (SDTM classes come from the IG metadata)
    domain: str = ""  # DOMAIN (RDOMAIN of a SUPP-- dataset): LB for the split dataset LBCH; "" for ADaM
    structure: str = ""
    comment: str | None = None
    methods: dict[str, str] = field(default_factory=dict)  # value-level methods, e.g. "AVAL.PFS"
    # What the build knows of the values under one condition, keyed TARGET.VALUE ("QVAL.DONTYP"):
    # their origin, method, comment and CRF pages, for define.xml's value-level metadata.
    value_level: dict[str, Variable] = field(default_factory=dict)


def char_length(values: pd.Series) -> int:
    """Longest value in bytes (at least 1, as XPT needs)."""
    if values.empty:
        return 1
    return max(1, max(len(str(v).encode("utf-8")) for v in pd.unique(values)))
