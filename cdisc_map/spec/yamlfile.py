"""Spec files as data: YAML loaded safely, with the line of every element, checked by a JSON Schema.

The person reading a spec problem is a statistical programmer editing YAML, so every
problem names the file and line and says what to write instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import closest
from cdisc_map.spec.registry import ENTRIES, entry_of
from cdisc_map.spec.schemas import schema

#: The 1-based line of each element, by its trail of keys and list positions.
Lines = dict[tuple, int]


def load_yaml(path: Path) -> tuple[Any, Lines]:
    """Load YAML safely and record the 1-based line of every mapping key and list item."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsError([Problem(f"cannot read spec: {exc}", file=str(path))]) from exc
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProblemsError([
            Problem(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                file=str(path),
                row=mark.line + 1 if mark else None,
                hint="check indentation and quote values that contain ': ' or start with a special character",
            )
        ]) from exc
    lines: Lines = {}
    if node is not None:
        _record_lines(node, (), lines)
    return data, lines


def _record_lines(node: yaml.Node, trail: tuple, lines: Lines) -> None:
    lines[trail] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = trail + (key_node.value,)
            _record_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, trail + (index,), lines)


def line_of(lines: Lines, trail: tuple) -> int | None:
    """Line of the deepest element of `trail` the file has (its parent's if absent)."""
    trail = tuple(trail)
    while trail and trail not in lines:
        trail = trail[:-1]
    return lines.get(trail)


def schema_problems(data: Any, schema_name: str, path: Path, lines: Lines) -> list[Problem]:
    """Every breach of the spec kind's JSON Schema, located by line, with what to write instead."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        trail = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
            trail = trail + tuple(extra[:1])  # the line of the unknown key itself
        problems.append(Problem(
            _message(error),
            file=str(path),
            row=line_of(lines, trail),
            column="/".join(map(str, trail)) or None,
            hint=_hint(error),
        ))
    return problems


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        return f"unknown key(s) {', '.join(map(repr, extra))}"
    if error.validator == "oneOf" and isinstance(error.instance, dict) and "col" in error.schema.get(
            "properties", {}):
        return "a condition needs exactly one of col, var, all, any, not"
    if error.validator == "required":
        missing = _missing(error)
        entry = entry_of(error.instance) if isinstance(error.instance, dict) else None
        if entry is not None:
            return f"{entry.name} needs {', '.join(f'`{k}`' for k in missing)}"
        return f"missing key(s): {', '.join(missing)}"
    return error.message


def _missing(error: jsonschema.ValidationError) -> list[str]:
    return [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]


def _hint(error: jsonschema.ValidationError) -> str | None:
    if error.validator == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        kinds = [ENTRIES[str(k)] for k in extra if str(k) in ENTRIES and ENTRIES[str(k)].form == "kind"]
        if kinds:
            entry = kinds[0]
            return f"{entry.name} is a kind of {' and '.join(entry.standards)} specs" + (
                "; an ADaM date is a number: derive: sas_date, of: --DTC" if entry.name == "date" else "")
        guesses = [guess for k in extra if (guess := closest(str(k), known))]
        if guesses:
            return f"did you mean {', '.join(map(repr, guesses))}?"
        return f"allowed keys: {', '.join(known)}"
    if error.validator == "pattern" and error.path and str(error.path[-1]) == "dataset":
        return "write the dataset name in upper case, at most 8 characters, e.g. DM"
    if error.validator == "enum":
        return f"write one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "required":
        entry = entry_of(error.instance) if isinstance(error.instance, dict) else None
        params = [entry.param(k) for k in _missing(error)] if entry is not None else []
        if params and all(params):
            return "; ".join(f"add `{p.word}:` ({p.doc})" for p in params)
        return "add the missing key"
    if error.validator == "maxLength":
        return f"shorten it to at most {error.validator_value} characters"
    return None
