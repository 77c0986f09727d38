"""Analysis Results Metadata (ARM 1.0) of the ADaM define.xml, from study.yaml's `analysis_results:`.

Each display (a table or figure of the report) lists its results; each result says what
it estimates and why (reason, purpose), which records of which dataset it reads (the
parameter, and a where clause that selects them), the variables it analyses, where it
is documented and the code that computes it. All of it is the study's data: nothing
here knows the study's endpoints.
"""

from __future__ import annotations

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.define.oids import oid_part
from cdisc_map.define.values import WhereClauses
from cdisc_map.spec.submission import analysis_results, as_pages, selection_checks
from define_xml import model


def result_displays(study, groups: dict[str, model.Dataset], where: WhereClauses) -> list[model.ResultDisplay]:
    """The result displays of the study; ProblemsError when one names what the package does not hold."""
    problems: list[Problem] = []
    displays = []
    for d, display in enumerate(analysis_results(study)):
        results = [_result(result, groups, where, problems, study.line("analysis_results", d, "results", r))
                   for r, result in enumerate(display["results"])]
        displays.append(model.ResultDisplay(
            oid=f"RD.{oid_part(display['id'])}", name=display["name"], description=display["title"].strip(),
            documents=_refs(display.get("documents")), results=[r for r in results if r is not None]))
    if problems:
        raise ProblemsError([Problem(p.message, file=str(study.path), row=p.row, hint=p.hint) for p in problems])
    return displays


def _result(result: dict, groups: dict[str, model.Dataset], where: WhereClauses, problems: list[Problem],
            line: int | None) -> model.AnalysisResult | None:
    name = result["dataset"]
    group = groups.get(name)
    if group is None:
        problems.append(Problem(f"analysis result {result['id']}: the package has no dataset {name}", row=line))
        return None
    present = {v.name for v in group.variables}
    checks = []
    if "parameter" in result:
        checks.append(("PARAMCD", "EQ", (str(result["parameter"]),)))
    checks += [(var, comparator, tuple(values)) for var, comparator, values in selection_checks(result.get("where"))]
    wanted = list(result["variables"]) + [var for var, _, _ in checks]
    missing = [var for var in dict.fromkeys(wanted) if var not in present]
    if missing:
        problems.append(Problem(f"analysis result {result['id']}: {name} has no variable {', '.join(missing)}",
                                row=line, hint="name variables the dataset holds"))
        return None
    documentation = result.get("documentation")
    code = result.get("code") or {}
    return model.AnalysisResult(
        oid=f"AR.{oid_part(result['id'])}",
        description=" ".join(result["description"].split()),
        reason=result["reason"], purpose=result["purpose"],
        parameter_oid=f"IT.{name}.PARAMCD" if "parameter" in result else None,
        datasets=[model.AnalysisDataset(
            dataset_oid=group.oid, where_clause_oid=where.of(name, checks) if checks else None,
            variable_oids=[f"IT.{name}.{var}" for var in result["variables"]])],
        documentation=" ".join(documentation["text"].split()) if documentation else None,
        documentation_refs=_refs((documentation or {}).get("documents")),
        code_context=code.get("context"), code=code["text"].rstrip() if "text" in code else None,
        code_refs=_refs(code.get("documents")),
    )


def _refs(refs: list[dict] | None) -> list[model.DocumentRef]:
    found = []
    for ref in refs or []:
        pages = as_pages(ref.get("pages"))
        found.append(model.DocumentRef(f"LF.{ref['id']}", [model.PageRef(pages=" ".join(map(str, pages)))]
                                       if pages else []))
    return found
