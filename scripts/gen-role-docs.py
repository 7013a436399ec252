"""Generate docs/role-variables.md from the roles' meta/argument_specs.yml.

The argument specs are the one source of truth for the role's inputs:
ansible-core validates them before the role runs, and this script renders
them, so the documentation cannot drift from what the role accepts
(tests/host/test_docs.py compares the file with this script's output).

Usage (with the project venv, which has PyYAML):
    .venv/bin/python scripts/gen-role-docs.py            # print the markdown
    .venv/bin/python scripts/gen-role-docs.py --write    # write docs/role-variables.md
    .venv/bin/python scripts/gen-role-docs.py --check    # exit 1 if the file is stale

The Ansible doc markup helpers here (C(), O(), V(), ...) are reused by
scripts/gen-plugin-docs.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "role-variables.md"
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


# --- role argument specs -----------------------------------------------------------


def role_specs(root: Path = ROOT):
    """(role name, argument_specs dict, {variable: its raw text in defaults/main.yml}) per role."""
    for spec_file in sorted(root.glob("roles/*/meta/argument_specs.yml")):
        role_dir = spec_file.parents[1]
        specs = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"]
        defaults_file = role_dir / "defaults" / "main.yml"
        defaults = {}
        if defaults_file.is_file():
            text = defaults_file.read_text(encoding="utf-8")
            loaded = yaml.safe_load(text) or {}
            defaults = {name: raw_entry(text, name) for name in loaded}
        yield role_dir.name, specs, defaults


_NOQA_RE = re.compile(r"\s+#\s*noqa\b.*$")


def raw_entry(text: str, name: str) -> str:
    """A top-level entry of a YAML file exactly as written (key line plus its indented lines)."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if line.startswith(name + ":"):
            end = start + 1
            while end < len(lines) and lines[end].startswith((" ", "\t")):
                end += 1
            # linter directives are for the linter, not for readers
            return "\n".join(_NOQA_RE.sub("", line) for line in lines[start:end])
    raise KeyError(name)


def _option_lines(name: str, spec: dict, defaults: dict) -> list[str]:
    lines = [f"### `{name}`", ""]
    facts = [f"- Type: `{spec.get('type', 'str')}`"]
    if spec.get("elements"):
        facts.append(f"- Elements: `{spec['elements']}`")
    if spec.get("required"):
        facts.append("- Required: yes")
    if "default" in spec:
        facts.append(f"- Default: {value_text(spec['default'])}")
    elif name in defaults:
        facts.append("- Default: computed in `defaults/main.yml` (see below)")
    else:
        facts.append("- Default: none")
    if spec.get("choices") is not None:
        facts.append("- Choices: " + ", ".join(value_text(choice) for choice in spec["choices"]))
    lines.extend(facts)
    lines.append("")
    for para in paragraphs(spec.get("description")):
        lines.extend([para, ""])
    if "default" not in spec and name in defaults:
        lines.extend([
            "Default from `defaults/main.yml`:",
            "",
            "```yaml",
            defaults[name],
            "```",
            "",
        ])
    for sub_name, sub_spec in (spec.get("options") or {}).items():
        sub_lines = _option_lines(f"{name}.{sub_name}", sub_spec, {})
        sub_lines[0] = "#" + sub_lines[0]
        lines.extend(sub_lines)
    return lines


def _summary_default(name: str, spec: dict, defaults: dict) -> str:
    if "default" in spec:
        return value_text(spec["default"])
    if name in defaults:
        return "computed"
    return ""


def render(root: Path = ROOT) -> str:
    """The whole of docs/role-variables.md."""
    out = [
        "# Role variables",
        "",
        "<!-- Generated by scripts/gen-role-docs.py from roles/*/meta/argument_specs.yml."
        " Do not edit by hand: change the argument specs, then run"
        " `.venv/bin/python scripts/gen-role-docs.py --write`. -->",
        "",
        "Every input of the role, as declared in its `meta/argument_specs.yml`. ansible-core"
        " checks these types and choices before the role runs, so a wrong value fails at once"
        " with the variable's name.",
        "",
    ]
    for role, specs, defaults in role_specs(root):
        for entry, entry_spec in specs.items():
            title = f"{COLLECTION}.{role}" + ("" if entry == "main" else f" (entry point `{entry}`)")
            out.extend([f"## `{title}`", ""])
            if entry_spec.get("short_description"):
                out.extend([markup(entry_spec["short_description"]) + ".", ""])
            for para in paragraphs(entry_spec.get("description")):
                out.extend([para, ""])
            options = entry_spec.get("options") or {}
            out.extend(["| Variable | Type | Default | Choices |", "|---|---|---|---|"])
            for name, spec in options.items():
                choices = ", ".join(value_text(c) for c in spec.get("choices") or [])
                type_text = spec.get("type", "str")
                if spec.get("elements"):
                    type_text += f" of {spec['elements']}"
                out.append("| [`{0}`](#{1}) | {2} | {3} | {4} |".format(
                    name, anchor(f"`{name}`"), cell(type_text),
                    cell(_summary_default(name, spec, defaults)), cell(choices)))
            out.append("")
            for name, spec in options.items():
                out.extend(_option_lines(name, spec, defaults))
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


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
            print(f"{OUTPUT} is stale: run scripts/gen-role-docs.py --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
