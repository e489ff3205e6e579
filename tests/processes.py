"""Shared test helpers: the installed `llmreads` run as a process, piped or in a pseudo-terminal.

The fixture `seeded` (conftest.py) gives a test a database that holds the bundled list.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def llmreads_script() -> str:
    here = str(Path(sys.executable).parent)
    found = shutil.which("llmreads", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    assert found, "the llmreads console script is not installed"
    return found


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [llmreads_script(), *args], capture_output=True, text=True, encoding="utf-8", timeout=60,
        input=input if input is not None else "", env={**os.environ, **(env or {})},
    )


def in_terminal(*args: str, answers: str = "", after: str = "Which one?", columns: int = 80,
                env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str]:
    """Run llmreads with stdin, stdout and stderr on one pseudo-terminal of `columns` columns.

    `answers` is typed once the terminal shows `after` (a question). Returns the exit status and
    everything the terminal showed (line ends as \\r\\n).
    """
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [llmreads_script(), *args], stdin=follower, stdout=follower, stderr=follower, close_fds=True,
        env={**os.environ, "COLUMNS": str(columns), "TERM": "xterm", **(env or {})},
    )
    os.close(follower)
    shown = b""
    typed = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the process ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        if answers and not typed and after.encode() in shown:
            os.write(leader, answers.encode())
            typed = True
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=10)
    os.close(leader)
    return process.returncode, shown.decode("utf-8", "replace")
