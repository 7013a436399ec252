"""The documentation agrees with the code it describes.

Run on the host with the project venv:  .venv/bin/pytest -q tests/host
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostutil import FQCN, ROOT, load_yaml, run, tool
from hostutil import ansible_env as collections_env

DOCS = ROOT / "docs"
ROLE = ROOT / "roles" / "kvmhost_setup"
NAMESPACE, NAME = FQCN.split(".")

EXAMPLES = [
    ("docs/examples/single-host.yml", None),
    ("docs/examples/migration.yml", None),
    ("docs/examples/fleet/site.yml", "docs/examples/fleet/inventory.ini"),
]


@pytest.fixture(scope="module")
def collections_path(tmp_path_factory) -> Path:
    """A collections dir whose ansible_collections/kvmhost/setup is this repository."""
    base = tmp_path_factory.mktemp("collections")
    target = base / "ansible_collections" / NAMESPACE
    target.mkdir(parents=True)
    (target / NAME).symlink_to(ROOT, target_is_directory=True)
    return base


@pytest.fixture(scope="module")
def ansible_env(collections_path) -> dict:
    return collections_env(collections_path, ANSIBLE_DEPRECATION_WARNINGS="0")


def generator(script: str, *args: str) -> subprocess.CompletedProcess:
    proc = run([sys.executable, str(ROOT / "scripts" / script), *args])
    assert proc.returncode == 0, f"{script} failed:\n{proc.stderr}"
    return proc


# --- role variables ------------------------------------------------------------------


def role_options() -> dict:
    return load_yaml(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]


# Both pages carry the same aar-doc section (scripts/role-variables.md.j2).
ROLE_DOC_PAGES = ["roles/kvmhost_setup/README.md", "docs/role-variables.md"]


def aar_doc(output: Path) -> subprocess.CompletedProcess:
    """aar-doc (PyPI) as a contributor runs it: repo root, so it reads .aar_doc.yml."""
    proc = run([tool("aar-doc"), "--output-file", str(output), str(ROLE), "markdown"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("page", ROLE_DOC_PAGES)
def test_role_variables_are_aar_docs_output(page, tmp_path):
    current = (ROOT / page).read_text(encoding="utf-8")
    copy = tmp_path / "page.md"
    copy.write_text(current, encoding="utf-8")
    aar_doc(copy)
    assert copy.read_text(encoding="utf-8") == current, (
        f"{page} differs from meta/argument_specs.yml: run in the repository root "
        f"`aar-doc --output-file {page} roles/kvmhost_setup markdown`"
    )


def test_role_docs_check_detects_drift(tmp_path):
    """The comparison above can fail: a stale section is rewritten by aar-doc."""
    current = (ROOT / ROLE_DOC_PAGES[0]).read_text(encoding="utf-8")
    head, _begin, rest = current.partition("<!-- BEGIN_ANSIBLE_DOCS -->\n")
    _section, _end, tail = rest.partition("<!-- END_ANSIBLE_DOCS -->\n")
    stale = head + "<!-- BEGIN_ANSIBLE_DOCS -->\nstale\n<!-- END_ANSIBLE_DOCS -->\n" + tail
    copy = tmp_path / "README.md"
    copy.write_text(stale, encoding="utf-8")
    aar_doc(copy)
    assert copy.read_text(encoding="utf-8") == current


@pytest.mark.parametrize("page", ROLE_DOC_PAGES)
def test_role_variables_page_documents_every_option(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    options = role_options()
    headings = re.findall(r"^#### `([^`]+)`$", text, flags=re.M)
    assert headings == list(options), "one section per option, in argument_specs order"
    for name, spec in options.items():
        section = text.split(f"#### `{name}`", 1)[1].split("\n#### ", 1)[0]
        assert f"- Type: `{spec.get('type', 'str')}`" in section, name
        if "default" in spec:
            assert f"- Default: `{json.dumps(spec['default'])}`" in section, name
        for choice in spec.get("choices") or []:
            assert f"`{json.dumps(choice)}`" in section, (name, choice)


def test_defaults_and_argument_specs_declare_the_same_variables():
    defaults = load_yaml(ROLE / "defaults" / "main.yml")
    options = role_options()
    assert set(defaults) - set(options) == set(), "in defaults/main.yml but not in argument_specs.yml"
    assert set(options) - set(defaults) == set(), "in argument_specs.yml but not in defaults/main.yml"


def test_argument_spec_defaults_match_defaults_main():
    defaults = load_yaml(ROLE / "defaults" / "main.yml")
    for name, spec in role_options().items():
        if "default" in spec:
            assert spec["default"] == defaults[name], f"{name}: argument_specs says {spec['default']!r}"


def test_private_variables_stay_out_of_the_public_interface():
    assert [name for name in role_options() if name.startswith("_")] == []


# --- plugins -------------------------------------------------------------------------


def _load_plugin_generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_plugin_docs_t", ROOT / "scripts" / "gen-plugin-docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugins_md_is_the_generators_output():
    expected = generator("gen-plugin-docs.py").stdout
    current = (DOCS / "plugins.md").read_text(encoding="utf-8")
    assert current == expected, (
        "docs/plugins.md differs from the plugins' documentation: "
        "run .venv/bin/python scripts/gen-plugin-docs.py --write"
    )


def test_plugins_md_covers_the_module_and_both_filters():
    found = {(kind, name) for kind, name, _docs in _load_plugin_generator().plugins()}
    assert {
        ("module", "libvirt_daemons"),
        ("filter", "libvirt_daemon_units"),
        ("filter", "libvirt_daemon_mode"),
    } <= found
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    for kind, name in found:
        assert f"## `{FQCN}.{name}` {kind}" in text


def test_every_filter_the_plugin_exports_is_documented():
    """A filter added to a FilterModule without its adjacent .yml would be undocumented."""
    exported = set()
    for path in (ROOT / "plugins" / "filter").glob("*.py"):
        exported |= set(re.findall(r"'(libvirt_[a-z_]+)':", path.read_text(encoding="utf-8")))
    documented = {path.stem for path in (ROOT / "plugins" / "filter").glob("*.yml")}
    assert exported and exported == documented


@pytest.mark.parametrize(
    "kind, name",
    [("module", "libvirt_daemons"), ("filter", "libvirt_daemon_units"), ("filter", "libvirt_daemon_mode")],
)
def test_ansible_doc_agrees_with_plugins_md(kind, name, ansible_env):
    """What ansible-doc renders has the same options and return keys as the page."""
    proc = run([tool("ansible-doc"), "--json", "-t", kind, f"{FQCN}.{name}"], env=ansible_env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)[f"{FQCN}.{name}"]
    page = (DOCS / "plugins.md").read_text(encoding="utf-8")
    section = page.split(f"## `{FQCN}.{name}` {kind}", 1)[1].split("\n## ", 1)[0]
    options = re.findall(r"^\| `([^`]+)` \|", section.split("### Options", 1)[1].split("\n### ", 1)[0], flags=re.M)
    assert sorted(options) == sorted(data["doc"]["options"])
    for option, spec in data["doc"]["options"].items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{option}` |"))
        if "default" in spec and spec["default"] is not None:
            assert json.dumps(spec["default"]) in row, (option, row)
    returns = re.findall(r"^\| `([^`]+)` \|", section.split("### Return value", 1)[1], flags=re.M)
    assert sorted(returns) == sorted(data.get("return") or {})
    assert data["doc"]["short_description"] in section


# --- links ---------------------------------------------------------------------------

_LINK_RE = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return _LINK_RE.findall(text)


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    anchors.update(re.findall(r'<a id="([^"]+)"', text))
    return anchors


def test_readme_links_every_docs_page():
    linked = {(ROOT / link.split("#")[0]).resolve() for link in _links(ROOT / "README.md") if "://" not in link}
    pages = {page.resolve() for page in DOCS.rglob("*.md")}
    assert pages, "no pages under docs/"
    missing = sorted(str(page.relative_to(ROOT)) for page in pages - linked)
    assert missing == [], f"README.md does not link {missing}"


@pytest.mark.parametrize(
    "page",
    [ROOT / "README.md"] + sorted(DOCS.rglob("*.md")),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_relative_links_and_anchors_resolve(page):
    problems = []
    for link in _links(page):
        if "://" in link or link.startswith("mailto:"):
            continue
        target, _sep, fragment = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            problems.append(f"{link}: {path} does not exist")
            continue
        if fragment and path.suffix == ".md" and fragment not in _anchors(path):
            problems.append(f"{link}: no heading #{fragment} in {path.name}")
    assert problems == []


def test_user_guide_documents_every_public_fact_the_role_sets():
    """set_fact names without the private __ prefix are the role's published results."""
    published = set()
    for task_file in (ROLE / "tasks").glob("*.yml"):
        for task in _walk_tasks(load_yaml(task_file) or []):
            facts = task.get("ansible.builtin.set_fact") or task.get("set_fact") or {}
            published.update(name for name in facts if not name.startswith("_"))
    assert {"libvirt_use_modular_daemons", "kvmhost_setup_libvirt_daemons"} <= published
    guide = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    results = guide.split("## Results the role publishes", 1)[1].split("\n## ", 1)[0]
    assert sorted(name for name in published if f"`{name}`" not in results) == []


