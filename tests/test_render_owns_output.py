"""render.py prints every line: no command writes to stdout or stderr itself (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMMANDS = Path(__file__).resolve().parents[1] / "src" / "llmreads" / "commands"

# Module-level names that write to the terminal when used from a command.
STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}
ECHOES = {"echo", "secho"}


def direct_output(source: str) -> list[str]:
    """Each place in `source` that prints or writes to stdout or stderr other than through render."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"line {line}: print()")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
            if owner == "sys" and name in STREAMS or owner in ("typer", "click") and name in ECHOES:
                found.append(f"line {line}: {owner}.{name}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("sys", "typer", "click"):
            for alias in node.names:
                if alias.name in STREAMS | ECHOES | {"print"}:
                    found.append(f"line {line}: from {node.module} import {alias.name}")
    return found


def test_commands_print_only_through_render():
    modules = sorted(COMMANDS.glob("*.py"))
    assert len(modules) >= 6
    offenders = {
        module.name: hits for module in modules if (hits := direct_output(module.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('def f():\n    print("x")\n', ["line 2: print()"]),
        ('import sys\nsys.stdout.write("x")\n', ["line 2: sys.stdout"]),
        ('import sys\nprint("x", file=sys.stderr)\n', ["line 2: print()", "line 2: sys.stderr"]),
        ('import typer\ntyper.echo("x")\n', ["line 2: typer.echo"]),
        ('import typer\ntyper.secho("x", fg="red")\n', ["line 2: typer.secho"]),
        ("from sys import stdout\n", ["line 1: from sys import stdout"]),
        ("from typer import echo\n", ["line 1: from typer import echo"]),
        ('from llmreads import render\nrender.info("x")\nimport sys\ntext = sys.stdin.read()\n', []),
    ],
)
def test_the_scan_finds_direct_output(source, found):
    assert sorted(direct_output(source)) == sorted(found)
