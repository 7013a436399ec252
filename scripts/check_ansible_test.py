"""Read ansible-test's junit results and fail on anything skipped.

ansible-test exits 0 when a sanity test is skipped (a missing tool such as
shellcheck, a Python it does not support) and when unit tests are left out
because the Python is target-only for controller plugins. This check makes
every such skip a failure and prints the counts.

Usage: python3 check_ansible_test.py sanity|units COLLECTION_DIR LABEL [EXPECTED_TEST...]
  sanity: EXPECTED_TEST are the names `ansible-test sanity --list-tests` printed;
          each must have run (one junit file per test and Python) and passed.
  units:  every tests/unit/**/test_*.py must have contributed test cases,
          none skipped, none failed.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def cases(junit_dir: Path) -> list[tuple[Path, ET.Element]]:
    found = []
    for path in sorted(junit_dir.glob("*.xml")):
        for case in ET.parse(path).getroot().iter("testcase"):
            found.append((path, case))
    return found


def outcome(case: ET.Element) -> str:
    for kind in ("failure", "error", "skipped"):
        if case.find(kind) is not None:
            return kind
    return "passed"


def check_sanity(root: Path, label: str, expected: list[str]) -> list[str]:
    problems = []
    ran: dict[str, list[str]] = {}
    for _path, case in cases(root / "tests" / "output" / "junit"):
        # "compile-python-3.13" for the tests run once per Python
        name = case.get("name", "")
        test = re.sub(r"-python-[0-9]+\.[0-9]+$", "", name)
        state = outcome(case)
        ran.setdefault(test, []).append(state)
        if state == "skipped":
            why = case.find("skipped")
            reason = (why.get("message") or why.text or "") if why is not None else ""
            problems.append(f"sanity test {name!r} was skipped: {reason.strip()}")
        elif state != "passed":
            problems.append(f"sanity test {name!r}: {state}")
    for test in expected:
        if test not in ran:
            problems.append(f"sanity test {test!r} did not run")
    counts = Counter(s for states in ran.values() for s in states)
    print(f"{label}: sanity: {len(expected)} tests expected, {len(ran)} ran;"
          f" results {counts['passed']} passed, {counts['skipped']} skipped,"
          f" {counts['failure'] + counts['error']} failed")
    return problems


def check_units(root: Path, label: str) -> list[str]:
    problems = []
    per_file: Counter[str] = Counter()
    per_context: Counter[str] = Counter()
    states: Counter[str] = Counter()
    for path, case in cases(root / "tests" / "output" / "junit"):
        # pytest classname: tests.unit.plugins.filter.test_x[.TestClass]
        parts = case.get("classname", "").split(".")
        module = next((i for i, p in enumerate(parts) if p.startswith("test_")), None)
        if module is not None:
            per_file["/".join(parts[: module + 1]) + ".py"] += 1
        # file name: python3.13-controller-units.xml
        per_context[path.stem.split("-")[1] if "-" in path.stem else path.stem] += 1
        state = outcome(case)
        states[state] += 1
        if state != "passed":
            problems.append(f"unit test {case.get('classname')}::{case.get('name')}: {state}")
    expected_files = sorted(
        str(p.relative_to(root)) for p in (root / "tests" / "unit").rglob("test_*.py")
    )
    for rel in expected_files:
        if per_file[rel] == 0:
            problems.append(f"{rel}: no test of this file ran (skipped as a whole?)")
    contexts = ", ".join(f"{k} {v}" for k, v in sorted(per_context.items()))
    print(f"{label}: units: {sum(states.values())} tests from {len(expected_files)} files"
          f" ({contexts}); {states['passed']} passed, {states['skipped']} skipped,"
          f" {states['failure'] + states['error']} failed")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("sanity", "units"):
        print(__doc__, file=sys.stderr)
        return 2
    command, root, label, expected = argv[0], Path(argv[1]), argv[2], argv[3:]
    if command == "sanity":
        if not expected:
            print(f"{label}: no expected sanity tests given", file=sys.stderr)
            return 2
        problems = check_sanity(root, label, expected)
    else:
        problems = check_units(root, label)
    for problem in problems:
        print(f"{label}: FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
