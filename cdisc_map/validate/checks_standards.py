"""Said once per package: which declared standard versions the checks could not use.

Registered last, so that a terminology note is given only where terminology findings
were made (and explains why they are notices).
"""

from __future__ import annotations

from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Package
from cdisc_map.validate.rules import CT, RULES, check


@check("CM0601", "CM0602")
def check_declared_standards(package: Package, ctx: Context) -> None:
    where = package.relative(package.define) if package.define is not None else package.file
    terminology_findings = any(RULES[f.rule].depends_on == CT
                               for f in ctx.out.findings[ctx.first_finding:])
    for rule_id, message, family in ctx.standards.notes:
        if family == "ct" and not terminology_findings:
            continue
        ctx.out.add(rule_id, file=where, message=message)
