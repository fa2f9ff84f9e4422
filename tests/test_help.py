"""`--help` reads as a terminal user expects: the docstrings' paragraphs wrap at the terminal's width (not at
their source lines), and list items keep their lines."""

from __future__ import annotations

import subprocess
import sys

import pytest

from archsel.cli import unwrapped_help


def test_paragraphs_become_single_lines_and_list_items_keep_theirs() -> None:
    text = """First line of a summary
    that goes on.

    A paragraph
    on three
    lines:
    - an item
      continued
    - another
    1. numbered
    """
    assert unwrapped_help(text) == ("First line of a summary that goes on.\n\nA paragraph on three lines:\n"
                                    "- an item\n  continued\n- another\n1. numbered")
    assert unwrapped_help(None) is None


@pytest.mark.parametrize(("args", "phrase"), [
    (["calibrate"], "(fp32 and int8, 1 and --threads threads)"),
    (["check"], "factory and one or more forward passes), as"),
])
def test_help_at_80_columns_wraps_at_the_terminal_not_at_the_source_lines(args: list[str], phrase: str) -> None:
    code = ("import os, sys; os.environ['COLUMNS'] = '80'; sys.argv = ['archsel', *sys.argv[1:], '--help']; "
            "from archsel.cli import main; main()")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env={"COLUMNS": "80", "NO_COLOR": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert phrase in out.stdout  # its source line broke inside it: rich kept the break
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
