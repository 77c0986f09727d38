"""A variable's mapping from what a workbook row says, or a placeholder and what to fill in.

A spec workbook says what a variable is (origin, method, assigned value,
predecessor, codelist), rarely how to compute it from a raw export. Where it says
enough, the mapping follows, in this order:

1. a method whose Expression Context is cdisc-map holds the mapping itself (what
   `export-spec` writes for every derivation);
2. an Assigned Value is a constant;
3. a Predecessor in the subjects dataset (DM.AGE for ADSL) is a copy of it;
4. a well-known variable gets its derivation (STUDYID, USUBJID, SUBJID, SITEID,
   --SEQ, --DY from its --DTC) when the row's origin agrees;
5. a method worded as one of ours ("Earliest EXSTDTC of the subject's EX records.")
   or naming one (study_day, seq) is that derivation.

Otherwise the mapping is a placeholder the spec language accepts (a copy of, or a
number or date from, a column named like the variable; through the codelist with the
workbook's terms), and a to-do says what to fill in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from cdisc_map.spec.registry import ADAM, DERIVATIONS, SDTM, Entry, entry_of
from cdisc_map.spec.vocabulary import METADATA

#: The Expression Context whose Expression Code is a mapping of the spec language.
CONTEXT = "cdisc-map"
_NAME = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?"
_OPEN_PARAMS = ("where", "order")


@dataclass(frozen=True)
class Codelist:
    """What a workbook says of a variable's codelist: a CDISC one (short name), its listed terms."""

    short_name: str
    terms: tuple[str, ...]  # the CDISC terms listed, in the codelist's order
    extended: tuple[str, ...] = ()  # listed terms the CDISC codelist does not have
    full: bool = True  # every term of the CDISC codelist is listed

    def values(self) -> dict[str, str] | None:
        """The identity value map that keeps a mapping to the listed terms, or None when all are listed."""
        if self.full:
            return None
        return {term: term for term in (*self.terms, *self.extended)}


@dataclass
class Row:
    """One variable as a workbook describes it, resolved (method and comment texts, codelist)."""

    dataset: str
    name: str
    type: str  # "Char" or "Num"
    origin: str = ""
    method: str = ""
    code: str = ""  # the Expression Code of the method when its context is cdisc-map
    assigned: str = ""
    predecessor: str = ""
    codelist: Codelist | None = None
    value_codelists: list[Codelist] = field(default_factory=list)
    siblings: frozenset[str] = frozenset()  # the other variables of the dataset
    domain: str = ""
    dictionary: str = ""  # the external dictionary the values are coded with (MedDRA)


@dataclass
class Inferred:
    mapping: dict
    todo: str = ""  # what is left to fill in; "" when the mapping follows from the workbook
    how: str = ""  # how it was inferred, for a comment in the spec


def parse_code(code: str) -> object:
    """An Expression Code read as YAML (a mapping, a time-to-event spec); None when it is not YAML."""
    if not code:
        return None
    try:
        return yaml.safe_load(code)
    except yaml.YAMLError:
        return None


def from_code(code: str) -> dict | None:
    """The mapping an Expression Code holds, or None when it is not a mapping of the spec language."""
    value = parse_code(code)
    if not isinstance(value, dict) or entry_of(value) is None:
        return None
    return {key: item for key, item in value.items() if key not in METADATA}


def infer(row: Row, standard: str = SDTM, subjects: str = "DM") -> Inferred:
    """The mapping of one variable, from what its row says; a placeholder and a to-do otherwise."""
    if row.code:
        mapping = from_code(row.code)
        if mapping is not None:
            return Inferred(mapping, how="the method's cdisc-map expression")
    if row.assigned:
        return Inferred({"constant": _typed(row.assigned, row.type)}, how="the assigned value")
    if row.predecessor:
        dataset, _, variable = row.predecessor.rpartition(".")
        if standard == ADAM and dataset.upper() == subjects and variable:
            return Inferred({"copy": variable}, how=f"the predecessor {row.predecessor}")
    for mapping, how in ((_by_name(row, standard), "the variable's name and origin"),
                         (_by_wording(row, standard), "the method's wording")):
        if mapping is not None and _agrees(mapping, row, standard):
            return Inferred(mapping, how=how)
    return placeholder(row, standard)


def placeholder(row: Row, standard: str = SDTM) -> Inferred:
    """A mapping the spec language accepts that reads a column named like the variable, and what to fill in."""
    name = row.name
    terms = row.codelist.values() if row.codelist else None
    if standard == ADAM or row.dictionary:
        mapping: dict = {"copy": name} if row.type == "Char" or standard == ADAM else {"number": name}
    elif row.origin == "Assigned" and row.codelist is None and not row.value_codelists:
        mapping = {"number": name} if row.type == "Num" else {"constant": ""}
    elif row.codelist is not None and row.type == "Char":
        mapping = {"ct": row.codelist.short_name, "col": name}
        if terms:
            mapping["values"] = terms
    elif row.value_codelists and row.type == "Char":
        listed = {t: t for c in row.value_codelists for t in (*c.terms, *c.extended)}
        mapping = {"recode": name, "values": listed} if not all(c.full for c in row.value_codelists) else \
            {"copy": name}
    elif row.type == "Num":
        mapping = {"number": name}
    elif name.endswith("DTC"):
        mapping = {"date": name}
    else:
        mapping = {"copy": name}
    return Inferred(mapping, todo=_todo(row, mapping, standard))


