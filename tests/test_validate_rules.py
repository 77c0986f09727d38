"""The rule registry: stable, complete, every rule implemented and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cdisc_map.validate import RULES, SEVERITIES, rule_page, rules_index, rules_text
from cdisc_map.validate.rules import CHECKS, FAMILIES, check, severity_rank

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def test_rule_ids_are_stable_codes_grouped_by_family():
    prefixes = {"xpt": "CM01", "sdtm": "CM02", "suppqual": "CM03", "adam": "CM04",
                "define": "CM05", "standards": "CM06"}
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"CM\d{4}", rule_id) and rule.id == rule_id
        assert rule_id.startswith(prefixes[rule.family])
        assert rule.severity in SEVERITIES
        assert rule.message and "\n" not in rule.message and len(rule.message) <= 100
        assert rule.explanation and rule.fix


def test_mirrors_name_their_publisher():
    for rule in RULES.values():
        for mirrored in rule.mirrors:
            assert re.fullmatch(r"FDA (SD|CT)\d{4}|CDISC CG\d{4}|CDISC CORE-\d{6}", mirrored), mirrored


def test_the_rules_the_issue_asks_for_are_there():
    mirrored = {m for rule in RULES.values() for m in rule.mirrors}
    assert {"FDA SD0002", "FDA SD0003", "FDA SD0005", "FDA SD0013", "FDA SD0038",
            "FDA SD0056", "FDA SD0057", "FDA SD0064", "FDA CT2001", "FDA CT2002",
            "CDISC CG0148"} <= mirrored
    assert RULES["CM0204"].severity == "error" and RULES["CM0205"].severity == "warning"


def test_every_rule_is_reported_by_a_check_and_every_check_reports_known_rules():
    covered = {rule_id for _function, rule_ids in CHECKS for rule_id in rule_ids}
    assert covered == set(RULES)


def test_a_check_cannot_register_an_unknown_rule():
    with pytest.raises(KeyError, match="CM9999"):
        check("CM9999")


def test_severity_order():
    assert severity_rank("notice") < severity_rank("warning") < severity_rank("error")
    with pytest.raises(ValueError, match="unknown severity"):
        severity_rank("fatal")


@pytest.mark.parametrize("rule_id", list(RULES))
def test_each_rule_has_its_page_in_the_docs(rule_id: str):
    page = DOCS / f"{rule_id}.md"
    assert page.read_text(encoding="utf-8") == rule_page(RULES[rule_id]), (
        "docs/rules is out of date: regenerate it from cdisc_map.validate.rules")


def test_the_docs_index_lists_every_rule():
    assert (DOCS / "README.md").read_text(encoding="utf-8") == rules_index()
    assert sorted(p.stem for p in DOCS.glob("CM*.md")) == sorted(RULES)


def test_rules_text_has_one_line_per_rule():
    lines = rules_text().splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    assert "[FDA SD0002]" in next(line for line in lines if line.startswith("CM0202"))
    assert set(FAMILIES) == {rule.family for rule in RULES.values()}
