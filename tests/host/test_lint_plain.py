# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-lint passes when run plainly in the repository root, as an editor
plugin or a CI action runs it: no wrapper, no ANSIBLE_* variables, and an
empty home so nothing installed in ~/.ansible can stand in for this collection.
"""

from __future__ import annotations

import os

from hostutil import BIN, ROOT, load_yaml, run, tool


def test_ansible_lint_config_keeps_production_and_no_skips():
    config = load_yaml(ROOT / ".ansible-lint")
    assert config["profile"] == "production"
    assert not config.get("skip_list") and not config.get("warn_list")
    # offline mode also stops ansible-lint linking the local collection
    assert not config.get("offline", False)


def test_plain_ansible_lint_passes(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(HOME=str(tmp_path), PATH=f"{BIN}{os.pathsep}/usr/bin:/bin")
    env.pop("CONTAINERS_CONF", None)
    proc = run([tool("ansible-lint")], env=env, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "Profile 'production' was required, and it passed." in output, output[-3000:]
    assert "0 failure(s), 0 warning(s)" in output, output[-3000:]
