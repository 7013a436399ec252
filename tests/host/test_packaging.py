"""Release hygiene: the collection's EE metadata, changelog, the built artifact,
collection requirements. The EE definition itself: test_ee.py.

Run on the host with the project venv:  .venv/bin/pytest -q tests/host
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from hostutil import GALAXY, ROOT, load_yaml, run, tool

# Paths galaxy.yml's build_ignore keeps out of the artifact (development
# tooling, test images, caches).
MUST_NOT_SHIP = [
    "molecule/", "tests/images/", "tests/podman/", "tests/output/", "tests/requirements.txt",
    "tests/requirements.yml", ".github/", ".aar_doc.yml", ".venv/", ".cache/", ".git/", ".ci/", "scripts/", "Makefile", ".ansible-lint", ".yamllint",
    ".gitignore", "bench/", ".config/",
]
MUST_SHIP = [
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "roles/kvmhost_setup/README.md",
    "CHANGELOG.md", "meta/runtime.yml",
    "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
    "changelogs/changelog.yaml",
    "roles/kvmhost_setup/tasks/main.yml", "roles/kvmhost_setup/defaults/main.yml",
    "roles/kvmhost_setup/meta/argument_specs.yml", "roles/kvmhost_setup/handlers/main.yml",
    "plugins/modules/libvirt_daemons.py", "plugins/filter/libvirt.py",
    "plugins/filter/libvirt_daemon_units.yml", "plugins/filter/libvirt_daemon_mode.yml",
    "docs/user-guide.md", "docs/role-variables.md", "docs/plugins.md", "docs/design.md",
    "docs/testing.md", "docs/examples/migration.yml",
]


# --- execution environment ------------------------------------------------------------


def test_collection_ee_metadata_points_at_existing_files():
    meta = load_yaml(ROOT / "meta" / "execution-environment.yml")
    deps = meta["dependencies"]
    assert set(deps) <= {"python", "system"}
    for key, path in deps.items():
        assert not os.path.isabs(path), "collections must use paths relative to their root"
        assert (ROOT / path).is_file(), f"{key}: {path} does not exist"


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_plugins_need_no_python_package_missing_from_requirements_txt():
    """requirements.txt says the plugins need nothing but ansible-core: check the imports."""
    stdlib = set(sys.stdlib_module_names)
    allowed = stdlib | {"ansible", "ansible_collections", "__future__"}
    listed = _requirement_names(ROOT / "requirements.txt")
    foreign = {}
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and top.lower().replace("_", "-") not in listed:
                    foreign.setdefault(str(path.relative_to(ROOT)), []).append(name)
    assert foreign == {}, "imports not covered by requirements.txt"


# --- changelog ------------------------------------------------------------------------


def plugin_documentation(path):
    """A plugin's DOCUMENTATION: a filter's .yml file, or the string a module's source assigns."""
    if path.suffix == ".yml":
        return load_yaml(path)["DOCUMENTATION"]
    tree = ast.parse(path.read_text())
    text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(target, "id", None) == "DOCUMENTATION" for target in node.targets))
    return yaml.safe_load(text)


def test_changelog_yaml_records_the_galaxy_version():
    """The galaxy version is released, and every plugin was added by exactly one release up to it."""
    changelog = load_yaml(ROOT / "changelogs" / "changelog.yaml")
    releases = changelog["releases"]
    release = releases[str(GALAXY["version"])]
    assert release["changes"]["release_summary"]
    added = [r for version, r in releases.items()
             if tuple(map(int, version.split("."))) <= tuple(map(int, str(GALAXY["version"]).split(".")))]
    modules = [m["name"] for r in added for m in r.get("modules", [])]
    filters = [p["name"] for r in added for p in r.get("plugins", {}).get("filter", [])]
    # a plugin documented as added by a later version waits for that release
    galaxy = tuple(map(int, str(GALAXY["version"]).split(".")))
    for kind, listed, paths in (("module", modules, (ROOT / "plugins" / "modules").glob("*.py")),
                                ("filter", filters, (ROOT / "plugins" / "filter").glob("*.yml"))):
        released = []
        for path in paths:
            added_in = str(plugin_documentation(path)["version_added"])
            if tuple(map(int, added_in.split("."))) <= galaxy:
                released.append(path.stem)
            else:
                assert path.stem not in listed, f"{kind} {path.stem}: version_added {added_in}, but released already"
        assert sorted(listed) == sorted(released), kind


