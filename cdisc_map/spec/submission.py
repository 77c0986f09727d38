"""What study.yaml says about the submission beyond the data, for define.xml, and its checks.

* `documents:` the files a define.xml links to: the annotated CRF, supplemental documents
  (reviewer's guide), the protocol that Protocol origins refer to, and documents named
  only where they are used (a statistical analysis plan);
* the annotated CRF pages of collected values: `crf_pages` of a form in study.yaml (every
  variable collected on it) or of one mapping in a dataset spec (overrides the form's);
* the external dictionaries and their releases: `standards: meddra` and `whodrug` (their
  usual variables, see `cdisc_map.standards.value_domains`) and `dictionaries:` for any
  other dictionary or variable;
* `analysis_results:` Analysis Results Metadata, the displays of the study's results and
  what each result analyses.

The checks here are the ones a JSON Schema cannot make: references between these keys,
the documents and the datasets the study builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cdisc_map.core.problems import Problem
from cdisc_map.core.text import did_you_mean, number_text
from cdisc_map.spec.registry import SDTM, origin_of
from cdisc_map.spec.study import DatasetSpec, StudySpec
from cdisc_map.standards.value_domains import MEDDRA, WHODRUG, dictionary_variables

SDTM_PACKAGE, ADAM_PACKAGE = "sdtm", "adam"
ANNOTATED_CRF = "annotated_crf"
#: Origins whose values are on a CRF page: collected, or assigned as a label printed on the CRF.
PAGE_ORIGINS = ("Collected", "Assigned")
#: The conditions a define.xml where clause can state, and its comparator for each.
COMPARATORS = {"eq": "EQ", "ne": "NE", "in": "IN", "not_in": "NOTIN", "gt": "GT", "ge": "GE", "lt": "LT",
               "le": "LE"}


def as_pages(value: Any) -> tuple[int, ...]:
    """`crf_pages` as written (a page or a list of pages) as a sorted tuple; () for none."""
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    return tuple(sorted({int(v) for v in values}))


def documents(study: StudySpec, package: str) -> list[dict]:
    """The documents of one package ("sdtm" or "adam"): those naming it, and those naming none."""
    return [d for d in study.data.get("documents", []) if d.get("package", package) == package]


def annotated_crf(study: StudySpec, package: str = SDTM_PACKAGE) -> dict | None:
    return next((d for d in documents(study, package) if d["kind"] == ANNOTATED_CRF), None)


# --- annotated CRF pages ------------------------------------------------------------------------


def variable_pages(study: StudySpec, spec: DatasetSpec) -> dict[str, tuple[int, ...]]:
    """The aCRF pages of each variable a dataset spec maps: its own `crf_pages`, else (for a
    collected value) the pages of the forms it is mapped from."""
    return _pages(study, spec, spec.mapped())


def qualifier_pages(study: StudySpec, spec: DatasetSpec) -> dict[str, tuple[int, ...]]:
    """The same for the supplemental qualifiers (QNAM -> pages)."""
    return _pages(study, spec, spec.supp_mapped())


def _pages(study: StudySpec, spec: DatasetSpec, mapped: dict[str, tuple[dict, tuple]]) -> dict[str, tuple[int, ...]]:
    form_pages = {name: as_pages(form.crf_pages) for name, form in study.forms.items()}
    sources = spec.data.get("sources", [])
    found: dict[str, tuple[int, ...]] = {}
    for var, (mapping, trail) in mapped.items():
        own = as_pages(mapping.get("crf_pages"))
        if own:
            found[var] = own
            continue
        if origin_of(mapping, SDTM) != "Collected":
            continue  # a form's pages are where values are collected; anything else says so itself
        if trail[0] == "sources":
            forms = [sources[trail[1]].get("form")]
        else:
            forms = [source.get("form") for source in sources]
        pages = tuple(sorted({page for form in forms if form for page in form_pages.get(form, ())}))
        if pages:
            found[var] = pages
    return found


# --- dictionaries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dictionary:
    """An external dictionary of the study: its name, release and the variables coded with it."""

    name: str
    version: str
    variables: frozenset[str]  # "DATASET.VARIABLE" or "VARIABLE" (any dataset)
    href: str | None = None
    ref: str | None = None

    def codes(self, dataset: str, variable: str) -> bool:
        return f"{dataset}.{variable}" in self.variables or variable in self.variables


def dictionaries(study: StudySpec) -> list[Dictionary]:
    """Every dictionary study.yaml names: `dictionaries:` first, then `standards: meddra / whodrug`
    with their usual variables; a variable belongs to the first that codes it."""
    found = [Dictionary(d["name"], str(d["version"]), frozenset(d["variables"]), d.get("href"), d.get("ref"))
             for d in study.data.get("dictionaries", [])]
    standards = study.data["standards"]
    for key, name in (("meddra", MEDDRA), ("whodrug", WHODRUG)):
        if key in standards:
            found.append(Dictionary(name, str(standards[key]), dictionary_variables(name)))
    return found


def dictionary_of(study_dictionaries: list[Dictionary], dataset: str, variable: str) -> Dictionary | None:
    return next((d for d in study_dictionaries if d.codes(dataset, variable)), None)


# --- analysis results ---------------------------------------------------------------------------


def analysis_results(study: StudySpec) -> list[dict]:
    """The result displays of `analysis_results:`, as written."""
    return list(study.data.get("analysis_results", []))


def selection_checks(condition: dict | None) -> list[tuple[str, str, list[str]]]:
    """A selection (`where:` of an analysis result) as define.xml range checks: (variable, comparator, values)."""
    checks = where_checks(condition)
    if checks is None:
        raise ValueError(f"a define.xml where clause cannot state {condition!r}")
    return checks


def where_checks(condition: dict | None) -> list[tuple[str, str, list[str]]] | None:
    """A condition as define.xml range checks, all of which must hold; None when a where clause cannot
    state it (any, not, missing, a raw column)."""
    if not condition:
        return []
    if "all" in condition:
        parts = [where_checks(part) for part in condition["all"]]
        return None if any(part is None for part in parts) else [check for part in parts for check in part]
    op = next((op for op in COMPARATORS if op in condition), None)
    if op is None or "var" not in condition:
        return None
    values = condition[op] if isinstance(condition[op], list) else [condition[op]]
    return [(condition["var"], COMPARATORS[op], [number_text(v) for v in values])]


# --- checks -------------------------------------------------------------------------------------


def submission_problems(study: StudySpec, written: dict[str, set[str]]) -> list[Problem]:
    """What the schema cannot check of these keys; `written` is each dataset's variables as built."""
    problems: list[Problem] = []
    problems += _document_problems(study)
    problems += _page_problems(study)
    problems += _dictionary_problems(study)
    problems += _result_problems(study, written)
    return problems


