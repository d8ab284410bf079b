"""Type-check newswire as it is imported: ``newswire.gateway`` lives in ``gateway/``, which mypy cannot map.

    python tests/typecheck.py

Builds a tree of symbolic links in which each package sits at its import path, and runs mypy on
package ``newswire`` with the settings in pyproject.toml (strict on the pure cores). Exits as mypy does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: import path (under newswire/) → folder of this repository
PACKAGES = {"schemas": "schemas", "producers": "producers", "processors": "processors", "gateway": "gateway"}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="newswire-mypy-") as tmp:
        tree = Path(tmp) / "newswire"
        tree.mkdir()
        for child in (ROOT / "newswire").iterdir():
            if child.name != "__pycache__":
                (tree / child.name).symlink_to(child)
        for name, folder in PACKAGES.items():
            (tree / name).symlink_to(ROOT / folder)
        env = {**os.environ, "MYPYPATH": tmp}
        command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                   "--cache-dir", str(ROOT / ".mypy_cache"), "-p", "newswire"]
        return subprocess.run(command, env=env, cwd=tmp, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
