"""The JSON Schemas of the specs, generated from the registry and the vocabulary.

Four kinds of spec file: study.yaml (written by hand: it describes the study, not
mappings), an SDTM dataset spec, the ADSL spec, and a time-to-event parameter spec.
The last three share their definitions (a condition, a source `{dataset, var, where}`,
a mapping) and take their mapping kinds and derivations from the registry, so a new
entry is in every schema at once. The generated files under `schemas/` are for
editors (YAML language servers); `python -m cdisc_map.spec.schemas` rewrites them and
a test keeps them in step.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path

from cdisc_map.core.sasdates import IMPUTATION_RULES
from cdisc_map.spec.conditions import OPERATORS
from cdisc_map.spec.registry import ADAM, DERIVATIONS, KINDS, SDTM, Entry
from cdisc_map.spec.vocabulary import METADATA, MODIFIERS, TYPE_SCHEMAS, WORDS

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"
GENERATED = ("dataset", "adsl", "tte")
AVAL_CONVENTIONS = ("ADT - STARTDT + 1", "ADT - STARTDT")


def _described(schema: dict, text: str) -> dict:
    return {**schema, "description": text} if text else dict(schema)


def _condition() -> dict:
    field = {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
             "properties": {"col": {"type": "string"}, "var": {"type": "string"}},
             "description": "Another field to compare with, record by record."}
    leaf = {op: {"oneOf": [{"$ref": "#/$defs/scalar"}, field]} for op in ("eq", "ne")}
    leaf.update({op: {"type": "array", "items": {"$ref": "#/$defs/scalar"}} for op in ("in", "not_in")})
    leaf.update({op: {"oneOf": [{"type": "number"}, field]} for op in ("gt", "ge", "lt", "le")})
    leaf.update({op: {"type": "string", "minLength": 1} for op in ("contains", "starts_with", "ends_with")})
    leaf["matches"] = {"type": "string", "minLength": 1, "description": "A regular expression the whole value "
                       "must match."}
    leaf["missing"] = {"type": "boolean"}
    assert set(leaf) == set(OPERATORS)
    return {
        "type": "object",
        "minProperties": 1,
        "oneOf": [{"required": [key]} for key in ("all", "any", "not", "col", "var")],
        "additionalProperties": False,
        "properties": {
            "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
            "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
            "not": {"$ref": "#/$defs/condition"},
            "col": {"type": "string", "description": WORDS["col"].meaning},
            "var": {"type": "string", "description": "A variable of the records the condition is about."},
            **leaf,
        },
    }


def _entries(standard: str) -> list[Entry]:
    return [entry for entry in KINDS + DERIVATIONS if standard in entry.standards]


def _mapping(standard: str) -> dict:
    """One variable's mapping: exactly one kind (or `derive`), its parameters, modifiers and metadata."""
    entries = _entries(standard)
    properties: dict[str, dict] = {}
    for entry in entries:
        if entry.form == "kind" and entry.main is not None:
            properties[entry.key] = _described(TYPE_SCHEMAS[entry.main.type_name], entry.summary)
    derivations = [entry.name for entry in entries if entry.form == "derivation"]
    properties["derive"] = {"enum": derivations, "description": "A named derivation (see docs/derivations/)."}
    for entry in entries:
        for param in entry.params:
            if param.word not in properties:
                properties[param.word] = _described(TYPE_SCHEMAS[param.type_name],
                                                    WORDS[param.word].meaning if param.word in WORDS else param.doc)
    for word in MODIFIERS + METADATA:
        properties.setdefault(word, _described(TYPE_SCHEMAS[WORDS[word].type], WORDS[word].meaning))
    rules = []
    for entry in entries:
        if not entry.required:
            continue
        if entry.form == "kind":
            rules.append({"if": {"required": [entry.key]}, "then": {"required": list(entry.required)}})
        else:
            rules.append({"if": {"required": ["derive"], "properties": {"derive": {"const": entry.name}}},
                          "then": {"required": list(entry.required)}})
    return {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": properties,
            "allOf": rules}


def _defs(standard: str) -> dict:
    return {
        "varname": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$"},
        "dataset": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}$"},
        "scalar": {"type": ["string", "number"]},
        "condition": _condition(),
        "source": {
            "type": "object", "additionalProperties": False, "required": ["dataset", "var"],
            "properties": {"dataset": {"$ref": "#/$defs/dataset"}, "var": {"$ref": "#/$defs/varname"},
                           "where": {"$ref": "#/$defs/condition"},
                           "fallback": {"$ref": "#/$defs/varname", "description": WORDS["fallback"].meaning}},
        },
        "epoch": {
            "type": "object", "additionalProperties": False, "required": ["epoch", "start"],
            "properties": {"epoch": {"type": "string"},
                           "start": {"oneOf": [{"$ref": "#/$defs/varname"}, {"$ref": "#/$defs/source"}]}},
        },
        "branch": {
            "type": "object", "additionalProperties": False, "required": ["if", "then"],
            "properties": {"if": {"$ref": "#/$defs/condition"}, "then": {"$ref": "#/$defs/mapping"}},
        },
        "mapping": _mapping(standard),
        "variables": {"type": "object", "propertyNames": {"$ref": "#/$defs/varname"},
                      "additionalProperties": {"$ref": "#/$defs/mapping"}},
    }


