"""Runs killed with SIGKILL at points across every stage: OUT is always one whole tree.

Tree A is a complete run of the bundled study (the session's shared run); every later run writes tree B (the same
study with another SOURCE_DATE_EPOCH, so every XPT header and define.xml differs in its
bytes and a tree mixing the two is seen at once). Each killed run is stopped at a named
checkpoint (core.checkpoints: CDISC_MAP_PAUSE_AT makes the run stop itself there),
looked at while it is stopped, then killed with SIGKILL, and looked at again: OUT must be
exactly A, or exactly B once a run got past the swap, and nothing may be left but OUT and
the hidden staging folder of a dead run, never inside OUT. The next run must remove what
the last one left. One more run is killed at a time (60 % of a run) instead of a named point.
The last run is left to finish: OUT is B and nothing else is beside it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import EPOCH

from cdisc_map.core.checkpoints import PAUSE_VARIABLE, TRACE_VARIABLE
from cdisc_map.io.output_tree import LEFTOVER_MARK, MANIFEST, read_manifest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")

EPOCH_B = str(int(EPOCH) + 86400)
#: The points a run is killed at: each stage (reading, mapping a dataset, ADaM, define.xml,
#: a file written, the outcomes report, validation), between the manifest and the swap, and
#: between the swap and the removal of the old tree.
KILL_POINTS = [
    "read raw: start",
    "mapped AE:",
    "derive ADaM: start",
    "define.xml: start",
    "wrote sdtm/dm.xpt",
    "report: start",  # the outcomes report
    "validate: start",
    "manifest written",
    "swapped",
    "previous tree removed",
]
TIMED_FRACTIONS = (0.6,)  # of a whole run's wall time
SWAPPED = ("swapped", "previous tree removed")  # the points at which OUT is already the new tree


def command(out: Path) -> list[str]:
    return [sys.executable, "-m", "cdisc_map.cli", "run", "--out", str(out), "--quiet"]


def environment(epoch: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in (PAUSE_VARIABLE, TRACE_VARIABLE)}
    env["SOURCE_DATE_EPOCH"] = epoch
    env.update(extra)
    return env


def digests(out: Path) -> dict[str, str]:
    """Every file of the tree with its SHA-256, hidden ones included."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def whole(out: Path) -> dict[str, str]:
    """OUT as one tree, checked against its own manifest first."""
    tree = digests(out)
    listed = read_manifest(out)
    assert listed and {**listed, MANIFEST: tree.get(MANIFEST)} == tree, "OUT disagrees with its manifest"
    return tree


def leftovers(out: Path) -> list[str]:
    others = sorted(p.name for p in out.parent.iterdir() if p.name != out.name)
    assert all(name.startswith(f".{out.name}{LEFTOVER_MARK}") for name in others), others
    return others


def point_names(trace: Path) -> list[str]:
    return trace.read_text(encoding="utf-8").splitlines()


def full_name(prefix: str, names: list[str]) -> str:
    matches = [name for name in names if name == prefix or (name.startswith(prefix) and "#" not in prefix
                                                            and "#" not in name)]
    assert matches, f"no checkpoint {prefix!r} in {names}"
    return matches[0]


@pytest.fixture(scope="module")
def trees(bundled_run, tmp_path_factory) -> dict:
    """Tree A (the session's bundled run), tree B's digests and the names of B's checkpoints."""
    work = tmp_path_factory.mktemp("killed")
    reference = work / "b" / "out"
    reference.parent.mkdir()
    trace = work / "trace.txt"
    started = time.perf_counter()
    subprocess.run(command(reference), env=environment(EPOCH_B, **{TRACE_VARIABLE: str(trace)}), check=True,
                   capture_output=True)
    seconds = time.perf_counter() - started
    a, b = whole(bundled_run.out), whole(reference)
    assert a.keys() == b.keys() and all(a[f] != b[f] for f in a if f.endswith((".xpt", "define.xml")))
    return {"a_tree": bundled_run.out, "a": a, "b": b, "names": point_names(trace), "seconds": seconds,
            "work": work}


