"""Conform built records to the standard's metadata: names, labels, types, order.

The SDTMIG, not the spec, decides a dataset's columns: every Required and Expected
variable is there (an Expected one the spec does not map is written empty and
reported), a variable the IG does not know is refused (it belongs in SUPP--), and
the order is the IG's. What each variable is (origin, method) is kept for define.xml.
"""

from __future__ import annotations

import pandas as pd

from cdisc_map.core.datasets import Dataset, Variable, char_length
from cdisc_map.core.problems import Problem
from cdisc_map.core.text import numbers_as_text
from cdisc_map.mapping.engine import FORM, ROW
from cdisc_map.spec import conditions
from cdisc_map.spec.registry import extensions, method_name, method_text, origin_of
from cdisc_map.spec.study import DatasetSpec
from cdisc_map.standards.metadata import Standard, load_sdtmig


def conform(spec: DatasetSpec, frame: pd.DataFrame, version: str,
            files: dict[str, str] | None = None, terminology=None,
            standard: Standard | None = None, pages: dict[str, tuple[int, ...]] | None = None,
            ) -> tuple[Dataset, list[Problem]]:
    standard = standard or load_sdtmig(version)
    name = spec.name
    definition = standard.dataset_for(name, spec.cls)
    ig_vars = standard.allowed_variables(name, spec.cls)  # the IG table and its class's variables, model order
    known = {v.name for v in ig_vars}
    located = spec.mapped()
    mapped = {var: mapping for var, (mapping, _trail) in located.items()}
    problems: list[Problem] = []

    def problem(message: str, var: str | None = None, severity: str = "error", hint: str | None = None) -> None:
        row = spec.line(*located[var][1]) if var in located else spec.line("dataset")
        problems.append(Problem(message, file=str(spec.path), row=row, column=var, dataset=name,
                                severity=severity, hint=hint))

    for var in mapped:
        if var not in known:
            problem(f"{var} is neither an SDTMIG {version} {name} variable nor a variable of its class", var,
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
            values = numbers_as_text(values)
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
        rules = tuple((rule["where"], rule["ct"]) for rule in spec.data.get("value_level", {}).get(meta.name, []))
        if terminology is not None and meta.type == "Char" and (meta.codelist or rules):
            problems += _codelist_problems(meta, values, mapping, terminology, spec, rules, frame)
        out[meta.name] = values
        variables.append(Variable(
            name=meta.name, label=meta.label, type=meta.type,
            length=char_length(values) if meta.type == "Char" else 8,
            core=meta.core, role=meta.role,
            codelist=(mapping or {}).get("ct") or meta.codelist or "", extended=extensions(mapping),
            value_codelists=rules,
            origin=origin_of(mapping), source=(mapping or {}).get("source", ""),
            method=method_text(mapping, variable=meta.name), comment=(mapping or {}).get("comment", ""),
            method_name=method_name(mapping), crf_pages=(pages or {}).get(meta.name, ()),
        ))
    out = out.reset_index(drop=True)
    label = spec.data.get("label") or definition.meta.label
    if not label:
        problems.append(Problem(f"{name} is a sponsor-defined domain: give it a `label:`", file=str(spec.path),
                                row=spec.line("dataset"), dataset=name, hint="at most 40 characters"))
    return Dataset(name=name, label=label, frame=out, variables=variables, keys=spec.keys,
                   comment=spec.data.get("comment"), domain=definition.domain,
                   structure=definition.meta.structure, cls=definition.meta.cls), problems


def _codelist_problems(meta, values: pd.Series, mapping: dict | None, terminology, spec: DatasetSpec,
                       rules: tuple[tuple[dict, str], ...] = (), frame: pd.DataFrame | None = None) -> list[Problem]:
    """Values of a variable with a codelist must be in it, whatever mapping kind produced them.

    With value-level rules (`value_level:`), each record is checked against the codelist of
    the first rule it meets; the others against the IG's codelist when the IG gives one.
    """
    problems: list[Problem] = []
    pending = pd.Series(True, index=values.index)
    for condition, name in rules:
        holds = pending & conditions.evaluate(condition, lambda _kind, var: frame[var], frame.index).to_numpy()
        problems += _not_in(meta, values[holds], name, mapping, terminology, spec,
                            f" (where {conditions.describe(condition)})")
        pending &= ~holds
    if meta.codelist and len(meta.codelist.split()) == 1:
        problems += _not_in(meta, values[pending], meta.codelist, mapping, terminology, spec, "")
    return problems


def _not_in(meta, values: pd.Series, name: str, mapping: dict | None, terminology, spec: DatasetSpec,
            where: str) -> list[Problem]:
    try:
        codelist = terminology.codelist(name)
    except (KeyError, LookupError):
        return []
    allowed = {t.submission_value for t in codelist.terms}
    allowed |= set(extensions(mapping))
    distinct = set(pd.unique(values)) - allowed - {""}
    if not distinct:
        return []
    severity = "warning" if codelist.extensible else "error"
    kind = "extensible" if codelist.extensible else "non-extensible"
    row = spec.line(*spec.mapped().get(meta.name, (None, ("variables", meta.name)))[1])
    return [Problem(
        f"{meta.name} value is not in the {kind} codelist {codelist.short_name} ({codelist.code}){where}",
        file=str(spec.path), row=row, column=meta.name, value=value, dataset=spec.name, severity=severity,
        hint="use a submission value of the codelist" + (", or list it under `extend:`" if codelist.extensible else ""),
    ) for value in sorted(distinct)]
