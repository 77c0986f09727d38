"""Controlled terminology: every codelist variable, and test codes with their test names.

Which codelist a variable takes comes from the IG table of its domain; a value outside
a non-extensible codelist is an error, outside an extensible one a warning, unless
define.xml declares it as the study's extension. Test codes and test names pair up
through CT: LBTESTCD and LBTEST are two codelists of the same terms.
"""

from __future__ import annotations

import numpy as np

from cdisc_map.standards.terminology import Codelist
from cdisc_map.validate.columns import is_text, text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.model import NAME
from cdisc_map.validate.rules import check
from cdisc_map.validate.shared import declared_extensions, report_one_to_one, standard_variables

MAX_TEST = 40
# Test names that may be longer than 40 characters (SDTMIG: the criterion text of IE/TI).
LONG_TESTS = {"IETEST"}


@check("CM0204", "CM0205")
def check_codelists(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        for variable in standard_variables(dataset, ctx) or []:
            if variable.name not in dataset.frame.columns:
                continue
            codelists = [ctx.ct[name] for name in variable.codelists if name in ctx.ct]
            series = dataset.frame[variable.name]
            if not codelists or not is_text(series):
                continue
            # An extensible codelist may carry the study's own terms, declared in define.xml.
            extensible = any(c.extensible for c in codelists)
            extended = declared_extensions(package, dataset.name, variable.name) if extensible else set()
            valid = dataset.per_value(
                variable.name,
                lambda v, lists=codelists, ext=extended: v == "" or v in ext or any(v in c for c in lists),
                True, dtype=bool)
            if valid.all():
                continue
            names = " or ".join(c.short_name for c in codelists)
            ctx.out.add_rows(
                "CM0205" if extensible else "CM0204", dataset, ~valid,
                variable=variable.name, values=series,
                message=lambda p, s=series, n=names, v=variable.name: (
                    f"{v} {s.iat[p]!r} is not in codelist {n} ({ctx.ct.version or 'CT'})"),
            )


def code_name_pairs(dataset: Dataset) -> list[tuple[str, str]]:
    """(code variable, name variable) pairs of the dataset: --TESTCD/--TEST, TSPARMCD/TSPARM."""
    pairs = []
    for column in dataset.frame.columns:
        for suffix, partner in (("TESTCD", "TEST"), ("PARMCD", "PARM")):
            if column.endswith(suffix) and dataset.has(column[:-len(suffix)] + partner):
                pairs.append((column, column[:-len(suffix)] + partner))
    return pairs


@check("CM0222", "CM0223")
def check_test_codes(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        for code, name in code_name_pairs(dataset):
            _check_code_and_name(dataset, code, name, ctx)


def _check_code_and_name(dataset: Dataset, code: str, name: str, ctx: Context) -> None:
    codes, names = text(dataset.frame[code]), text(dataset.frame[name])
    valid = dataset.per_value(code, lambda v: not isinstance(v, str) or v == ""
                              or bool(NAME.fullmatch(v)), True, dtype=bool)
    if not valid.all():
        ctx.out.add_rows("CM0222", dataset, ~valid, variable=code, values=codes,
                         message=lambda p: (f"{code} {codes.iat[p]!r} is not a valid name of at "
                                            "most 8 characters"))
    if name not in LONG_TESTS:
        long = (names.str.len() > MAX_TEST).to_numpy()
        if long.any():
            ctx.out.add_rows("CM0222", dataset, long, variable=name, values=names,
                             message=lambda p: f"{name} has {len(names.iat[p])} characters")
    blank = ((codes == "") | (names == "")).to_numpy()
    report_one_to_one("CM0223", dataset, (code, codes), (name, names), ctx, skip=blank)


def _pair_codelists(dataset: Dataset, ctx: Context, code: str, name: str
                    ) -> tuple[Codelist, Codelist] | None:
    """The CT codelists of a code/name pair: the IG's, else those named after the variables."""
    by_variable = {v.name: v.codelists for v in standard_variables(dataset, ctx) or []}
    found = []
    for variable in (code, name):
        names = by_variable.get(variable) or (variable,)
        codelist = next((ctx.ct[n] for n in names if n in ctx.ct), None)
        if codelist is None:
            return None
        found.append(codelist)
    return found[0], found[1]


@check("CM0224")
def check_test_names(package: Package, ctx: Context) -> None:
    for dataset in package.sdtm:
        for code, name in code_name_pairs(dataset):
            codelists = _pair_codelists(dataset, ctx, code, name)
            if codelists is not None:
                _check_paired_name(dataset, code, name, *codelists, ctx)


def _check_paired_name(dataset: Dataset, code: str, name: str, codes_list: Codelist,
                       names_list: Codelist, ctx: Context) -> None:
    name_of = {term.code: term.submission_value for term in names_list}
    code_terms = {term.submission_value: term.code for term in codes_list}
    names = text(dataset.frame[name])
    expected = dataset.per_value(code, lambda v: name_of.get(code_terms.get(v, ""), ""),
                                 "", dtype=object)
    wrong = (expected != "") & (names.to_numpy() != expected) & (names != "").to_numpy()
    if np.any(wrong):
        ctx.out.add_rows(
            "CM0224", dataset, wrong, variable=name, values=names,
            message=lambda p: (f"{name} is {names.iat[p]!r} for {code} "
                               f"{dataset.frame[code].iat[p]!r}; CT {ctx.ct.version or ''} "
                               f"names it {expected[p]!r}"),
        )
