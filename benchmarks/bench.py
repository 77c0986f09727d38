"""Benchmark: the whole pipeline on generated exports of growing size, against the physical I/O floor.

    python benchmarks/bench.py                          # 1,000 / 10,000 / 50,000 subjects
    python benchmarks/bench.py --subjects 500 2000      # other sizes (CI smoke: a small N)
    python benchmarks/bench.py --subjects 10000 --baseline /tmp/main --repeat 3

For each size: generate an export (not timed), run `cdisc-map run` in a fresh process (so
peak memory is that run's own), and print per stage wall time and peak RSS, records per
second, and the ratio of the total to the I/O floor. The floor is physical: reading the raw
export's bytes and writing as many bytes as the run wrote to disk, flushed with fsync; no
converter can spend less. Growth with N is printed as time per 1,000 subjects, which stays
flat when growth is linear.

With --baseline CHECKOUT (another version of the project, e.g. `git worktree add /tmp/main
main`), each size is also run with that version, alternating with this one --repeat times,
and each stage is printed with both figures and their ratio: on a shared, noisy machine a
ratio measured in the same run says more than two figures measured hours apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = Path("mappings") / "nct06111625"
CHUNK = 1 << 20

# The child also counts CPU seconds per stage (all threads): on a shared machine the wall clock
# moves with other work, CPU time much less.
CHILD = r"""
import contextlib, json, sys, time
from pathlib import Path
from cdisc_map.core import timing
from cdisc_map.pipeline import run_study
cpu = {}
wall_stage = timing.StageTimes.stage

@contextlib.contextmanager
def stage(self, name):
    started = time.process_time()
    try:
        with wall_stage(self, name):
            yield
    finally:
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - started

timing.StageTimes.stage = stage
started, started_cpu = time.perf_counter(), time.process_time()
summary = run_study(Path(sys.argv[1]), raw_dir=Path(sys.argv[2]), out_dir=Path(sys.argv[3]))
print(json.dumps({
    "seconds": summary.times.seconds,
    "cpu": cpu,
    "peak_mb": summary.times.peak_mb,
    "total": time.perf_counter() - started,
    "total_cpu": time.process_time() - started_cpu,
    "records": sum(w.records for w in summary.written),
    "peak_total_mb": timing.peak_rss_mb(),
}))
"""


def io_floor(raw: Path, out: Path) -> dict:
    """Seconds to read every raw file's bytes and to write (and fsync) as many bytes as `out` holds."""
    started = time.perf_counter()
    read = 0
    for path in sorted(p for p in raw.rglob("*") if p.is_file()):
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                read += len(chunk)
    read_seconds = time.perf_counter() - started
    written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    block = b"\0" * CHUNK
    with tempfile.TemporaryDirectory(dir=out.parent) as scratch:
        started = time.perf_counter()
        with open(Path(scratch) / "floor.bin", "wb") as handle:
            left = written
            while left > 0:
                left -= handle.write(block[: min(left, CHUNK)])
            handle.flush()
            os.fsync(handle.fileno())
        write_seconds = time.perf_counter() - started
    return {"seconds": read_seconds + write_seconds, "read_bytes": read, "written_bytes": written,
            "read_seconds": read_seconds, "write_seconds": write_seconds}


