# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Licensing: the GPL-3.0 text galaxy.yml's license names, in the repository and
the artifact; every file licensed in the REUSE format (`reuse lint`); SPDX
headers on the Python files ansible-test ships as plugins.
"""

from __future__ import annotations

import hashlib
import tarfile

import pytest

from hostutil import GALAXY, ROOT, run, tool

# sha256 of the canonical GNU GPL version 3 text (Debian's
# /usr/share/common-licenses/GPL-3, the FSF's gpl-3.0.txt).
GPL3_SHA256 = "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986"


def test_galaxy_declares_gpl3_or_later():
    assert GALAXY["license"] == ["GPL-3.0-or-later"]
    assert "license_file" not in GALAXY


def test_license_is_the_gpl3_text():
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == GPL3_SHA256
    assert (ROOT / "LICENSES" / "GPL-3.0-or-later.txt").read_bytes() == (ROOT / "LICENSE").read_bytes()


@pytest.mark.parametrize("member", ["LICENSE", "LICENSES/GPL-3.0-or-later.txt"])
def test_artifact_carries_the_license_text(artifact, member):
    with tarfile.open(artifact) as tar:
        handle = tar.extractfile(tar.getmember(member))
        if handle is None:  # a symlink inside the artifact: follow it
            handle = tar.extractfile(tar.getmember("LICENSE"))
        assert hashlib.sha256(handle.read()).hexdigest() == GPL3_SHA256


def test_reuse_lint_is_clean():
    proc = run([tool("reuse"), "lint"])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    assert "Used licenses: GPL-3.0-or-later" in proc.stdout


# Split so that reuse does not read this line as a header of its own.
SPDX_HEADER = "SPDX-License-" + "Identifier: GPL-3.0-or-later"


def test_plugin_files_carry_spdx_headers():
    missing = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "plugins").rglob("*.py"))
               if SPDX_HEADER not in path.read_text(encoding="utf-8")[:600]]
    assert missing == []