def _document_problems(study: StudySpec) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, document in enumerate(study.data.get("documents", [])):
        if document["id"] in seen:
            problems.append(Problem(f"document id {document['id']!r} is declared more than once",
                                    file=str(study.path), row=study.line("documents", index, "id")))
        seen.add(document["id"])
    for package in (SDTM_PACKAGE, ADAM_PACKAGE):
        crfs = [d for d in documents(study, package) if d["kind"] == ANNOTATED_CRF]
        if len(crfs) > 1:
            problems.append(Problem(
                f"the {package} package has {len(crfs)} annotated CRF documents; CRF pages would not say which "
                "one they are in", file=str(study.path), row=study.line("documents"),
                hint="declare one annotated_crf document per package"))
    return problems


def _page_problems(study: StudySpec) -> list[Problem]:
    """CRF pages need an annotated CRF to point into; pages of a derived value point at nothing."""
    problems = []
    has_crf = annotated_crf(study) is not None
    hint = "declare it in study.yaml: documents: [{id: acrf, title: Annotated CRF, href: acrf.pdf, " \
           "kind: annotated_crf, package: sdtm}]"
    if not has_crf:
        for name, form in study.forms.items():
            if form.crf_pages is not None:
                problems.append(Problem(f"form {name} names CRF pages but study.yaml declares no annotated CRF",
                                        file=str(study.path), row=study.line("raw", "forms", name, "crf_pages"),
                                        hint=hint))
    for spec in study.sdtm:
        for var, mapping, trail in _mappings_with_pages(spec):
            if not has_crf:
                problems.append(Problem(f"{var} names CRF pages but study.yaml declares no annotated CRF",
                                        file=str(spec.path), row=spec.line(*trail, "crf_pages"), dataset=spec.name,
                                        column=var, hint=hint))
            origin = origin_of(mapping, SDTM)
            if origin not in PAGE_ORIGINS:
                problems.append(Problem(
                    f"{var} names CRF pages but its origin is {origin}: define.xml links only Collected and "
                    "Assigned values to CRF pages", file=str(spec.path), row=spec.line(*trail, "crf_pages"),
                    dataset=spec.name, column=var, severity="warning",
                    hint="remove crf_pages, or give the origin the value really has"))
    return problems


