"""Run a Python module the way a terminal runs a foreground command: Ctrl-C (SIGINT) at its default action.

    python -m tests.support.foreground MODULE ARGS...

A process started in the background by a shell without job control (``python -m pytest ... &`` in a script,
``nohup``-style runners, some CI) has SIGINT ignored, every child inherits that, and Python keeps it ignored
at start-up (POSIX's rule: a Ctrl-C at the terminal is for the foreground job). The tests that send a
command SIGINT to check what Ctrl-C does then saw it finish its work and exit 0 instead of 130; they run the
command through this, so what they check does not depend on how the suite itself was started.
"""

from __future__ import annotations

import runpy
import signal
import sys

signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
