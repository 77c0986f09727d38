"""The output tree swapped in whole (io.output_tree): previous tree or new tree, nothing else.

The kill tests (test_run_killed.py) kill real runs; these pin each rule of the swap on a
small tree: the manifest (checked with coreutils' sha256sum, an independent reader of
its format), what is refused, what is cleaned up, and the fallback without an exchange.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import cdisc_map.io.output_tree as output_tree
from cdisc_map.cli import main
from cdisc_map.core.problems import InputError
from cdisc_map.io.output_tree import MANIFEST, OutputTree, read_manifest


def build(out: Path, files: dict[str, str]) -> list[Path]:
    with OutputTree(out) as tree:
        for relative, text in files.items():
            path = tree.staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tree.commit()


def tree_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def beside(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def test_a_new_tree_appears_whole_with_a_manifest_sha256sum_accepts(tmp_path):
    out = tmp_path / "out"
    written = build(out, {"m5/a.xpt": "A", "validation/report.json": "{}"})
    assert [p.relative_to(out).as_posix() for p in written] == ["m5/a.xpt", "validation/report.json", MANIFEST]
    assert read_manifest(out) == {"m5/a.xpt": hashlib.sha256(b"A").hexdigest(),
                                  "validation/report.json": hashlib.sha256(b"{}").hexdigest()}
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "--check", "--strict", MANIFEST], cwd=out, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert beside(out) == ["out"]


def test_the_next_tree_replaces_the_previous_one_entirely(tmp_path):
    out = tmp_path / "out"
    build(out, {"m5/sdtm/dm.xpt": "old", "m5/adam/adsl.xpt": "old", "validation/report.json": "old"})
    build(out, {"m5/sdtm/dm.xpt": "new", "validation/report.json": "new"})
    assert tree_of(out) == {"m5/sdtm/dm.xpt": "new", "validation/report.json": "new",
                            MANIFEST: (out / MANIFEST).read_text()}
    assert beside(out) == ["out"]


@pytest.mark.parametrize("fault", [RuntimeError, KeyboardInterrupt])
def test_a_run_that_fails_or_is_interrupted_leaves_out_as_it_was(tmp_path, fault):
    out = tmp_path / "out"
    build(out, {"m5/dm.xpt": "old"})
    before = tree_of(out)
    with pytest.raises(fault), OutputTree(out) as tree:
        (tree.staging / "m5").mkdir()
        (tree.staging / "m5" / "dm.xpt").write_text("half")
        raise fault()
    assert tree_of(out) == before and beside(out) == ["out"]


def test_out_that_must_not_be_replaced_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for out, words in ((tmp_path / "a-file", "is a file"), (foreign, f"has no {MANIFEST}")):
        with pytest.raises(InputError) as refused:
            OutputTree(out).__enter__()
        assert words in str(refused.value) and str(out) in str(refused.value)
    assert (foreign / "notes.txt").read_text() == "mine"
    monkeypatch.chdir(foreign)
    with pytest.raises(InputError, match="holds the current folder"):
        OutputTree(tmp_path / "foreign").check()
    with pytest.raises(InputError, match="holds the current folder"):
        OutputTree(tmp_path).check()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "foreign"]  # nothing staged beside them


def test_an_empty_folder_is_taken_and_a_symlink_is_followed(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    build(empty, {"a.xpt": "A"})
    assert tree_of(empty)["a.xpt"] == "A"
    link = tmp_path / "link"
    link.symlink_to(empty)
    build(link, {"b.xpt": "B"})
    assert link.is_symlink() and "b.xpt" in tree_of(empty) and "a.xpt" not in tree_of(empty)


def test_leftovers_of_dead_runs_go_and_a_live_run_s_staging_stays(tmp_path):
    out = tmp_path / "out"
    build(out, {"a.xpt": "A"})
    dead = tmp_path / f".out{output_tree.LEFTOVER_MARK}{2**22 + 12345}-dead"  # above any pid_max default
    (dead / "m5").mkdir(parents=True)
    (dead / "m5" / "dm.xpt").write_text("half")
    with OutputTree(out) as live:  # a second run starting while this one writes leaves it alone
        assert live.staging.is_dir() and not dead.exists()
        OutputTree(out).__enter__().__exit__(None, None, None)
        assert live.staging.is_dir()
    assert beside(out) == ["out"]


def test_without_an_atomic_exchange_two_renames_and_a_repair_after_a_kill_between_them(tmp_path, monkeypatch):
    monkeypatch.setattr(output_tree, "_exchange", lambda first, second: False)
    out = tmp_path / "out"
    build(out, {"a.xpt": "A"})
    build(out, {"a.xpt": "B"})
    assert tree_of(out)["a.xpt"] == "B" and beside(out) == ["out"]
    # killed between the two renames: OUT gone, the previous tree aside; the next run puts it back first
    aside = tmp_path / f".out{output_tree.LEFTOVER_MARK}{2**22 + 1}-dead.old"
    os.rename(out, aside)
    repair = OutputTree(out)
    repair.remove_leftovers()
    assert tree_of(out)["a.xpt"] == "B" and beside(out) == ["out"]


def test_the_exchange_is_atomic_on_this_system(tmp_path):
    """On Linux the swap is one renameat2(RENAME_EXCHANGE): both names exist before and after."""
    if not output_tree.sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "which").write_text("first")
    (second / "which").write_text("second")
    assert output_tree._exchange(first, second)
    assert (first / "which").read_text() == "second" and (second / "which").read_text() == "first"


def test_rebuilding_the_outcomes_report_keeps_the_manifest_true(bundled_run, tmp_path):
    """`cdisc-map report OUT` rewrites a file of the tree: the manifest is listed again with it."""
    out = tmp_path / "out"
    shutil.copytree(bundled_run.out, out)
    page = out / "report" / "index.html"
    page.write_text("stale")
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert page.read_text() != "stale"
    assert read_manifest(out)["report/index.html"] == hashlib.sha256(page.read_bytes()).hexdigest()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
