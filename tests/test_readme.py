"""The README's worked example runs and gives what it says."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_derive_tte_example_runs_and_matches_its_printed_result():
    text = README.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "derive_tte" in b)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # the example exactly as documented
    records = namespace["records"].set_index("USUBJID")
    assert records.loc["S1-001", ["AVAL", "CNSR", "EVNTDESC", "SRCSEQ"]].tolist() == [188.0, 0.0, "RELAPSE", 2.0]
    assert records.loc["S1-002", ["AVAL", "CNSR", "EVNTDESC", "SRCDOM"]].tolist() == [243.0, 0.0, "DEATH", "ADSL"]
    censored = records.loc["S1-003", ["AVAL", "CNSR", "CNSDTDSC"]].tolist()
    assert censored == [89.0, 1.0, "LAST ADEQUATE DISEASE ASSESSMENT"]
    for line in ("# 0  S1-001  188.0   0.0", "# 1  S1-002  243.0   0.0", "# 2  S1-003   89.0   1.0"):
        assert line in block


def test_apply_mapping_example_prints_what_it_says(capsys):
    text = README.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "apply_mapping" in b)
    exec(compile(block, str(README), "exec"), {})
    assert capsys.readouterr().out.strip() == re.search(r"^# (.*)$", block, re.M).group(1)
