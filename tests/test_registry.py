"""The registry is the one source of the spec language: implementations, schemas, docs and
wording all follow from it, and one word means one thing."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from cdisc_map.mapping import docs
from cdisc_map.mapping.derivations import DERIVATIONS as DERIVATION_FUNCTIONS
from cdisc_map.mapping.kinds import KINDS as KIND_FUNCTIONS
from cdisc_map.spec import schemas
from cdisc_map.spec.registry import ADAM, DERIVATIONS, ENTRIES, KINDS, SDTM, Entry, method_text, reads
from cdisc_map.spec.vocabulary import METADATA, MODIFIERS, TYPE_SCHEMAS, WORDS

ROOT = Path(__file__).resolve().parent.parent


def test_every_entry_has_one_implementation_and_every_implementation_an_entry():
    assert set(KIND_FUNCTIONS) == {entry.key for entry in KINDS} | {"derive"}
    assert set(DERIVATION_FUNCTIONS) == {entry.name for entry in DERIVATIONS}


def test_every_word_has_one_type_wherever_it_is_used():
    types: dict[str, set[str]] = {}
    for entry in ENTRIES.values():
        for param in entry.params:
            types.setdefault(param.word, set()).add(param.type_name)
    assert {word: kinds for word, kinds in types.items() if len(kinds) > 1} == {}
    for word, kinds in types.items():
        if word in WORDS:
            assert kinds == {WORDS[word].type}, word
    assert all(word.type in TYPE_SCHEMAS for word in WORDS.values())
    assert set(MODIFIERS + METADATA) <= set(WORDS)


@pytest.mark.parametrize("entry", list(ENTRIES.values()), ids=list(ENTRIES))
def test_every_entry_is_documented_with_an_example(entry: Entry):
    assert entry.summary and entry.example is not None, entry.name
    assert set(entry.standards) <= {SDTM, ADAM}
    assert entry.example.standard in entry.standards
    for word in entry.required:
        assert word in entry.example.mapping, (entry.name, word)


def test_the_generated_schema_files_are_in_step_with_the_registry():
    folder = ROOT / "cdisc_map" / "spec" / "schemas"
    for name in schemas.GENERATED:
        assert (folder / f"{name}.schema.json").read_text(encoding="utf-8") == schemas.schema_text(name), (
            f"{name}.schema.json is out of date: run python -m cdisc_map.spec.schemas")


def test_the_schemas_name_exactly_the_registry_s_kinds_and_derivations():
    for standard, name in ((SDTM, "dataset"), (ADAM, "adsl")):
        mapping = schemas.schema(name)["$defs"]["mapping"]
        derivations = {entry.name for entry in DERIVATIONS if standard in entry.standards}
        assert set(mapping["properties"]["derive"]["enum"]) == derivations
        kinds = {entry.key for entry in KINDS if standard in entry.standards}
        assert kinds <= set(mapping["properties"])


def test_the_docs_pages_are_in_step_with_the_registry():
    folder = ROOT / "docs" / "derivations"
    expected = docs.pages()
    assert sorted(p.name for p in folder.glob("*.md")) == sorted(expected)
    for name, text in expected.items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"docs/derivations/{name} is out of date: run python -m cdisc_map.mapping.docs")


@pytest.mark.parametrize("name", list(ENTRIES), ids=list(ENTRIES))
def test_every_page_s_example_runs_and_prints_what_the_page_says(name: str):
    text = (ROOT / "docs" / "derivations" / f"{name}.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    printed = re.search(r"^# (.*)$", block, re.M).group(1)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(block, f"docs/derivations/{name}.md", "exec"), {})  # the example exactly as documented
    assert output.getvalue().strip() == printed


def test_every_schema_key_of_a_mapping_is_on_the_reference_pages():
    index = (ROOT / "docs" / "derivations" / "README.md").read_text(encoding="utf-8")
    pages = {name: (ROOT / "docs" / "derivations" / f"{name}.md").read_text(encoding="utf-8") for name in ENTRIES}
    for schema_name in ("dataset", "adsl"):
        for key in schemas.schema(schema_name)["$defs"]["mapping"]["properties"]:
            assert f"`{key}`" in index or any(f"`{key}`" in page for page in pages.values()), key


def test_method_wording_reads_the_mapping_s_own_words():
    assert method_text({"derive": "study_day", "of": "AESTDTC"}) == (
        "AESTDTC minus RFSTDTC, plus 1 on or after RFSTDTC (no day 0); complete dates only.")
    assert method_text({"derive": "first_date", "dataset": "EX", "var": "EXSTDTC",
                        "where": {"var": "EXTRT", "eq": "DRUG"}}) == (
        "Earliest EXSTDTC of the subject's EX records where EXTRT = 'DRUG'.")
    assert method_text({"derive": "sas_date", "of": "RFSTDTC"}, lambda name: f"DM.{name}") == (
        "DM.RFSTDTC as a SAS date (complete dates only)")
    assert method_text({"when": [{"if": {"col": "Eligible", "eq": "No"}, "then": {"constant": "SCREEN FAILURE"}}]}) \
        == "If Eligible = 'No' then 'SCREEN FAILURE'; otherwise null."
    assert method_text({"copy": "AGE", "method": "  As collected. "}) == "As collected."


def test_what_a_mapping_reads_comes_from_its_entry_s_declared_parameters():
    found = reads({"derive": "epoch", "of": "AESTDTC",
                   "epochs": [{"epoch": "SCREENING", "start": "RFICDTC"},
                              {"epoch": "FOLLOW-UP", "start": {"dataset": "PR", "var": "PRSTDTC",
                                                               "where": {"var": "PRCAT", "eq": "TRANSPLANT"}}}]})
    assert found.variables == {"AESTDTC"}
    assert found.others == {("DM", "RFICDTC"), ("PR", "PRSTDTC"), ("PR", "PRCAT")}
    study_day = reads({"derive": "study_day", "of": "EXSTDTC"})
    assert study_day.others == {("DM", "RFSTDTC")} and study_day.variables == {"EXSTDTC"}
    assert reads({"derive": "study_day", "of": "DMDTC"}, own={"RFSTDTC"}).variables == {"DMDTC", "RFSTDTC"}
    assert reads({"derive": "seq"}).order and reads({"derive": "usubjid"}).subject
    conditional = reads({"when": [{"if": {"col": "Eligible", "eq": "No"}, "then": {"copy": "Reason"}}],
                         "else": {"derive": "first_date", "dataset": "EX", "var": "EXSTDTC"}})
    assert conditional.columns == {"Eligible", "Reason"} and ("EX", "EXSTDTC") in conditional.others
