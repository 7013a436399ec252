"""scripts/check_ansible_test.py turns every skip into a failure: prove it on
junit files shaped like the ones ansible-test writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check_ansible_test.py"


def junit(path: Path, cases: list[tuple[str, str, str]]) -> None:
    """cases: (classname, name, outcome) with outcome passed/skipped/failure."""
    body = []
    for classname, name, outcome in cases:
        inner = "" if outcome == "passed" else f'<{outcome} message="why">why</{outcome}>'
        body.append(f'<testcase classname="{classname}" name="{name}">{inner}</testcase>')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<testsuites><testsuite>{"".join(body)}</testsuite></testsuites>', encoding="utf-8")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *args], capture_output=True, text=True, check=False)


def units_tree(tmp_path: Path) -> Path:
    for rel in ("tests/unit/plugins/filter/test_f.py", "tests/unit/plugins/modules/test_m.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("", encoding="utf-8")
    return tmp_path


def write_units(root: Path, controller: str | None, modules: str) -> None:
    """One test per context; controller=None: the controller tests never ran."""
    out = root / "tests/output/junit"
    if controller is not None:
        junit(out / "python3.13-controller-units.xml", [("tests.unit.plugins.filter.test_f", "t1", controller)])
    junit(out / "python3.13-modules-units.xml", [("tests.unit.plugins.modules.test_m.TestX", "t2", modules)])


def test_units_all_passed(tmp_path):
    root = units_tree(tmp_path)
    write_units(root, "passed", "passed")
    proc = run("units", str(root), "core X")
    assert proc.returncode == 0, proc.stdout
    assert "2 tests from 2 files (controller 1, modules 1); 2 passed, 0 skipped, 0 failed" in proc.stdout


def test_units_file_left_out_fails(tmp_path):
    """What a target-only Python does: the controller (filter) tests never run."""
    root = units_tree(tmp_path)
    write_units(root, None, "passed")
    proc = run("units", str(root), "core X")
    assert proc.returncode == 1
    assert "tests/unit/plugins/filter/test_f.py: no test of this file ran" in proc.stdout


def test_units_skipped_test_fails(tmp_path):
    root = units_tree(tmp_path)
    write_units(root, "skipped", "passed")
    proc = run("units", str(root), "core X")
    assert proc.returncode == 1
    assert "t1: skipped" in proc.stdout


def test_sanity_passes_and_counts(tmp_path):
    out = tmp_path / "tests/output/junit"
    junit(out / "a.xml", [("sanity", "compile-python-3.13", "passed")])
    junit(out / "b.xml", [("sanity", "shellcheck", "passed")])
    proc = run("sanity", str(tmp_path), "core X", "compile", "shellcheck")
    assert proc.returncode == 0, proc.stdout
    assert "2 tests expected, 2 ran; results 2 passed, 0 skipped, 0 failed" in proc.stdout


def test_sanity_skip_and_missing_fail(tmp_path):
    out = tmp_path / "tests/output/junit"
    junit(out / "b.xml", [("sanity", "shellcheck", "skipped")])
    proc = run("sanity", str(tmp_path), "core X", "compile", "shellcheck")
    assert proc.returncode == 1
    assert "sanity test 'shellcheck' was skipped" in proc.stdout
    assert "sanity test 'compile' did not run" in proc.stdout
