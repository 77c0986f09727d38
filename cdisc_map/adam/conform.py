"""ADaM datasets as the writer and define.xml receive them: records plus variable metadata.

A built frame is put in the guide's variable order with the guide's labels, types and
display formats; producer-defined variables (declared with a label in the spec) come
after. Numeric columns become float64, character columns object with "" for missing,
which is what `cdisc_map.io.xpt.write_xpt` takes.
"""

from __future__ import annotations

import pandas as pd

from cdisc_map.core.datasets import Dataset, Variable, char_length
from cdisc_map.core.problems import Problem
from cdisc_map.core.text import numbers_as_text
from cdisc_map.standards.adam_metadata import load_adamig


def as_char(values: pd.Series) -> pd.Series:
    """Text column: object dtype, "" for missing, numbers as `number_text` writes them."""
    return numbers_as_text(values)


def as_num(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    return pd.to_numeric(as_char(values).str.strip().replace("", None), errors="coerce").astype("float64")


def conform_adam(name: str, frame: pd.DataFrame, extra: dict[str, dict] | None = None, version: str = "1.3",
                 methods: dict[str, str] | None = None, origins: dict[str, str] | None = None,
                 method_names: dict[str, str] | None = None, predecessors: dict[str, str] | None = None,
                 ) -> tuple[Dataset, list[Problem]]:
    """Order, type and describe `frame`'s columns by ADaMIG metadata (and `extra` for producer variables).

    `extra` maps a producer-defined variable to {label, type, format?}. A column neither
    knows is an error; a Required variable the frame lacks is an error. `methods`,
    `method_names`, `origins` and `predecessors` (DATASET.VARIABLE a Predecessor copies)
    are what define.xml says of each variable.
    """
    standard = load_adamig(version)
    meta = standard.dataset(name)
    extra = extra or {}
    methods = methods or {}
    origins = origins or {}
    method_names = method_names or {}
    predecessors = predecessors or {}
    problems: list[Problem] = []
    known = {v.name: v for v in standard.variables(name)}
    for var in known.values():
        if var.core == "Req" and var.name not in frame.columns:
            problems.append(Problem(f"Required variable {var.name} is missing", dataset=name, column=var.name,
                                    hint=f"add {var.name} to the {name} spec"))
    order = [v for v in known if v in frame.columns] + [v for v in frame.columns if v not in known]
    out = pd.DataFrame(index=frame.index)
    variables: list[Variable] = []
    for var in order:
        info = known.get(var)
        declared = extra.get(var)
        if info is None and declared is None:
            problems.append(Problem(f"{var} is not an ADaMIG {version} {name} variable and the spec gives no label",
                                    dataset=name, column=var,
                                    hint="declare a producer-defined variable with `label:` and `type:` in the spec"))
            continue
        label = (declared or {}).get("label") or info.label
        kind = (declared or {}).get("type") or info.type
        fmt = (declared or {}).get("display_format", info.format if info else "")
        values = as_num(frame[var]) if kind == "Num" else as_char(frame[var])
        out[var] = values
        variables.append(Variable(
            name=var, label=label, type=kind, length=char_length(values) if kind == "Char" else 8,
            core=info.core if info else "Perm", codelist=info.codelist if info else "",
            origin=origins.get(var, "Derived"), method=methods.get(var, ""), format=fmt or "",
            method_name=method_names.get(var, ""), predecessor=predecessors.get(var, ""),
        ))
    for var in meta.keys:
        if var in out and (out[var] == "").any():
            problems.append(Problem(f"key variable {var} is empty in {int((out[var] == '').sum())} record(s)",
                                    dataset=name, column=var))
    out = out.reset_index(drop=True)
    dataset = Dataset(name=name, label=meta.label, frame=out, variables=variables, keys=list(meta.keys),
                          cls=meta.cls, structure=meta.structure, methods=dict(methods))
    return dataset, problems
