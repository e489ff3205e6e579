"""A fork server for the tests' `llmreads` processes (processes.py): `python forkserver.py SOCKET`.

Starting a Python interpreter and importing Typer is most of what a short
command costs (some 0.07 s of CPU of 0.1 s), and the suite starts some two
hundred. This program pays that once: it imports Typer and the parts of
llmreads every command loads (PRELOADED), then for each request
on the Unix socket SOCKET (the command's argv, environment and working folder,
with its stdin, stdout and stderr passed as file descriptors) forks a child.
The child is a process of its own, on those files (pipes, or a pseudo-terminal),
with that environment; it makes sys.stdin, sys.stdout and sys.stderr anew on
them as the interpreter makes them at start, and runs the console script's
`main` at the top level of this program, so that it ends as that script
ends: its exit status, the flush of its output and atexit. The server
answers with the child's pid, then with its exit status once it has ended.

Only requests whose environment starts an interpreter the same way (locale,
PYTHON* variables) come here; processes.py runs the others, and everything
when LLMREADS_TEST_EXEC=1, as the installed script.
"""

from __future__ import annotations

import io
import json
import os
import select
import socket
import sys

# What every command of the console script loads before its own module: Typer, and the parts of llmreads that
# read no environment, files or time when imported (what a child then finds loaded is what it would load; the
# command modules, which register commands as they load, are left to the child). Some 20 ms of CPU a child.
PRELOADED = (
    "typer", "json", "sqlite3", "llmreads.entry", "llmreads.app", "llmreads.db", "llmreads.render",
    "llmreads.store.papers",
)


def serve(path: str) -> tuple[list[int], dict[str, object]]:
    """Answer requests until one is a child's: the child returns from here, with its files and request."""
    import importlib

    for module in PRELOADED:
        importlib.import_module(module)

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([server, sys.stdin], [], [])
        if sys.stdin in ready:  # the tests' process has ended (its end of this pipe closed)
            return_to_exit(server)
        conn, _address = server.accept()
        with conn:
            message, fds, _flags, _address = socket.recv_fds(conn, 1 << 20, 3)
            if not message:
                return_to_exit(server)
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                return fds, request
            for fd in fds:
                os.close(fd)
            try:
                conn.sendall(f"{pid}\n".encode())
            except OSError:  # the test gave up (a timeout): the child is killed or ends by itself
                pass
            _pid, status = os.waitpid(pid, 0)
            try:
                conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass


def return_to_exit(server: socket.socket) -> None:
    server.close()
    raise SystemExit(0)


def become(fds: list[int], request: dict[str, object]) -> None:
    """This child as the process the request asks for: its files as 0, 1 and 2, its environment, folder and argv."""
    encodings = [(stream.encoding, stream.errors) for stream in (sys.stdin, sys.stdout, sys.stderr)]
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(request["cwd"]))
    os.umask(int(str(request["umask"])))
    # What a process reads from its environment once, at start: the time zone (the C library's tzset), and
    # the temporary folder tempfile settles on when first asked.
    import time

    time.tzset()
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = None
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = [str(arg) for arg in argv]
    # As the interpreter makes them (Python/pylifecycle.c, create_stdio): buffered, no newline translation,
    # stdout line-buffered at a terminal, stderr always; the encodings and error handlers the interpreter chose
    # for this server, which started with the same locale and PYTHON* variables.
    streams = []
    for fd, (encoding, errors) in enumerate(encodings):
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        line_buffering = fd == 2 or (fd == 1 and raw.isatty())
        streams.append(io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="\n",
                                        line_buffering=line_buffering))
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams


if __name__ == "__main__":
    child_fds, child_request = serve(sys.argv[1])
    become(child_fds, child_request)
    del child_fds, child_request
    from llmreads.entry import main

    sys.exit(main())  # as the console script ends
