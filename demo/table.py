"""Print the demo's result: the mode, why, and each unit before and after."""
import json
import sys


def state(unit):
    if not unit or unit.get("load_state") == "not-found":
        return "-"
    return f"{unit.get('unit_file_state') or '?'}/{unit.get('active_state') or '?'}"


def main(path):
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
    before = result["before"].get("units", {})
    after = result["after"].get("units", {})
    applied = result["applied"]
    print(f"host: {result['host']} ({result['distribution']})")
    if applied.get("skipped"):
        print(f"skipped: {applied.get('skip_reason')}")
        return 0
    print(f"mode: {applied['mode']} ({applied['reason']})")
    rows = [(name, state(before.get(name)), state(after.get(name))) for name in sorted(set(before) | set(after))]
    rows = [row for row in rows if row[1] != "-" or row[2] != "-"]
    width = max(len(row[0]) for row in rows)
    print(f"{'unit':<{width}}  {'before':<22}  {'after':<22}")
    for name, old, new in rows:
        mark = "  changed" if old != new else ""
        print(f"{name:<{width}}  {old:<22}  {new:<22}{mark}")
    actions = applied.get("actions", [])
    print(f"one module call, {len(actions)} action(s) (systemctl commands and drop-ins written):")
    for action in actions:
        print(f"  {action}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
