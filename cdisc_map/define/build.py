"""Build the define_xml metadata model from the datasets a run produced.

define.xml comes from the same in-memory datasets that the XPT files were written from,
so the two cannot disagree: names, labels, order, types and lengths are the conformed
variables'; codelists list the terms the data use, with their NCI codes, and flag
sponsor extensions; dictionary-coded variables reference their dictionary and release;
origins trace (a Predecessor names the variable it copies, a Collected value its aCRF
pages); methods and comments are one per distinct text, shared by the variables using
them; value-level metadata describes what varies by condition; the ADaM define carries
the study's Analysis Results Metadata. cdisc_map knows SDTM and writes no XML;
define_xml knows XML and no SDTM.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc_map.core.datasets import Dataset, Variable
from cdisc_map.define.origins import OriginDocuments, origin_of
from cdisc_map.define.results import result_displays
from cdisc_map.define.terms import Terms
from cdisc_map.define.texts import Texts
from cdisc_map.define.types import data_type
from cdisc_map.define.values import Context, WhereClauses, codelists_by_condition, value_lists
from cdisc_map.spec.submission import ADAM_PACKAGE, SDTM_PACKAGE, dictionaries, dictionary_of, documents
from cdisc_map.standards.metadata import codelist_holds_all
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
#: Origins whose explanation is a comment (a method is the algorithm of a Derived value).
COMMENTED_ORIGINS = ("Assigned", "Protocol")


@dataclass(frozen=True)
class PackageInfo:
    """What differs between the SDTM and the ADaM define: the standard and the purpose."""

    purpose: str  # "Tabulation" or "Analysis"
    standard_name: str  # "SDTMIG" or "ADaMIG"
    standard_version: str

    @property
    def package(self) -> str:
        return SDTM_PACKAGE if self.purpose == "Tabulation" else ADAM_PACKAGE


def build_define(study, datasets: list[Dataset], terminology, info: PackageInfo, ig=None,
                 data_suffix: str = ".xpt") -> model.Define:
    """The define model of one package (every dataset written to one folder).

    `data_suffix` is the file each dataset's def:leaf points at: ".xpt", or ".json"
    for a package written as Dataset-JSON only. Raises ProblemsError when study.yaml's
    analysis results name what the package does not hold.
    """
    ig_oid = f"STD.{info.standard_name}.{info.standard_version}"
    # The CT standard is the package the codelists come from: ADSL's SEX, RACE, NY are SDTM CT
    # terms, so an ADaM define names SDTM CT for them (PublishingSet SDTM), not ADaM CT.
    ct_package = terminology.package
    ct_version = terminology.version or study.ct_version
    ct_oid = f"STD.CT.{ct_package}.{ct_version}"
    standards = [
        model.Standard(oid=ig_oid, name=info.standard_name, type="IG", version=info.standard_version),
        model.Standard(oid=ct_oid, name="CDISC/NCI", type="CT", version=ct_version, publishing_set=ct_package),
    ]
    declared = documents(study, info.package)
    leaves = [model.Document(leaf_id=f"LF.{d['id']}", href=d["href"], title=d["title"]) for d in declared]
    origin_documents = OriginDocuments(
        annotated_crf=next((f"LF.{d['id']}" for d in declared if d["kind"] == "annotated_crf"), None),
        protocol=next((f"LF.{d['id']}" for d in declared if d["kind"] == "protocol"), None))
    context = Context(Terms(terminology, ct_oid), Texts(), WhereClauses(), origin_documents)
    coded_with = dictionaries(study)
    groups, lists = [], []
    for dataset in sorted(datasets, key=_dataset_order):
        meta = _dataset_meta(ig, dataset.name)
        items = [_variable(dataset, variable, order, context, coded_with)
                 for order, variable in enumerate(dataset.variables, 1)]
        lists += value_lists(dataset, {item.name: item for item in items}, context)
        groups.append(_group(dataset, items, meta, info, ig_oid, context, data_suffix))
    displays = (result_displays(study, {g.name: g for g in groups}, context.where)
                if info.package == ADAM_PACKAGE else [])
    return model.Define(
        documents=leaves,
        annotated_crf=[model.DocumentRef(f"LF.{d['id']}") for d in declared if d["kind"] == "annotated_crf"],
        supplemental_docs=[model.DocumentRef(f"LF.{d['id']}") for d in declared if d["kind"] == "supplemental"],
        study_oid=f"STDY.{study.study_id}", study_name=study.study_id,
        description=study.data["study"].get("description", study.data["study"].get("name", study.study_id)).strip(),
        protocol_name=study.data["study"].get("protocol", study.study_id),
        mdv_oid=f"MDV.{study.study_id}.{info.standard_name}.{info.standard_version}",
        mdv_name=f"{study.study_id} {info.standard_name} {info.standard_version}",
        mdv_description=f"{info.purpose} datasets of {study.study_id}",
        standards=standards, datasets=groups,
        codelists=context.terms.all(), methods=context.texts.methods(), comments=context.texts.comments(),
        value_lists=lists, where_clauses=context.where.all(), result_displays=displays,
        originator="cdisc-map", source_system="cdisc-map",
    )


def _variable(dataset: Dataset, variable: Variable, order: int, context: Context,
              coded_with: list) -> model.Variable:
    """One variable of a dataset: ItemDef (type, origin, codelist, comment) and ItemRef (order, key, method)."""
    values = dataset.frame[variable.name]
    kind, length, digits = data_type(variable, values)
    user = f"{dataset.name}.{variable.name}"
    dictionary = dictionary_of(coded_with, dataset.name, variable.name)
    codelist_oid = None
    if dictionary is not None:
        codelist_oid = context.terms.dictionary(dictionary, kind)
    elif variable.codelist and variable.type == "Char" and not codelists_by_condition(variable, dataset.frame) \
            and codelist_holds_all(variable.name, values):
        codelist_oid = context.terms.ct(variable.codelist.split(" ")[0], values)
    origin = origin_of(variable, context.documents)
    method_oid = None
    if variable.origin == "Derived":
        method_oid = context.texts.method(variable.method, variable.method_name, user)
    comment = variable.comment or (variable.method if variable.origin in COMMENTED_ORIGINS else "")
    return model.Variable(
        oid=f"IT.{user}", name=variable.name, label=variable.label, data_type=kind, length=length,
        significant_digits=digits, display_format=variable.format or None,
        origin_type=origin.type, origin_source=origin.source, origin_description=origin.description,
        origin_documents=list(origin.documents), codelist_oid=codelist_oid,
        comment_oid=context.texts.comment(comment, user),
        order=order, mandatory=variable.core == "Req",
        key_sequence=dataset.keys.index(variable.name) + 1 if variable.name in dataset.keys else None,
        method_oid=method_oid, role=variable.role or None,
        has_no_data=bool(values.isna().all() if variable.type == "Num" else (values == "").all()),
    )


def _group(dataset: Dataset, items: list[model.Variable], meta, info: PackageInfo, ig_oid: str,
           context: Context, data_suffix: str) -> model.Dataset:
    cls = getattr(meta, "cls", "") or dataset.cls
    return model.Dataset(
        oid=f"IG.{dataset.name}", name=dataset.name, label=dataset.label,
        structure=(meta.structure if meta else "") or dataset.structure or "One record per subject",
        purpose=info.purpose, repeating=dataset.name not in ("DM", "ADSL"),
        is_reference=dataset.name in ("TS", "TA", "TE", "TI", "TV"),
        cls=CLASS_NAMES.get(cls, cls or None),
        subclasses=["TIME-TO-EVENT"] if {"CNSR", "PARAMCD", "AVAL"} <= set(dataset.frame.columns) else [],
        domain=getattr(dataset, "domain", "") or dataset.name,
        sas_name=dataset.name, standard_oid=ig_oid,
        comment_oid=context.texts.comment((dataset.comment or "").strip(), dataset.name),
        leaf_href=f"{dataset.name.lower()}{data_suffix}", leaf_title=f"{dataset.name.lower()}{data_suffix}",
        variables=items,
    )


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
