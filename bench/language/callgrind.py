"""Counting machine instructions with callgrind, shared by bench_instructions.py and
bench_parts.py: a script re-runs itself as a child (`--child ARGS…`) under valgrind, and the
difference between two counts is the work of the texts between them.

The children write and read compiled bytecode (`PYTHONDONTWRITEBYTECODE` dropped) and run with
one hash seed: a run that compiles the engine's modules counts thousands of instructions per
text more than one that reads them, and hash order moves the counts by up to a quarter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from common import REPO

MODEL = REPO / "bench" / "out" / "speed_model.npz"


def use_checkout(root: Path) -> None:
    """Make ``import tanggap`` load ``root``'s engine. The bench modules a child imports
    (``synthetic``, ``bench_topic``) load this checkout's first: forgotten here, or a child
    given another checkout would count this one's engine (as every "other" count did until
    this function existed)."""
    for name in [name for name in sys.modules if name.split(".")[0] == "tanggap"]:
        del sys.modules[name]
    sys.path.insert(0, str(root))


def child_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_first(script: str, child_args: list[str]) -> None:
    """Run the child once outside callgrind, so that every counted run reads the same
    compiled bytecode: otherwise the first run of a fresh checkout compiles its modules and
    the difference between two runs counts that too."""
    subprocess.run([sys.executable, script, "--child", *child_args], cwd=REPO,
                   env=child_env(), check=True, capture_output=True)


def instructions(script: str, child_args: list[str]) -> int:
    """The instructions callgrind counted for one run of the child."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, script, "--child", *child_args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=child_env(),
                          check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        sys.exit(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def ensure_model() -> Path:
    """The model both scripts classify with, trained on the written messages once."""
    if not MODEL.exists():
        sys.path.insert(0, str(REPO))
        from bench_topic import load as load_messages

        from tanggap.language import train

        MODEL.parent.mkdir(exist_ok=True)
        train(load_messages()).save(MODEL)
    return MODEL
