"""Two processes writing one SQLite ledger at once: no row lost, each budget alert fired once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

WORKER = textwrap.dedent(
    """
    import faulthandler, sys, time
    from pathlib import Path
    # If a worker is ever slow to finish, its threads' stacks land in the test's failure text.
    faulthandler.dump_traceback_later(90)
    from semroute.ledger import Budget, Ledger
    path, name, rows, alerts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

    def note(alert):
        with open(alerts, "a") as out:
            out.write(f"{name} {alert.threshold}\\n")

    with Ledger(path, batch_size=50) as ledger:
        # Just under both processes' total, so float sums cannot land a hair below it.
        budget = Budget(rows * 2 * 0.001 - 1e-6, period="day", ledger=ledger, on_alert=note,
                        scope={"feature": "chat"}, refresh_s=0)
        for i in range(rows):
            ledger.record(model="gpt-4o", cost_usd=0.001, tags={"feature": "chat", "proc": name})
            if i % 50 == 0:
                ledger.flush()
                budget.check({"feature": "chat"}, "gpt-4o")
        ledger.flush()
        # Wait for the other process, so both see every threshold crossed and race for it.
        Path(alerts + "." + name).touch()
        deadline = time.monotonic() + 280
        while not all(Path(alerts + "." + p).exists() for p in ("a", "b")):
            assert time.monotonic() < deadline, "the other process never finished"
            time.sleep(0.01)
        budget.check({"feature": "chat"}, "gpt-4o")
        stats = ledger.stats()
        assert (stats.written, stats.dropped, stats.failed) == (rows, 0, 0), stats
    """
)


def test_two_processes_share_one_ledger(tmp_path: Path) -> None:
    path, alerts = tmp_path / "shared.db", tmp_path / "alerts.txt"
    rows = 1500
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), name, str(rows), str(alerts)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=320)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:  # never leave a worker behind for a later test to trip over
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    with sqlite3.connect(path) as conn:
        counts = dict(
            conn.execute("SELECT json_extract(tags, '$.proc'), COUNT(*) FROM calls GROUP BY 1")
        )
        assert counts == {"a": rows, "b": rows}
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    # Together they spend the limit; both check after both finished, so both see every
    # threshold crossed, and each alert is fired by one process only.
    fired = sorted(line.split()[1] for line in alerts.read_text().splitlines())
    assert fired == ["0.8", "1.0"]
