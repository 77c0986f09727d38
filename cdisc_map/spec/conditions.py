"""Conditions in specs: a small vocabulary of comparisons, evaluated column-wise.

A condition is data (`{col: Eligible, eq: "No"}`, `{all: [...]}`), never code, so a
spec can be checked before it runs and can never do more than compare values. A leaf
reads one field, a column of the source records (`col`) or a variable (`var`), and
applies one operator:

* `eq`, `ne`, `in`, `not_in` compare text after trimming surrounding blanks (numbers as
  `number_text` writes them);
* `contains`, `starts_with`, `ends_with` look for text in the value, exactly;
* `matches` holds where the whole value matches a regular expression (anchored);
* `gt`, `ge`, `lt`, `le` compare numbers and are false where a value is not a number;
* `missing: true` holds for empty text and missing numbers.

The operand of `eq`, `ne`, `gt`, `ge`, `lt` and `le` may be another field,
`{var: AEENDTC}` or `{col: End Date}`: then the two fields are compared record by
record, as numbers when both are numbers, else as text (ISO 8601 dates order as text).
Leaves combine with `all`, `any` and `not`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import pandas as pd

from cdisc_map.core.text import number_text, numbers_as_text

OPERATORS = ("eq", "ne", "in", "not_in", "missing", "gt", "ge", "lt", "le", "contains", "starts_with", "ends_with",
             "matches")
#: Operators whose operand may be another field.
FIELD_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")
TEXT_OPERATORS = ("contains", "starts_with", "ends_with", "matches")

#: Resolves a field ({col: ...} or {var: ...}) to a column of values.
FieldLookup = Callable[[str, str], pd.Series]


def evaluate(condition: dict, lookup: FieldLookup, index: pd.Index) -> pd.Series:
    """Boolean Series over `index`: where `condition` holds."""
    if "all" in condition:
        result = pd.Series(True, index=index)
        for part in condition["all"]:
            result &= evaluate(part, lookup, index)
        return result
    if "any" in condition:
        result = pd.Series(False, index=index)
        for part in condition["any"]:
            result |= evaluate(part, lookup, index)
        return result
    if "not" in condition:
        return ~evaluate(condition["not"], lookup, index)
    kind = "col" if "col" in condition else "var"
    values = lookup(kind, condition[kind])
    return _leaf(condition, values, lookup)


def operator_of(condition: dict) -> str:
    """The one operator of a leaf; ValueError when it has none or several."""
    operators = [op for op in OPERATORS if op in condition]
    if len(operators) != 1:
        raise ValueError(f"a condition needs exactly one of {', '.join(OPERATORS)}; got {operators or 'none'}")
    return operators[0]


def field_of(operand: object) -> tuple[str, str] | None:
    """(kind, name) when an operand names another field ({var: X} or {col: X}), else None."""
    if isinstance(operand, dict) and len(operand) == 1:
        kind, name = next(iter(operand.items()))
        if kind in ("col", "var") and isinstance(name, str):
            return kind, name
    return None


def _text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return numbers_as_text(values)
    return values.fillna("").astype(str).str.strip()


def _leaf(condition: dict, values: pd.Series, lookup: FieldLookup) -> pd.Series:
    op = operator_of(condition)
    operand = condition[op]
    numeric = pd.api.types.is_numeric_dtype(values)
    text = _text(values)
    if op == "missing":
        is_missing = values.isna() if numeric else text == ""
        return is_missing if operand else ~is_missing
    other = field_of(operand) if op in FIELD_OPERATORS else None
    if other is not None:
        return _compare_fields(op, values, lookup(*other))
    if op == "eq":
        return text == _as_text(operand)
    if op == "ne":
        return text != _as_text(operand)
    if op == "in":
        return text.isin([_as_text(v) for v in operand])
    if op == "not_in":
        return ~text.isin([_as_text(v) for v in operand])
    if op == "contains":
        return text.str.contains(str(operand), regex=False)
    if op == "starts_with":
        return text.str.startswith(str(operand))
    if op == "ends_with":
        return text.str.endswith(str(operand))
    if op == "matches":
        return text.map(compiled(str(operand)).fullmatch).notna()
    numbers = values if numeric else pd.to_numeric(text, errors="coerce")
    compare = {"gt": numbers.gt, "ge": numbers.ge, "lt": numbers.lt, "le": numbers.le}[op]
    return compare(operand).fillna(False).astype(bool)


def _compare_fields(op: str, left: pd.Series, right: pd.Series) -> pd.Series:
    """Two fields record by record: as numbers when both are numeric, else as trimmed text; a missing
    value on either side compares false (also for `ne`)."""
    if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
        a, b = left.astype("float64"), right.astype("float64")
        present = a.notna() & b.notna()
    else:
        a, b = _text(left), _text(right)
        present = (a != "") & (b != "")
    result = {"eq": a == b, "ne": a != b, "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]
    return (result & present).astype(bool)


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    """A spec's regular expression, compiled once (check-spec has made sure it compiles)."""
    return re.compile(pattern)


def _as_text(value: object) -> str:
    return number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else \
        str(value).strip()


_OPERATOR_WORDS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TEXT_WORDS = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with", "matches": "matches"}


def describe(condition: dict | None) -> str:
    """A condition in words, for define.xml and messages, the same wherever it is written:
    "DSCAT = 'DISPOSITION EVENT' and DSDECOD <> 'DEATH'"; no condition is "all records"."""
    if not condition:
        return "all records"
    if "all" in condition or "any" in condition:
        joiner = " and " if "all" in condition else " or "
        parts = [describe(part) for part in condition.get("all", condition.get("any"))]
        return joiner.join(f"({p})" if (" and " in p or " or " in p) else p for p in parts)
    if "not" in condition:
        return f"not ({describe(condition['not'])})"
    name = condition.get("var", condition.get("col"))
    for op, word in _OPERATOR_WORDS.items():
        if op in condition:
            other = field_of(condition[op])
            return f"{name} {word} {other[1] if other else repr(condition[op])}"
    for op, word in _TEXT_WORDS.items():
        if op in condition:
            return f"{name} {word} {condition[op]!r}"
    if "in" in condition or "not_in" in condition:
        values = ", ".join(repr(v) for v in condition.get("in", condition.get("not_in", [])))
        return f"{name} {'in' if 'in' in condition else 'not in'} ({values})"
    if "missing" in condition:
        return f"{name} is {'' if condition['missing'] else 'not '}missing"
    return str(condition)


def fields(condition: dict) -> list[tuple[str, str]]:
    """Every (kind, name) a condition reads, operands that name fields included: for the build order
    and spec checks."""
    if "all" in condition or "any" in condition:
        return [f for part in condition.get("all", condition.get("any")) for f in fields(part)]
    if "not" in condition:
        return fields(condition["not"])
    kind = "col" if "col" in condition else "var"
    found = [(kind, condition[kind])]
    for op in FIELD_OPERATORS:
        other = field_of(condition.get(op))
        if other is not None:
            found.append(other)
    return found


def patterns(condition: dict | None) -> list[str]:
    """The regular expressions a condition uses (`matches`), for check-spec."""
    if not isinstance(condition, dict):
        return []
    if "all" in condition or "any" in condition:
        return [p for part in condition.get("all", condition.get("any")) or [] for p in patterns(part)]
    if "not" in condition:
        return patterns(condition["not"])
    return [str(condition["matches"])] if "matches" in condition else []