def _dataset_schema() -> dict:
    defs = _defs(SDTM)
    defs["supp"] = {
        "type": "object", "propertyNames": {"$ref": "#/$defs/varname"},
        "additionalProperties": {"allOf": [{"$ref": "#/$defs/mapping"}, {"type": "object", "required": ["label"]}]},
    }
    defs["records"] = {
        "type": "array", "minItems": 1,
        "description": "Records written as data (trial design, trial summary): each maps variables to a "
                       "constant or a mapping; a record's own mapping wins over the dataset's.",
        "items": {"type": "object", "propertyNames": {"$ref": "#/$defs/varname"},
                  "additionalProperties": {"oneOf": [{"$ref": "#/$defs/scalar"}, {"$ref": "#/$defs/mapping"}]}},
    }
    defs["sdtm_source"] = {
        "type": "object", "additionalProperties": False,
        "oneOf": [{"required": ["form"]}, {"required": ["records"]}],
        "properties": {
            "form": {"type": "string", "description": "A raw form named in study.yaml."},
            "where": {"$ref": "#/$defs/condition"},
            "join": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["form"],
                "properties": {
                    "form": {"type": "string"},
                    "optional": {"type": "boolean", "description": "Left join: subjects without a row in "
                                 "this form get missing values."},
                    "where": {"$ref": "#/$defs/condition"}}}},
            "variables": {"$ref": "#/$defs/variables"},
            "supp": {"$ref": "#/$defs/supp"},
            "collapse": {
                "type": "object", "additionalProperties": False, "required": ["by", "start", "end"],
                "description": "Merge contiguous records (end of one == start of the next) that agree on every "
                               "`by` variable into one interval.",
                "properties": {"by": TYPE_SCHEMAS["variables"], "start": {"$ref": "#/$defs/varname"},
                               "end": {"$ref": "#/$defs/varname"}}},
            "records": {"$ref": "#/$defs/records"},
        },
    }
    return {
        "$schema": SCHEMA_URL,
        "$id": "https://cdisc-map.dev/schema/dataset.schema.json",
        "title": "cdisc-map SDTM dataset spec (one YAML file per dataset, in sdtm/)",
        "type": "object", "additionalProperties": False, "required": ["dataset", "keys", "sources"],
        "properties": {
            "dataset": {"$ref": "#/$defs/dataset"},
            "label": {"type": "string", "maxLength": 40},
            "class": {"enum": ["Interventions", "Events", "Findings", "Findings About"],
                      "description": "The general observation class of a sponsor-defined domain (XB, YM, ...), "
                                     "which gives its variables (the SDTM model's class variables)."},
            "description": {"type": "string"},
            "comment": {"type": "string", "description": "Why this dataset looks as it does; travels to define.xml."},
            "keys": {"type": "array", "items": {"$ref": "#/$defs/varname"}, "minItems": 1, "uniqueItems": True},
            "sources": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/sdtm_source"}},
            "variables": {"$ref": "#/$defs/variables"},
            "supp": {"$ref": "#/$defs/supp"},
            "value_level": {
                "type": "object", "propertyNames": {"$ref": "#/$defs/varname"},
                "description": "Codelists that depend on a condition (value-level metadata): for each variable, "
                               "rules {where, ct}; a record takes the codelist of the first rule it meets.",
                "additionalProperties": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False, "required": ["where", "ct"],
                    "properties": {"where": {"$ref": "#/$defs/condition"},
                                   "ct": {"type": "string", "minLength": 1,
                                          "description": "The codelist (short name or NCI C-code)."}}}}},
            "checks": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                "properties": {"start_before_end": {"type": "array", "items": {"$ref": "#/$defs/varname"},
                                                    "minItems": 2, "maxItems": 2}}}},
        },
        "$defs": defs,
    }