def _mappings_with_pages(spec: DatasetSpec) -> Iterator[tuple[str, dict, tuple]]:
    for mapped in (spec.mapped(), spec.supp_mapped()):
        for var, (mapping, trail) in mapped.items():
            if "crf_pages" in mapping:
                yield var, mapping, trail


def _dictionary_problems(study: StudySpec) -> list[Problem]:
    problems = []
    versions: dict[str, set[str]] = {}
    for dictionary in dictionaries(study):
        versions.setdefault(dictionary.name.casefold(), set()).add(dictionary.version)
    for name, found in sorted(versions.items()):
        if len(found) > 1:
            problems.append(Problem(f"dictionary {name} is named with {len(found)} releases: {sorted(found)}",
                                    file=str(study.path), row=study.line("dictionaries"),
                                    hint="one release per dictionary: the one the data are coded with"))
    standards = study.data["standards"]
    named = dictionaries(study)
    for key, name in (("meddra", MEDDRA), ("whodrug", WHODRUG)):
        if key in standards:
            continue
        for spec in study.sdtm:
            coded = sorted(v for v in spec.mapped() if v in dictionary_variables(name)
                           and dictionary_of(named, spec.name, v) is None)
            if coded:
                problems.append(Problem(
                    f"{spec.name} maps {', '.join(coded)}, coded with {name}, but study.yaml names no {name} "
                    "release: define.xml cannot reference the dictionary", file=str(study.path),
                    row=study.line("standards"), dataset=spec.name, severity="warning",
                    hint=f"add the release the data are coded with: standards: {{{key}: \"...\"}}"))
    return problems


def _result_problems(study: StudySpec, written: dict[str, set[str]]) -> list[Problem]:
    problems: list[Problem] = []
    displays = analysis_results(study)
    if not displays:
        return problems
    adam = set()
    if study.adam.adsl is not None:
        adam.add("ADSL")
    if study.adam.tte:
        adam.add("ADTTE")
    paramcds = {str(spec["paramcd"]) for spec in study.adam.tte if isinstance(spec, dict) and "paramcd" in spec}
    ids = {str(d["id"]) for d in documents(study, ADAM_PACKAGE)}
    seen: set[str] = set()

    def problem(message: str, *trail: Any, hint: str | None = None) -> None:
        problems.append(Problem(message, file=str(study.path), row=study.line("analysis_results", *trail),
                                hint=hint))

    def check_documents(refs: list[dict], *trail: Any) -> None:
        for index, ref in enumerate(refs or []):
            if ref["id"] not in ids:
                problem(f"document {ref['id']!r} is not one of the ADaM package's documents", *trail, index, "id",
                        hint=did_you_mean(ref["id"], sorted(ids), list_all=True)
                        or "declare it under documents: (package adam, or no package)")

    for d, display in enumerate(displays):
        for oid in [display["id"]] + [r["id"] for r in display["results"]]:
            if oid in seen:
                problem(f"analysis result id {oid!r} is used more than once", d, "id")
            seen.add(oid)
        check_documents(display.get("documents"), d, "documents")
        for r, result in enumerate(display["results"]):
            dataset = result["dataset"]
            if dataset not in adam:
                problem(f"analysis result {result['id']}: {dataset} is not an ADaM dataset of the study", d,
                        "results", r, "dataset", hint=did_you_mean(dataset, sorted(adam), list_all=True))
                continue
            variables = written.get(dataset, set())
            used = list(result["variables"]) + [name for name, _, _ in selection_checks(result.get("where"))]
            for name in used:
                if name not in variables:
                    problem(f"analysis result {result['id']}: {dataset} has no variable {name}", d, "results", r,
                            hint=did_you_mean(name, sorted(variables)))
            if "parameter" in result:
                if dataset != "ADTTE" and "PARAMCD" not in variables:
                    problem(f"analysis result {result['id']}: {dataset} has no parameters (PARAMCD)", d, "results",
                            r, "parameter")
                elif dataset == "ADTTE" and str(result["parameter"]) not in paramcds:
                    problem(f"analysis result {result['id']}: ADTTE has no parameter {result['parameter']}", d,
                            "results", r, "parameter", hint=did_you_mean(str(result["parameter"]), sorted(paramcds),
                                                                         list_all=True))
            check_documents((result.get("documentation") or {}).get("documents"), d, "results", r, "documentation",
                            "documents")
            check_documents((result.get("code") or {}).get("documents"), d, "results", r, "code", "documents")
    return problems