def test_changelog_lint_passes():
    proc = run([tool("antsibull-changelog"), "lint"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "", proc.stdout
    proc = run([tool("antsibull-changelog"), "lint-changelog-yaml", "changelogs/changelog.yaml"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_changelog_md_is_generated_from_changelog_yaml(tmp_path):
    shutil.copy(ROOT / "galaxy.yml", tmp_path / "galaxy.yml")
    shutil.copytree(ROOT / "changelogs", tmp_path / "changelogs")
    proc = run([tool("antsibull-changelog"), "generate"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "CHANGELOG.md").read_text() == (ROOT / "CHANGELOG.md").read_text(), (
        "CHANGELOG.md is stale: run antsibull-changelog generate"
    )


def test_unreleased_fragments_are_valid_yaml_with_known_sections():
    config = load_yaml(ROOT / "changelogs" / "config.yaml")
    sections = {name for name, _title in config["sections"]}
    sections |= {config["prelude_section_name"], config.get("trivial_section_name", "trivial")}
    fragments = sorted((ROOT / "changelogs" / "fragments").glob("*.yml"))
    assert fragments
    for fragment in fragments:
        data = load_yaml(fragment)
        assert isinstance(data, dict) and set(data) <= sections, fragment.name


# --- the collection artifact ----------------------------------------------------------


@pytest.fixture(scope="module")
def members(artifact) -> list[str]:
    with tarfile.open(artifact) as tar:
        return [m.name[2:] if m.name.startswith("./") else m.name for m in tar.getmembers()]


@pytest.mark.parametrize("path", MUST_SHIP)
def test_artifact_contains(members, path):
    assert path in members


@pytest.mark.parametrize("path", MUST_NOT_SHIP)
def test_artifact_leaves_out(members, path):
    prefix = path.rstrip("/")
    leaked = [m for m in members if m == prefix or m.startswith(prefix + "/")]
    assert leaked == []


def test_artifact_has_no_bytecode(members):
    assert [m for m in members if "__pycache__" in m or m.endswith(".pyc")] == []


def test_artifact_manifest_names_this_collection(artifact):
    with tarfile.open(artifact) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (
        GALAXY["namespace"], GALAXY["name"], GALAXY["version"]
    )
    assert info["license"] == GALAXY["license"]


# --- collection requirements ----------------------------------------------------------


def _installed_collections() -> set[str]:
    """namespace.name of every collection the test venv's ansible package carries."""
    import ansible_collections

    found = set()
    for base in ansible_collections.__path__:
        for meta in Path(base).glob("*/*/MANIFEST.json"):
            found.add(f"{meta.parent.parent.name}.{meta.parent.name}")
    return found


def _collections_used(*tops: str) -> set[str]:
    known = _installed_collections() - {"ansible.builtin", "kvmhost.setup"}
    pattern = re.compile(r"\b(" + "|".join(re.escape(name) for name in sorted(known)) + r")\.[a-z_]")
    used = set()
    for top in tops:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in (".yml", ".yaml", ".py", ".sh", ".j2", ".cfg", ".ini") and path.is_file():
                used.update(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
    return used


def _listed(path: Path) -> set[str]:
    return {entry["name"] for entry in load_yaml(path)["collections"]}


# The collection itself: what users install. The rest: the project's own harness.
RUNTIME_TOPS = ("roles", "plugins", "playbooks", "meta")
TEST_TOPS = ("molecule", "bench", "tests/host", "tests/harness", "demo", "scripts", "docs/examples")


def test_root_requirements_list_what_the_collection_uses_at_run_time():
    used = _collections_used(*[top for top in RUNTIME_TOPS if (ROOT / top).exists()])
    listed = _listed(ROOT / "requirements.yml")
    assert used - listed == set(), "used by the collection but missing from requirements.yml"
    # ansible.posix is listed ahead of the role's firewalld tasks (issue 13)
    assert listed - used <= {"ansible.posix"}, "requirements.yml lists collections nothing uses"


def test_test_requirements_list_what_the_harness_uses():
    used = _collections_used(*[top for top in TEST_TOPS if (ROOT / top).exists()])
    listed = _listed(ROOT / "tests" / "requirements.yml")
    assert used - listed - _listed(ROOT / "requirements.yml") == set()
    assert {"containers.podman", "community.crypto"} <= listed
