"""A starter study folder from a spec workbook, whoever wrote it, and the list of what is left to fill in.

The workbook says which datasets and variables the study has and what each variable
is; the study folder says how each is mapped from a raw export. The starter keeps
everything the workbook says that the spec language can hold (labels, keys,
origins, methods, comments, codelists and their terms, value-level codelists,
supplemental qualifiers, ADSL and time-to-event parameters), infers each mapping
where the row says enough (`cdisc_map.workbook.infer`), and writes a placeholder the
spec language accepts everywhere else, with a TODO comment above it and a line in
CHECKLIST.md. Each file passes its JSON Schema; `check-spec` then says what a
placeholder still needs, once the raw export is there.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.define.origins import DEFAULT_SOURCE as ORIGIN_SOURCE
from cdisc_map.define.origins import PAGE_ORIGINS
from cdisc_map.define.texts import NO_METHOD
from cdisc_map.spec.registry import ADAM, SDTM, method_text, modifier_text, origin_of
from cdisc_map.spec.schemas import schema
from cdisc_map.spec.yamlfile import schema_problems
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.metadata import Standard, UnknownStandardError
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.terminology import bundled_ct
from cdisc_map.standards.value_domains import MEDDRA, WHODRUG, dictionary_variables
from cdisc_map.workbook.infer import CONTEXT, Codelist, Inferred, Row, infer, parse_code, placeholder
from cdisc_map.workbook.layout import Book, read_book
from cdisc_map.workbook.layout import Row as SheetRow
from cdisc_map.workbook.yamltext import spec_text

CHECKLIST = "CHECKLIST.md"
SUBJECT_COLUMN = "SUBJID"
#: Origins as templates write them (Define-XML 2.0's CRF and eDT among them), to the spec language's.
ORIGINS = {"collected": "Collected", "crf": "Collected", "edt": "Collected", "derived": "Derived",
           "assigned": "Assigned", "protocol": "Protocol", "predecessor": "Predecessor"}
SOURCES = ("Investigator", "Sponsor", "Subject", "Vendor")
ADAM_CLASSES = {"SUBJECT LEVEL ANALYSIS DATASET", "BASIC DATA STRUCTURE", "OCCURRENCE DATA STRUCTURE", "ADAM OTHER"}
GENERAL_CLASSES = {"INTERVENTIONS": "Interventions", "EVENTS": "Events", "FINDINGS": "Findings",
                   "FINDINGS ABOUT": "Findings About"}
CHAR_TYPES = {"text", "datetime", "date", "time", "partialdate", "partialtime", "partialdatetime",
              "incompletedatetime", "durationdatetime", "intervaldatetime", "string"}
NUM_TYPES = {"integer", "float", "double", "number", "numeric", "num"}
COMPARATORS = {"EQ": "eq", "NE": "ne", "IN": "in", "NOTIN": "not_in", "LT": "lt", "LE": "le", "GT": "gt",
               "GE": "ge"}


@dataclass(frozen=True)
class Todo:
    """One thing to fill in: the file, the variable (or key) and what is missing."""

    file: str
    item: str
    text: str


@dataclass
class Starter:
    """The starter study folder: its files (path -> YAML text), what is left to do, and notes on the workbook."""

    files: dict[str, str] = field(default_factory=dict)
    todos: list[Todo] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    source: str = ""

    def unmapped(self) -> list[Todo]:
        """The to-dos of variables and qualifiers (not of study.yaml)."""
        return [todo for todo in self.todos if todo.file != "study.yaml"]


# --- the workbook, indexed ---------------------------------------------------------------


#: What the spec language accepts as a dataset and as a variable name (XPT v5 names).
DATASET_NAME = re.compile(r"[A-Z][A-Z0-9]{1,7}")
VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")


class _Workbook:
    """The sheets by what refers to them: datasets, their variables, value levels, codelists, methods, comments.

    A dataset or variable whose name cannot be one (longer than 8 characters, blanks) is
    left out, with a note naming its row.
    """

    def __init__(self, book: Book) -> None:
        self.book = book
        self.path = book.path
        self.notes: list[Problem] = []
        self.datasets: dict[str, SheetRow] = {}
        for row in book.rows("Datasets"):
            if self._named(row, "Datasets", row["Dataset"], DATASET_NAME):
                self.datasets.setdefault(row["Dataset"].upper(), row)
        self.variables: dict[str, list[SheetRow]] = {}
        for row in book.rows("Variables"):
            if not self._named(row, "Variables", row["Dataset"], DATASET_NAME) or \
                    not self._named(row, "Variables", row["Variable"], VARIABLE_NAME):
                continue
            self.variables.setdefault(row["Dataset"].upper(), []).append(row)
            self.datasets.setdefault(row["Dataset"].upper(), SheetRow(row.number, {"Dataset": row["Dataset"]}))
        for rows in self.variables.values():
            rows.sort(key=_order)
        self.value_level: dict[tuple[str, str], list[SheetRow]] = {}
        for row in book.rows("ValueLevel"):
            self.value_level.setdefault((row["Dataset"].upper(), row["Variable"].upper()), []).append(row)
        for rows in self.value_level.values():
            rows.sort(key=_order)
        self.where: dict[str, list[SheetRow]] = _grouped(book.rows("WhereClauses"))
        self.codelists: dict[str, list[SheetRow]] = _grouped(book.rows("Codelists"))
        for rows in self.codelists.values():
            rows.sort(key=_order)
        self.dictionaries = {row["ID"]: row for row in book.rows("Dictionaries")}
        self.methods = {row["ID"]: row for row in book.rows("Methods")}
        self.comments = {row["ID"]: row for row in book.rows("Comments")}


    def _named(self, row: SheetRow, sheet: str, name: str, pattern: re.Pattern[str]) -> bool:
        if pattern.fullmatch(name.strip().upper()):
            return True
        self.notes.append(Problem(f"{sheet}: {name!r} cannot be a name in a submission (letters, digits, at most 8 "
                                  "characters): the row is left out", file=self.path, row=row.number,
                                  severity="warning"))
        return False


def _order(row: SheetRow) -> tuple:
    text = row["Order"]
    return (0, float(text), row.number) if re.fullmatch(r"\d+(\.\d+)?", text) else (1, 0.0, row.number)


def _grouped(rows: list[SheetRow]) -> dict[str, list[SheetRow]]:
    found: dict[str, list[SheetRow]] = {}
    for row in rows:
        found.setdefault(row["ID"], []).append(row)
    return found


# --- the starter -------------------------------------------------------------------------


def starter_study(book: Book, standards: Standards | None = None) -> Starter:
    """The starter folder's files from a workbook, with every to-do and note; nothing is written."""
    return _Builder(_Workbook(book), standards or Standards()).build()


