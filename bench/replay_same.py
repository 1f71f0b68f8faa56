"""Does a change of representation or speed leave every decision alone?

Saves the replay JSON of every scenario (`aistatus replay FILE --json`, the same document)
to a folder, or compares the replays of the code as it is now with a folder saved before:
byte for byte, one line per scenario, exit status 1 if any differs. For changes that must
not move a decision (how the engine holds its tallies, how fast replay runs); a change of
a rule is expected to differ, and the comparison then shows where.

    git stash; .venv/bin/python -m bench.replay_same save /tmp/before; git stash pop
    .venv/bin/python -m bench.replay_same compare /tmp/before
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from monitor.config import Settings
from monitor.scenarios.replay import replay, replay_document
from monitor.scenarios.spec import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "scenarios"


def document(path: Path) -> str:
    # As the CLI prints it (`aistatus replay FILE --json`), so either can make the folder.
    return json.dumps(replay_document(replay(load_scenario(path), Settings())), indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("files", nargs="*", type=Path, help="default: tests/scenarios/*.toml")
    args = parser.parse_args()
    files = args.files or sorted(SCENARIOS.glob("*.toml"))
    args.folder.mkdir(parents=True, exist_ok=True)
    differ = 0
    for path in files:
        started = time.perf_counter()
        text = document(path)
        seconds = time.perf_counter() - started
        saved = args.folder / f"{path.stem}.json"
        if args.action == "save":
            saved.write_text(text)
            verdict = "saved"
        elif not saved.exists():
            verdict, differ = "missing from the folder", differ + 1
        elif saved.read_text() == text:
            verdict = "same"
        else:
            verdict, differ = "DIFFERS", differ + 1
        print(f"{path.stem:<34}{verdict:<24}{seconds:6.1f} s", flush=True)
    if args.action == "compare":
        print(f"\n{len(files) - differ} of {len(files)} the same")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
