"""The command line starts fast: building the parser and every ``--help`` load neither torch nor
transformers (the engine loads them when a command runs)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers")

# Runs every command path's --help in one interpreter and reports, after each, which heavy
# modules are loaded (once loaded they stay, so the first non-empty entry names the culprit).
_HELP_EVERY_COMMAND = f"""
import argparse, contextlib, io, json, sys
from posetalk.cli import build_parser, main

def command_paths(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from command_paths(sub, (*prefix, name))

report = []
for path in command_paths(build_parser()):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main([*path, "--help"])
        except SystemExit as exit:
            code = exit.code
    report.append((" ".join(path), code, sorted(set({HEAVY!r}) & sys.modules.keys())))
print(json.dumps(report))
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


def test_no_command_help_loads_torch_or_transformers() -> None:
    result = _run("-c", _HELP_EVERY_COMMAND)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    commands = {command for command, _, _ in report}
    assert {"infer", "render", "serve", "bridge vts", "bridge vmc", "train"} <= commands
    assert [(command, code) for command, code, _ in report if code != 0] == []
    assert [(command, heavy) for command, _, heavy in report if heavy] == []


def test_posetalk_help_exits_zero_without_torch_or_transformers() -> None:
    result = _run("-X", "importtime", "-m", "posetalk", "--help")
    assert result.returncode == 0, result.stderr
    assert "COMMAND" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert imported.isdisjoint(HEAVY)
