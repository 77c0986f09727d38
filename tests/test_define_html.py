"""define.html in a browser: headless Chromium opens the pages `cdisc-map run` wrote and follows their links.

A reviewer goes from a dataset's variable to its codelist, method, comment, origin and
value-level metadata, and back. A harness page (test-side script; define.html has none)
loads each define.html in a frame, clicks each link as a reader would, and reports where
the page went: the fragment, the element it targets, and whether that element is in view.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import lxml.html
import pytest

CHROMIUM = Path("/usr/bin/chromium")

#: (page, element the reader is at, the element a link in it leads to): each step there and back.
SDTM_STEPS = [
    ("IG.DS", "datasets"), ("datasets", "IG.DS"),  # dataset <-> the list of datasets
    ("IT.DS.DSDECOD", "VL.DS.DSDECOD"), ("VL.DS.DSDECOD", "IT.DS.DSDECOD"),  # variable <-> value-level metadata
    ("IT.DS.DSDECOD.PROTOCOL_MILESTONE", "CL.PROTMLST"),  # a condition -> its codelist
    ("CL.PROTMLST", "IT.DS.DSDECOD.PROTOCOL_MILESTONE"),  # and back
    ("IT.AE.AEDECOD", "CL.MEDDRA"), ("CL.MEDDRA", "IT.AE.AEDECOD"),  # dictionary
    ("IT.AE.AESTDY", "MT.STUDY_DAY"), ("MT.STUDY_DAY", "IT.AE.AESTDY"),  # method shared by every --DY
    ("IT.AE.AEHLGT", "COM.AE.AEHLT"), ("COM.AE.AEHLT", "IT.AE.AEHLGT"),  # comment shared by four variables
    ("IT.SUPPAE.USUBJID", "IT.AE.USUBJID"), ("IT.AE.USUBJID", "IT.SUPPAE.USUBJID"),  # origin: predecessor
    ("IT.RS.RSSTRESC", "VL.RS.RSSTRESC"), ("IT.RS.RSSTRESC.OVRLRESP", "CL.ONCRSR"),  # findings by test
]
ADAM_STEPS = [
    ("IT.ADTTE.AGE", "IT.ADSL.AGE"), ("IT.ADSL.AGE", "IT.ADTTE.AGE"),  # origin: a copy of ADSL.AGE
    ("IT.ADTTE.AVAL", "VL.ADTTE.AVAL"), ("VL.ADTTE.AVAL", "IT.ADTTE.AVAL"),  # AVAL by PARAMCD
    ("IT.ADTTE.AVAL.PFS", "MT.ADTTE.AVAL.PFS"), ("MT.ADTTE.AVAL.PFS", "IT.ADTTE.AVAL.PFS"),  # PFS's derivation
    ("AR.PFS.KM.2Y", "IG.ADTTE"), ("AR.PFS.KM.2Y", "IT.ADTTE.CNSR"),  # analysis result -> what it reads
]

HARNESS = """<!DOCTYPE html>
<html><body><pre id="out">pending</pre><script id="plans" type="application/json">PLANS</script>
<script>
const plans = JSON.parse(document.getElementById("plans").textContent);
const results = [];
let pending = plans.length;
function run(plan, frame) {
  const d = frame.contentDocument, w = frame.contentWindow;
  results.push({page: plan.page, scripts: d.scripts.length,
                loaded: w.performance.getEntriesByType("resource").map(r => r.name)});
  for (const [from, to] of plan.steps) {
    const start = d.getElementById(from);
    const link = start && [...start.querySelectorAll("a")].find(a => a.getAttribute("href") === "#" + to);
    if (!link) { results.push({page: plan.page, from, to, error: start ? "no link" : "no such element"}); continue; }
    link.click();
    const target = d.querySelector(":target");
    const box = target && target.getBoundingClientRect();
    results.push({page: plan.page, from, to, hash: w.location.hash, target: target && target.id,
                  visible: !!box && box.top >= -1 && box.top < w.innerHeight});
  }
}
for (const plan of plans) {
  const frame = document.createElement("iframe");
  frame.style.width = "1200px"; frame.style.height = "800px";
  frame.onload = () => {
    try { run(plan, frame); } catch (e) { results.push({page: plan.page, error: String(e)}); }
    if (--pending === 0) document.getElementById("out").textContent = JSON.stringify(results);
  };
  frame.src = plan.page;
  document.body.appendChild(frame);
}
</script></body></html>
"""


@pytest.fixture(scope="module")
def walked(bundled_run, tmp_path_factory) -> list[dict]:
    """What Chromium did on each step of both pages."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium (/usr/bin/chromium, Debian package chromium) is not installed")
    plans = [{"page": (bundled_run.sdtm / "define.html").as_uri(), "steps": SDTM_STEPS},
             {"page": (bundled_run.adam / "define.html").as_uri(), "steps": ADAM_STEPS}]
    folder = tmp_path_factory.mktemp("chromium")
    harness = folder / "harness.html"
    harness.write_text(HARNESS.replace("PLANS", json.dumps(plans)), encoding="utf-8")
    # A file page may read another file page only with --allow-file-access-from-files.
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--allow-file-access-from-files",
         f"--user-data-dir={folder / 'profile'}", "--virtual-time-budget=10000", "--dump-dom", harness.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = lxml.html.fromstring(result.stdout).xpath("string(//pre[@id='out'])")
    assert out != "pending", "the harness did not finish: " + result.stderr[-2000:]
    return json.loads(out)


def test_the_pages_run_no_script_and_load_nothing(walked):
    pages = [r for r in walked if "scripts" in r]
    assert len(pages) == 2
    for page in pages:
        assert page["scripts"] == 0 and page["loaded"] == [], page


@pytest.mark.parametrize("step", SDTM_STEPS + ADAM_STEPS, ids=lambda step: f"{step[0]}->{step[1]}")
def test_a_reader_follows_the_link_and_lands_on_its_target(walked, step):
    start, target = step
    (outcome,) = [r for r in walked if r.get("from") == start and r.get("to") == target]
    assert "error" not in outcome, outcome
    assert outcome["hash"] == f"#{target}" and outcome["target"] == target
    assert outcome["visible"], f"{target} is not scrolled into view"
