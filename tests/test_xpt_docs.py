"""docs/xpt.md's example runs and prints what it says."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "xpt.md"


def test_the_example_runs_and_prints_what_the_page_shows():
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, str(DOC), "exec"), {})  # the example exactly as documented
    shown = [line[2:] for line in block.splitlines() if line.startswith("# ") and not line.startswith("# The")]
    assert printed.getvalue().splitlines() == shown
