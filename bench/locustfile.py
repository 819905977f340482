"""Simulated reps for bench/load.py; it seeds the world, then runs this file with locust.

Each simulated user is one rep's phone: it fetches the day's route, checks in at an outlet,
sends three shelf photos, records an audit and an order and checks out; about one visit in
ten is instead a late batch sync from hours ago (then its photos). Every write carries an id
made on the phone, and a connection error or a 5xx is retried with the same ids and bytes,
as a phone does. Each answered write (2xx) goes to a ledger, one JSON line per operation and
one file per locust process, for bench/load.py to reconcile with the database.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from locust import HttpUser, constant_pacing, task
from locust.clients import ResponseContextManager

WORLD: dict[str, Any] = json.loads(Path(os.environ["FIELDSALES_LOAD_WORLD"]).read_text())
LEDGER_DIR = Path(os.environ["FIELDSALES_LOAD_LEDGER"])
PACE_S = float(os.environ.get("FIELDSALES_LOAD_PACE_S", "60"))
THINK_S = float(os.environ.get("FIELDSALES_LOAD_THINK_S", "1"))
LATE_SHARE = float(os.environ.get("FIELDSALES_LOAD_LATE_SHARE", "0.1"))
RETRY_FOR_S = 120.0  # a phone keeps its outbox; the bench gives up after this long
PHOTOS = [Path(p).read_bytes() for p in WORLD["photos"]]
_reps = itertools.count()
_ledger: dict[int, TextIO] = {}


def ledger(**entry: Any) -> None:
    """One line per event, in a file of this process's own (greenlets: one writer at a time)."""
    pid = os.getpid()
    if pid not in _ledger:
        _ledger[pid] = (LEDGER_DIR / f"ledger-{pid}.jsonl").open("a")
    out = _ledger[pid]
    out.write(json.dumps({"t": time.time(), **entry}) + "\n")
    out.flush()


