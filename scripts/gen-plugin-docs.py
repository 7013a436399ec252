"""Generate docs/plugins.md from the plugins' own documentation.

Modules: the DOCUMENTATION, EXAMPLES and RETURN strings of plugins/modules/*.py,
read with ast (the module is never imported). Filters: the adjacent
plugins/filter/<name>.yml files (what ansible-doc -t filter reads).
tests/host/test_docs.py compares docs/plugins.md with this script's output and
cross-checks the option names with ansible-doc.

Usage (with the project venv):
    .venv/bin/python scripts/gen-plugin-docs.py            # print the markdown
    .venv/bin/python scripts/gen-plugin-docs.py --write    # write docs/plugins.md
    .venv/bin/python scripts/gen-plugin-docs.py --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "plugins.md"
COLLECTION = "kvmhost.setup"


# --- Ansible doc markup -> Markdown ------------------------------------------------

_LINK_RE = re.compile(r"L\(([^,)]+),\s*([^)]+)\)")
_URL_RE = re.compile(r"U\(([^)]+)\)")
_PLUGIN_RE = re.compile(r"P\(([^#)]+)#([^)]+)\)")
_CODE_RE = re.compile(r"\b(?:C|V|O|RV|E|M)\(([^)]*)\)")
_ITALIC_RE = re.compile(r"\bI\(([^)]*)\)")
_BOLD_RE = re.compile(r"\bB\(([^)]*)\)")


def markup(text: str) -> str:
    """One Ansible doc string (C(), O(), V(), RV(), M(), P(), I(), B(), U(), L()) as Markdown."""
    text = " ".join(str(text).split())
    text = _LINK_RE.sub(lambda m: f"[{m.group(1).strip()}]({m.group(2).strip()})", text)
    text = _URL_RE.sub(lambda m: f"<{m.group(1).strip()}>", text)
    text = _PLUGIN_RE.sub(lambda m: f"`{m.group(1)}` ({m.group(2)})", text)
    text = _CODE_RE.sub(lambda m: f"`{m.group(1)}`", text)
    text = _ITALIC_RE.sub(lambda m: f"*{m.group(1)}*", text)
    text = _BOLD_RE.sub(lambda m: f"**{m.group(1)}**", text)
    return text.replace("HORIZONTALLINE", "---")


def paragraphs(value) -> list[str]:
    """A description (string or list of strings) as Markdown paragraphs."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [markup(item) for item in items if str(item).strip()]


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def value_text(value) -> str:
    """A YAML value as inline code, in JSON (which is also YAML) so strings stay strings."""
    return "`" + json.dumps(value, ensure_ascii=False) + "`"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


# --- reading the plugins' docs -------------------------------------------------------


def _strings(path: Path, names: tuple[str, ...]) -> dict:
    """The string constants assigned to ``names`` anywhere in a Python file, without importing it."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in names and isinstance(node.value, ast.Constant):
                found[name] = node.value.value
    return found


def with_fragments(doc: dict, root: Path) -> dict:
    """The doc with its collection doc fragments (``name`` or ``name.variable``) merged in, as
    ansible-doc does: options and attributes, the plugin's own values winning."""
    prefix = f"{COLLECTION}."
    for fragment in doc.get("extends_documentation_fragment") or []:
        if not fragment.startswith(prefix):
            raise SystemExit(f"doc fragment {fragment!r} is not this collection's: render it by hand")
        name, dummy, variable = fragment[len(prefix):].partition(".")
        variable = variable.upper() or "DOCUMENTATION"
        path = root / "plugins" / "doc_fragments" / (name + ".py")
        text = yaml.safe_load(_strings(path, (variable,))[variable]) or {}
        options = text.get("options", {})
        doc["options"] = dict(sorted(dict(options, **doc.get("options", {})).items()))
        attributes = dict((key, dict(value)) for key, value in text.get("attributes", {}).items())
        for key, value in (doc.get("attributes") or {}).items():
            attributes[key] = dict(attributes.get(key, {}), **value)
        if attributes:
            doc["attributes"] = dict(sorted(attributes.items()))
    return doc


def module_docs(path: Path, root: Path = ROOT) -> dict:
    """DOCUMENTATION, EXAMPLES and RETURN of a module file, without importing it."""
    found = _strings(path, ("DOCUMENTATION", "EXAMPLES", "RETURN"))
    return {
        "doc": with_fragments(yaml.safe_load(found.get("DOCUMENTATION", "")) or {}, root),
        "examples": found.get("EXAMPLES", ""),
        "returns": yaml.safe_load(found.get("RETURN", "")) or {},
    }


