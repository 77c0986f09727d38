"""Benchmark: the whole pipeline on generated exports of growing size.

    python benchmarks/bench.py                     # 1,000 / 10,000 / 50,000 subjects
    python benchmarks/bench.py --subjects 500 2000 # other sizes (CI smoke: a small N)

For each size: generate an export (not timed), run `cdisc-map run` in a fresh process
(so peak memory is that run's own), and print per stage wall time and peak RSS,
records per second, and the ratio of total time to the I/O floor: reading the raw
files with pandas plus writing the same output frames with pyreadstat directly,
the least any converter must spend. Growth with N is printed as time per 1,000
subjects, which stays flat when growth is linear.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct06111625"

CHILD = r"""
import json, sys, time
from pathlib import Path
from cdisc_map.pipeline import run_study
from cdisc_map.core.timing import peak_rss_mb
started = time.perf_counter()
summary = run_study(Path(sys.argv[1]), raw_dir=Path(sys.argv[2]), out_dir=Path(sys.argv[3]))
print(json.dumps({
    "seconds": summary.times.seconds,
    "peak_mb": summary.times.peak_mb,
    "total": time.perf_counter() - started,
    "records": sum(w.records for w in summary.written),
    "peak_total_mb": peak_rss_mb(),
}))
"""


def io_floor(raw: Path, out: Path) -> float:
    """Seconds to read the raw export with pandas and write the run's output frames with pyreadstat."""
    import pandas as pd
    import pyreadstat

    started = time.perf_counter()
    for path in sorted(raw.iterdir()):
        if path.suffix == ".csv":
            pd.read_csv(path, dtype=str, keep_default_na=False)
        elif path.suffix == ".xlsx":
            pd.read_excel(path, dtype=str, engine="calamine")
    read_seconds = time.perf_counter() - started
    frames = [(p, *pyreadstat.read_xport(str(p))) for p in sorted(out.rglob("*.xpt"))]
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        for path, frame, meta in frames:
            pyreadstat.write_xport(frame, str(Path(scratch) / path.name), file_format_version=5,
                                   table_name=meta.table_name, column_labels=meta.column_labels)
        write_seconds = time.perf_counter() - started
    return read_seconds + write_seconds


def bench(subjects: int, seed: int, work: Path) -> dict:
    raw = work / f"raw-{subjects}"
    out = work / f"out-{subjects}"
    subprocess.run([sys.executable, str(ROOT / "fixtures" / "generate.py"), "--subjects", str(subjects),
                    "--seed", str(seed), "--out", str(raw)], check=True, capture_output=True)
    child = subprocess.run([sys.executable, "-c", CHILD, str(STUDY), str(raw), str(out)],
                           check=True, capture_output=True, text=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result["subjects"] = subjects
    result["io_floor"] = io_floor(raw, out)
    return result


def report(result: dict) -> None:
    subjects, total = result["subjects"], result["total"]
    print(f"\n{subjects:,} subjects: {result['records']:,} records written in {total:.1f} s "
          f"({result['records'] / total:,.0f} records/s), peak RSS {result['peak_total_mb']:,.0f} MiB")
    print(f"  {'stage':<14}{'seconds':>9}{'peak MiB':>10}")
    for stage, seconds in result["seconds"].items():
        print(f"  {stage:<14}{seconds:>9.2f}{result['peak_mb'][stage]:>10.0f}")
    print(f"  I/O floor {result['io_floor']:.2f} s; total / floor = {total / result['io_floor']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--work", type=Path, help="folder for exports and outputs (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        results = []
        for subjects in args.subjects:
            results.append(bench(subjects, args.seed, work))
            report(results[-1])
    print("\nGrowth (seconds per 1,000 subjects; flat means linear):")
    for result in results:
        print(f"  {result['subjects']:>7,}: {1000 * result['total'] / result['subjects']:.2f} s")


if __name__ == "__main__":
    main()