def _walk_tasks(tasks):
    for task in tasks:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _walk_tasks(task.get(key) or [])


def test_user_guide_decision_table_names_the_code_thresholds():
    """The EL/Fedora thresholds in the guide are the ones of the distribution table decide_mode() uses."""
    source = (ROOT / "plugins" / "module_utils" / "libvirt_distros.py").read_text(encoding="utf-8")

    def since(family):
        return int(re.search(r"'family': '" + family + r"'.*?'modular_since': (\d+)", source, flags=re.S).group(1))

    el, fedora = since("el"), since("fedora")
    guide = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    table = guide.split("## How the daemon mode is decided", 1)[1].split("\n## ", 1)[0]
    assert f"rebuilds {el} and later" in table
    assert f"Fedora {fedora} and later" in table
    assert f"EL {el - 1} and older" in table
    assert f"Fedora {fedora - 1} and older" in table


# --- example playbooks ---------------------------------------------------------------


@pytest.mark.parametrize("playbook, inventory", EXAMPLES, ids=[p for p, _inventory in EXAMPLES])
def test_example_playbook_passes_syntax_check(playbook, inventory, ansible_env):
    argv = [tool("ansible-playbook"), "--syntax-check", str(ROOT / playbook)]
    argv += ["-i", str(ROOT / inventory) if inventory else "kvm1.example.com,"]
    proc = run(argv, env=ansible_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_examples_use_fqcns_only():
    """Every module and role in the examples is named by its fully qualified name."""
    short = []
    for path in (DOCS / "examples").rglob("*.yml"):
        data = load_yaml(path)
        if not isinstance(data, list):
            continue
        for play in data:
            for role in play.get("roles") or []:
                name = role["role"] if isinstance(role, dict) else role
                if name.count(".") != 2:
                    short.append(f"{path.name}: role {name}")
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                for task in _walk_tasks(play.get(section) or []):
                    for key in task:
                        if key in _TASK_KEYWORDS or key.startswith("with_"):
                            continue
                        if key.count(".") < 2:
                            short.append(f"{path.name}: {key}")
    assert short == []


def test_example_inventory_groups_have_their_group_vars():
    inventory = (DOCS / "examples" / "fleet" / "inventory.ini").read_text(encoding="utf-8")
    groups = set(re.findall(r"^\[([a-z_]+)(?::children)?\]$", inventory, flags=re.M))
    for group_vars in (DOCS / "examples" / "fleet" / "group_vars").glob("*.yml"):
        assert group_vars.stem in groups, f"group_vars for unknown group {group_vars.stem}"
        for name in load_yaml(group_vars):
            assert name in role_options() or not name.startswith("kvmhost_setup_"), (
                f"{group_vars.name}: {name} is not a role variable"
            )


_TASK_KEYWORDS = {
    "name", "when", "loop", "loop_control", "register", "vars", "tags", "become", "become_user",
    "block", "rescue", "always", "notify", "listen", "changed_when", "failed_when", "ignore_errors",
    "delegate_to", "run_once", "check_mode", "diff", "environment", "no_log", "until", "retries",
    "delay", "args", "timeout", "throttle", "module_defaults", "any_errors_fatal",
}


# --- testing page ----------------------------------------------------------------------


def test_testing_page_names_every_molecule_scenario():
    scenarios = sorted(path.parent.name for path in (ROOT / "molecule").glob("*/molecule.yml"))
    assert scenarios, "no molecule scenarios found"
    page = (DOCS / "testing.md").read_text(encoding="utf-8")
    assert [name for name in scenarios if f"`{name}`" not in page] == []


def _scenarios() -> dict:
    """scenario name -> the images of its platforms (a scenario whose driver
    creates nothing, such as debian13-local, runs on a local image: none)."""
    found = {}
    for path in sorted((ROOT / "molecule").glob("*/molecule.yml")):
        data = load_yaml(path)
        if (data.get("driver") or {}).get("name") != "podman":
            found[path.parent.name] = []
            continue
        found[path.parent.name] = [p.get("image", "") for p in data.get("platforms") or []]
    return found


def _table_rows(page: str, heading: str) -> list[str]:
    table = page.split(heading, 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z0-9_-]+)` \|", table, flags=re.M)


def test_testing_page_sorts_scenarios_into_local_and_per_distribution():
    page = (DOCS / "testing.md").read_text(encoding="utf-8")
    scenarios = _scenarios()
    local = {name for name, images in scenarios.items() if all(i.startswith("localhost/") for i in images)}
    assert set(_table_rows(page, "### Local scenarios")) == local
    assert set(_table_rows(page, "### Per-distribution scenarios")) == set(scenarios) - local


def test_testing_page_per_distribution_images_and_modes():
    """The distro scenario's table: every row complete, every distribution
    named on the testing page."""
    page = (DOCS / "testing.md").read_text(encoding="utf-8")
    table = page.split("### Per-distribution scenarios", 1)[1]
    row = next(line for line in table.splitlines() if line.startswith("| `distro` |"))
    distros = load_yaml(ROOT / "molecule" / "distro" / "vars" / "distros.yml")["kvmhost_test_distros"]
    assert distros
    for name, entry in distros.items():
        assert entry["image"] and not entry["image"].startswith("localhost/"), name
        assert entry["mode"] in ("modular", "monolithic"), name
        assert entry["distribution"] in row, name


def test_testing_page_names_the_scenarios_make_test_runs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    default = re.search(r"^SCENARIOS \?= (.+)$", makefile, flags=re.M).group(1).strip()
    page = (DOCS / "testing.md").read_text(encoding="utf-8")
    assert f"today `{default}`" in page, "docs/testing.md names another default SCENARIOS list"
