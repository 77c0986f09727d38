"""The mapping kinds (copy, constant, number, ct, recode, date, when) and the modifiers any
mapping may carry (values, case, replace, transliterate, otherwise, not_after).

`evaluate` is the one entry point: it finds the mapping's registry entry, runs its
implementation and then its modifiers, in that order, whatever the standard.
"""

from __future__ import annotations

import pandas as pd
from anyascii import anyascii

from cdisc_map.core import dates
from cdisc_map.core.distinct import per_distinct_rows
from cdisc_map.core.text import number_text, numbers_as_text
from cdisc_map.mapping.derivations import DERIVATIONS
from cdisc_map.mapping.engine import Environment, Implementation, MappingError, Records, report
from cdisc_map.spec import conditions, templates
from cdisc_map.spec.registry import ADAM, entry_of, kinds_in
from cdisc_map.standards.suggest import not_in_codelist


def evaluate(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """The values of one target variable for `records`, by the mapping's entry, then its modifiers."""
    entry = entry_of(mapping)
    if entry is None:
        found = kinds_in(mapping)
        what = f"derivation {mapping.get('derive')!r}" if found == ["derive"] else (" and ".join(found) or "none")
        raise MappingError(f"{variable}: the mapping names no single known kind ({what})")
    function = KINDS.get(entry.name) or DERIVATIONS[entry.name]
    values = function(mapping, records, env, variable)
    return apply_modifiers(mapping, entry.name, values, records, env, variable)


def apply_modifiers(mapping: dict, kind: str, values: pd.Series, records: Records, env: Environment,
                    variable: str) -> pd.Series:
    """The modifiers of a mapping, in a fixed order (vocabulary.MODIFIERS): take a part (extract, split,
    substring), strip, replace, transliterate, change case, pad, add a prefix or suffix, then map the
    values, fill what is missing (otherwise) and cap dates (not_after)."""
    if any(word in mapping for word in _TEXT_MODIFIERS):
        values = _shaped(mapping, numbers_as_text(values) if pd.api.types.is_numeric_dtype(values) else values,
                         records, env, variable)
    text = not pd.api.types.is_numeric_dtype(values)
    if text and ("replace" in mapping or mapping.get("transliterate")):
        values = to_ascii(values, mapping.get("replace", {}), mapping.get("transliterate", False))
    if text and mapping.get("case") in ("upper", "lower"):
        values = values.astype(str).str.upper() if mapping["case"] == "upper" else values.astype(str).str.lower()
    if text and any(word in mapping for word in ("pad", "prefix", "suffix")):
        values = _padded(mapping, values)
    if "values" in mapping and kind not in ("ct", "recode"):
        values = _recoded(numbers_as_text(values).str.strip(), mapping["values"], records, env, variable,
                          column=None, shown=None)
    if "otherwise" in mapping:
        values = values.where(~missing(values), mapping["otherwise"])
    if "not_after" in mapping:
        cap = records.variable(mapping["not_after"])
        later = values.notna() & cap.notna() & (values > cap)
        report(env, records, later, f"{variable}: later than {mapping['not_after']}; set to {mapping['not_after']}",
               column=variable, severity="warning")
        values = values.where(~later, cap)
    return values


def missing(values: pd.Series) -> pd.Series:
    """Where a result is missing: NaN for numbers, empty (or blank) text."""
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    return values.isna() | (values.astype(object).where(values.notna(), "").astype(str).str.strip() == "")


_TEXT_MODIFIERS = ("extract", "split", "substring", "strip")


def _shaped(mapping: dict, values: pd.Series, records: Records, env: Environment, variable: str) -> pd.Series:
    """A part of each text value (extract, split, substring), then stripped; what cannot be taken is reported."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    if "extract" in mapping:
        pattern = conditions.compiled(str(mapping["extract"]))

        def part(value: str) -> str | None:
            match = pattern.fullmatch(value)
            if match is None:
                return None
            if "value" in pattern.groupindex:
                return match.group("value") or ""
            return (match.group(1) or "") if pattern.groups else match.group(0)

        taken = map_distinct(text, lambda v: part(v) if v else "")
        report(env, records, taken.isna(), f"{variable}: value does not match {mapping['extract']!r}",
               column=None, values=text, hint=f"correct the value, or the `extract:` pattern of {variable}")
        text = taken.fillna("")
    if "split" in mapping:
        sep, number = mapping["split"]["sep"], int(mapping["split"]["part"])

        def piece(value: str) -> str | None:
            pieces = value.split(sep)
            position = number - 1 if number > 0 else number
            return pieces[position] if -len(pieces) <= position < len(pieces) else None

        taken = map_distinct(text, lambda v: piece(v) if v else "")
        report(env, records, taken.isna(), f"{variable}: value has no part {number} when split on {sep!r}",
               column=None, values=text, hint=f"correct the value, or the `split:` of {variable}")
        text = taken.fillna("")
    if "substring" in mapping:
        start = int(mapping["substring"]["start"]) - 1
        length = mapping["substring"].get("length")
        text = text.str.slice(start, None if length is None else start + int(length))
    strip = mapping.get("strip")
    if strip:
        chars = None if strip is True else strip.get("chars")
        side = "both" if strip is True else strip.get("side", "both")
        text = {"both": text.str.strip, "left": text.str.lstrip, "right": text.str.rstrip}[side](chars)
    return text.astype(object)


def _padded(mapping: dict, values: pd.Series) -> pd.Series:
    """Non-empty text padded to a width, then given its prefix and suffix."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    present = text != ""
    if "pad" in mapping:
        width, char = int(mapping["pad"]["width"]), mapping["pad"].get("char", " ")
        padded = text.str.rjust(width, char) if mapping["pad"].get("side", "left") == "left" else \
            text.str.ljust(width, char)
        text = text.where(~present, padded)
    affixed = str(mapping.get("prefix", "")) + text + str(mapping.get("suffix", ""))
    return text.where(~present, affixed).astype(object)


def to_ascii(values: pd.Series, replace: dict[str, str], transliterate: bool) -> pd.Series:
    """Apply a spec's text rules: substring replacements (on any text), then transliteration of what
    is not ASCII, if asked.

    Whatever is still non-ASCII afterwards is left as it is, for conform to report:
    text is never silently dropped or mangled.
    """

    def fix(text: str) -> str:
        for old, new in replace.items():
            text = text.replace(old, new)
        if transliterate and not text.isascii():
            text = " ".join(anyascii(text).split())
        return text

    return map_distinct(values.astype(str), fix).astype(object)


def map_distinct(text: pd.Series, translate) -> pd.Series:
    """Apply `translate` once per distinct value and map the results back."""
    table = {value: translate(value) for value in pd.unique(text)}
    return text.map(table)


def trimmed(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip()


def value_key(value) -> str:
    """A key of a `values` map as text: numbers as `number_text` writes them, text trimmed."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return str(value).strip()


def lookup_tables(values: dict) -> tuple[dict[str, object], dict[str, object]]:
    exact = {value_key(k): v for k, v in values.items()}
    folded = {value_key(k).casefold(): v for k, v in values.items()}
    return exact, folded


def _copy(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    values = records.column(mapping["copy"])
    if pd.api.types.is_numeric_dtype(values):
        return values.copy()
    return trimmed(values).astype(object)


def _constant(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    value = mapping["constant"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Series(float(value), index=records.index, dtype="float64")
    return pd.Series(str(value), index=records.index, dtype=object)


def _number(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    column = mapping["number"]
    raw = records.column(column)
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64")
    text = trimmed(raw)
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    bad = numbers.isna() & (text != "")
    report(env, records, bad, f"{variable}: not a number", column=column,
           hint="correct the value in the export, or map the column with `recode`/`when` instead of `number`")
    return numbers


def _ct(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    column = mapping["col"]
    codelist = env.terminology.codelist(mapping["ct"])
    exact, folded = lookup_tables(mapping.get("values", {}))
    extensions = {str(v).casefold(): str(v) for v in mapping.get("extend", [])}
    allowed = {t.submission_value for t in codelist.terms} | set(extensions.values())

    def translate(raw: str) -> str | None:
        if raw == "":
            return ""
        if raw in exact:
            return str(exact[raw])
        if raw.casefold() in folded:
            return str(folded[raw.casefold()])
        term = codelist.lookup(raw)
        if term is not None:
            return term.submission_value
        return extensions.get(raw.casefold())

    text = trimmed(records.column(column))
    result = map_distinct(text, translate)
    unmapped = result.isna()
    if unmapped.any():
        advice = {value: not_in_codelist(value, codelist, env.terminology)
                  for value in pd.unique(text[unmapped])}
        report(env, records, unmapped, "", column=column,
               messages=text.map(lambda v: f"{variable}: {advice[v].message}" if v in advice else ""),
               hints=text.map(lambda v: f"{advice[v].hint}; map it under `values:` of {variable}"
                              + (", or list it under `extend:`" if codelist.extensible else "")
                              if v in advice else ""))
    result = result.fillna("")
    wrong = ~result.isin(allowed) & (result != "") & ~unmapped
    report(env, records, wrong, f"{variable}: study value map gives a value that is not in codelist "
           f"{codelist.short_name}", column=column, values=result,
           hint="map to a submission value of the codelist"
           + (", or list the value under `extend:`" if codelist.extensible else " (it is not extensible)"))
    return result.astype(object)


def _recoded(text: pd.Series, values: dict, records: Records, env: Environment, variable: str, *,
             column: str | None, shown: pd.Series | None) -> pd.Series:
    """`text` through a value map: a value without an entry is reported; "" stays missing unless mapped."""
    exact, folded = lookup_tables(values)

    def translate(raw: str):
        if raw == "":
            return None if "" in exact else ""
        if raw in exact:
            return exact[raw]
        return folded.get(raw.casefold())

    result = map_distinct(text, translate)
    unmapped = result.isna() & (text != "")
    per_subject = records.standard == ADAM  # a problem names the subject there: the message names the value
    report(env, records, unmapped, f"{variable}: value has no entry in `values`", column=column, values=shown,
           messages=map_distinct(text, lambda v: f"{variable}: value {v!r} has no entry in `values`")
           if per_subject and unmapped.any() else None,
           hint=f"add the value to `values:` of {variable}")
    numeric = bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values())
    if numeric:
        return pd.to_numeric(result.where(result != ""), errors="coerce").astype("float64")
    return result.fillna("").astype(str).astype(object)


def _recode(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    column = mapping["recode"]
    return _recoded(trimmed(records.column(column)), mapping["values"], records, env, variable, column=column,
                    shown=None)


def _date(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    column = mapping["date"]
    raw = records.column(column)
    time_column = mapping.get("time")
    times = records.column(time_column) if time_column else None
    formats = mapping.get("format")
    try:
        iso, errors = dates.convert_column(raw, formats, times, mapping.get("time_format"), strict=True)
    except ValueError as exc:  # a format the spec got wrong: check-spec says so too
        raise MappingError(f"{variable}: {exc}", hint="write the format with DD, MM, MON, YYYY, HH, MM, SS") from exc
    if not mapping.get("partial"):
        partial = (errors == "") & (iso != "") & ~iso.astype(str).str.match(r"^\d{4}-\d{2}-\d{2}(T|$)")
        errors = errors.where(~partial, "a partial date, and the spec accepts complete dates only (partial: true "
                                        "accepts partial dates)")
        iso = iso.where(~partial, "")
    bad = errors != ""
    shown = raw.astype(str)
    if times is not None:
        shown = shown.str.cat(times.astype(str), sep=" ").str.strip()
    report(env, records, bad, f"{variable}: invalid date", column=column, values=shown,
           messages=variable + ": " + errors,
           hint="correct the date in the export; the spec reads it as "
           + (" or ".join([formats] if isinstance(formats, str) else formats or []) or "ISO 8601 or DD-MON-YYYY"))
    return iso.astype(object)


def _derive(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return DERIVATIONS[mapping["derive"]](mapping, records, env, variable)


def _template(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """Constant text with the values of columns and variables put in; empty where every one is empty."""
    pieces = templates.parse(mapping["template"])
    result = pd.Series("", index=records.index, dtype=object)
    anything = pd.Series(False, index=records.index)
    for kind, value in pieces:
        if kind == "text":
            result = result + value
            continue
        column = records.column(value) if kind == "col" else records.variable(value)
        text = numbers_as_text(column).str.strip() if pd.api.types.is_numeric_dtype(column) else trimmed(column)
        anything |= text != ""
        result = result + text
    return result.where(anything, "").astype(object)


def _coalesce(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """Each record's value from the first mapping that gives one, the next mapping only where none did."""
    result: pd.Series | None = None
    pending = pd.Series(True, index=records.index)
    for inner in mapping["coalesce"]:
        if not pending.any():
            break
        values = evaluate(inner, records.subset(pending), env, variable)
        if result is None:
            numeric = pd.api.types.is_numeric_dtype(values)
            result = pd.Series(float("nan") if numeric else "", index=records.index,
                               dtype="float64" if numeric else object)
        result.loc[values.index] = values
        pending &= missing(result)
    return result if result is not None else pd.Series("", index=records.index, dtype=object)


def _when(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """The first branch whose condition holds, evaluated on its records only; `else` for the rest."""
    pending = pd.Series(True, index=records.index)
    parts = []
    for branch in mapping["when"]:
        hit = pending & condition_mask(branch["if"], records)
        if hit.any():
            parts.append(evaluate(branch["then"], records.subset(hit), env, variable))
        pending &= ~hit
    if "else" in mapping and pending.any():
        parts.append(evaluate(mapping["else"], records.subset(pending), env, variable))
    numeric = any(pd.api.types.is_numeric_dtype(p) for p in parts)
    result = pd.Series(float("nan") if numeric else "", index=records.index, dtype="float64" if numeric else object)
    for part in parts:
        result.loc[part.index] = part
    return result


def condition_mask(condition: dict, records: Records) -> pd.Series:
    """Where a condition holds on the records: `col` reads a source column, `var` a variable.

    Evaluated once per distinct combination of the values it reads.
    """
    names = conditions.fields(condition)
    frame = pd.DataFrame({f"{kind}:{name}": records.column(name) if kind == "col" else records.variable(name)
                          for kind, name in names}, index=records.index)
    return per_distinct_rows(frame, list(frame.columns), lambda rows: conditions.evaluate(
        condition, lambda kind, name: rows[f"{kind}:{name}"], rows.index)).astype(bool)


KINDS: dict[str, Implementation] = {
    "copy": _copy,
    "constant": _constant,
    "number": _number,
    "ct": _ct,
    "recode": _recode,
    "date": _date,
    "when": _when,
    "template": _template,
    "coalesce": _coalesce,
    "derive": _derive,
}