def unique_jpeg(data: bytes, tag: uuid.UUID) -> bytes:
    """The JPEG with a comment segment (COM) after its SOI marker: same picture, own bytes."""
    payload = tag.hex.encode()
    return data[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


def fail(response: ResponseContextManager, why: str) -> None:
    """Count the attempt as an error in locust's figures (its method is untyped)."""
    response.failure(why)  # type: ignore[no-untyped-call]


def now() -> datetime:
    return datetime.now(UTC)


class Rep(HttpUser):
    wait_time = constant_pacing(PACE_S)

    def on_start(self) -> None:
        rep = WORLD["reps"][next(_reps) % len(WORLD["reps"])]
        self.headers = {"Authorization": f"Bearer {rep['token']}"}
        self.outlets: dict[str, tuple[float, float]] = {
            o["id"]: (o["lon"], o["lat"]) for o in rep["outlets"]
        }
        self.rng = random.Random(rep["token"])

    def send(self, kind: str, op_id: str, visit_id: str, name: str, **request: Any) -> Any:
        """POST until answered (not 5xx, not a broken connection); ledger the 2xx answer."""
        ledger(event="sent", kind=kind, id=op_id, visit=visit_id)
        deadline, pause = time.monotonic() + RETRY_FOR_S, 0.2
        while True:
            with self.client.post(
                name=name, headers=self.headers, timeout=(5, 30), catch_response=True, **request
            ) as response:
                status = response.status_code
                if status and status < 500:
                    self._settle(response, kind, op_id, visit_id)
                    return response.json() if status < 300 else None
                fail(response, f"{status or 'connection error'}: retrying")
            ledger(event="retry", kind=kind, id=op_id, status=status)
            if time.monotonic() > deadline:
                ledger(event="gave_up", kind=kind, id=op_id)
                return None
            time.sleep(pause)
            pause = min(2 * pause, 2.0)

    def _settle(
        self, response: ResponseContextManager, kind: str, op_id: str, visit_id: str
    ) -> None:
        if response.status_code >= 300:
            fail(response, f"{response.status_code}: {response.text[:200]}")
            ledger(event="refused", kind=kind, id=op_id, status=response.status_code)
            return
        response.success()  # type: ignore[no-untyped-call]
        ledger(event="ack", kind=kind, id=op_id, visit=visit_id, status=response.status_code)

    def think(self) -> None:
        time.sleep(self.rng.uniform(0.5, 1.5) * THINK_S)

    def pick_outlet(self) -> tuple[str, float, float]:
        with self.client.get(
            "/v1/me/route",
            headers=self.headers,
            name="/v1/me/route",
            timeout=(5, 30),
            catch_response=True,
        ) as response:
            stops = response.json().get("stops", []) if response.status_code == 200 else []
            if response.status_code != 200:
                fail(response, str(response.status_code or "connection error"))
        due = [s["outlet_id"] for s in stops if not s["visited"] and s["outlet_id"] in self.outlets]
        outlet = self.rng.choice(due or list(self.outlets))
        lon, lat = self.outlets[outlet]
        return outlet, lon + self.rng.uniform(-3e-4, 3e-4), lat + self.rng.uniform(-3e-4, 3e-4)

    def records(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """An audit and an order of a few SKUs of the catalogue."""
        skus = self.rng.sample(WORLD["skus"], 4)
        audit = {
            "id": str(uuid.uuid4()),
            "skus": [
                {"sku_id": s, "present": True, "facings": self.rng.randint(1, 6)} for s in skus
            ],
            "displays": [{"brand_id": self.rng.choice(WORLD["brands"]), "displays": 1}],
        }
        lines = [{"sku_id": s, "quantity": self.rng.randint(1, 24), "price": "1.99"} for s in skus]
        return audit, {"id": str(uuid.uuid4()), "lines": lines[:2]}

    def photos(self, visit: str, taken_at: datetime) -> None:
        for _ in range(3):
            photo = uuid.uuid4()
            data = unique_jpeg(self.rng.choice(PHOTOS), photo)
            self.send(
                "photo",
                str(photo),
                visit,
                "/v1/visits/{id}/photos",
                url=f"/v1/visits/{visit}/photos",
                files={"file": ("shelf.jpg", data, "image/jpeg")},
                data={"id": str(photo), "taken_at": taken_at.isoformat()},
            )
            self.think()

    @task
    def visit(self) -> None:
        outlet, lon, lat = self.pick_outlet()
        self.think()
        if self.rng.random() < LATE_SHARE:
            self.late_sync(outlet, lon, lat)
            return
        visit = str(uuid.uuid4())
        location = {"lon": lon, "lat": lat, "accuracy_m": 10}
        checkin = {
            "id": visit,
            "outlet_id": outlet,
            "started_at": now().isoformat(),
            "location": location,
            "device_time": now().isoformat(),
        }
        if (
            self.send("check_in", visit, visit, "/v1/visits", url="/v1/visits", json=checkin)
            is None
        ):
            return
        self.think()
        self.photos(visit, now())
        audit, order = self.records()
        url = f"/v1/visits/{visit}"
        self.send(
            "audit", audit["id"], visit, "/v1/visits/{id}/audits", url=url + "/audits", json=audit
        )
        self.think()
        self.send(
            "order", order["id"], visit, "/v1/visits/{id}/orders", url=url + "/orders", json=order
        )
        self.think()
        checkout = {"ended_at": now().isoformat(), "location": location}
        name = "/v1/visits/{id}/checkout"
        self.send("check_out", visit, visit, name, url=url + "/checkout", json=checkout)

    def late_sync(self, outlet: str, lon: float, lat: float) -> None:
        """A visit made offline hours ago, synced now in one batch; its photos follow."""
        started = now() - timedelta(hours=self.rng.uniform(2, 8))
        visit = str(uuid.uuid4())
        location = {"lon": lon, "lat": lat, "accuracy_m": 15}
        audit, order = self.records()
        operations = [
            {
                "op": "check_in",
                "body": {"id": visit, "outlet_id": outlet, "started_at": started.isoformat(),
                         "location": location},
            },
            {"op": "audit", "visit_id": visit, "body": audit},
            {"op": "order", "visit_id": visit, "body": order},
            {
                "op": "check_out",
                "visit_id": visit,
                "body": {"ended_at": (started + timedelta(minutes=20)).isoformat()},
            },
        ]  # fmt: skip
        ids = [visit, audit["id"], order["id"], visit]
        for op, op_id in zip(operations, ids, strict=True):
            ledger(event="sent", kind=op["op"], id=op_id, visit=visit, via="sync")
        answer = self.send(
            "sync", visit, visit, "/v1/sync", url="/v1/sync", json={"operations": operations}
        )
        if answer is None:
            return
        for result, op_id in zip(answer["results"], ids, strict=True):
            event = "ack" if 200 <= result["status"] < 300 else "refused"
            ledger(event=event, kind=result["op"], id=op_id, visit=visit, status=result["status"])
        if answer["results"][0]["status"] < 300:
            self.think()
            self.photos(visit, started + timedelta(minutes=5))
