"""Print the fault table the harness measured last: `python -m tests.faults.report` (docs/jobs.md)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def report_dir() -> Path:
    import os
    import tempfile

    return Path(os.environ.get("FAULTS_REPORT_DIR") or Path(tempfile.gettempdir()) / "dataabs-faults")


def load(since: float = 0.0) -> list[dict]:
    rows = []
    for path in sorted(report_dir().glob("*.json")):
        row = json.loads(path.read_text())
        if row.get("measured_at", 0) >= since:
            rows.append(row)
    return sorted(rows, key=lambda r: r["measured_at"])


def table(rows: list[dict]) -> str:
    head = ("fault", "sent", "completed", "duplicated", "failed", "attempts", "first resumed s", "recovery s",
            "deals valuing")  # fmt: skip
    lines = [head]
    for r in rows:
        recovery = "-" if r["recovery_seconds"] is None else f"{r['recovery_seconds']:.1f}"
        resumed = "-" if r.get("resumed_seconds") is None else f"{r['resumed_seconds']:.1f}"
        lines.append(
            (r["fault"], str(r["sent"]), str(r["completed"]), str(r["duplicated"]), str(r["failed"]),
             str(r["attempts"]), resumed, recovery, str(r["deals_still_valuing"]))
        )  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main() -> int:
    rows = load()
    if not rows:
        print(f"no fault measurements in {report_dir()}: run the harness first (tests/faults, needs PostgreSQL+Redis)")
        return 1
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rows[-1]["measured_at"]))
    print(f"fault harness, last measured {when} ({report_dir()})")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
