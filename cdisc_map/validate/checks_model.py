"""The SDTM model: required and expected variables, permissible additions, order, labels, types.

Datasets of a domain the installed IG describes are checked against its table, with the
variables of the domain's general observation class accepted as permissible additions;
custom domains (codes the IG does not know) against their class: the identifiers every
record needs and the class's variables. Split datasets (LBCH) are checked as their
domain (LB).
"""

from __future__ import annotations

from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.model import DOMAIN_CLASSES, GENERAL_CLASSES, class_variables
from cdisc_map.validate.rules import check
from cdisc_map.validate.shared import dataset_class, standard_variables

TOPIC = {"INTERVENTIONS": "--TRT", "EVENTS": "--TERM", "FINDINGS": "--TESTCD"}
IG_TYPES = {"Char": "text", "Num": "numeric"}


@check("CM0201", "CM0202", "CM0203")
def check_core_variables(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        variables = standard_variables(dataset, ctx)
        if variables is None:
            _check_custom_identifiers(package, dataset, ctx)
            continue
        for variable in variables:
            where = {"file": dataset.file, "dataset": dataset.name, "variable": variable.name}
            if variable.name not in dataset.frame.columns:
                if variable.core == "Req":
                    ctx.out.add("CM0201", **where,
                                message=f"Required variable {variable.name} is missing")
                elif variable.core == "Exp":
                    ctx.out.add("CM0203", **where,
                                message=f"Expected variable {variable.name} is missing")
            elif variable.core == "Req":
                missing = dataset.blank(variable.name)
                if missing.any():
                    ctx.out.add_rows("CM0202", dataset, missing, variable=variable.name,
                                     message=f"Required variable {variable.name} is null")


def _check_custom_identifiers(package: Package, dataset: Dataset, ctx: Context) -> None:
    """A custom domain of a general class needs the identifiers and the topic of its class."""
    if dataset.domain in DOMAIN_CLASSES or dataset.is_supp:
        return  # a standard domain whose IG table is not installed: nothing to check it with
    cls = dataset_class(package, dataset)
    if cls not in GENERAL_CLASSES:
        return
    prefix = dataset.domain[:2]
    for name in ("STUDYID", "DOMAIN", "USUBJID", f"{prefix}SEQ", TOPIC[cls].replace("--", prefix)):
        where = {"file": dataset.file, "dataset": dataset.name, "variable": name}
        if name not in dataset.frame.columns:
            ctx.out.add("CM0201", **where, message=f"Required variable {name} of a "
                                                   f"{cls.lower()} domain is missing")
        elif dataset.blank(name).any():
            ctx.out.add_rows("CM0202", dataset, dataset.blank(name), variable=name,
                             message=f"Required variable {name} is null")


@check("CM0218", "CM0219", "CM0220", "CM0221")
def check_model_variables(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        variables = standard_variables(dataset, ctx)
        cls = dataset_class(package, dataset)
        allowed = class_variables(cls, dataset.domain)
        if variables is None:
            if dataset.domain in DOMAIN_CLASSES or not allowed:
                continue  # a standard domain without installed metadata, or not a general class
            known: dict = {}
        else:
            known = {v.name: v for v in variables}
        where = {"file": dataset.file, "dataset": dataset.name}
        for column in dataset.frame.columns:
            if column not in known and column not in allowed:
                what = (f"not in SDTMIG {ctx.sdtmig.version}'s {dataset.domain} table"
                        if variables is not None else f"not in {dataset.domain}")
                ctx.out.add("CM0218", **where, variable=column,
                            message=f"{column} is {what} nor a variable of the "
                                    f"{(cls or 'unknown').lower()} class")
        if not known:
            continue
        order = [known[c].order for c in dataset.frame.columns if c in known]
        names = [c for c in dataset.frame.columns if c in known]
        for position in range(1, len(order)):
            if order[position] < max(order[:position]):
                earlier = names[order.index(max(order[:position]))]
                ctx.out.add("CM0219", **where, variable=names[position],
                            message=f"{names[position]} comes after {earlier}; SDTMIG puts it "
                                    "before")
                break
        meta = dataset.meta
        for column in names:
            variable = known[column]
            label = meta.column_labels.get(column, "")
            if variable.label and label.strip() != variable.label.strip():
                ctx.out.add("CM0220", **where, variable=column, value=label,
                            message=f"the label of {column} is {label!r}; SDTMIG "
                                    f"{ctx.sdtmig.version} has {variable.label!r}")
            wanted = IG_TYPES.get(variable.type)
            kind = meta.column_types.get(column)
            if wanted and kind and kind != wanted:
                ctx.out.add("CM0221", **where, variable=column, value=kind,
                            message=f"{column} is {kind} in the XPT; SDTMIG has it "
                                    f"{variable.type}")
