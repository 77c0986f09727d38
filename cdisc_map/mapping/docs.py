"""The reference pages of the spec language, generated from the registry: docs/derivations/.

One page per mapping kind and derivation (what it takes, reads, writes in define.xml,
and an example run through the engine, its output printed as the engine gives it) and
an index with the shared words. `python -m cdisc_map.mapping.docs [FOLDER]` rewrites
them; a test keeps them in step with the registry and runs every page's example.
"""

from __future__ import annotations

import pprint
import sys
import warnings
from pathlib import Path

from cdisc_map.mapping.apply import apply_mapping
from cdisc_map.spec.conditions import OPERATORS
from cdisc_map.spec.registry import ADAM, DERIVATION, ENTRIES, KIND, SDTM, Entry, Example, method_text, reads
from cdisc_map.spec.vocabulary import METADATA, MODIFIERS, WORDS

FOLDER = Path("docs") / "derivations"


def _spec_text(example: Example) -> str:
    """The example's mapping as a spec line would hold it (YAML flow style)."""
    def flow(value) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(flow(item) for item in value) + "]"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and (value == "" or any(c in value for c in ":{}[],#&*!|>'\"%@`") or
                                       value.strip() != value or value in ("Y", "N", "Yes", "No")):
            return '"' + value.replace('"', '\\"') + '"'
        return str(value)
    return f"{example.variable}: {flow(example.mapping)}"


def _python(example: Example) -> tuple[str, str]:
    """The example as a runnable Python snippet, and what it prints."""
    arguments = [f"    {pprint.pformat(example.mapping, width=100, sort_dicts=False)},"]
    if example.source:
        arguments.append(f"    {pprint.pformat(example.source, width=100, sort_dicts=False)},")
    for name in ("built", "datasets"):
        value = getattr(example, name)
        if value:
            arguments.append(f"    {name}={pprint.pformat(value, width=100, sort_dicts=False)},")
    if example.standard != SDTM:
        arguments.append(f"    standard={example.standard!r},")
    arguments.append(f"    variable={example.variable!r},")
    for name, value in example.options.items():
        arguments.append(f"    {name}={pprint.pformat(value, width=100, sort_dicts=False)},")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = apply_mapping(example.mapping, example.source, built=example.built, datasets=example.datasets,
                               standard=example.standard, variable=example.variable, **example.options)
    printed = repr(values.tolist())
    code = "\n".join([
        "from cdisc_map.mapping import apply_mapping",
        "",
        "values = apply_mapping(",
        *arguments,
        ")",
        "print(values.tolist())",
        f"# {printed}",
    ])
    return code, printed


def _reads_text(entry: Entry) -> str:
    if entry.example is None:
        return ""
    found = reads(entry.example.mapping)
    parts = []
    if found.columns:
        parts.append("columns of the source records")
    if found.subject:
        parts.append("the subject id column of the raw form")
    if found.variables:
        parts.append("variables of its own dataset")
    if found.others or found.datasets:
        parts.append("other datasets, per subject")
    if found.order:
        parts.append("the dataset's records in key order")
    return ", ".join(parts) or "nothing but the study"


def page(entry: Entry) -> str:
    """The Markdown page of one entry, as docs/derivations/<name>.md holds it."""
    how = f"`{{{entry.name}: ...}}`" if entry.form == KIND else f"`{{derive: {entry.name}, ...}}`"
    lines = [f"# {entry.name}", "", entry.summary, ""]
    if entry.doc:
        lines += [entry.doc, ""]
    lines += [
        "| | |", "|---|---|",
        f"| Written as | {how} |",
        f"| Kind | {'mapping kind' if entry.form == KIND else 'derivation'} |",
        f"| Specs | {', '.join(entry.standards)} |",
        f"| Reads | {_reads_text(entry)} |",
        f"| Origin in define.xml | {', '.join(f'{s}: {entry.origin_for(s)}' for s in entry.standards)} |",
    ]
    if entry.method and entry.example is not None:
        lines.append(f"| Method in define.xml | {method_text(entry.example.mapping)} (for the example below) |")
    lines += ["", "## Parameters", "", "| Key | Required | Meaning |", "|---|---|---|"]
    if entry.main is not None:
        lines.append(f"| `{entry.key}` | yes | {entry.main.doc} |")
    elif entry.form == DERIVATION:
        lines.append(f"| `derive` | yes | `{entry.name}` |")
    for param in entry.params:
        lines.append(f"| `{param.word}` | {'yes' if param.required else 'no'} | {param.doc} |")
    lines += ["", f"Any mapping also takes the [modifiers and metadata](README.md#modifiers-and-metadata) "
              f"({', '.join(MODIFIERS + METADATA)}).", ""]
    if entry.example is not None:
        code, _printed = _python(entry.example)
        lines += ["## Example", "", "In a spec:", "", "```yaml", _spec_text(entry.example), "```", "",
                  "Run on a few records (the same engine as `cdisc-map run`):", "", "```python", code, "```", ""]
    return "\n".join(lines)