def lane_out(trees: dict, name: str) -> Path:
    """A folder of its own holding a copy of tree A as OUT."""
    out = trees["work"] / name / "out"
    shutil.copytree(trees["a_tree"], out)
    return out


def kill_at_points(out: Path, points: list[str], trees: dict) -> list[str]:
    """Kill one run at each point in turn, on the same OUT; what each kill left is checked."""
    a, b, names = trees["a"], trees["b"], trees["names"]
    expected, killed = a, []
    for prefix in points:
        point = full_name(prefix, names)
        run = subprocess.Popen(command(out), env=environment(EPOCH_B, **{PAUSE_VARIABLE: point}),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status = os.waitpid(run.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the run ended before {point!r}: {run.stderr.read().decode()[-2000:]}"
        if point.startswith(SWAPPED):
            expected = b
        # stopped at the point: a reader of OUT sees one whole tree, and at most the last dead
        # run's leftover and this run's staging beside it
        assert whole(out) == expected, point
        assert len(leftovers(out)) <= 2, (point, leftovers(out))
        run.send_signal(signal.SIGKILL)
        run.wait()
        run.stderr.close()
        assert whole(out) == expected, f"after a kill at {point!r}"
        assert len(leftovers(out)) <= 1, (point, leftovers(out))  # the killed run's, beside OUT only
        killed.append(point)
    return killed


def kill_at_times(out: Path, fractions: tuple[float, ...], trees: dict) -> list[str]:
    killed = []
    for fraction in fractions:
        run = subprocess.Popen(command(out), env=environment(EPOCH_B), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(trees["seconds"] * fraction)
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert whole(out) in (trees["a"], trees["b"]), f"after a kill at {fraction:.0%} of a run"
        assert len(leftovers(out)) <= 1
        killed.append(f"{fraction:.0%}")
    return killed


def finish(out: Path, trees: dict) -> None:
    finished = subprocess.run(command(out), env=environment(EPOCH_B), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert whole(out) == trees["b"]
    assert leftovers(out) == []  # the last run removed every leftover


def test_a_run_killed_anywhere_leaves_the_previous_tree_or_the_new_one(trees):
    """Two lanes (OUT folders of their own) side by side, to use both cores; each kills runs in turn."""
    lanes = [(lane_out(trees, f"lane{n}"), KILL_POINTS[n::2], TIMED_FRACTIONS[n::2]) for n in range(2)]

    def lane(out: Path, points: list[str], fractions: tuple[float, ...]) -> list[str]:
        killed = kill_at_points(out, points, trees) + kill_at_times(out, fractions, trees)
        finish(out, trees)
        return killed

    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        killed = [point for result in pool.map(lambda args: lane(*args), lanes) for point in result]
    assert len(killed) == len(KILL_POINTS) + len(TIMED_FRACTIONS)


def test_ctrl_c_and_sigterm_leave_out_as_it_was_and_nothing_beside_it(trees):
    """An interrupted run cleans up after itself, says so in words, and exits 130 (Ctrl-C) or 143 (SIGTERM)."""
    out = lane_out(trees, "interrupted")
    before = whole(out)
    point = full_name("wrote sdtm/dm.xpt", trees["names"])
    for sent, status in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        # Ctrl-C reaches a run as a terminal sends it: with SIGINT's default action. A test worker
        # (pytest-xdist) may ignore SIGINT, and an ignored signal stays ignored across exec.
        run = subprocess.Popen(command(out), env=environment(EPOCH, **{PAUSE_VARIABLE: point}),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_default_sigint)
        _, stopped = os.waitpid(run.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(stopped)
        run.send_signal(sent)
        run.send_signal(signal.SIGCONT)
        stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == status, stderr
        assert "Traceback" not in stdout + stderr
        assert "nothing was written" in stderr and str(out.name) in stderr.splitlines()[-1]
        assert whole(out) == before and leftovers(out) == []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
