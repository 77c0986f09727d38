"""Benchmark: installing the published standards, and loading them in a fresh process.

    python benchmarks/standards.py                       # the files of ../shared/standards/
    python benchmarks/standards.py --source DIR --runs 10

Imports every standards table of the source folder into a temporary standards home
(`cdisc-map standards import`'s own function), then, in fresh Python processes, times
three things: Python starting and doing nothing; importing cdisc-map's standards layer
and loading the newest installed SDTM CT from the home (what every run pays); and
parsing the published CT text file itself (what the home saves). Prints the median and
the range of each, wall clock.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cdisc_map.standards.home import StandardsHome
from cdisc_map.standards.install import import_standards

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "standards"

LOAD_HOME = ("from cdisc_map.standards import load_ct, load_sdtmig; ct = load_ct(); ig = load_sdtmig('3.4'); "
             "ct['UNIT'].lookup('ng')")
PARSE_FILE = "from cdisc_map.standards import load_ct_package; ct = load_ct_package({path!r}); ct['UNIT']"


def timed(code: str, runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs + 1):  # the first run warms the disk cache and is not counted
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - started)
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SHARED, help="folder of published standards files")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = StandardsHome(folder)
        started = time.perf_counter()
        report = import_standards([args.source], home=home)
        print(f"import of {args.source}: {time.perf_counter() - started:.2f} s")
        for outcome in report.outcomes:
            size = outcome.path.stat().st_size
            print(f"  {outcome.entry.name:<26} {dict(outcome.entry.counts)}  stored in {size / 1e6:.2f} MB")
        env = {"CDISC_MAP_HOME": folder, "PATH": "", "PYTHONPATH": str(ROOT)}
        published = next(args.source.glob("sdtm-ct-*.txt*"), None)
        cases = [("python -c pass", "pass"), ("load SDTM CT + SDTMIG from the home", LOAD_HOME)]
        if published is not None:
            cases.append((f"parse {published.name}", PARSE_FILE.format(path=str(published))))
        for name, code in cases:
            times = timed(code, args.runs, env)
            print(f"{name:<48} median {statistics.median(times):.3f} s  (min {min(times):.3f}, "
                  f"max {max(times):.3f}, {args.runs} fresh processes)")


if __name__ == "__main__":
    main()
