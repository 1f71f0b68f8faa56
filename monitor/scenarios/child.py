"""A replay's helper process: `python -m MODULE`, fed and read through pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def python_child(module: str) -> subprocess.Popen[bytes]:
    """`python -m module` with stdin and stdout piped. The child imports this package from
    where this process found it, wherever it runs (a checkout without an install too)."""
    root = str(Path(__file__).resolve().parents[2])
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