class _Builder:
    def __init__(self, workbook: _Workbook, standards: Standards) -> None:
        self.workbook = workbook
        self.standards = standards
        self.starter = Starter(source=Path(workbook.path).name, notes=list(workbook.notes))
        self.versions = self._versions()
        self.terminology: Terminology = standards.ct(self.versions["ct"])
        self.sdtmig: Standard = standards.sdtmig(self.versions["sdtmig"])
        self.adamig = standards.adamig(self.versions.get("adamig", "1.3"))
        self.forms: dict[str, dict] = {}
        self.coded: dict[str, set[str]] = {}  # dictionary name -> DATASET.VARIABLE the workbook codes with it
        self.with_pages = False  # some variable names CRF pages: the study needs an annotated CRF
        self.lengths = False  # the workbook gives character lengths (said once)

    # --- notes and to-dos ----------------------------------------------------------------

    def note(self, message: str, sheet: str, row: SheetRow | None, hint: str | None = None,
             dataset: str | None = None) -> None:
        self.starter.notes.append(Problem(f"{sheet}: {message}", file=self.workbook.path,
                                          row=row.number if row else None, hint=hint, dataset=dataset,
                                          severity="warning"))

    def todo(self, file: str, item: str, text: str) -> None:
        self.starter.todos.append(Todo(file, item, text))

    # --- the whole folder ----------------------------------------------------------------

    def build(self) -> Starter:
        sdtm, adam = [], []
        for name, row in self.workbook.datasets.items():
            kind = self._kind(name, row)
            if kind == "sdtm":
                sdtm.append(name)
            elif kind == "adam":
                adam.append(name)
        for name in sdtm:
            self._sdtm_file(name)
        if "ADSL" in adam:
            self._adsl_file()
        if "ADTTE" in adam:
            self._tte_files()
        for name in adam:
            if name not in ("ADSL", "ADTTE"):
                self.note(f"{name} is left out: cdisc-map builds ADSL and time-to-event parameters (ADTTE)",
                          "Datasets", self.workbook.datasets[name], dataset=name)
                self.todo(f"adam/{name.lower()}", name, "not imported: cdisc-map builds ADSL and ADTTE only")
        self._study_file(adam)
        self.starter.files = dict(sorted(self.starter.files.items(), key=lambda item: (item[0] != "study.yaml",
                                                                                        item[0])))
        return self.starter

    def _kind(self, name: str, row: SheetRow) -> str:
        standard, cls = row["Standard"].casefold(), row["Class"].upper()
        if name.startswith("SUPP"):
            return "supp"
        if name == "RELREC":
            self.note("RELREC is left out: cdisc-map writes no RELREC", "Datasets", row, dataset=name)
            return "other"
        if "adam" in standard or cls in ADAM_CLASSES or name.startswith("AD"):
            return "adam"
        return "sdtm"

    def _versions(self) -> dict[str, str]:
        """The standards the workbook names (Standards sheet, else Datasets' Standard), else the defaults."""
        found: dict[str, str] = {}
        for row in self.workbook.book.rows("Standards"):
            name, kind, version = row["Name"].replace("-", "").casefold(), row["Type"].upper(), row["Version"]
            if kind == "CT" and version and (row["Publishing Set"].upper() in ("SDTM", "") or "ct" not in found):
                found["ct"] = version
            elif name in ("sdtmig", "adamig") and version:
                found[name] = version
        for row in self.workbook.datasets.values():
            matched = re.search(r"(sdtm|adam)-?ig\s*v?(\d+(?:\.\d+)*)", row["Standard"], re.I)
            if matched:
                found.setdefault(f"{matched.group(1).casefold()}ig", matched.group(2))
        properties = schema("study")["properties"]["standards"]["properties"]
        for key, title, default in (("sdtmig", "SDTMIG", "3.4"), ("adamig", "ADaMIG", "1.3")):
            allowed = properties[key]["enum"]
            if found.get(key) and found[key] not in allowed:
                self.todo("study.yaml", f"standards.{key}", f"the workbook names {title} {found[key]}; "
                          f"cdisc-map knows {', '.join(allowed)}, which the starter names")
            if found.get(key) not in allowed:
                found[key] = default
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", found.get("ct", "")):
            given = found.get("ct")
            found["ct"] = bundled_ct().version
            self.todo("study.yaml", "standards.ct", (f"the workbook's CT version {given!r} is not a release date"
                                                     if given else "the workbook names no CT release") +
                      f"; the starter names {found['ct']}")
        return found

    # --- study.yaml ------------------------------------------------------------------------

    def _study_file(self, adam: list[str]) -> None:
        attributes = {row["Attribute"].replace(" ", "").casefold(): row["Value"]
                      for row in self.workbook.book.rows("Study")}
        name = attributes.get("studyname", "")
        study_id = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:40]
        if not study_id:
            study_id = "STUDY"
            self.todo("study.yaml", "study.id", "the workbook names no study (Study sheet, StudyName): write its id")
        elif study_id != name:
            self.todo("study.yaml", "study.id", f"the workbook's StudyName {name!r} is not an identifier; the "
                      f"starter writes {study_id!r}")
        study: dict[str, Any] = {"id": study_id}
        if attributes.get("studydescription"):
            study["description"] = attributes["studydescription"]
        if attributes.get("protocolname"):
            study["protocol"] = attributes["protocolname"]
        standards = {"sdtmig": self.versions["sdtmig"]}
        if adam:
            standards["adamig"] = self.versions["adamig"]
        standards["ct"] = self.versions["ct"]
        dictionaries = self._dictionaries(standards)
        if not self.forms:
            self.forms["dm"] = {"file": "dm.csv", "subject": SUBJECT_COLUMN, "label": "Demographics"}
        subjects_form = "dm" if "dm" in self.forms else next(iter(self.forms))
        data: dict[str, Any] = {"study": study, "standards": standards, "raw": {"forms": self.forms},
                                "subjects": {"form": subjects_form, "site": "SITEID"}}
        if dictionaries:
            data["dictionaries"] = dictionaries
        documents = self._documents()
        if documents:
            data["documents"] = documents
        comments = {
            ("raw",): ["TODO: the raw export. The starter guesses one form per dataset, named after it (ae.csv),",
                       f"each with a {SUBJECT_COLUMN} column and columns named like the variables: give each form",
                       "its file and subject column, and add `dir:` (the export folder, relative to this file)."],
            ("subjects",): ["TODO: the subjects form and its site column (a column, or a mapping)."],
        }
        self.todo("study.yaml", "raw", "give each raw form its file and subject column, and raw.dir the export "
                  "folder (the starter guesses one form per dataset, named after it)")
        self.todo("study.yaml", "subjects", "name the subjects form and its site column")
        self._write("study.yaml", data, "study", comments)

    def _documents(self) -> list[dict]:
        """The Documents sheet: an annotated CRF or protocol by its ID or title, anything else supplemental."""
        documents = []
        for row in self.workbook.book.rows("Documents"):
            leaf = re.sub(r"[^A-Za-z0-9_.-]", "_", row["ID"])
            if not leaf[:1].isalpha():
                leaf = f"D{leaf}"
            words = f"{row['ID']} {row['Title']}".casefold()
            kind = "annotated_crf" if "crf" in words else "protocol" if "protocol" in words else "supplemental"
            documents.append({"id": leaf, "title": row["Title"] or row["ID"], "href": row["Href"] or row["ID"],
                              "kind": kind})
        if self.with_pages and not any(d["kind"] == "annotated_crf" for d in documents):
            documents.append({"id": "acrf", "title": "Annotated CRF", "href": "acrf.pdf", "kind": "annotated_crf"})
            self.todo("study.yaml", "documents", "the workbook names CRF pages but no annotated CRF: the starter "
                      "declares acrf.pdf; give its file")
        return documents

    def _dictionaries(self, standards: dict) -> list[dict]:
        """MedDRA and WHODrug as standards (their usual variables), any other dictionary as `dictionaries:`."""
        versions: dict[str, str] = {}
        for key, row in self.workbook.dictionaries.items():
            versions.setdefault(self._dictionary_name(key), row["Version"])
        found = []
        for name, version in versions.items():
            coded = sorted(self.coded.get(name, set()))
            key = {MEDDRA.casefold(): "meddra", WHODRUG.casefold(): "whodrug"}.get(name.casefold())
            if key and version:
                standards[key] = version
                usual = dictionary_variables(name)
                coded = [ref for ref in coded if ref.split(".")[-1] not in usual]
            if not version:
                self.todo("study.yaml", f"dictionaries {name}", f"the workbook gives no release of {name}")
                continue
            if coded:
                found.append({"name": name, "version": version, "variables": coded})
        return found

    # --- an SDTM dataset ------------------------------------------------------------------------

    def _sdtm_file(self, name: str) -> None:
        row = self.workbook.datasets[name]
        file = f"sdtm/{name.lower()}.yaml"
        cls = GENERAL_CLASSES.get(row["Class"].upper())
        try:
            definition = self.sdtmig.dataset_for(name)
            cls = None
        except UnknownStandardError:
            try:
                definition = self.sdtmig.dataset_for(name, cls)
            except UnknownStandardError as exc:
                self.note(f"{name} is left out: {exc}", "Datasets", row, dataset=name,
                          hint="a sponsor-defined domain needs a Class: Interventions, Events or Findings")
                self.todo(file, name, "not imported: SDTMIG does not know the dataset and the workbook gives no "
                          "general observation class")
                return
        allowed = {v.name: v for v in self.sdtmig.allowed_variables(name, cls)}
        rows = self.workbook.variables.get(name, [])
        siblings = frozenset(r["Variable"].upper() for r in rows if not self._unmapped(r, allowed.get(
            r["Variable"].upper())))
        variables: dict[str, dict] = {}
        supp: dict[str, dict] = {}
        comments: dict[tuple, list[str]] = {}
        for var_row in rows:
            var = var_row["Variable"].upper()
            meta = allowed.get(var)
            if meta is None:
                self.note(f"{var} is not an SDTMIG {self.sdtmig.version} {name} variable: the starter makes it a "
                          "supplemental qualifier", "Variables", var_row, dataset=name)
                mapping, lines = self._qualifier(name, var, var_row, var_row["Label"] or var, file)
                supp[var] = mapping
                comments[("supp", var)] = lines
                continue
            origin = self._origin(var_row, "Variables", name)
            if self._unmapped(var_row, meta):
                self.todo(file, var, "Expected, not mapped in the workbook (no origin): written empty until mapped")
                continue
            mapping, lines = self._variable(name, var_row, meta, origin, siblings, definition.domain, file)
            if var_row["Label"] and var_row["Label"] != meta.label:
                lines.append(f"the workbook's label {var_row['Label']!r}; cdisc-map writes SDTMIG's {meta.label!r}")
            kind = _type_of(var_row["Data Type"])
            if kind and kind != meta.type:
                lines.append(f"the workbook's type is {var_row['Data Type']}; SDTMIG's is {meta.type}")
            variables[var] = mapping
            comments[("variables", var)] = lines
        for meta in allowed.values():
            if meta.core == "Req" and meta.name not in variables:
                found = placeholder(Row(name, meta.name, meta.type, domain=definition.domain), SDTM)
                variables[meta.name] = found.mapping
                comments[("variables", meta.name)] = [f"TODO: Required, not in the workbook; {found.todo}"]
                self.todo(file, meta.name, f"Required, not in the workbook: {found.todo}")
        for qnam, (mapping, lines) in self._qualifiers(name, file).items():
            supp[qnam] = mapping
            comments[("supp", qnam)] = lines
        data: dict[str, Any] = {"dataset": name}
        label = row["Label"]
        if label and (cls or label != definition.meta.label):
            data["label"] = label[:40]
        if cls:
            data["class"] = cls
        if row["Developer Notes"]:
            data["description"] = row["Developer Notes"]
        comment = self._comment_text(row["Comment"], "Datasets", row)
        if comment:
            data["comment"] = comment
        data["keys"] = self._keys(name, row, variables, definition.meta.keys, file)
        if "USUBJID" in variables:
            form = name.lower()
            self.forms[form] = {"file": f"{form}.csv", "subject": SUBJECT_COLUMN, "label": label or name}
            data["sources"] = [{"form": form}]
            comments[("sources",)] = [f"TODO: the raw form(s) of {name}; `form: {form}` is a guess (study.yaml)"]
        else:
            data["sources"] = [{"records": [{}]}]
            comments[("sources",)] = [f"TODO: {name} has no subjects: write its records here, one mapping each"]
            self.todo(file, "sources", f"write the records of {name} (one per record, each variable a value)")
        rules = self._rules(name, variables)
        data["variables"] = variables
        if supp:
            data["supp"] = supp
        if rules:
            data["value_level"] = rules
        self._write(file, data, "dataset", comments)

    @staticmethod
    def _unmapped(row: SheetRow, meta) -> bool:
        """An Expected variable the workbook gives nothing for: conformance writes it empty."""
        return meta is not None and meta.core == "Exp" and not any(
            row[column] for column in ("Origin", "Assigned Value", "Method"))

    def _keys(self, name: str, row: SheetRow, variables: dict, ig_keys: tuple, file: str) -> list[str]:
        given = [key.strip().upper() for key in re.split(r"[,\s]+", row["Key Variables"]) if key.strip()]
        keys = [key for key in given if key in variables]
        for key in given:
            if key not in variables:
                self.note(f"key variable {key} of {name} is not one of its variables: left out of the keys",
                          "Datasets", row, dataset=name)
        if not keys:
            keys = [key for key in ig_keys if key in variables] or list(variables)[:1] or ["STUDYID"]
            self.todo(file, "keys", f"the workbook gives no key variables of {name}; the starter names "
                      f"{', '.join(keys)}")
        return keys

    def _variable(self, dataset: str, row: SheetRow, meta, origin: str, siblings: frozenset[str],
                  domain: str, file: str) -> tuple[dict, list[str]]:
        """One SDTM variable's mapping with its metadata, and the comment lines above it."""
        var = row["Variable"].upper()
        kind = meta.type
        method, code = self._method_of(row["Method"], row)
        codelist, value_codelists = self._codelists(dataset, var, row)
        dictionary = self._dictionary_name(row["Codelist"])
        if codelist is None and not value_codelists and not dictionary and len(meta.codelist.split()) == 1:
            codelist = self._ig_codelist(meta.codelist)  # the workbook names none: SDTMIG's applies anyway
        facts = Row(dataset, var, kind, origin, method, code, row["Assigned Value"], row["Predecessor"].upper(),
                    codelist, value_codelists, siblings - {var}, domain, dictionary)
        inferred = infer(facts, SDTM)
        mapping = self._metadata(inferred, facts, row, SDTM)
        lines = []
        if inferred.todo:
            lines.append(f"TODO: {inferred.todo}")
            self.todo(file, var, inferred.todo)
        if row["Length"] and kind == "Char" and not self.lengths:
            self.lengths = True
            self.note("the workbook's character lengths are not kept: cdisc-map writes each character variable "
                      "as long as its longest value (define.xml and XPT agree)", "Variables", row)
        return mapping, lines

    def _metadata(self, inferred: Inferred, facts: Row, row: SheetRow, standard: str,
                  qualify=lambda name: name) -> dict:
        """The inferred mapping with what the row says of it that the mapping does not say itself."""
        mapping = dict(inferred.mapping)
        origin = facts.origin
        if origin and origin != origin_of(mapping, standard):
            mapping["origin"] = origin
        source = row["Source"].strip().title()
        if source and origin and source in SOURCES and source != ORIGIN_SOURCE.get(origin):
            mapping["source"] = source
        elif source and source not in SOURCES:
            self.note(f"origin source {row['Source']!r} is not one of {', '.join(SOURCES)}", "Variables", row)
        if standard == SDTM:
            written = method_text(mapping, variable=facts.name)
        else:
            written = method_text(mapping, qualify) + modifier_text(mapping)
        if origin == "Derived" and facts.method and " ".join(facts.method.split()) not in (
                " ".join(written.split()), NO_METHOD):
            mapping["method"] = facts.method
        pages = crf_pages(row["Pages"])
        if pages and origin in PAGE_ORIGINS:
            mapping["crf_pages"] = pages
            self.with_pages = True
        elif pages:
            self.note(f"CRF pages {row['Pages']!r} of a {origin or 'no'}-origin value: define.xml links only "
                      "Collected and Assigned values to CRF pages; left out", "Variables", row)
        comment = self._comment_text(row["Comment"], "Variables", row)
        if comment and not (origin in ("Assigned", "Protocol") and comment == method_text(mapping)):
            mapping["comment"] = comment
        extended = [t for c in [facts.codelist, *facts.value_codelists] if c for t in c.extended]
        if extended:
            mapping["extend"] = list(dict.fromkeys(extended))
        return mapping

    def _qualifiers(self, name: str, file: str) -> dict[str, tuple[dict, list[str]]]:
        """The supplemental qualifiers of a dataset: SUPP--'s QVAL rows of the ValueLevel sheet, by QNAM."""
        found = {}
        for row in self.workbook.value_level.get((f"SUPP{name}", "QVAL"), []):
            checks = self.workbook.where.get(row["Where Clause"], [])
            qnam = next((c["Value"].upper() for c in checks if c["Variable"].upper() == "QNAM"
                         and c["Comparator"].upper() in ("EQ", "")), "")
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", qnam):
                self.note(f"a QVAL row of SUPP{name} names no QNAM (where clause {row['Where Clause']!r})",
                          "ValueLevel", row, dataset=f"SUPP{name}")
                continue
            found[qnam] = self._qualifier(name, qnam, row, row["Label"] or qnam, file)
        return found

    def _qualifier(self, name: str, qnam: str, row: SheetRow, label: str, file: str) -> tuple[dict, list[str]]:
        origin = self._origin(row, "ValueLevel", f"SUPP{name}")
        method, code = self._method_of(row["Method"], row)
        codelist = self._codelist(row["Codelist"], row) if row["Codelist"] else None
        facts = Row(f"SUPP{name}", qnam, "Char", origin, method, code, row["Assigned Value"], "", codelist)
        inferred = infer(facts, SDTM)
        if not inferred.todo and inferred.how == "the variable's name and origin":
            inferred = placeholder(facts, SDTM)  # a qualifier is no standard variable, whatever its name
        mapping = {**self._metadata(inferred, facts, row, SDTM), "label": label[:40]}
        lines = []
        if inferred.todo:
            lines.append(f"TODO: {inferred.todo}")
            self.todo(file, f"supp {qnam}", inferred.todo)
        return mapping, lines

    def _rules(self, name: str, variables: dict) -> dict[str, list[dict]]:
        """`value_level:` from the ValueLevel rows of a dataset that give a codelist under a condition."""
        rules: dict[str, list[dict]] = {}
        own = {row["Variable"].upper(): row["Codelist"] for row in self.workbook.variables.get(name, [])}
        for (dataset, var), rows in self.workbook.value_level.items():
            if dataset != name or var not in variables:
                continue
            for row in rows:  # a condition whose codelist is the variable's own says nothing of the condition
                codelist = self._codelist(row["Codelist"], row) if row["Codelist"] and row["Codelist"] != \
                    own.get(var) else None
                if codelist is None:
                    continue
                condition = self._condition(row["Where Clause"], row)
                if condition is not None:
                    rules.setdefault(var, []).append({"where": condition, "ct": codelist.short_name})
        return rules

    def _condition(self, where: str, row: SheetRow) -> dict | None:
        checks = self.workbook.where.get(where, [])
        leaves = []
        for check in checks:
            operator = COMPARATORS.get(check["Comparator"].upper().replace(" ", "").replace("_", ""))
            if operator is None or not check["Variable"]:
                self.note(f"where clause {where!r} says {check['Comparator'] or check['Comment']!r}, which "
                          "cdisc-map's conditions cannot: the value-level row is left out", "WhereClauses", check)
                return None
            value: Any = check["Value"]
            if operator in ("in", "not_in"):
                value = [part.strip() for part in value.split(",") if part.strip()]
            elif operator in ("lt", "le", "gt", "ge"):
                value = _number(value)
            leaves.append({"var": check["Variable"].upper(), operator: value})
        if not leaves:
            self.note(f"where clause {where!r} is not in the WhereClauses sheet: the value-level row is left out",
                      "ValueLevel", row)
            return None
        return leaves[0] if len(leaves) == 1 else {"all": leaves}

    # --- ADaM ------------------------------------------------------------------------------

    def _adsl_file(self) -> None:
        file = "adam/adsl.yaml"
        row = self.workbook.datasets["ADSL"]
        metadata = {v.name: v for v in self.adamig.variables("ADSL")}
        rows = self.workbook.variables.get("ADSL", [])
        names = [r["Variable"].upper() for r in rows]

        def qualify(name: str) -> str:
            return f"ADSL.{name}" if name in names else f"DM.{name}"

        variables: dict[str, dict] = {}
        comments: dict[tuple, list[str]] = {}
        for var_row in rows:
            var = var_row["Variable"].upper()
            meta = metadata.get(var)
            kind = meta.type if meta else (_type_of(var_row["Data Type"]) or "Char")
            origin = self._origin(var_row, "Variables", "ADSL")
            method, code = self._method_of(var_row["Method"], var_row)
            codelist, _rules = self._codelists("ADSL", var, var_row)
            facts = Row("ADSL", var, kind, origin, method, code, var_row["Assigned Value"],
                        var_row["Predecessor"].upper(), codelist)
            inferred = infer(facts, ADAM)
            mapping = self._metadata(inferred, facts, var_row, ADAM, qualify)
            mapping.pop("extend", None)  # ADaM terms are ADSL's sources'
            if meta is None:
                mapping["label"] = (var_row["Label"] or var)[:40]
                mapping["type"] = kind
                if var_row["Format"]:
                    mapping["display_format"] = var_row["Format"]
            lines = []
            if inferred.todo:
                lines.append(f"TODO: {inferred.todo}")
                self.todo(file, var, inferred.todo)
            variables[var] = mapping
            comments[("variables", var)] = lines
        for meta in metadata.values():
            if meta.core == "Req" and meta.name not in variables:
                variables[meta.name] = {"copy": meta.name}
                comments[("variables", meta.name)] = ["TODO: Required, not in the workbook (a copy from DM)"]
                self.todo(file, meta.name, "Required, not in the workbook: the starter copies DM's")
        data: dict[str, Any] = {"dataset": "ADSL"}
        standard_label = self.adamig.dataset("ADSL").label
        if row["Label"] and row["Label"] != standard_label:
            data["label"] = row["Label"][:40]
        comment = self._comment_text(row["Comment"], "Datasets", row)
        if comment:
            data["comment"] = comment
        data["variables"] = variables
        self._write(file, data, "adsl", comments)

    def _tte_files(self) -> None:
        """One parameter spec per ADTTE AVAL row whose method holds the parameter (a cdisc-map expression)."""
        rows = self.workbook.value_level.get(("ADTTE", "AVAL"), [])
        for row in rows:
            method, code = self._method_of(row["Method"], row)
            spec = parse_code(code)
            checks = self.workbook.where.get(row["Where Clause"], [])
            paramcd = next((c["Value"] for c in checks if c["Variable"].upper() == "PARAMCD"), "") or \
                (spec.get("paramcd", "") if isinstance(spec, dict) else "")
            file = f"adam/adtte/{re.sub(r'[^a-z0-9_]', '_', str(paramcd).lower()) or 'parameter'}.yaml"
            if not isinstance(spec, dict) or schema_problems(spec, "tte", Path(file), {}):
                self.todo(file, str(paramcd or row["Where Clause"]),
                          "write the time-to-event parameter spec (start, events, censors): the workbook "
                          f"describes it in words only: {method or 'no method'}")
                continue
            self.starter.files[file] = spec_text(spec, header=self._header())
        if not rows:
            self.todo("adam/adtte", "ADTTE", "write one spec per time-to-event parameter in adam/adtte/: the "
                      "workbook lists none with its derivation")

    # --- what rows refer to ------------------------------------------------------------------

    def _origin(self, row: SheetRow, sheet: str, dataset: str) -> str:
        text = row["Origin"].strip()
        if not text:
            return ""
        key = text.split()[0].casefold()
        origin = ORIGINS.get(text.casefold()) or ORIGINS.get(key)
        if origin is None:
            self.note(f"origin {text!r} of {row['Variable']} is none of Collected, Derived, Assigned, Protocol, "
                      "Predecessor: the starter names none", sheet, row, dataset=dataset)
            return ""
        return origin

    def _method_of(self, ref: str, row: SheetRow) -> tuple[str, str]:
        """A method's description and, when its context is cdisc-map, its Expression Code."""
        if not ref:
            return "", ""
        method = self.workbook.methods.get(ref)
        if method is None:
            return ref, ""  # the method written in the cell itself
        context = method["Expression Context"].casefold()
        code = method["Expression Code"] if context.startswith(CONTEXT) else ""
        return method["Description"], code

    def _comment_text(self, ref: str, sheet: str, row: SheetRow) -> str:
        if not ref:
            return ""
        comment = self.workbook.comments.get(ref)
        if comment is not None:
            return comment["Description"]
        if re.fullmatch(r"[A-Za-z][\w.-]*", ref) and "." in ref:
            self.note(f"comment {ref!r} is not in the Comments sheet", sheet, row)
            return ""
        return ref  # the comment written in the cell itself

    def _codelists(self, dataset: str, var: str, row: SheetRow) -> tuple[Codelist | None, list[Codelist]]:
        codelist = self._codelist(row["Codelist"], row) if row["Codelist"] else None
        rules = [found for r in self.workbook.value_level.get((dataset, var), []) if r["Codelist"]
                 and r["Codelist"] != row["Codelist"] and (found := self._codelist(r["Codelist"], r)) is not None]
        return codelist, rules

    def _ig_codelist(self, name: str) -> Codelist | None:
        try:
            codelist = self.terminology.codelist(name)
        except (KeyError, LookupError):
            return None
        return Codelist(codelist.short_name, tuple(codelist.submission_values()))

    def _dictionary_name(self, ref: str) -> str:
        dictionary = self.workbook.dictionaries.get(ref)
        if dictionary is None:
            return ""
        name = dictionary["Dictionary"] or dictionary["Name"] or ref
        return name[:-len(" codes")] if name.endswith(" codes") else name

    def _codelist(self, ref: str, row: SheetRow) -> Codelist | None:
        dictionary = self._dictionary_name(ref)
        if dictionary:  # a dictionary (MedDRA): the terms are the export's, coded
            self.coded.setdefault(dictionary, set()).add(f"{row['Dataset'].upper()}.{row['Variable'].upper()}")
            return None
        rows = self.workbook.codelists.get(ref, [])
        code = next((r["NCI Codelist Code"] for r in rows if r["NCI Codelist Code"]), "")
        try:
            codelist = self.terminology.codelist(code or ref)
        except (KeyError, LookupError):
            if not rows or not code:
                self.note(f"codelist {ref!r} is not a CDISC codelist of {self.terminology.description}: the "
                          "starter maps the variable without it", "Codelists" if rows else "Variables",
                          rows[0] if rows else row)
            else:
                self.note(f"codelist {ref!r} ({code}) is not in {self.terminology.description}", "Codelists", rows[0],
                          hint="install the CT release the workbook names (`cdisc-map ct download`)")
            return None
        terms = codelist.submission_values()
        if not rows:
            return Codelist(codelist.short_name, tuple(terms))
        listed = [r["Term"] for r in rows if r["Term"]]
        known = set(terms)
        chosen = tuple(term for term in terms if term in listed)
        return Codelist(codelist.short_name, chosen, tuple(dict.fromkeys(t for t in listed if t not in known)),
                        full=set(chosen) == known)

    # --- files -------------------------------------------------------------------------------

    def _header(self) -> list[str]:
        return [f"Made by cdisc-map import-spec from {self.starter.source}: a starter, not a finished spec.",
                f"TODO lines say what to fill in; {CHECKLIST} lists them all."]

    def _write(self, file: str, data: dict, kind: str, comments: dict[tuple, list[str]]) -> None:
        problems = schema_problems(data, kind, Path(file), {})
        if problems:  # a starter that breaks its schema is cdisc-map's fault, not the workbook's
            raise ProblemsError([Problem(f"the starter {file} breaks its schema: {p.message}", column=p.column,
                                         hint="please report this with the workbook") for p in problems])
        self.starter.files[file] = spec_text(data, {key: lines for key, lines in comments.items() if lines},
                                             self._header())


