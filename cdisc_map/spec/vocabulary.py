"""The words of the spec language: one meaning per word, in SDTM and ADaM specs alike.

Every parameter of every mapping kind and derivation is one of these words, so a
reader who has learnt `dataset`, `var` and `where` in one place reads them the same way
everywhere: `dataset` is always another dataset, `var` always a variable, `col` always a
column of the records being mapped from, `by` always grouping, `order` always ordering.
Each word has a type, which gives its JSON Schema and says what the planner and
check-spec read from it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: JSON Schema of each word type (references point into the generated schema's $defs).
TYPE_SCHEMAS: dict[str, dict] = {
    "column": {"type": "string", "minLength": 1},
    "variable": {"$ref": "#/$defs/varname"},
    "variables": {"type": "array", "items": {"$ref": "#/$defs/varname"}, "minItems": 1},
    "dataset": {"$ref": "#/$defs/dataset"},
    "condition": {"$ref": "#/$defs/condition"},
    "scalar": {"$ref": "#/$defs/scalar"},
    "text": {"type": "string"},
    "texts": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "flag": {"type": "boolean"},
    "values": {"type": "object", "additionalProperties": {"$ref": "#/$defs/scalar"}},
    "replacements": {"type": "object", "additionalProperties": {"type": "string"}},
    "date_format": {"oneOf": [{"type": "string", "minLength": 1},
                              {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}]},
    "time_format": {"type": "string", "minLength": 1},
    "codelist": {"type": "string", "minLength": 1},
    "sources": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/source"}},
    "epochs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/epoch"}},
    "branches": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/branch"}},
    "mapping": {"$ref": "#/$defs/mapping"},
    "case": {"enum": ["upper", "lower", "asis"]},
    "origin": {"enum": ["Collected", "Derived", "Assigned", "Protocol", "Predecessor"]},
    "origin_source": {"enum": ["Investigator", "Sponsor", "Subject", "Vendor"]},
    "label": {"type": "string", "maxLength": 40},
    "regex": {"type": "string", "minLength": 1},
    "template": {"type": "string", "minLength": 1},
    "mappings": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/mapping"}},
    "split_rule": {"type": "object", "additionalProperties": False, "required": ["sep", "part"],
                   "properties": {"sep": {"type": "string", "minLength": 1}, "part": {"type": "integer", "not": {
                       "const": 0}}}},
    "substring_rule": {"type": "object", "additionalProperties": False, "required": ["start"],
                       "properties": {"start": {"type": "integer", "minimum": 1},
                                      "length": {"type": "integer", "minimum": 1}}},
    "strip_rule": {"oneOf": [{"type": "boolean"}, {
        "type": "object", "additionalProperties": False,
        "properties": {"chars": {"type": "string", "minLength": 1}, "side": {"enum": ["both", "left", "right"]}}}]},
    "pad_rule": {"type": "object", "additionalProperties": False, "required": ["width"],
                 "properties": {"width": {"type": "integer", "minimum": 1, "maximum": 200},
                                "char": {"type": "string", "minLength": 1, "maxLength": 1},
                                "side": {"enum": ["left", "right"]}}},
    "data_type": {"enum": ["Char", "Num"]},
    "derivation": {"type": "string"},
    "pages": {"oneOf": [{"type": "integer", "minimum": 1},
                        {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1,
                         "uniqueItems": True}]},
}


@dataclass(frozen=True)
class Word:
    """A word of the language: its type and what it means wherever it appears."""

    name: str
    type: str
    meaning: str


WORDS: dict[str, Word] = {word.name: word for word in (
    Word("col", "column", "A column of the records being mapped from: a column of the raw form in an SDTM "
         "spec, a variable of the source dataset (DM for ADSL) in an ADaM spec."),
    Word("var", "variable", "A variable: of `dataset` when the entry names one, otherwise of the dataset being "
         "built. In ADaM, a name the dataset does not map itself is its source dataset's variable."),
    Word("dataset", "dataset", "Another dataset of the study, SDTM or ADaM, by name (EX, DM, ADSL, ...)."),
    Word("where", "condition", "A condition the records of `dataset` must meet (see "
         "[Conditions](README.md#conditions))."),
    Word("by", "variables", "Grouping variables: the derivation starts again within each combination of them."),
    Word("order", "variables", "Ordering variables, first to last; a --DTC date orders by the first day it "
         "can stand for."),
    Word("of", "variable", "The variable the derivation is computed from."),
    Word("ref", "variable", "The reference date variable the derivation measures from."),
    Word("start", "variable", "The start of an interval: a variable of the dataset (a time-to-event "
         "parameter's start is a source `{dataset, var}`)."),
    Word("end", "variable", "The end of an interval: a variable of the dataset."),
    Word("values", "values", "A value map: each key is a value as found, each value what is written instead. "
         "Keys match after trimming blanks, exactly first and then ignoring case."),
    Word("sources", "sources", "Several sources `{dataset, var, where, fallback}`, taken together."),
    Word("fallback", "variable", "A variable of `dataset` whose value a record gives where `var` is missing "
         "(RFXENDTC from EXSTDTC when EXENDTC is missing)."),
    Word("format", "date_format", "The layout of a raw date, from the tokens DD, MM, MON, YYYY (and HH, MM, SS "
         "for a time), e.g. DD-MON-YYYY or DD/MM/YYYY HH:MM; or a list of layouts tried in order "
         "([MM/DD/YYYY, YYYY]). A value in none of them is reported."),
    Word("partial", "flag", "Accept partial dates: unknown parts written UN, UK, UNK, UNKN or --, and the "
         "shorter layouts a format list gives (YYYY); without it a date that is not complete is reported."),
    Word("time", "column", "A raw column holding the time of a date given in another column."),
    Word("time_format", "time_format", "The layout of the raw time column, e.g. HH:MM."),
    Word("extend", "texts", "Values a study adds to the variable's extensible codelist (sponsor extensions, "
         "marked as such in define.xml)."),
    Word("epochs", "epochs", "The epochs in protocol order, each `{epoch: NAME, start: ...}` where start is a "
         "DM variable or a source `{dataset, var, where}` whose first date per subject starts the epoch."),
    Word("case", "case", "Change of case of a text result: upper, lower or asis."),
    Word("extract", "regex", "Take a part of a text result by a regular expression that must match the whole "
         "value: its group named value (or its first group) is kept; a value it does not match is reported."),
    Word("split", "split_rule", "Take a part of a text result: `{sep: \"-\", part: 2}` keeps the second piece "
         "(negative parts count from the end); a value without that piece is reported."),
    Word("substring", "substring_rule", "Take a part of a text result by position: `{start: 1, length: 3}` "
         "(1-based; without length, to the end)."),
    Word("strip", "strip_rule", "Remove characters from the ends of a text result: `true` for blanks, or "
         "`{chars: \"0\", side: left}` (side both, left or right)."),
    Word("replace", "replacements", "Substring replacements applied to text results, e.g. {\"\u03bc\": \"u\"} "
         "or {\" / \": \"/\"}."),
    Word("transliterate", "flag", "Transliterate what is left of non-ASCII text to ASCII."),
    Word("pad", "pad_rule", "Pad a non-empty text result to a width: `{width: 3, char: \"0\"}` (side left "
         "unless given)."),
    Word("prefix", "text", "Text put before every non-empty text result (\"01-\" before a subject id)."),
    Word("suffix", "text", "Text put after every non-empty text result."),
    Word("otherwise", "scalar", "The value written where the result is missing."),
    Word("not_after", "variable", "A date variable the result may not pass: a later date is set to it and "
         "reported."),
    Word("origin", "origin", "The define.xml origin, when the entry's own is not right."),
    Word("source", "origin_source", "The define.xml origin source (Investigator, Sponsor, Subject, Vendor)."),
    Word("method", "text", "The derivation in words, for define.xml; replaces the entry's generated wording."),
    Word("comment", "text", "A comment for define.xml: what a reviewer needs to know about the variable (notes for "
         "spec authors belong in YAML `#` comments, which stay in the spec)."),
    Word("crf_pages", "pages", "The annotated CRF page (or pages) where a collected value is recorded; define.xml "
         "links the origin to them. Overrides the `crf_pages` of the form in study.yaml."),
    Word("label", "label", "The variable label (supplemental qualifiers; ADaM producer-defined variables)."),
    Word("type", "data_type", "The variable type of an ADaM producer-defined variable: Char or Num."),
    Word("display_format", "text", "The SAS display format of an ADaM producer-defined variable (DATE9.)."),
    Word("eval", "text", "QEVAL of a supplemental qualifier: who evaluated it (INVESTIGATOR, ...)."),
)}

#: Words any entry accepts: what to do with the result, and what define.xml says of it.
MODIFIERS = ("extract", "split", "substring", "strip", "replace", "transliterate", "case", "pad", "prefix", "suffix",
             "values", "otherwise", "not_after")
METADATA = ("extend", "origin", "source", "method", "comment", "crf_pages", "label", "type", "display_format", "eval")
