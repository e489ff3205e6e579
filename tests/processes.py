"""Shared test helpers: `llmreads` run as a process of its own, piped or in a pseudo-terminal.

Each run is a process with its own files, environment and exit status. It is
forked from a server that has started Python and imported Typer and the parts
of llmreads every command loads once (forkserver.py), when its environment
would start an interpreter the same way; otherwise, and for every run when LLMREADS_TEST_EXEC=1, it is the installed
console script, started afresh. Tests of what only a fresh start shows (the
modules a command loads, the console script itself, encodings) start their
processes themselves. The fixture `seeded` (conftest.py) gives a test a
database that holds the bundled list.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What decides how an interpreter starts (its locale, stdio encodings, flags): a run whose environment
# differs from the fork server's in these is started afresh.
_STARTUP = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE")


def llmreads_script() -> str:
    here = str(Path(sys.executable).parent)
    found = shutil.which("llmreads", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    assert found, "the llmreads console script is not installed"
    return found


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    argv = [llmreads_script(), *args]
    server = _server_for(environment)
    if server is None:
        return subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", timeout=timeout,
                              input=input if input is not None else "", env=environment)
    stdin_read, stdin_write = os.pipe()
    stdout_read, stdout_write = os.pipe()
    stderr_read, stderr_write = os.pipe()
    child = server.start(argv, environment, [stdin_read, stdout_write, stderr_write])
    out, err = _communicate(child, stdin_write, stdout_read, stderr_read, (input or "").encode("utf-8"), timeout)
    return subprocess.CompletedProcess(argv, child.wait(10), _text(out), _text(err))


def _text(data: bytes) -> str:
    """What subprocess.run(text=True, encoding="utf-8") gives for these bytes: decoded, newlines made \\n."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()


def _communicate(child: _Forked, stdin: int, stdout: int, stderr: int, data: bytes,
                 timeout: float) -> tuple[bytes, bytes]:
    """Write `data` to the child's stdin and read its stdout and stderr to their ends, as Popen.communicate does."""
    chunks: dict[int, list[bytes]] = {stdout: [], stderr: []}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        if data:
            os.set_blocking(stdin, False)
            selector.register(stdin, selectors.EVENT_WRITE)
        else:
            os.close(stdin)
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                child.kill()
                for key in list(selector.get_map().values()):
                    selector.unregister(key.fd)
                    os.close(int(key.fd))
                child.wait(10)  # the server says it has ended, and the connection is closed
                raise subprocess.TimeoutExpired(child.argv, timeout)
            for key, _events in selector.select(left):
                fd = int(key.fd)
                if fd == stdin:
                    try:
                        written = os.write(stdin, data[:65536])
                    except BrokenPipeError:
                        written = len(data)
                    data = data[written:]
                    if not data:
                        selector.unregister(stdin)
                        os.close(stdin)
                    continue
                chunk = os.read(fd, 65536)
                if chunk:
                    chunks[fd].append(chunk)
                else:
                    selector.unregister(fd)
                    os.close(fd)
    return b"".join(chunks[stdout]), b"".join(chunks[stderr])


class _Forked:
    """A child of the fork server: its pid, and its exit status once the server says it has ended."""

    def __init__(self, argv: list[str], conn: socket.socket) -> None:
        self.argv, self.conn = argv, conn
        self.answer = conn.makefile("rb")
        self.pid = int(self.answer.readline())
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            ready, _, _ = select.select([self.conn], [], [], 0)
            if ready:
                self._read_status()
        return self.returncode

    def wait(self, timeout: float) -> int:
        if self.returncode is None:
            self.conn.settimeout(timeout)
            try:
                self._read_status()
            except TimeoutError:
                self.kill()
                raise subprocess.TimeoutExpired(self.argv, timeout) from None
        assert self.returncode is not None
        return self.returncode

    def _read_status(self) -> None:
        line = self.answer.readline()
        assert line, "the fork server ended"
        self.returncode = int(line)
        self.answer.close()
        self.conn.close()

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _ForkServer:
    """forkserver.py, started once per test process and asked for a child per run.

    It runs one child at a time (it waits for each before the next request): a test that needs processes
    running together (locks, concurrent writers) starts them with subprocess.
    """

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="llmreads-forks-")
        if len(self.folder) > 90:  # a Unix socket's path holds at most 107 bytes
            os.rmdir(self.folder)
            self.folder = tempfile.mkdtemp(prefix="llmreads-forks-", dir="/tmp")
        self.path = os.path.join(self.folder, "socket")
        self.startup = {name: os.environ.get(name) for name in self._startup_names(os.environ)}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py")), self.path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,  # it ends when its stdin does: with this process
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "ready\n", "the fork server did not start"
        atexit.register(self.close)

    @staticmethod
    def _startup_names(environment: dict[str, str] | os._Environ[str]) -> set[str]:
        return {name for name in environment if name.startswith("PYTHON")} | set(_STARTUP)

    def serves(self, environment: dict[str, str]) -> bool:
        names = self._startup_names(environment) | set(self.startup)
        return all(environment.get(name) == self.startup.get(name) for name in names)

    def start(self, argv: list[str], environment: dict[str, str], fds: list[int]) -> _Forked:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self.path)
        umask = os.umask(0o077)
        os.umask(umask)
        request = {"argv": argv, "env": environment, "cwd": os.getcwd(), "umask": umask}
        try:
            socket.send_fds(conn, [json.dumps(request).encode("utf-8")], fds)
        finally:
            for fd in set(fds):
                os.close(fd)
        return _Forked(argv, conn)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.connect(self.path)
                    conn.sendall(b"")
                    conn.shutdown(socket.SHUT_WR)
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


_SERVER: list[_ForkServer] = []


def _server_for(environment: dict[str, str]) -> _ForkServer | None:
    """The fork server, started on first use, if it may start a process with this environment."""
    if environment.get("LLMREADS_TEST_EXEC") == "1":
        return None
    if not _SERVER or _SERVER[0].process.poll() is not None:  # not started yet, or ended (killed)
        _SERVER[:] = [_ForkServer()]
    return _SERVER[0] if _SERVER[0].serves(environment) else None


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
    argv = [llmreads_script(), *args]
    environment = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm", **(env or {})}
    server = _server_for(environment)
    process: subprocess.Popen[bytes] | _Forked
    if server is None:
        process = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, close_fds=True,
                                   env=environment)
        os.close(follower)
    else:
        process = server.start(argv, environment, [follower, follower, follower])  # closes it here
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
