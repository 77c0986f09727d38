"""What a spec says of a variable's values before any data: the terms it can give, whole numbers or not.

A spec workbook lists, per codelist, the terms the study uses, and per variable a
Define-XML data type; both are known before the data when the spec fixes them (a
constant, a value map, the branches of `when`, the epochs of `epoch`) and are
otherwise "any term of the codelist" and "a number". These functions answer from the
mappings alone, so the workbook of a study is the same whatever export it runs on.
"""

from __future__ import annotations

from collections.abc import Callable

from cdisc_map.core.text import number_text
from cdisc_map.spec.registry import entry_of
from cdisc_map.spec.study import DatasetSpec, as_mapping
from cdisc_map.spec.vocabulary import MODIFIERS

#: Resolves a variable a mapping copies (ADSL's copy of a DM variable) to what that variable can hold.
Resolve = Callable[[str], "set[str] | None"]
WholeResolve = Callable[[str], bool]

#: Derivations whose numbers are whole: counts, days, ages, SAS dates and datetimes (seconds).
WHOLE_DERIVATIONS = {"seq", "study_day", "age", "visitdy", "sas_date", "sas_datetime", "duration", "first_date",
                     "last_date"}
#: Modifiers that change text in ways the terms of a constant no longer say.
_RESHAPING = tuple(m for m in MODIFIERS if m not in ("values", "otherwise", "not_after"))


def value_text(value: object) -> str:
    """A spec value as the data would hold it: numbers as `number_text` writes them."""
    return value if isinstance(value, str) else number_text(value)


def all_mappings(spec: DatasetSpec, variable: str) -> list[dict]:
    """Every mapping of a variable in an SDTM spec: the dataset's, each source's, each record's."""
    found = []
    if variable in spec.data.get("variables", {}):
        found.append(spec.data["variables"][variable])
    for source in spec.data["sources"]:
        if variable in source.get("variables", {}):
            found.append(source["variables"][variable])
        for record in source.get("records", []):
            if variable in record:
                found.append(as_mapping(record[variable]))
    return [mapping for mapping in found if isinstance(mapping, dict)]


def possible_values(mapping: dict | None, resolve: Resolve | None = None) -> set[str] | None:
    """The values a mapping can give, or None when the data decides (any term of its codelist).

    Empty text is no value. A value map is the study's statement of its terms: `ct` and
    `recode` with `values` give the map's values (and `otherwise`).
    """
    if not isinstance(mapping, dict):
        return set()
    entry = entry_of(mapping)
    if entry is None or any(key in mapping for key in _RESHAPING):
        return None
    name = entry.name
    found: set[str] | None
    if name == "constant":
        found = {value_text(mapping["constant"])}
    elif name in ("ct", "recode") and isinstance(mapping.get("values"), dict):
        found = {value_text(value) for value in mapping["values"].values()}
    elif name in ("when", "coalesce"):
        parts = [branch.get("then") for branch in mapping.get("when", []) if isinstance(branch, dict)]
        parts += list(mapping.get("coalesce", []))
        if "else" in mapping:
            parts.append(mapping["else"])
        found = _union(possible_values(part, resolve) for part in parts)
    elif name == "epoch":
        found = {str(epoch["epoch"]) for epoch in mapping.get("epochs", []) if isinstance(epoch, dict)}
    elif name == "copy" and resolve is not None:
        found = resolve(str(mapping["copy"]))
    else:
        found = None
    if found is None or ("values" in mapping and name not in ("ct", "recode")):
        return None
    if "otherwise" in mapping:
        found = found | {value_text(mapping["otherwise"])}
    return found - {""}


def union_of(mappings: list[dict], resolve: Resolve | None = None) -> set[str] | None:
    """The values any of several mappings (a variable's, across sources) can give; None when one is open."""
    return _union(possible_values(mapping, resolve) for mapping in mappings)


def _union(parts) -> set[str] | None:
    found: set[str] = set()
    for part in parts:
        if part is None:
            return None
        found |= part
    return found


def whole_numbers(mapping: dict | None, resolve: WholeResolve | None = None) -> bool:
    """True when a numeric mapping gives whole numbers only (Define-XML integer), False when it may not (float)."""
    if not isinstance(mapping, dict):
        return False
    entry = entry_of(mapping)
    if entry is None:
        return False
    if "values" in mapping:
        return all(_whole(value) for value in mapping["values"].values())
    if entry.name == "constant":
        return _whole(mapping["constant"])
    if entry.name in ("when", "coalesce"):
        parts = [branch.get("then") for branch in mapping.get("when", []) if isinstance(branch, dict)]
        parts += list(mapping.get("coalesce", []))
        if "else" in mapping:
            parts.append(mapping["else"])
        return bool(parts) and all(whole_numbers(part, resolve) for part in parts)
    if entry.name == "copy" and resolve is not None:
        return resolve(str(mapping["copy"]))
    return entry.name in WHOLE_DERIVATIONS


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