def run_once(checkout: Path, raw: Path, out: Path) -> dict:
    """One `cdisc-map run` of the version in `checkout`, in a process of its own."""
    environment = dict(os.environ, PYTHONPATH=str(checkout))
    child = subprocess.run([sys.executable, "-c", CHILD, str(checkout / STUDY), str(raw), str(out)],
                           check=True, capture_output=True, text=True, env=environment, cwd=checkout)
    return json.loads(child.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """The fastest run's figures per stage (the least disturbed by other work on the machine)."""
    result = dict(min(runs, key=lambda r: r["total"]))
    for figure in ("seconds", "cpu"):
        result[figure] = {stage: min(r[figure][stage] for r in runs) for stage in runs[0][figure]}
    result["total"] = min(r["total"] for r in runs)
    result["total_cpu"] = min(r["total_cpu"] for r in runs)
    return result


def bench(subjects: int, seed: int, work: Path, baseline: Path | None, repeat: int) -> dict:
    raw = work / f"raw-{subjects}"
    if not raw.is_dir():
        subprocess.run([sys.executable, str(ROOT / "fixtures" / "generate.py"), "--subjects", str(subjects),
                        "--seed", str(seed), "--out", str(raw)], check=True, capture_output=True)
    versions = {"this": ROOT} | ({"baseline": baseline} if baseline else {})
    runs: dict[str, list[dict]] = {name: [] for name in versions}
    for _ in range(repeat):
        for name, checkout in reversed(versions.items()):  # baseline first, then this version
            runs[name].append(run_once(checkout, raw, work / f"out-{subjects}-{name}"))
    result = {name: best(found) for name, found in runs.items()}
    result["subjects"] = subjects
    result["io_floor"] = io_floor(raw, work / f"out-{subjects}-this")
    return result


def report(result: dict) -> None:
    this, base, floor = result["this"], result.get("baseline"), result["io_floor"]
    subjects, total = result["subjects"], this["total"]
    print(f"\n{subjects:,} subjects: {this['records']:,} records written in {total:.1f} s "
          f"({this['records'] / total:,.0f} records/s; {this['total_cpu']:.1f} CPU s), "
          f"peak RSS {this['peak_total_mb']:,.0f} MiB")
    stages = [(stage, this["seconds"][stage], this["cpu"][stage], this["peak_mb"][stage]) for stage in this["seconds"]]
    stages.append(("total", total, this["total_cpu"], this["peak_total_mb"]))
    if base:
        before = {stage: (base["seconds"].get(stage), base["cpu"].get(stage), base["peak_mb"].get(stage))
                  for stage in base["seconds"]}
        before["total"] = (base["total"], base["total_cpu"], base["peak_total_mb"])
        print(f"  {'stage':<14}{'seconds':>9}{'baseline':>10}{'ratio':>7}{'CPU s':>9}{'baseline':>10}{'ratio':>7}"
              f"{'peak MiB':>10}{'baseline':>10}")
        for stage, seconds, cpu, peak in stages:
            old_seconds, old_cpu, old_peak = before.get(stage, (None, None, None))
            print(f"  {stage:<14}{seconds:>9.2f}{_figure(old_seconds)}{_ratio(seconds, old_seconds)}"
                  f"{cpu:>9.2f}{_figure(old_cpu)}{_ratio(cpu, old_cpu)}{peak:>10.0f}{_figure(old_peak, 0)}")
    else:
        print(f"  {'stage':<14}{'seconds':>9}{'CPU s':>9}{'peak MiB':>10}")
        for stage, seconds, cpu, peak in stages:
            print(f"  {stage:<14}{seconds:>9.2f}{cpu:>9.2f}{peak:>10.0f}")
    print(f"  I/O floor {floor['seconds']:.2f} s (read {floor['read_bytes'] / 2**20:,.1f} MiB of raw export in "
          f"{floor['read_seconds']:.2f} s, write and fsync {floor['written_bytes'] / 2**20:,.1f} MiB in "
          f"{floor['write_seconds']:.2f} s); total / floor = {total / floor['seconds']:.1f}x")


def _figure(value: float | None, decimals: int = 2) -> str:
    return f"{value:>10.{decimals}f}" if value is not None else f"{'-':>10}"


def _ratio(value: float, before: float | None) -> str:
    return f"{value / before:>7.2f}" if before else f"{'-':>7}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--work", type=Path, help="folder for exports and outputs (default: a temporary one)")
    parser.add_argument("--baseline", type=Path, help="a checkout of another version to run alongside, for ratios")
    parser.add_argument("--repeat", type=int, default=1, help="runs per version and size; the fastest counts")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        results = []
        for subjects in args.subjects:
            results.append(bench(subjects, args.seed, work, args.baseline.resolve() if args.baseline else None,
                                 max(1, args.repeat)))
            report(results[-1])
    print("\nGrowth (seconds per 1,000 subjects; flat means linear):")
    for result in results:
        print(f"  {result['subjects']:>7,}: {1000 * result['this']['total'] / result['subjects']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
