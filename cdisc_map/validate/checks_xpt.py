"""XPT v5 structure: readability, version, file and variable names, labels, values."""

from __future__ import annotations

import numpy as np

from cdisc_map.validate.columns import is_text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Package
from cdisc_map.validate.model import NAME
from cdisc_map.validate.rules import check

MAX_LABEL = 40
MAX_VALUE_BYTES = 200


@check("CM0109")
def check_other_files(package: Package, ctx: Context) -> None:
    for file, why in package.skipped:
        ctx.out.add("CM0109", file=file, message=f"{file.rpartition('/')[2]} was not checked: {why}")


@check("CM0101", "CM0102", "CM0103", "CM0104", "CM0105")
def check_file_structure(package: Package, ctx: Context) -> None:
    out = ctx.out
    for dataset in package.datasets.values():
        where = {"file": dataset.file, "dataset": dataset.name}
        if not dataset.readable:
            out.add("CM0101", **where, message=f"{dataset.path.name}: {dataset.error}")
            continue
        meta = dataset.meta
        if meta.version != 5:
            out.add("CM0102", **where, value=f"version {meta.version}",
                    message=f"{dataset.path.name} is XPORT version {meta.version}, not 5")
        if dataset.path.name != f"{meta.dataset.lower()}.xpt":
            out.add("CM0103", **where, value=dataset.path.name,
                    message=f"the file {dataset.path.name} holds dataset {meta.dataset!r}; "
                            f"it should be named {meta.dataset.lower()}.xpt")
        if not NAME.fullmatch(meta.dataset or ""):
            out.add("CM0104", **where, value=meta.dataset,
                    message=f"dataset name {meta.dataset!r} breaks the XPT v5 naming rule")
        for name in dataset.frame.columns:
            if not NAME.fullmatch(str(name)):
                out.add("CM0104", **where, variable=str(name), value=str(name),
                        message=f"variable name {name!r} breaks the XPT v5 naming rule")
        if len(meta.label) > MAX_LABEL:
            out.add("CM0105", **where, value=meta.label,
                    message=f"the dataset label has {len(meta.label)} characters")
        for name, label in meta.column_labels.items():
            if len(label) > MAX_LABEL:
                out.add("CM0105", **where, variable=name, value=label,
                        message=f"the label of {name} has {len(label)} characters")


def _byte_length(value: object, encoding: str = "utf-8") -> int:
    """Bytes of a value as the file stores it (in the encoding it was decoded with)."""
    return len(value.encode(encoding, errors="replace")) if isinstance(value, str) else 0


def _ascii(value: object) -> bool:
    return not isinstance(value, str) or value.isascii()


@check("CM0106", "CM0107", "CM0108")
def check_values(package: Package, ctx: Context) -> None:
    """Value bytes, ASCII and declared lengths, one pass over each text column's values."""
    out = ctx.out
    for dataset in package.readable():
        meta = dataset.meta
        decoded = "" if meta.encoding == "utf-8" else f" (the file's text is {meta.encoding})"
        for label_of, label in [("", meta.label), *meta.column_labels.items()]:
            if not label.isascii():
                out.add("CM0107", file=dataset.file, dataset=dataset.name, variable=label_of,
                        value=label, message=f"the label has non-ASCII characters{decoded}")
        for name in dataset.frame.columns:
            series = dataset.frame[name]
            if not is_text(series):
                continue
            lengths = dataset.per_value(name, lambda v, e=meta.encoding: _byte_length(v, e), 0,
                                        dtype=np.int64)
            longest = int(lengths.max()) if len(lengths) else 0
            too_long = lengths > MAX_VALUE_BYTES
            if too_long.any():
                out.add_rows("CM0106", dataset, too_long, variable=name, values=series,
                             message=lambda p, n=lengths: f"the value is {n[p]} bytes long")
            non_ascii = ~dataset.per_value(name, _ascii, True, dtype=bool)
            if non_ascii.any():
                out.add_rows("CM0107", dataset, non_ascii, variable=name, values=series,
                             message=f"the value has non-ASCII characters{decoded}")
            declared = meta.character_lengths.get(name)
            if declared is not None and declared > max(longest, 1):
                out.add("CM0108", file=dataset.file, dataset=dataset.name, variable=name,
                        value=str(declared),
                        message=f"{name} has length {declared} but its longest value has "
                                f"{longest} bytes")
