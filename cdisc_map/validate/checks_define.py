"""define.xml: present, schema-valid, and describing the datasets as they are.

Reading and schema validation come from the `define_xml` package (the Define-XML 2.0
and 2.1 schemas ship with odmlib). When it cannot be imported, or the schemas are
missing, the schema rule reports a notice and the consistency rules are skipped or run
on what could be read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cdisc_map.validate.columns import is_text, number_text
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.rules import check

if TYPE_CHECKING:
    from cdisc_map.validate.engine import Context

try:  # a package of its own, installed with cdisc-map
    import define_xml
    from define_xml.checks import DefineError
except ImportError:  # pragma: no cover - exercised only in a broken installation
    define_xml = None
    DefineError = ValueError

NUMERIC_TYPES = {"integer", "float", "double"}
TEXT_TYPES = {"text", "date", "time", "datetime", "partialDate", "partialTime",
              "partialDatetime", "incompleteDatetime", "durationDatetime",
              "intervalDatetime", "URI"}
MAX_SCHEMA_FINDINGS = 50


def _load(package: Package, ctx: Context) -> Any | None:
    """The define model of the package (memoised on the package), or None."""
    if package.define is None or define_xml is None:
        return None
    if "define" not in package.cache:
        try:
            model = define_xml.load(package.define)
        except (DefineError, OSError) as error:
            ctx.out.add("CM0503", file=package.relative(package.define),
                        message=f"define.xml cannot be read: {error}")
            model = None
        package.cache["define"] = model
    return package.cache["define"]


@check("CM0501", "CM0502", "CM0503", "CM0512")
def check_define_file(package: Package, ctx: Context) -> None:
    if package.define is None:
        ctx.out.add("CM0501", file=package.file,
                    message=f"no define.xml in {package.file}")
        return
    where = package.relative(package.define)
    if define_xml is None:
        ctx.out.add("CM0512", file=where, message="the define_xml package is not installed")
        return
    try:
        problems = define_xml.validate(package.define)
    except (RuntimeError, OSError) as error:
        ctx.out.add("CM0512", file=where, message=f"schema check skipped: {error}")
        problems = []
    for problem in problems[:MAX_SCHEMA_FINDINGS]:
        ctx.out.add("CM0502", file=where, value=problem.partition(": ")[0],
                    message=problem)
    if len(problems) > MAX_SCHEMA_FINDINGS:
        ctx.out.add("CM0502", file=where,
                    message=f"... and {len(problems) - MAX_SCHEMA_FINDINGS} more schema errors")
    _load(package, ctx)


@check("CM0504", "CM0505", "CM0506", "CM0507", "CM0508", "CM0509", "CM0510")
def check_define_metadata(package: Package, ctx: Context) -> None:
    model = _load(package, ctx)
    if model is None:
        return
    where = package.relative(package.define)
    described = {d.name.upper(): d for d in model.datasets}
    for name, dataset in sorted(package.datasets.items()):
        if name not in described:
            ctx.out.add("CM0504", file=dataset.file, dataset=name,
                        message=f"{name} is not described in define.xml")
    for name, definition in described.items():
        if name not in package.datasets:
            if not definition.has_no_data and not package.partial:
                ctx.out.add("CM0505", file=where, dataset=name,
                            message=f"define.xml describes {name} but the package has no "
                                    f"{name.lower()}.xpt")
            continue
        dataset = package.get(name)
        if dataset is not None:
            _compare_dataset(dataset, definition, ctx)


def _compare_dataset(dataset: Dataset, definition: Any, ctx: Context) -> None:
    meta = dataset.meta
    where = {"file": dataset.file, "dataset": dataset.name}
    if (definition.label or "").strip() != meta.label.strip():
        ctx.out.add("CM0508", **where, value=meta.label,
                    message=f"the dataset label is {meta.label!r} in the XPT and "
                            f"{definition.label!r} in define.xml")
    variables = {v.name.upper(): v for v in definition.variables}
    for column in dataset.frame.columns:
        if column not in variables:
            ctx.out.add("CM0506", **where, variable=column,
                        message=f"{column} is not in define.xml's definition of {dataset.name}")
    for name, variable in variables.items():
        if name not in dataset.frame.columns:
            if not variable.has_no_data:
                ctx.out.add("CM0507", **where, variable=name,
                            message=f"define.xml lists {name} but {dataset.name} has no such "
                                    "variable")
            continue
        label = meta.column_labels.get(name, "")
        if (variable.label or "").strip() != label.strip():
            ctx.out.add("CM0508", **where, variable=name, value=label,
                        message=f"the label of {name} is {label!r} in the XPT and "
                                f"{variable.label!r} in define.xml")
        kind = meta.column_types.get(name)
        wanted = ("numeric" if variable.data_type in NUMERIC_TYPES
                  else "text" if variable.data_type in TEXT_TYPES else None)
        if wanted is not None and kind != wanted:
            ctx.out.add("CM0509", **where, variable=name, value=variable.data_type,
                        message=f"{name} is {kind} in the XPT but {variable.data_type} in "
                                "define.xml")
        length = meta.character_lengths.get(name)
        if wanted == "text" and kind == "text" and variable.length is not None \
                and variable.length != length:
            ctx.out.add("CM0510", **where, variable=name, value=str(length),
                        message=f"{name} has length {length} in the XPT and "
                                f"{variable.length} in define.xml")


@check("CM0511")
def check_define_codelists(package: Package, ctx: Context) -> None:
    model = _load(package, ctx)
    if model is None:
        return
    codelists = {c.oid: c for c in model.codelists}
    for definition in model.datasets:
        dataset = package.get(definition.name.upper())
        if dataset is None:
            continue
        for variable in definition.variables:
            codelist = codelists.get(variable.codelist_oid or "")
            name = variable.name.upper()
            if codelist is None or codelist.external_dictionary or not codelist.items \
                    or name not in dataset.frame.columns:
                continue
            allowed = {item.coded_value for item in codelist.items}
            series = dataset.frame[name]
            as_text = (lambda v: v) if is_text(series) else number_text
            outside = ~dataset.per_value(
                name, lambda v, a=allowed, t=as_text: t(v) in a or t(v) == "", True, dtype=bool)
            if outside.any():
                ctx.out.add_rows(
                    "CM0511", dataset, outside, variable=name, values=series,
                    message=lambda p, s=series, n=name, c=codelist.oid: (
                        f"{n} {_shown(s.iat[p])!r} is not in define.xml codelist {c}"),
                )


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else number_text(value)