def _adsl_schema() -> dict:
    return {
        "$schema": SCHEMA_URL,
        "$id": "https://cdisc-map.dev/schema/adsl.schema.json",
        "title": "cdisc-map ADSL spec (adam/adsl.yaml)",
        "type": "object", "additionalProperties": False, "required": ["variables"],
        "properties": {
            "dataset": {"const": "ADSL"},
            "label": {"type": "string", "maxLength": 40},
            "subjects": {"$ref": "#/$defs/dataset", "description": "The source dataset, one record per subject "
                         "(DM unless given)."},
            "comment": {"type": "string"},
            "variables": {"allOf": [{"$ref": "#/$defs/variables"}, {"minProperties": 1}]},
        },
        "$defs": _defs(ADAM),
    }


def _tte_schema() -> dict:
    defs = {name: value for name, value in _defs(ADAM).items() if name in ("varname", "dataset", "scalar", "condition")}
    defs["tte_source"] = {
        "type": "object", "additionalProperties": False, "required": ["dataset", "var", "desc"],
        "properties": {
            "dataset": {"$ref": "#/$defs/dataset"},
            "var": {"$ref": "#/$defs/varname", "description": "The date variable of the source."},
            "where": {"$ref": "#/$defs/condition"},
            "pick": {"enum": ["first", "last"], "description": "Which of the subject's matching records the "
                     "source offers: events and competing events default to the first, censors to the last."},
            "desc": {"type": "string", "minLength": 1, "description": "EVNTDESC (and CNSDTDSC for censoring)."},
            "evntdesc": {"type": "string", "description": "EVNTDESC when it differs from desc."},
            "cnsr": {"type": "integer", "minimum": 0, "description": "CNSR: 0 for events, a positive code for "
                     "a censoring reason or competing event."},
            "srcseq": {"$ref": "#/$defs/varname", "description": "The variable that becomes SRCSEQ (--SEQ "
                       "unless given)."},
            "from_start": {"type": "boolean", "description": "Ignore records dated before STARTDT."},
            "impute": {"enum": list(IMPUTATION_RULES), "description": "Partial dates of this source."},
        },
    }
    sources = {"type": "array", "items": {"$ref": "#/$defs/tte_source"}}
    return {
        "$schema": SCHEMA_URL,
        "$id": "https://cdisc-map.dev/schema/tte.schema.json",
        "title": "cdisc-map time-to-event parameter spec (one YAML file per parameter, in adam/adtte/)",
        "type": "object", "additionalProperties": False, "required": ["paramcd", "param", "start", "events"],
        "properties": {
            "paramcd": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$"},
            "param": {"type": "string", "minLength": 1, "maxLength": 40},
            "paramn": {"type": "integer"},
            "start": {"type": "object", "additionalProperties": False, "required": ["dataset", "var"],
                      "description": "The start of the risk: a date variable of a dataset with one record per "
                                     "subject (ADSL).",
                      "properties": {"dataset": {"$ref": "#/$defs/dataset"}, "var": {"$ref": "#/$defs/varname"}}},
            "population": {"$ref": "#/$defs/condition", "description": "The subjects of the start dataset "
                           "that get a record."},
            "events": {**sources, "minItems": 1},
            "competing": sources,
            "censors": sources,
            "impute": {"type": "object", "additionalProperties": False, "required": ["partial"],
                       "properties": {"partial": {"enum": list(IMPUTATION_RULES)}}},
            "window": {"type": "object", "additionalProperties": False, "required": ["days", "cnsr", "desc"],
                       "properties": {"days": {"type": "integer", "minimum": 0},
                                      "cnsr": {"type": "integer", "minimum": 1}, "desc": {"type": "string"}}},
            "exclude_without_start": {"type": "boolean", "description": "Leave subjects of the population "
                                      "without a start date out, with one warning (else each is an error)."},
            "censor_ties": {"enum": ["first", "last"], "description": "Which censoring source wins when two give "
                            "the same latest date: the first listed (default) or the last."},
            "clamp_to_start": {"type": "boolean", "description": "Set an event or censoring date before STARTDT "
                               "to STARTDT (admiral's convention); else such a date is an error."},
            "aval": {"enum": list(AVAL_CONVENTIONS)},
            "comment": {"type": "string"},
        },
        "$defs": defs,
    }


@cache
def schema(name: str) -> dict:
    """The JSON Schema of one kind of spec: study, dataset, adsl or tte."""
    if name == "study":
        text = resources.files("cdisc_map.spec").joinpath("schemas/study.schema.json").read_text(encoding="utf-8")
        return json.loads(text)
    return {"dataset": _dataset_schema, "adsl": _adsl_schema, "tte": _tte_schema}[name]()


def schema_text(name: str) -> str:
    """A generated schema as its file under schemas/ holds it."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def write_schema_files(folder: Path) -> None:
    for name in GENERATED:
        (folder / f"{name}.schema.json").write_text(schema_text(name), encoding="utf-8")


if __name__ == "__main__":
    write_schema_files(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "schemas")
