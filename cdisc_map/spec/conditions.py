"""Conditions in specs: a small vocabulary of comparisons, evaluated column-wise.

A condition is data (`{col: Eligible, eq: "No"}`, `{all: [...]}`), never code, so a
spec can be checked before it runs and can never do more than compare values.
Raw values compare after trimming surrounding blanks; `gt`/`ge`/`lt`/`le` compare
numerically and are false where the value is not a number.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cdisc_map.core.text import number_text, numbers_as_text

OPERATORS = ("eq", "ne", "in", "not_in", "missing", "gt", "ge", "lt", "le")

#: Resolves a leaf's field ({col: ...} or {var: ...}) to a column of values.
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
    return _leaf(condition, values)


def _leaf(condition: dict, values: pd.Series) -> pd.Series:
    operators = [op for op in OPERATORS if op in condition]
    if len(operators) != 1:
        raise ValueError(f"a condition needs exactly one of {', '.join(OPERATORS)}; got {operators or 'none'}")
    op = operators[0]
    operand = condition[op]
    numeric = pd.api.types.is_numeric_dtype(values)
    if numeric:
        text = numbers_as_text(values)
        is_missing = values.isna()
    else:
        text = values.fillna("").astype(str).str.strip()
        is_missing = text == ""
    if op == "missing":
        return is_missing if operand else ~is_missing
    if op == "eq":
        return text == _as_text(operand)
    if op == "ne":
        return text != _as_text(operand)
    if op == "in":
        return text.isin([_as_text(v) for v in operand])
    if op == "not_in":
        return ~text.isin([_as_text(v) for v in operand])
    numbers = values if numeric else pd.to_numeric(text, errors="coerce")
    compare = {"gt": numbers.gt, "ge": numbers.ge, "lt": numbers.lt, "le": numbers.le}[op]
    return compare(operand).fillna(False).astype(bool)


def _as_text(value: object) -> str:
    return number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else \
        str(value).strip()


_OPERATOR_WORDS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


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
            return f"{name} {word} {condition[op]!r}"
    if "in" in condition or "not_in" in condition:
        values = ", ".join(repr(v) for v in condition.get("in", condition.get("not_in", [])))
        return f"{name} {'in' if 'in' in condition else 'not in'} ({values})"
    if "missing" in condition:
        return f"{name} is {'' if condition['missing'] else 'not '}missing"
    return str(condition)


def fields(condition: dict) -> list[tuple[str, str]]:
    """Every (kind, name) a condition reads: for dependency order and spec checks."""
    if "all" in condition or "any" in condition:
        return [f for part in condition.get("all", condition.get("any")) for f in fields(part)]
    if "not" in condition:
        return fields(condition["not"])
    kind = "col" if "col" in condition else "var"
    return [(kind, condition[kind])]