def sidecar_docs(path: Path, root: Path = ROOT) -> dict:
    """DOCUMENTATION, EXAMPLES and RETURN of an adjacent plugin YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        "doc": with_fragments(data.get("DOCUMENTATION") or {}, root),
        "examples": data.get("EXAMPLES") or "",
        "returns": data.get("RETURN") or {},
    }


def plugins(root: Path = ROOT) -> list[tuple[str, str, dict]]:
    """(plugin type, short name, docs) for every documented plugin, modules first."""
    found = []
    for path in sorted((root / "plugins" / "modules").glob("*.py")):
        if path.name != "__init__.py":
            found.append(("module", path.stem, module_docs(path, root)))
    for plugin_type in ("filter", "test", "lookup"):
        for path in sorted((root / "plugins" / plugin_type).glob("*.yml")):
            found.append((plugin_type, path.stem, sidecar_docs(path, root)))
    return found


# --- rendering -----------------------------------------------------------------------


def _heading(plugin_type: str, name: str) -> str:
    return f"`{COLLECTION}.{name}` {plugin_type}"


def _join(value) -> str:
    return "<br>".join(cell(p) for p in paragraphs(value))


def _option_rows(options: dict, prefix: str = "") -> list[str]:
    rows = []
    for name, spec in options.items():
        spec = spec or {}
        type_text = spec.get("type", "str")
        if spec.get("elements"):
            type_text += f" of {spec['elements']}"
        if spec.get("required"):
            type_text += ", required"
        default = value_text(spec["default"]) if "default" in spec else ""
        choices = ", ".join(value_text(c) for c in spec.get("choices") or [])
        rows.append("| `{0}{1}` | {2} | {3} | {4} | {5} |".format(
            prefix, name, cell(type_text), cell(default), cell(choices), _join(spec.get("description"))))
        rows.extend(_option_rows(spec.get("suboptions") or {}, prefix=f"{prefix}{name}."))
    return rows


def _return_rows(returns: dict, prefix: str = "") -> list[str]:
    rows = []
    for name, spec in returns.items():
        spec = spec or {}
        type_text = spec.get("type", "")
        if spec.get("elements"):
            type_text += f" of {spec['elements']}"
        sample = ""
        if "sample" in spec:
            sample = "`" + json.dumps(spec["sample"], ensure_ascii=False, sort_keys=False) + "`"
        rows.append("| `{0}{1}` | {2} | {3} | {4} | {5} |".format(
            prefix, name, cell(type_text), cell(markup(spec.get("returned", ""))),
            _join(spec.get("description")), cell(sample)))
        rows.extend(_return_rows(spec.get("contains") or {}, prefix=f"{prefix}{name}."))
    return rows


def _plugin_section(plugin_type: str, name: str, docs: dict) -> list[str]:
    doc = docs["doc"]
    out = [f"## {_heading(plugin_type, name)}", ""]
    if doc.get("short_description"):
        out.extend([markup(doc["short_description"]) + ".", ""])
    facts = []
    if doc.get("version_added"):
        facts.append(f"Added in version {doc['version_added']}.")
    if plugin_type == "filter":
        facts.append("Use: `{{{{ input | {0}.{1}(...) }}}}`.".format(COLLECTION, name))
    if facts:
        out.extend([" ".join(facts), ""])
    for para in paragraphs(doc.get("description")):
        out.extend([para, ""])
    if doc.get("requirements"):
        out.extend(["### Requirements", ""])
        out.extend(f"- {markup(item)}" for item in doc["requirements"])
        out.append("")
    if doc.get("attributes"):
        out.extend(["### Attributes", "", "| Attribute | Support | Description |", "|---|---|---|"])
        for attr, spec in doc["attributes"].items():
            support = spec.get("support", "")
            if spec.get("platforms"):
                platforms = spec["platforms"]
                support += " ({0})".format(", ".join(platforms) if isinstance(platforms, list) else platforms)
            out.append(f"| {attr} | {cell(support)} | {_join(spec.get('description'))} |")
        out.append("")
    options = doc.get("options") or {}
    if options:
        out.extend([
            "### Options",
            "",
            "| Option | Type | Default | Choices | Description |",
            "|---|---|---|---|---|",
        ])
        out.extend(_option_rows(options))
        out.append("")
    if doc.get("notes"):
        out.extend(["### Notes", ""])
        out.extend(f"- {markup(item)}" for item in doc["notes"])
        out.append("")
    if docs["examples"].strip():
        out.extend(["### Examples", "", "```yaml", docs["examples"].strip("\n"), "```", ""])
    if docs["returns"]:
        out.extend([
            "### Return values" if plugin_type == "module" else "### Return value",
            "",
            "| Key | Type | Returned | Description | Sample |",
            "|---|---|---|---|---|",
        ])
        out.extend(_return_rows(docs["returns"]))
        out.append("")
    if doc.get("seealso"):
        out.extend(["### See also", ""])
        for item in doc["seealso"]:
            if item.get("link"):
                text = f"- [{item.get('name', item['link'])}]({item['link']})"
            else:
                text = f"- `{item.get('module') or item.get('plugin') or item.get('ref')}`"
            if item.get("description"):
                text += ": " + markup(item["description"])
            out.append(text)
        out.append("")
    return out


def render(root: Path = ROOT) -> str:
    """The whole of docs/plugins.md."""
    found = plugins(root)
    out = [
        "# Plugins",
        "",
        "<!-- Generated by scripts/gen-plugin-docs.py from the plugins' DOCUMENTATION, EXAMPLES"
        " and RETURN. Do not edit by hand: change the plugin docs, then run"
        " `.venv/bin/python scripts/gen-plugin-docs.py --write`. -->",
        "",
        "The same text `ansible-doc` shows, for example"
        f" `ansible-doc {COLLECTION}.libvirt_daemons` or"
        f" `ansible-doc -t filter {COLLECTION}.libvirt_daemon_units`.",
        "",
        "| Plugin | Type | What it does |",
        "|---|---|---|",
    ]
    for plugin_type, name, docs in found:
        out.append("| [`{0}.{1}`](#{2}) | {3} | {4} |".format(
            COLLECTION, name, anchor(_heading(plugin_type, name)), plugin_type,
            cell(markup(docs["doc"].get("short_description", "")))))
    out.append("")
    for plugin_type, name, docs in found:
        out.extend(_plugin_section(plugin_type, name, docs))
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="write " + str(OUTPUT))
    group.add_argument("--check", action="store_true", help="exit 1 when the file differs from the output")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
        return 0
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run scripts/gen-plugin-docs.py --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