def _todo(row: Row, mapping: dict, standard: str) -> str:
    origin = row.origin or "no origin in the workbook"
    reads = "copies" if "copy" in mapping else "reads"
    column = f"the starter {reads} a column named {row.name}" + (
        " of the source dataset" if standard == ADAM else "")
    if "constant" in mapping:
        return f"{origin}: write its value (the starter assigns an empty value)"
    if row.dictionary:
        return f"{origin}, coded with {row.dictionary}: map the export's coded column ({column})"
    if row.origin == "Derived":
        said = f"; the method says: {row.method}" if row.method else ""
        return f"Derived: write the derivation ({column}){said}"
    if row.origin == "Predecessor":
        return f"Predecessor{' ' + row.predecessor if row.predecessor else ''}: map it ({column})"
    if row.origin in ("Assigned", "Protocol"):
        return f"{origin}: write its value ({column})"
    if "values" in mapping:
        return f"{origin}: map the raw column ({column}); put the raw values that mean each term as the keys of " \
               "`values`"
    return f"{origin}: map the raw column ({column})"


def _typed(text: str, kind: str) -> str | int | float:
    if kind != "Num":
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _agrees(mapping: dict, row: Row, standard: str) -> bool:
    """A guessed derivation is taken only when the row's origin is the derivation's own (or not given)."""
    entry = entry_of(mapping)
    return entry is not None and standard in entry.standards and (
        not row.origin or entry.origin_for(standard) == row.origin)


def _by_name(row: Row, standard: str) -> dict | None:
    """The derivation of a variable every SDTM dataset derives the same way."""
    if standard != SDTM:
        return None
    name, domain = row.name, row.domain
    fixed = {"STUDYID": "studyid", "USUBJID": "usubjid", "SUBJID": "subjid", "SITEID": "siteid"}
    if name in fixed:
        return {"derive": fixed[name]}
    if name == "DOMAIN" and domain:
        return {"constant": domain}
    if domain and name == f"{domain}SEQ":
        return {"derive": "seq"}
    if name.endswith("DY") and f"{name[:-2]}DTC" in row.siblings and row.type == "Num":
        return {"derive": "study_day", "of": f"{name[:-2]}DTC"}
    return None


def _by_wording(row: Row, standard: str) -> dict | None:
    """A derivation whose method is our own wording of it, or that names one of our derivations."""
    text = row.method.strip()
    if not text:
        return None
    for entry in DERIVATIONS:
        if standard not in entry.standards or not entry.method:
            continue
        found = _wording(entry).fullmatch(text.rstrip("."))
        if found is None or any(found.groupdict().get(key) for key in _OPEN_PARAMS):
            continue
        params = {key: _unqualified(value) for key, value in found.groupdict().items()
                  if value and key not in _OPEN_PARAMS and entry.param(key) is not None}
        if params.get("ref") == "RFSTDTC":
            del params["ref"]
        mapping = {"derive": entry.name, **params}
        if all(word in mapping for word in entry.required):
            return mapping
    for entry in DERIVATIONS:
        if standard in entry.standards and re.search(rf"\b{entry.name}\b", text):
            mapping = {"derive": entry.name}
            if entry.name == "study_day" and row.name.endswith("DY"):
                mapping["of"] = f"{row.name[:-2]}DTC"
            if all(word in mapping for word in entry.required):
                return mapping
    return None


def _wording(entry: Entry) -> re.Pattern[str]:
    """The entry's define.xml wording as a pattern: each {param} a name, repeats the same name."""
    pattern, seen, position = "", set(), 0
    for found in re.finditer(r"\{(\w+)\}", entry.method):
        pattern += re.escape(entry.method[position:found.start()])
        key = found.group(1)
        if key in seen:
            pattern += f"(?P={key})"
        elif key in _OPEN_PARAMS:
            pattern += f"(?P<{key}>.*?)"
        else:
            pattern += f"(?P<{key}>{_NAME})"
        seen.add(key)
        position = found.end()
    pattern += re.escape(entry.method[position:].rstrip("."))
    return re.compile(pattern)


def _unqualified(name: str) -> str:
    """DM.RFSTDTC as ADSL's method says it is RFSTDTC of the source dataset."""
    return name.split(".", 1)[1] if "." in name and name.split(".", 1)[0] in ("DM", "ADSL") else name
