"""The build plan: in which order the steps of a study's datasets run, from what each step reads.

A dataset is built in steps: `rows` maps every source's records (the variables that read
the raw records, and what they need), then each remaining variable is one step, and
`order` sorts the records by the dataset's keys. A step runs after every step whose
result it reads, whatever dataset that is: DM's reference dates read EX's start dates,
EX's study days read DM's reference date, and both datasets interleave without a
"late pass" or a dataset that must come first. What a step reads comes from the
registry's declarations (`cdisc_map.spec.registry.reads`), so a new derivation orders
itself. A circle is reported with the variables on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from cdisc_map.spec import registry
from cdisc_map.spec.registry import Reads
from cdisc_map.spec.study import DatasetSpec

#: The column name a supplemental qualifier's values take while its parent is built.
SUPP_PREFIX = "__supp__"

ROWS, VARIABLE, ORDER = "rows", "variable", "order"


@dataclass(frozen=True, order=True)
class Step:
    """One step of the build: a dataset's rows, one of its variables, or its sort by keys."""

    dataset: str
    action: str
    variable: str = ""

    def __str__(self) -> str:
        if self.action == VARIABLE:
            return f"{self.dataset}.{self.variable}"
        return f"{self.dataset} ({'its records' if self.action == ROWS else 'sorted by its keys'})"


@dataclass
class DatasetPlan:
    """What the planner needs to know of one dataset."""

    name: str
    keys: list[str]
    record: set[str]  # variables mapped in the rows step
    derived: dict[str, Reads] = field(default_factory=dict)  # variables of their own steps, in spec order
    record_reads: Reads = field(default_factory=Reads)  # what the rows step reads of other datasets


@dataclass(frozen=True)
class Unresolved:
    """A variable of another dataset that a step reads and that dataset does not have."""

    step: Step
    dataset: str
    variable: str
    known: bool  # whether the dataset itself is one of the study's


class PlanCycle(Exception):
    """Steps that read each other in a circle; `steps` is the circle, first step repeated last."""

    def __init__(self, steps: list[Step]):
        super().__init__(" -> ".join(map(str, steps)))
        self.steps = steps


def _depends_on_order(plan: DatasetPlan) -> set[str]:
    """The derived variables that read the dataset's order, directly or through another variable."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for var, reads in plan.derived.items():
            if var not in found and (reads.order or reads.variables & found):
                found.add(var)
                changed = True
    return found


def build_order(datasets: list[DatasetPlan]) -> tuple[list[Step], list[Unresolved]]:
    """Every step of every dataset, each after the steps it reads; and what could not be resolved.

    Raises PlanCycle when steps read each other in a circle.
    """
    by_name = {plan.name: plan for plan in datasets}
    unresolved: list[Unresolved] = []

    def provider(step: Step, dataset: str, variable: str) -> Step | None:
        plan = by_name.get(dataset)
        if plan is None or (variable not in plan.record and variable not in plan.derived):
            unresolved.append(Unresolved(step, dataset, variable, plan is not None))
            return None
        if variable in plan.record:
            return Step(dataset, ROWS)
        return Step(dataset, VARIABLE, variable)

    def external(step: Step, reads: Reads) -> list[Step]:
        found = []
        for dataset, variable in sorted(reads.others):
            if dataset == step.dataset:
                continue
            provided = provider(step, dataset, variable)
            if provided is not None:
                found.append(provided)
        found += [Step(dataset, ROWS) for dataset in sorted(reads.datasets) if dataset in by_name
                  and dataset != step.dataset]
        return found

    graph: dict[Step, list[Step]] = {}
    for plan in datasets:
        rows = Step(plan.name, ROWS)
        graph[rows] = external(rows, plan.record_reads)
        ordered = _depends_on_order(plan)
        for var, reads in plan.derived.items():
            step = Step(plan.name, VARIABLE, var)
            needs = [rows]
            needs += [Step(plan.name, VARIABLE, name) for name in sorted(reads.variables) if name in plan.derived
                      and name != var]
            if reads.order:
                needs.append(Step(plan.name, ORDER))
            graph[step] = needs + external(step, reads)
        graph[Step(plan.name, ORDER)] = [rows] + [Step(plan.name, VARIABLE, key) for key in plan.keys
                                                  if key in plan.derived and key not in ordered]
    try:
        steps = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise PlanCycle(list(exc.args[1])) from exc
    return steps, unresolved


def variable_order(wanted: dict[str, Reads]) -> list[str]:
    """The variables of one set of records, each after those of the set it reads (spec order otherwise).

    Raises PlanCycle when variables read each other in a circle.
    """
    graph = {var: [name for name in reads.variables if name in wanted and name != var]
             for var, reads in wanted.items()}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise PlanCycle([Step("", VARIABLE, name) for name in exc.args[1]]) from exc


@dataclass
class Stages:
    """How one SDTM dataset is built: which variables its rows step maps (and what each reads), which
    get steps of their own, and which of the rows step's variables read the dataset's order (an error)."""

    plan: DatasetPlan
    record_reads: dict[str, Reads]  # rows-step variable (supp qualifiers prefixed) -> what it reads
    misplaced: list[str]  # variables mapped per source (or record) that need the dataset's final order


def source_mappings(spec: DatasetSpec, var: str) -> dict[int, dict]:
    """The mapping of `var` in each form source that maps it itself (source index -> mapping)."""
    return {index: source["variables"][var] for index, source in enumerate(spec.data["sources"])
            if var in source.get("variables", {})}


def sdtm_stages(spec: DatasetSpec) -> Stages:
    """Split a dataset's variables into the rows step and steps of their own.

    The rows step maps, per source record, every variable that reads the raw records
    (a column, the subject id), every supplemental qualifier, every variable a record of
    the spec writes, the variables a source collapses by, and whatever those read of
    the same dataset. The others run on the dataset's records once what they read is
    ready: a variable mapped per source runs each source's mapping on that source's
    records, so a study day under a source's `variables:` waits for DM as any other.
    """
    located = spec.mapped()
    own = set(located)
    sources = spec.data["sources"]
    read_by: dict[str, Reads] = {}
    for var in located:
        found = Reads()
        for each in [spec.data.get("variables", {}).get(var), *source_mappings(spec, var).values(),
                     *(record[var] for source in sources for record in source.get("records", []) if var in record)]:
            if isinstance(each, dict):
                found.update(registry.reads(each, own))
        read_by[var] = found
    record = {var for var, found in read_by.items() if found.columns or found.subject}
    record |= {var for source in sources for entry in source.get("records", []) for var in entry}
    record |= {var for source in sources if source.get("collapse")
               for var in [*source["collapse"]["by"], source["collapse"]["start"], source["collapse"]["end"]]
               if var in own}
    changed = True
    while changed:
        changed = False
        for var in list(record):
            for name in read_by.get(var, Reads()).variables:
                if name in own and name not in record:
                    record.add(name)
                    changed = True
    supp = {SUPP_PREFIX + qnam: registry.reads(mapping, own) for qnam, (mapping, _trail) in spec.supp_mapped().items()}
    record_reads: dict[str, Reads] = {var: read_by[var] for var in record}
    record_reads.update(supp)
    union = Reads()
    for found in record_reads.values():
        union.update(found)
    derived = {var: read_by[var] for var in located if var not in record}
    common = spec.data.get("variables", {})
    misplaced = sorted(var for var, found in {**record_reads, **derived}.items()
                       if found.order and (var in record_reads or var not in common))
    plan = DatasetPlan(spec.name, spec.keys, record | set(supp), derived, union)
    return Stages(plan, record_reads, misplaced)
