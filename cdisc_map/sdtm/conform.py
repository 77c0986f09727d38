"""Conform built records to the standard's metadata: names, labels, types, order.

The SDTMIG, not the spec, decides a dataset's columns: every Required and Expected
variable is there (an Expected one the spec does not map is written empty and
reported), a variable the IG does not know is refused (it belongs in SUPP--), and
the order is the IG's. What each variable is (origin, method) is kept for define.xml.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cdisc_map.mapping.derivations import DERIVATIONS
from cdisc_map.mapping.engine import FORM, ROW
from cdisc_map.core.problems import Problem
from cdisc_map.spec.study import DatasetSpec, mapping_kind
from cdisc_map.standards.metadata import load_sdtmig

ORIGIN_BY_KIND = {
    "copy": "Collected", "number": "Collected", "ct": "Collected", "recode": "Collected", "date": "Collected",
    "constant": "Assigned", "derive": "Derived", "when": "Derived",
}


@dataclass
class Variable:
    """A variable as written: what the XPT header and define.xml say about it."""

    name: str
    label: str
    type: str  # "Char" or "Num"
    length: int
    core: str = ""
    role: str = ""
    codelist: str = ""
    origin: str = ""
    source: str = ""
    method: str = ""
    comment: str = ""


def spec_variables(spec: DatasetSpec) -> dict[str, dict]:
    """Every variable a spec maps, common ones first, then per source (first mapping wins)."""
    found = dict(spec.data.get("variables", {}))
    for source in spec.data["sources"]:
        for var, mapping in source.get("variables", {}).items():
            found.setdefault(var, mapping)
        for record in source.get("records", []):
            for var, value in record.items():
                found.setdefault(var, value if isinstance(value, dict) else {"constant": value})
    return found


def origin_of(mapping: dict | None) -> str:
    if not mapping:
        return ""
    if mapping.get("origin"):
        return mapping["origin"]
    if mapping_kind(mapping) == "derive":
        return DERIVATIONS[mapping["derive"]].origin
    return ORIGIN_BY_KIND.get(mapping_kind(mapping) or "", "")


def describe_condition(condition: dict) -> str:
    """A condition as a reader of define.xml would write it."""
    if "all" in condition:
        return " and ".join(describe_condition(c) for c in condition["all"])
    if "any" in condition:
        return "(" + " or ".join(describe_condition(c) for c in condition["any"]) + ")"
    if "not" in condition:
        return f"not ({describe_condition(condition['not'])})"
    name = condition.get("col") or condition.get("var")
    for op, words in (("eq", "is"), ("ne", "is not"), ("in", "is one of"), ("not_in", "is none of"),
                      ("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if op in condition:
            value = condition[op]
            shown = ", ".join(f'"{v}"' for v in value) if isinstance(value, list) else f'"{value}"'
            return f"{name} {words} {shown}"
    return f"{name} is {'missing' if condition.get('missing') else 'present'}"


def describe_mapping(mapping: dict) -> str:
    kind = mapping_kind(mapping)
    if kind == "constant":
        return f'"{mapping["constant"]}"'
    if kind == "copy":
        return f'raw {mapping["copy"]}'
    if kind == "date":
        return f'raw {mapping["date"]} as ISO 8601'
    if kind in ("ct", "recode", "number"):
        return f'raw {mapping.get("from") or mapping.get(kind)}'
    if kind == "when":
        parts = [f"if {describe_condition(b['if'])} then {describe_mapping(b['then'])}" for b in mapping["when"]]
        tail = f"; otherwise {describe_mapping(mapping['else'])}" if "else" in mapping else "; otherwise null"
        return "; ".join(parts) + tail
    return method_of(mapping)


def method_of(mapping: dict | None) -> str:
    if not mapping:
        return ""
    if "method" in mapping:
        return mapping["method"]
    if mapping_kind(mapping) == "when":
        text = describe_mapping(mapping)
        return text[0].upper() + text[1:] + "."
    if mapping_kind(mapping) == "derive":
        derivation = DERIVATIONS[mapping["derive"]]
        params = {k: v for k, v in mapping.items() if isinstance(v, str)}
        params.setdefault("ref", "RFSTDTC")
        params["where"] = f" where {mapping['where']}" if "where" in mapping else ""
        try:
            return derivation.method.format(**params)
        except (KeyError, IndexError):
            return derivation.method
    return ""


def char_length(values: pd.Series) -> int:
    """Longest value in bytes (at least 1, as XPT needs)."""
    if values.empty:
        return 1
    return max(1, max(len(str(v).encode("utf-8")) for v in pd.unique(values)))


def conform(spec: DatasetSpec, frame: pd.DataFrame, version: str,
            files: dict[str, str] | None = None, terminology=None, standard=None) -> tuple[object, list[Problem]]:
    from cdisc_map.sdtm.build import Dataset

    standard = standard or load_sdtmig(version)
    name = spec.name
    ig_vars = standard.variables(name)
    known = {v.name for v in ig_vars}
    mapped = spec_variables(spec)
    problems: list[Problem] = []

    def problem(message: str, var: str | None = None, severity: str = "error", hint: str | None = None) -> None:
        row = spec.line("variables", var) if var else spec.line("dataset")
        problems.append(Problem(message, file=str(spec.path), row=row, column=var, dataset=name,
                                severity=severity, hint=hint))

    for var in mapped:
        if var not in known:
            problem(f"{var} is not an SDTMIG {version} {name} variable", var,
                    hint="non-standard variables go under `supp:` (SUPPQUAL); check the spelling otherwise")

    out = pd.DataFrame(index=frame.index)
    variables: list[Variable] = []
    for meta in ig_vars:
        mapping = mapped.get(meta.name)
        if mapping is None and meta.core == "Req":
            problem(f"Required variable {meta.name} is not mapped", hint=f"add {meta.name} to the spec's variables")
            continue
        if mapping is None and meta.core != "Exp":
            continue
        if mapping is None:
            problem(f"Expected variable {meta.name} is not mapped; it is written empty", severity="warning",
                    hint=f"map {meta.name}, or leave it empty when the study does not collect it")
            values = pd.Series(float("nan") if meta.type == "Num" else "", index=frame.index)
        else:
            values = frame[meta.name] if meta.name in frame else pd.Series("", index=frame.index)
        numeric = pd.api.types.is_numeric_dtype(values)
        if meta.type == "Num" and not numeric:
            problem(f"{meta.name} is numeric in SDTMIG but the spec gives text", meta.name,
                    hint="map it with `number`, a numeric constant, or a numeric derivation")
            values = pd.to_numeric(values.replace("", None), errors="coerce")
        if meta.type == "Char" and numeric:
            values = values.map(_number_text)
        if meta.type == "Char":
            values = values.fillna("").astype(str).astype(object)
        else:
            values = values.astype("float64")
        if meta.core == "Req":
            empty = values.isna() if meta.type == "Num" else values == ""
            if empty.any():
                first = frame[empty].iloc[0]
                problems.append(Problem(
                    f"Required variable {meta.name} is empty in {int(empty.sum())} record(s)",
                    file=(files or {}).get(first.get(FORM, ""), str(first.get(FORM, ""))),
                    row=int(first[ROW]) if ROW in first else None,
                    column=meta.name, dataset=name, hint="Required variables must have a value in every record"))
        if terminology is not None and meta.codelist and meta.type == "Char":
            problems += _codelist_problems(meta, values, mapping, terminology, spec)
        out[meta.name] = values
        variables.append(Variable(
            name=meta.name, label=meta.label, type=meta.type,
            length=char_length(values) if meta.type == "Char" else 8,
            core=meta.core, role=meta.role,
            codelist=(mapping or {}).get("ct") or meta.codelist or "",
            origin=origin_of(mapping), source=(mapping or {}).get("source", ""),
            method=method_of(mapping), comment=(mapping or {}).get("comment", ""),
        ))
    out = out.reset_index(drop=True)
    label = spec.data.get("label") or standard.dataset(name).label
    return Dataset(name=name, label=label, frame=out, variables=variables, keys=spec.keys, spec=spec,
                   comment=spec.data.get("comment")), problems


def _codelist_problems(meta, values: pd.Series, mapping: dict | None, terminology, spec: DatasetSpec) -> list[Problem]:
    """Values of a variable with an IG codelist must be in it, whatever mapping kind produced them."""
    try:
        codelist = terminology.codelist(meta.codelist)
    except (KeyError, LookupError):
        return []
    allowed = {t.submission_value for t in codelist.terms}
    allowed |= {str(v) for m in _branches(mapping) for v in m.get("extend", [])}
    distinct = set(pd.unique(values)) - allowed - {""}
    if not distinct:
        return []
    severity = "warning" if codelist.extensible else "error"
    kind = "extensible" if codelist.extensible else "non-extensible"
    return [Problem(
        f"{meta.name} value is not in the {kind} codelist {codelist.short_name} ({codelist.code})",
        file=str(spec.path), row=spec.line("variables", meta.name), column=meta.name, value=value,
        dataset=spec.name, severity=severity,
        hint="use a submission value of the codelist" + (", or list it under `extend:`" if codelist.extensible else ""),
    ) for value in sorted(distinct)]


def _branches(mapping: dict | None):
    if not mapping:
        return
    yield mapping
    for branch in mapping.get("when", []):
        yield from _branches(branch["then"])
    if "else" in mapping:
        yield from _branches(mapping["else"])


def _number_text(value: float) -> str:
    if pd.isna(value):
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
