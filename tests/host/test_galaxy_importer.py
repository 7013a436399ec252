# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Galaxy's own importer (galaxy-importer, PyPI) accepts the built artifact with
no error and no warning, offline.

Only its ansible-test step is off (tests/galaxy-importer.cfg): it needs a
container registry. ansible-lint and ansible-doc run inside it as on Galaxy.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hostutil import ROOT, base_env, build_artifact, run, tool

CONFIG = ROOT / "tests" / "galaxy-importer.cfg"


def importer(tarball: Path, workdir: Path):
    """Run galaxy-importer on TARBALL in WORKDIR (it writes importer_result.json there)."""
    tool("ansible-lint")  # the importer silently skips lint without it on PATH
    tool("ansible-doc")
    env = base_env(
        GALAXY_IMPORTER_CONFIG=str(CONFIG),
        GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=str(workdir / "ansible-tmp"),
    )
    proc = run([sys.executable, "-m", "galaxy_importer.main", tarball], cwd=workdir, env=env, timeout=600)
    return proc, (proc.stdout + proc.stderr).splitlines()


def problems(lines: list[str]) -> list[str]:
    """Every line the importer logs above INFO (its format: 'LEVEL: message')."""
    return [line for line in lines if line.split(":", 1)[0] in ("WARNING", "ERROR", "CRITICAL")]


@pytest.fixture(scope="module")
def imported(artifact, tmp_path_factory):
    return importer(artifact, tmp_path_factory.mktemp("importer"))


def test_importer_accepts_the_artifact(imported):
    proc, lines = imported
    assert proc.returncode == 0, "\n".join(lines[-60:])
    assert problems(lines) == []
    assert "Importer processing completed successfully" in lines


def test_importer_ran_ansible_lint_and_ansible_doc(imported):
    """No skip: the importer ran both tools (a missing one is only a warning there)."""
    _proc, lines = imported
    assert any(line.startswith("Linting collection via ansible-lint ") for line in lines), lines
    assert "...ansible-lint run complete" in lines
    assert "Getting doc strings via ansible-doc" in lines
    assert [line for line in lines if "skipping" in line.lower()] == []
    assert "Loading role kvmhost_setup" in lines
    assert "Loading module libvirt_daemons" in lines


def test_importer_rejects_an_artifact_without_the_role_readme(tmp_path):
    """The check above can fail: the artifact of issue 12 (no role README) is refused."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", ".ansible", "molecule", "bench", "tests", "*.tar.gz", "__pycache__"))
    (tree / "roles" / "kvmhost_setup" / "README.md").unlink()
    out = tmp_path / "out"
    out.mkdir()
    proc, lines = importer(build_artifact(out, tree), tmp_path)
    assert proc.returncode != 0
    assert "ERROR: The import failed for the following reason: No role readme found." in lines, lines[-20:]
