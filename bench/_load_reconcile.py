"""What the phones were told against what the database holds, after bench/load.py's load.

Every operation answered 2xx must be in the database exactly once; a row the phones never
sent, or a second row for what they sent once, is a duplicate; every accepted photo must end
analysed, or rejected with its reason.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

# Per operation kind: the ids stored for it, and the rows beyond what one visit may hold
# (a phone sends one audit, one order and three photos per visit).
STORED = {
    "check_in": "SELECT id FROM visit",
    "check_out": "SELECT id FROM visit WHERE ended_at IS NOT NULL",
    "audit": "SELECT id FROM audit",
    "order": "SELECT id FROM sales_order",
    "photo": "SELECT id FROM photo",
}
EXTRA = {
    "audit": "SELECT count(*) - count(DISTINCT visit_id) FROM audit",
    "order": "SELECT count(*) - count(DISTINCT visit_id) FROM sales_order",
    "photo": "SELECT coalesce(sum(n - 3), 0) FROM"
    " (SELECT count(*) AS n FROM photo GROUP BY visit_id) AS c WHERE n > 3",
}
KINDS = tuple(STORED)


@dataclass
class Ledger:
    sent: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    acked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    gave_up: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    # (time, kind, status) of every attempt that met a broken connection or a 5xx.
    retries: list[tuple[float, str, int]] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)


def read_ledgers(folder: Path) -> Ledger:
    ledger = Ledger()
    for path in sorted(folder.glob("ledger-*.jsonl")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            event, kind = entry["event"], entry["kind"]
            if event == "sent":
                ledger.sent[kind].add(entry["id"])
            elif event == "ack":
                ledger.acked[kind].add(entry["id"])
                ledger.acks.append(entry["t"])
            elif event == "retry":
                ledger.retries.append((entry["t"], kind, entry["status"]))
            elif event == "gave_up":
                ledger.gave_up += 1
            else:
                ledger.refused.append(entry)
    return ledger


@dataclass(frozen=True)
class KindCheck:
    kind: str
    acked: int
    stored: int
    missing: int  # acknowledged, not in the database
    unexpected: int  # in the database, never sent by a phone
    doubled: int  # rows beyond the one each visit may have

    @property
    def ok(self) -> bool:
        return self.missing == self.unexpected == self.doubled == 0


@dataclass(frozen=True)
class PhotoOutcome:
    statuses: dict[str, int]
    unsettled: int  # accepted photos not analysed, nor rejected with a reason
    results_per_photo_max: int

    @property
    def ok(self) -> bool:
        return self.unsettled == 0 and self.results_per_photo_max <= 1


def _ids(connection: Connection, sql: str) -> set[str]:
    return {str(row[0]) for row in connection.execute(text(sql))}


def check_kinds(engine: Engine, ledger: Ledger) -> list[KindCheck]:
    checks = []
    with engine.connect() as connection:
        for kind in KINDS:
            stored = _ids(connection, STORED[kind])
            doubled = (
                int(connection.execute(text(EXTRA[kind])).scalar_one()) if kind in EXTRA else 0
            )
            acked, sent = ledger.acked[kind], ledger.sent[kind]
            checks.append(
                KindCheck(
                    kind,
                    len(acked),
                    len(stored),
                    len(acked - stored),
                    len(stored - sent),
                    doubled,
                )
            )
    return checks


def photo_outcome(engine: Engine, acked: set[str]) -> PhotoOutcome:
    ids = [uuid.UUID(i) for i in acked]
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.status, p.status_reason, count(a.photo_id) AS results FROM photo p"
                " LEFT JOIN photo_analysis a ON a.photo_id = p.id WHERE p.id = ANY(:ids)"
                " GROUP BY p.id"
            ),
            {"ids": ids},
        ).all()
    statuses: dict[str, int] = defaultdict(int)
    unsettled = 0
    for row in rows:
        statuses[row.status] += 1
        settled = row.status == "analysed" or (row.status == "rejected" and row.status_reason)
        unsettled += not settled
    return PhotoOutcome(dict(statuses), unsettled, max((r.results for r in rows), default=0))


@dataclass(frozen=True)
class QueueFigures:
    jobs: int
    per_minute: float
    delay_p50_s: float
    delay_p99_s: float
    by_worker: dict[str, int]


def queue_figures(engine: Engine) -> QueueFigures:
    """Analysis jobs: throughput from first start to last finish, delay from queued to started."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT j.id,"
                " min(e.at) FILTER (WHERE e.type = 'deferred') AS deferred,"
                " min(e.at) FILTER (WHERE e.type = 'started') AS started,"
                " max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed')) AS finished"
                " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
                " WHERE j.task_name LIKE '%analyse_photo' GROUP BY j.id"
            )
        ).all()
        workers = connection.execute(
            text(
                "SELECT coalesce(worker_id::text, 'gone'), count(*) FROM procrastinate_jobs"
                " WHERE task_name LIKE '%analyse_photo' AND status = 'succeeded' GROUP BY 1"
            )
        ).all()
    done = [r for r in rows if r.finished is not None and r.started is not None]
    delays = [(r.started - r.deferred).total_seconds() for r in done if r.deferred is not None]
    span = (
        (max(r.finished for r in done) - min(r.started for r in done)).total_seconds()
        if done
        else 0.0
    )
    return QueueFigures(
        jobs=len(rows),
        per_minute=60 * len(done) / span if span else 0.0,
        delay_p50_s=_percentile(delays, 50),
        delay_p99_s=_percentile(delays, 99),
        by_worker={str(w): int(n) for w, n in workers},
    )


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def pending_photos(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM photo WHERE status IN ('pending', 'uploading')")
            ).scalar_one()
        )