def _type_of(text: str) -> str:
    key = text.replace(" ", "").casefold()
    return "Char" if key in CHAR_TYPES else "Num" if key in NUM_TYPES else ""


def crf_pages(text: str) -> list[int]:
    """CRF pages as a workbook writes them: "12 14", "12, 14", "12-14" (a range)."""
    pages: set[int] = set()
    for first, last in re.findall(r"(\d+)(?:\s*-\s*(\d+))?", text):
        start = int(first)
        pages.update(range(start, int(last) + 1) if last and int(last) >= start else [start])
    return sorted(page for page in pages if page >= 1)


def _number(text: str) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


# --- the folder on disk ------------------------------------------------------------------------


def checklist_text(starter: Starter) -> str:
    """CHECKLIST.md: every to-do by file, as a Markdown task list."""
    lines = [f"# What to fill in: the starter made from {starter.source}", "",
             "Each line is a placeholder or a guess of the starter study folder. When the raw export is",
             "there, `cdisc-map check-spec DIR --raw EXPORT` checks every column the specs read.", ""]
    by_file: dict[str, list[Todo]] = {}
    for todo in starter.todos:
        by_file.setdefault(todo.file, []).append(todo)
    for file, todos in by_file.items():
        lines += [f"## {file}", ""] + [f"- [ ] {todo.item}: {todo.text}" for todo in todos] + [""]
    if starter.notes:
        lines += ["## What the workbook says that the starter does not hold", ""]
        lines += [f"- {problem.message}" + (f" (row {problem.row})" if problem.row else "") for problem in
                  starter.notes] + [""]
    return "\n".join(lines)


def write_starter(starter: Starter, target: Path) -> list[Path]:
    """Write the starter folder and its CHECKLIST.md at once: into a staging folder, then renamed.

    The target must not exist or be empty: a starter never writes over a study.
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProblemsError([Problem("the target folder is not empty", file=str(target),
                                     hint="give a new folder: import-spec writes a whole study folder")])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for file, text in {**starter.files, CHECKLIST: checklist_text(starter)}.items():
            path = staging / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ProblemsError([Problem(f"cannot write the starter folder: {exc.strerror or exc}",
                                     file=str(target))]) from exc
    return sorted(path for path in target.rglob("*") if path.is_file())


def import_workbook(path: Path, target: Path, standards: Standards | None = None) -> tuple[Starter, list[Path]]:
    """Read a spec workbook and write its starter study folder; ProblemsError when either cannot be done."""
    starter = starter_study(read_book(path), standards)
    return starter, write_starter(starter, target)
