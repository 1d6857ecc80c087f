"""The fault harness's table is printed at the end of the session by tests/conftest.py (and by
`python -m tests.faults.report`)."""

from __future__ import annotations


def pytest_configure(config):  # type: ignore[no-untyped-def]
    """A new session's table replaces the last one (on the controller only: xdist workers share the folder)."""
    if hasattr(config, "workerinput"):
        return
    from .report import report_dir

    for old in report_dir().glob("*.json"):
        old.unlink(missing_ok=True)
