"""Process entry point: the console script, with what only a whole process needs.

`--version` is answered before the command-line framework loads at all.
Otherwise the Typer app runs (llmreads.app): its group loads the module of
the command named, or being completed, and nothing else. The collector is off
while Typer and the app load, their objects are frozen before the command runs,
and output left for a reader that has gone ends the process quietly.
"""

import os
import sys


def main() -> None:
    try:
        _main()
    except SystemExit as exc:
        _finish(exc.code)
        raise
    except BaseException:
        _flush_output()
        raise
    _finish(0)


def _finish(code: object) -> None:
    """Flush the output; then, once the command is done, end the process with `code` (~3 ms sooner).

    By then the command has closed its database connection and written its
    files. What Python's teardown would still do that matters is done here:
    the exit functions run and what they print is flushed; the rest (freeing
    every module and object) is spared. A status that is not a number (a
    message), or a thread still running that is not a daemon, gets Python's
    own exit.
    """
    _flush_output()
    if code is not None and not isinstance(code, int):
        return
    threading = sys.modules.get("threading")
    if threading is not None and any(
        thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
        for thread in threading.enumerate()
    ):
        return
    import atexit

    atexit._run_exitfuncs()  # and unregistered: they do not run twice
    _flush_output()
    if not sys.stderr.closed:  # closed when the reader of stdout went away (app.Group.invoke)
        sys.stderr.flush()
    os._exit(code or 0)


def _flush_output() -> None:
    """Flush stdout now; if the reader has gone (`llmreads list | head -1`), end quietly with status 0.

    Output a command wrote in full may still sit in the buffer when the
    reader closes the pipe: Python would report the failed flush at exit and
    end with status 120.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the flush at exit then has somewhere to go
        raise SystemExit(0) from None


def _main() -> None:
    argv = sys.argv[1:]
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            # Bytes that are not UTF-8 arrive as lone surrogates; SQLite cannot store them.
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            print(f'Error: argument "{shown}" is not UTF-8 text', file=sys.stderr)
            raise SystemExit(1) from None
    if argv == ["--version"]:
        from llmreads import __version__

        print(f"llmreads {__version__}")
        return
    import gc

    # Importing Typer and the app allocates only what lives until exit: the
    # some 30 collections it would set off free nothing and cost ~5 ms.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from llmreads.app import app

        freeze_loaded()
    finally:
        if collecting:
            gc.enable()
    app()


def freeze_loaded() -> None:
    """Keep the garbage collector off everything loaded so far.

    Those objects (the modules of Python, Typer and llmreads) live until the
    process exits, yet the collection Python makes at exit walks them all:
    ~6 ms after Typer's import, a tenth of a start-up. Frozen, they are left
    out of every later collection; what the command itself creates is
    collected as before.
    """
    import gc

    gc.freeze()