def index() -> str:
    """docs/derivations/README.md: every entry, the shared words, the modifiers."""
    lines = [
        "# The spec language: mapping kinds and derivations",
        "",
        "Every variable of an SDTM or ADaM spec is one mapping, and every mapping names one",
        "entry below: a kind by its key (`{copy: AE Term}`), a derivation by `derive:`",
        "(`{derive: study_day, of: AESTDTC}`). The same words mean the same thing in every",
        "entry and in both standards. These pages are generated from the registry",
        "(`cdisc_map/spec/registry.py`); each example is run by the tests.",
        "",
        "| Entry | Written as | Specs | What it does |",
        "|---|---|---|---|",
    ]
    for entry in ENTRIES.values():
        how = f"`{entry.name}:`" if entry.form == KIND else f"`derive: {entry.name}`"
        lines.append(f"| [{entry.name}]({entry.name}.md) | {how} | {', '.join(entry.standards)} | {entry.summary} |")
    lines += ["", "## The words", "", "| Word | Type | Meaning |", "|---|---|---|"]
    for word in WORDS.values():
        if word.name in MODIFIERS or word.name in METADATA:
            continue
        lines.append(f"| `{word.name}` | {word.type} | {word.meaning} |")
    lines += ["", "## Modifiers and metadata", "",
              "Any mapping may carry these. Modifiers change the result, in this order: " +
              ", ".join(f"`{m}`" for m in MODIFIERS) + "; metadata travels to define.xml.", "",
              "| Key | Meaning |", "|---|---|"]
    for word in MODIFIERS + METADATA:
        lines.append(f"| `{word}` | {WORDS[word].meaning} |")
    lines += ["", "## Conditions", "",
              "A condition (`where:`, and `if:` in `when`) is data, never code: a leaf reads one field, "
              "`{col: NAME, OP: VALUE}` for a column of the source records or `{var: NAME, OP: VALUE}` for a "
              "variable (of `dataset` in a `where` that goes with one), and leaves combine with `all: [...]`, "
              "`any: [...]` and `not: {...}`.", "",
              "Operators: " + ", ".join(f"`{op}`" for op in OPERATORS) + ". `eq`, `ne`, `in`, `not_in` "
              "compare text after trimming blanks; `contains`, `starts_with`, `ends_with` look for text in the "
              "value; `matches` holds where the whole value matches a regular expression; `gt`, `ge`, `lt`, "
              "`le` compare numbers and are false where the value is not one; `missing: true` holds for empty "
              "text and missing numbers. The operand of `eq`, `ne`, `gt`, `ge`, `lt`, `le` may be another "
              "field, `{var: NAME}` or `{col: NAME}`: the two are compared record by record, as numbers when "
              "both are numbers, else as text (ISO 8601 dates order as text).", "",
              "```yaml", "where: {all: [{var: DSCAT, eq: DISPOSITION EVENT}, {var: DSDECOD, ne: COMPLETED}]}",
              "if: {var: AEENDTC, lt: {var: AESTDTC}}",
              "if: {col: Visit, matches: \"Unscheduled [0-9.]+\"}",
              "```", ""]
    lines += ["", f"ADaM specs (ADSL) read the variables they map and, for other names, the variables of "
              f"their source dataset; {SDTM} specs read raw columns with `col` and mapped variables with "
              f"`var` ({ADAM} conditions read variables).", ""]
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """Every generated page by file name."""
    found = {f"{entry.name}.md": page(entry) for entry in ENTRIES.values()}
    found["README.md"] = index()
    return found


def write_pages(folder: Path = FOLDER) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_pages(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
