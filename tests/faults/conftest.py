"""The fault harness prints its table at the end of the session (and `python -m tests.faults.report` again)."""

from __future__ import annotations

import time

_STARTED = time.time()


def pytest_configure(config):  # type: ignore[no-untyped-def]
    """A new session's table replaces the last one (on the controller only: xdist workers share the folder)."""
    if hasattr(config, "workerinput"):
        return
    from .report import report_dir

    for old in report_dir().glob("*.json"):
        old.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    from .report import load, table

    rows = load(since=_STARTED)
    if rows:
        terminalreporter.write_sep("=", "fault harness: jobs sent, completed, duplicated, recovery (tests/faults)")
        terminalreporter.write_line(table(rows))
