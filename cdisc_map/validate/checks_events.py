"""Events: adverse events with neither an end nor an end reference, seriousness flags."""

from __future__ import annotations

import numpy as np

from cdisc_map.validate.columns import text
from cdisc_map.validate.context import Context
from cdisc_map.validate.loader import Dataset, Package
from cdisc_map.validate.rules import check

SERIOUSNESS_CRITERIA = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE",
                        "AESCAN", "AESOD")


@check("CM0228")
def check_ae_end(package: Package, ctx: Context) -> None:
    for ae in package.of_domain("AE"):
        if not ae.has("AEENDTC"):
            continue
        open_ended = ae.blank("AEENDTC")
        for reference in ("AEENRTPT", "AEENRF"):
            if ae.has(reference):
                open_ended = open_ended & ae.blank(reference)
        if open_ended.any():
            ctx.out.add_rows("CM0228", ae, open_ended, variable="AEENDTC",
                             message="AEENDTC is null and neither AEENRTPT nor AEENRF says the "
                                     "event is ongoing")


@check("CM0229")
def check_seriousness(package: Package, ctx: Context) -> None:
    for ae in package.of_domain("AE"):
        criteria = [c for c in SERIOUSNESS_CRITERIA if ae.has(c)]
        if ae.has("AESER") and criteria:
            _check_seriousness(ae, criteria, ctx)


def _check_seriousness(ae: Dataset, criteria: list[str], ctx: Context) -> None:
    serious = text(ae.frame["AESER"])
    flags = {c: (text(ae.frame[c]) == "Y").to_numpy() for c in criteria}
    any_criterion = np.logical_or.reduce(list(flags.values()))
    not_serious = any_criterion & (serious != "Y").to_numpy()
    no_criterion = (serious == "Y").to_numpy() & ~any_criterion

    def explain(p: int) -> str:
        if no_criterion[p]:
            return f"AESER is Y but none of {', '.join(criteria)} is Y"
        named = [c for c in criteria if flags[c][p]]
        verb = "is" if len(named) == 1 else "are"
        return f"{', '.join(named)} {verb} Y but AESER is {serious.iat[p] or 'null'!r}"

    ctx.out.add_rows("CM0229", ae, not_serious | no_criterion, variable="AESER",
                     values=serious, message=explain)
