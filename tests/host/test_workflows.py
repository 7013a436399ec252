# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The GitHub Actions workflows are valid and safe, checked offline: GitHub's
workflow schema (check-jsonschema's vendored copy) and zizmor, pedantic, with
no findings; and their ansible-test matrix is exactly the support table.
"""

from __future__ import annotations

import json
import re
import sys


from hostutil import CONTROLLER_PYTHONS, ROOT, load_yaml, readme_support, run, tool

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))

# A workflow with the classic mistakes: a dangerous trigger, a tag-pinned
# action, an injectable expression, default permissions.
BAD_WORKFLOW = """\
name: bad
"on": pull_request_target
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def schema_check(*paths):
    return run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *paths])


def zizmor_findings(directory) -> list[dict]:
    proc = run([tool("zizmor"), "--offline", "--persona=pedantic", "--no-ignores", "--format", "json", directory])
    # exit 0: no findings; 10-14: findings by severity; anything else: zizmor failed
    assert proc.returncode == 0 or 10 <= proc.returncode <= 14, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_there_are_workflows():
    assert [path.name for path in WORKFLOWS] == ["ci.yml"]


def test_workflows_match_githubs_schema():
    proc = schema_check(*WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing():
    findings = zizmor_findings(ROOT / ".github" / "workflows")
    assert findings == [], json.dumps(findings, indent=1)[:6000]


def test_the_checks_can_fail(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    idents = {finding["ident"] for finding in zizmor_findings(workflows)}
    assert {"unpinned-uses", "template-injection", "dangerous-triggers", "excessive-permissions"} <= idents
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\n'on': push\njobs:\n  x:\n    steps: []\n", encoding="utf-8")
    assert schema_check(broken).returncode != 0, "a job without runs-on must not validate"


def test_every_action_is_pinned_by_full_sha():
    for path in WORKFLOWS:
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8")):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{path.name}: {uses}"


def test_default_permissions_are_empty_and_jobs_read_only():
    for path in WORKFLOWS:
        data = load_yaml(path)
        assert data["permissions"] == {}, path.name
        for name, job in data["jobs"].items():
            assert job.get("permissions") == {"contents": "read"}, (path.name, name)


# --- the matrix is the support table ------------------------------------------------


def test_ansible_test_matrix_is_every_controller_python_of_the_supported_releases():
    job = load_yaml(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["ansible-test"]
    matrix: dict[str, list[str]] = {}
    for entry in job["strategy"]["matrix"]["include"]:
        matrix.setdefault(entry["ansible-core"], []).append(entry["python"])
    support = readme_support()
    assert support, "README.md has no ansible-core support table"
    assert sorted(matrix) == sorted(support)
    assert matrix == {core: CONTROLLER_PYTHONS[core] for core in support}


def test_readme_claims_only_the_pythons_make_test_runs():
    """2.19 runs in the project venv (Debian 12's python3), 2.20 and 2.21 in the controller
    container built on Debian 13, whose python3 is 3.13."""
    assert readme_support() == {"2.19": [f"{sys.version_info[0]}.{sys.version_info[1]}"],
                                "2.20": ["3.13"], "2.21": ["3.13"]}
    assert "trixie" in (ROOT / "tests" / "images" / "controller" / "Containerfile").read_text(encoding="utf-8")
    for core, pythons in readme_support().items():
        assert set(pythons) <= set(CONTROLLER_PYTHONS[core]), core


def test_workflow_runs_every_scenario_make_test_runs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    local = re.search(r"^SCENARIOS \?= (.+)$", makefile, flags=re.M).group(1).split()
    jobs = load_yaml(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]
    assert set(local) <= set(jobs["molecule-local"]["strategy"]["matrix"]["scenario"])
    assert 'scripts/distro.sh "$MOLECULE_DISTRO"' in jobs["molecule-distro"]["steps"][-1]["run"]
