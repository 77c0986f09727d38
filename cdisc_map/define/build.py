"""Build the define_xml metadata model from the datasets a run produced.

define.xml comes from the same specs and the same in-memory datasets that the XPT
files were written from, so the two cannot disagree: names, labels, order, types and
lengths are the conformed variables'; codelists list the terms the data uses, with
their NCI codes, and flag study extensions; derivations and comments come from the
specs. cdisc_map knows SDTM and writes no XML; define_xml knows XML and no SDTM.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from define_xml import model

CLASS_NAMES = {
    "Special-Purpose": "SPECIAL PURPOSE",
    "Interventions": "INTERVENTIONS",
    "Events": "EVENTS",
    "Findings": "FINDINGS",
    "Findings About": "FINDINGS ABOUT",
    "Trial Design": "TRIAL DESIGN",
    "Relationship": "RELATIONSHIP",
}

ORIGIN_SOURCE = {"Collected": "Investigator", "Derived": "Sponsor", "Assigned": "Sponsor", "Protocol": "Sponsor"}


@dataclass(frozen=True)
class PackageInfo:
    """What differs between the SDTM and the ADaM define: the standard and the purpose."""

    purpose: str  # "Tabulation" or "Analysis"
    standard_name: str  # "SDTMIG" or "ADaMIG"
    standard_version: str
    ct_publishing_set: str  # "SDTM" or "ADaM"


def _is_dtc(name: str) -> bool:
    return name.endswith("DTC")


def data_type(variable, values: pd.Series) -> tuple[str, int | None, int | None]:
    """Define-XML DataType, Length and SignificantDigits of one variable from its values."""
    if variable.type == "Char":
        if _is_dtc(variable.name):
            return "datetime", None, None
        return "text", variable.length, None
    numbers = pd.Series(pd.unique(values.dropna().to_numpy()))  # lengths and digits: per distinct value
    if numbers.empty or (numbers == numbers.round()).all():
        digits = int(numbers.abs().astype("int64").astype(str).str.len().max()) if not numbers.empty else 1
        return "integer", max(1, digits + int((numbers < 0).any())), None
    text = numbers.map(lambda v: repr(float(v)))
    decimals = int(text.str.split(".").str[-1].str.len().max())
    return "float", int(text.str.len().max()), decimals


class _Collector:
    """Gathers codelists, methods and comments once each, with stable OIDs."""

    def __init__(self, terminology) -> None:
        self.terminology = terminology
        self.codelists: dict[str, model.CodeList] = {}
        self.methods: dict[str, model.Method] = {}
        self.comments: dict[str, model.Comment] = {}

    def codelist(self, name: str, values: pd.Series, ct_oid: str) -> str | None:
        try:
            codelist = self.terminology.codelist(name)
        except (KeyError, LookupError):
            return None
        oid = f"CL.{codelist.short_name}"
        existing = self.codelists.get(oid)
        used = {str(v) for v in pd.unique(values) if str(v) != ""}
        if existing is not None:
            used |= {item.coded_value for item in existing.items}
        if not used:
            return None  # a variable with no values has no terms to list
        terms = {term.submission_value: term for term in codelist.terms}
        items = [
            model.CodeListItem(coded_value=value, nci_code=terms[value].code if value in terms else None,
                               extended=value not in terms)
            for value in sorted(used)
        ]
        self.codelists[oid] = model.CodeList(oid=oid, name=codelist.name, items=items, nci_code=codelist.code,
                                             standard_oid=ct_oid)
        return oid

    def method(self, oid: str, name: str, text: str) -> str:
        self.methods[oid] = model.Method(oid=oid, name=name, description=text)
        return oid

    def comment(self, oid: str, text: str) -> str:
        self.comments[oid] = model.Comment(oid=oid, text=text)
        return oid


def build_define(study, datasets: list, terminology, info: PackageInfo, ig=None,
                 data_suffix: str = ".xpt") -> model.Define:
    """The define model of one package (every dataset written to one folder).

    `data_suffix` is the file each dataset's def:leaf points at: ".xpt", or ".json"
    for a package written as Dataset-JSON only.
    """
    ig_oid = f"STD.{info.standard_name}.{info.standard_version}"
    ct_oid = f"STD.CT.{info.ct_publishing_set}.{study.ct_version}"
    standards = [
        model.Standard(oid=ig_oid, name=info.standard_name, type="IG", version=info.standard_version),
        model.Standard(oid=ct_oid, name="CDISC/NCI", type="CT", version=study.ct_version,
                       publishing_set=info.ct_publishing_set),
    ]
    collect = _Collector(terminology)
    value_lists: list[model.ValueList] = []
    where_clauses: list[model.WhereClause] = []
    groups = []
    for dataset in sorted(datasets, key=_dataset_order):
        meta = _dataset_meta(ig, dataset.name)
        comment_oid = collect.comment(f"COM.{dataset.name}", dataset.comment.strip()) if dataset.comment else None
        variables = []
        for order, variable in enumerate(dataset.variables, 1):
            values = dataset.frame[variable.name]
            kind, length, digits = data_type(variable, values)
            codelist_oid = None
            name = (variable.codelist or "").split(" ")[0]
            if name and variable.type == "Char":
                codelist_oid = collect.codelist(name, values, ct_oid)
                extended = set(variable.extended)
                if codelist_oid and extended:
                    for item in collect.codelists[codelist_oid].items:
                        item.extended = item.extended or item.coded_value in extended
            item_oid = f"IT.{dataset.name}.{variable.name}"
            method_oid = None
            if variable.origin == "Derived":
                text = variable.method or f"Derived: see the {dataset.name} specification."
                method_oid = collect.method(f"MT.{dataset.name}.{variable.name}",
                                            f"Algorithm for {dataset.name}.{variable.name}", text)
            comment = variable.comment or (variable.method if variable.origin in ("Assigned", "Protocol") else "")
            variables.append(model.Variable(
                oid=item_oid, name=variable.name, label=variable.label, data_type=kind, length=length,
                significant_digits=digits, display_format=getattr(variable, "format", "") or None,
                origin_type=variable.origin or None,
                origin_source=(variable.source or ORIGIN_SOURCE.get(variable.origin)) if variable.origin else None,
                codelist_oid=codelist_oid,
                comment_oid=collect.comment(f"COM.{dataset.name}.{variable.name}", comment) if comment else None,
                order=order, mandatory=variable.core == "Req",
                key_sequence=dataset.keys.index(variable.name) + 1 if variable.name in dataset.keys else None,
                method_oid=method_oid, role=variable.role or None,
                has_no_data=bool(values.isna().all() if variable.type == "Num" else (values == "").all()),
            ))
        value_list = _value_list(dataset, variables, where_clauses, collect)
        if value_list is not None:
            value_lists.append(value_list)
        groups.append(model.Dataset(
            oid=f"IG.{dataset.name}", name=dataset.name, label=dataset.label,
            structure=(meta.structure if meta else "") or "One record per subject",
            purpose=info.purpose, repeating=dataset.name not in ("DM", "ADSL"),
            is_reference=dataset.name in ("TS", "TA", "TE", "TI", "TV"),
            cls=CLASS_NAMES.get(getattr(meta, "cls", ""), getattr(meta, "cls", None) or None),
            subclasses=["TIME-TO-EVENT"] if {"CNSR", "PARAMCD", "AVAL"} <= set(dataset.frame.columns) else [],
            domain=getattr(dataset, "domain", "") or dataset.name,
            sas_name=dataset.name, standard_oid=ig_oid, comment_oid=comment_oid,
            leaf_href=f"{dataset.name.lower()}{data_suffix}", leaf_title=f"{dataset.name.lower()}{data_suffix}",
            variables=variables,
        ))
    package = "sdtm" if info.purpose == "Tabulation" else "adam"
    documents = [d for d in study.data.get("documents", []) if d["package"] == package]
    leaves = [model.Document(leaf_id=f"LF.{d['id']}", href=d["href"], title=d["title"]) for d in documents]
    return model.Define(
        documents=leaves,
        annotated_crf=_refs(documents, "annotated_crf"),
        supplemental_docs=_refs(documents, "supplemental"),
        study_oid=f"STDY.{study.study_id}", study_name=study.study_id,
        description=study.data["study"].get("description", study.data["study"].get("name", study.study_id)).strip(),
        protocol_name=study.data["study"].get("protocol", study.study_id),
        mdv_oid=f"MDV.{study.study_id}.{info.standard_name}.{info.standard_version}",
        mdv_name=f"{study.study_id} {info.standard_name} {info.standard_version}",
        mdv_description=f"{info.purpose} datasets of {study.study_id}",
        standards=standards, datasets=groups,
        codelists=sorted(collect.codelists.values(), key=lambda c: c.oid),
        methods=sorted(collect.methods.values(), key=lambda m: m.oid),
        comments=sorted(collect.comments.values(), key=lambda c: c.oid),
        value_lists=value_lists, where_clauses=where_clauses,
        originator="cdisc-map", source_system="cdisc-map",
    )


def _refs(documents: list[dict], kind: str) -> list[model.DocumentRef]:
    return [model.DocumentRef(leaf_id=f"LF.{d['id']}") for d in documents if d["kind"] == kind]


def _dataset_order(dataset) -> tuple:
    """Define lists datasets by class as reviewers expect: DM and trial design first."""
    name = dataset.name
    parent = name[4:] if name.startswith("SUPP") else name
    return (0 if parent in ("DM", "ADSL") else 1, parent, name.startswith("SUPP"))


def _dataset_meta(ig, name: str):
    if ig is None:
        return None
    try:
        return ig.dataset(name)
    except KeyError:
        return None


def _value_list(dataset, variables: list[model.Variable], where_clauses: list,
                collect: _Collector) -> model.ValueList | None:
    """Value-level metadata: SUPP-- QVAL by QNAM; a Findings result by --TESTCD; ADaM AVAL by PARAMCD."""
    frame = dataset.frame
    name = dataset.name
    if name.startswith("SUPP"):
        target, by = "QVAL", "QNAM"
    elif f"{name}TESTCD" in frame and f"{name}STRESC" in frame:
        target, by = f"{name}STRESC", f"{name}TESTCD"
    elif "PARAMCD" in frame and "AVAL" in frame:
        target, by = "AVAL", "PARAMCD"
    else:
        return None
    if frame.empty:
        return None
    parent = next(v for v in variables if v.name == target)
    items = []
    for order, (key, group) in enumerate(frame.groupby(by, sort=True), 1):
        where_oid = f"WC.{name}.{target}.{key}"
        where_clauses.append(model.WhereClause(oid=where_oid, checks=[
            model.RangeCheck(item_oid=f"IT.{name}.{by}", comparator="EQ", values=[str(key)])]))
        values = group[target]
        if pd.api.types.is_numeric_dtype(values):
            kind = parent.data_type
            length = parent.length
        else:
            kind, length = "text", max(1, int(values.astype(str).str.len().max()))
        label = str(group["QLABEL"].iloc[0]) if "QLABEL" in group else None
        origin = str(group["QORIG"].iloc[0]) if "QORIG" in group and group["QORIG"].iloc[0] else parent.origin_type
        method_oid = None
        if origin == "Derived":
            text = getattr(dataset, "methods", {}).get(f"{target}.{key}")
            method_oid = (collect.method(f"MT.{name}.{target}.{key}", f"Algorithm for {target} of {key}", text)
                          if text else parent.method_oid)
        items.append(model.Variable(
            oid=f"IT.{name}.{target}.{key}", name=target, label=label, data_type=kind, length=length,
            significant_digits=parent.significant_digits if kind == "float" else None,
            origin_type=origin, origin_source=ORIGIN_SOURCE.get(origin or ""),
            order=order, mandatory=False, where_clause_oids=[where_oid], method_oid=method_oid,
        ))
    oid = f"VL.{name}.{target}"
    parent.value_list_oid = oid
    return model.ValueList(oid=oid, items=items)
