"""The SDTM model's general observation classes: the variables a domain of each class may carry.

SDTMIG lists each domain's variables, but the SDTM model (v2.0, section 3.1) lets any
domain of the Interventions, Events or Findings class carry every identifier and timing
variable of the model, and the qualifiers of its class, that its IG table does not list:
VISITNUM in EX, --DTC in AE, --STRF in CM. A sponsor-defined domain of a general class
(XB) is built from the same tables. The tables are in `data/sdtm-2.0-classes.csv`,
written by the cdisc-map project from the SDTM v2.0 document (it is our data, not a
copy of a CDISC Library export); `data/README.md` says what it holds and leaves out.

Variable names are patterns: "--" stands for the domain prefix ("--SEQ" is AESEQ in AE).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from cdisc_map.core.problems import CdiscMapError

MODEL_VERSION = "2.0"
GENERAL_CLASSES = ("Interventions", "Events", "Findings", "Findings About")
_FILE = "sdtm-2.0-classes.csv"


class UnknownClassError(CdiscMapError, KeyError):
    """A class name that is not one of the SDTM general observation classes."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ClassVariable:
    """One variable of a general observation class, as the SDTM model table gives it.

    `group` is "Identifiers", "Timing" or the class whose topic and qualifiers it is;
    `custom_core` is what a sponsor-defined domain of the class needs: Req for the
    identifiers every general-class domain has and the topic, Perm otherwise.
    """

    group: str
    order: int  # 1-based position in the class's whole list: identifiers, topic and qualifiers, timing
    pattern: str
    label: str
    type: str  # "Char" or "Num"
    role: str
    custom_core: str

    def name_for(self, prefix: str) -> str:
        """The variable's name in a domain: "--SEQ" for prefix "AE" is "AESEQ"."""
        return prefix.upper() + self.pattern[2:] if self.pattern.startswith("--") else self.pattern


def general_class(name: str | None) -> str | None:
    """The canonical name of a general observation class ("events", "FINDINGS ABOUT", "Findings-About"),
    or None when `name` is not one (Special-Purpose, Trial Design, Relationship, ...)."""
    if not name:
        return None
    wanted = " ".join(name.replace("-", " ").replace("_", " ").split()).casefold()
    return next((cls for cls in GENERAL_CLASSES if cls.casefold() == wanted), None)


def class_variables(cls: str) -> list[ClassVariable]:
    """Every variable a domain of class `cls` may carry, in the model's order, as patterns.

    Findings About carries the Findings variables with --OBJ after --TEST.
    """
    canonical = general_class(cls)
    if canonical is None:
        raise UnknownClassError(f"{cls!r} is not an SDTM general observation class; "
                                f"write one of {', '.join(GENERAL_CLASSES)}")
    return list(_class_table(canonical))


@functools.cache
def _class_table(cls: str) -> tuple[ClassVariable, ...]:
    groups = _groups()
    if cls == "Findings About":
        findings = groups["Findings"]
        qualifiers = findings[:2] + groups["Findings About"] + findings[2:]
    else:
        qualifiers = groups[cls]
    rows = groups["Identifiers"] + qualifiers + groups["Timing"]
    return tuple(ClassVariable(group=row["group"], order=position, pattern=row["name"], label=row["label"],
                               type=row["type"], role=row["role"], custom_core=row["custom_core"])
                 for position, row in enumerate(rows, start=1))


@functools.cache
def _groups() -> dict[str, list[dict[str, str]]]:
    text = resources.files("cdisc_map.standards").joinpath("data", _FILE).read_text(encoding="utf-8")
    groups: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        groups.setdefault(row["group"], []).append(row)
    for rows in groups.values():
        rows.sort(key=lambda row: int(row["order"]))
    return groups
