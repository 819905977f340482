"""``fieldsales demo``: the demo market at work, through the HTTP API as its users see it.

``demo day`` plays one rep's day as the phone would; ``demo tour`` prints what a manager and a
planner open first and draws a few pictures. Both talk to a running service only over HTTP.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx2 as httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.demo_pictures import Marker, Series, share_chart, territory_map
from models.demo import DEFAULT_SEED, FIELD_FORCE
from models.demo.photos import render
from models.demo.planted import SHARE_DROP
from models.demo.shelves import Shot

app = typer.Typer(help="Show the demo market at work, through the HTTP API.", no_args_is_help=True)
console = Console()
URL = "http://127.0.0.1:8000"
PASSWORDS = {user.username: user.password for user in FIELD_FORCE}
UrlOption = Annotated[str, typer.Option(help="The running service.")]
M_PER_DEG_LAT = 111_320.0


class ApiProblem(Exception):
    """The service answered an error: its problem's title and detail."""


class Api:
    """A signed-in user of the service."""

    def __init__(self, url: str, username: str, password: str | None = None) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        secret = password or PASSWORDS.get(username)
        if secret is None:
            raise ApiProblem(f"{username} is not a demo account: pass --password.")
        try:
            token = self.call(
                "POST", "/v1/auth/token", data={"username": username, "password": secret}
            )
        except httpx.TransportError as exc:
            raise ApiProblem(
                f"cannot reach {url} ({exc}); start it with `fieldsales serve`."
            ) from exc
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, path, **kwargs)
        if answer.status_code >= 400:
            problem = answer.json() if "json" in answer.headers.get("content-type", "") else {}
            detail = problem.get("detail") or answer.text[:200]
            raise ApiProblem(f"{method} {path}: {answer.status_code} {detail}")
        if answer.headers.get("content-type", "").startswith("image/"):
            return answer.content
        return answer.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, json=body)

    def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(path, cursor=cursor, limit=500, **params)
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def _run(action: Any) -> None:
    try:
        action()
    except ApiProblem as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _near(rng: random.Random, location: dict[str, float], metres: float) -> dict[str, float]:
    """A GPS fix about ``metres`` from the outlet, as a phone reports it."""
    lat = location["lat"] + rng.gauss(0, metres) / M_PER_DEG_LAT
    lon = location["lon"] + rng.gauss(0, metres) / (M_PER_DEG_LAT * 0.69)
    return {"lat": round(lat, 6), "lon": round(lon, 6), "accuracy_m": round(rng.uniform(5, 20), 1)}


class Phone:
    """One rep's phone: what it sends for each visit, online or queued for a late sync."""

    def __init__(self, api: Api, rng: random.Random, seed: int) -> None:
        self.api, self.rng, self.seed = api, rng, seed
        skus = api.pages("/v1/skus", active=True)
        brands = {b["id"]: b for b in api.pages("/v1/brands")}
        self.skus = skus
        self.ours = [s for s in skus if brands[s["brand_id"]]["own"]]
        self.photos: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (stop, photo)

    def visit_ops(self, stop: dict[str, Any], start: datetime) -> list[dict[str, Any]]:
        """check_in, audit, order and check_out of one stop, as sync operations."""
        visit_id = str(uuid.uuid4())
        end = start + timedelta(minutes=self.rng.uniform(12, 30))
        here = _near(self.rng, stop["location"], 10)
        audited = self.rng.sample(self.ours, min(6, len(self.ours)))
        ordered = self.rng.sample(audited, 3)
        return [
            {
                "op": "check_in",
                "body": {
                    "id": visit_id,
                    "outlet_id": stop["outlet_id"],
                    "started_at": _iso(start),
                    "location": here,
                    "device_time": _iso(datetime.now(UTC)),
                },
            },
            {"op": "audit", "visit_id": visit_id, "body": self._audit(audited)},
            {"op": "order", "visit_id": visit_id, "body": self._order(ordered)},
            {
                "op": "check_out",
                "visit_id": visit_id,
                "body": {"ended_at": _iso(end), "location": _near(self.rng, stop["location"], 8)},
            },
        ]

    def _audit(self, skus: list[dict[str, Any]]) -> dict[str, Any]:
        lines = [
            {
                "sku_id": s["id"],
                "present": (here := self.rng.random() > 0.15),
                "facings": self.rng.randint(1, 6) if here else 0,
                "shelf_price": s["rrp"] if here else None,
            }
            for s in skus
        ]
        return {"id": str(uuid.uuid4()), "skus": lines}

    def _order(self, skus: list[dict[str, Any]]) -> dict[str, Any]:
        lines = [
            {
                "sku_id": s["id"],
                "quantity": self.rng.choice([6, 12, 24]),
                "price": s["rrp"] or "1.00",
            }
            for s in skus
        ]
        return {"id": str(uuid.uuid4()), "lines": lines}

    def shelf_photo(self, stop: dict[str, Any], visit_id: str, taken: datetime) -> None:
        """Render the outlet's shelf with the generator and upload it to the visit."""
        codes = tuple(s["code"] for s in self.rng.sample(self.skus, min(16, len(self.skus))))
        jpeg = render(self.seed, Shot(visit=0, skus=codes, seed=self.rng.randrange(2**31)))
        photo = self.api.call(
            "POST",
            f"/v1/visits/{visit_id}/photos",
            files={"file": ("shelf.jpg", jpeg, "image/jpeg")},
            data={"id": str(uuid.uuid4()), "taken_at": _iso(taken)},
        )
        self.photos.append((stop, photo))


def _start_times(count: int, offline: int) -> list[datetime]:
    """The morning's first ``offline`` stops hours ago (no signal), then the rest up to now."""
    now = datetime.now(UTC)
    morning = [now - timedelta(hours=4) + timedelta(minutes=45 * k) for k in range(offline)]
    live = count - offline
    return morning + [now - timedelta(minutes=45 * (live - k)) for k in range(live)]


def _play(api: Api, phone: Phone, stops: list[dict[str, Any]], offline: int) -> list[str]:
    """The first ``offline`` stops queued on the phone and synced late, the rest sent live."""
    columns = (TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn())
    bar = Progress(*columns, TimeElapsedColumn(), console=console)
    starts = _start_times(len(stops), offline)
    plays = [phone.visit_ops(stop, start) for stop, start in zip(stops, starts, strict=True)]
    visits = [ops[0]["body"]["id"] for ops in plays]
    with bar:
        task = bar.add_task("visits", total=len(stops))
        queued = [op for ops in plays[:offline] for op in ops]
        if queued:
            bar.update(task, description=f"sync {len(queued)} offline operations")
            results = api.post("/v1/sync", {"operations": queued})["results"]
            if failed := [r for r in results if r["status"] >= 400]:
                raise ApiProblem(f"sync: {failed[0]['op']} answered {failed[0]['body']}")
        for n, (stop, ops) in enumerate(zip(stops, plays, strict=True)):
            taken = starts[n] + timedelta(minutes=5)
            if n < offline:
                bar.update(task, description=f"photo of {stop['name'][:25]}")
                phone.shelf_photo(stop, visits[n], taken)
            else:
                bar.update(task, description=f"visit {stop['name'][:28]}")
                api.post("/v1/visits", ops[0]["body"])
                phone.shelf_photo(stop, visits[n], taken)
                api.post(f"/v1/visits/{visits[n]}/audits", ops[1]["body"])
                api.post(f"/v1/visits/{visits[n]}/orders", ops[2]["body"])
                api.post(f"/v1/visits/{visits[n]}/checkout", ops[3]["body"])
            bar.advance(task)
    return visits


def _wait(api: Api, phone: Phone, timeout: float) -> list[dict[str, Any]]:
    """Poll the photos until the worker has analysed (or rejected) each, with a bar."""
    bar = Progress(
        TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), console=console
    )
    deadline = time.monotonic() + timeout
    photos = [photo for _, photo in phone.photos]
    with bar:
        task = bar.add_task("photo analyses", total=len(photos))
        while True:
            photos = [api.get(f"/v1/photos/{p['id']}") for p in photos]
            done = sum(p["status"] != "pending" for p in photos)
            bar.update(task, completed=done)
            if done == len(photos):
                return photos
            if time.monotonic() > deadline:
                raise ApiProblem(
                    f"{len(photos) - done} photos still pending after {timeout:.0f} s: "
                    "is a worker running?"
                )
            time.sleep(1)


def _photo_table(api: Api, phone: Phone, photos: list[dict[str, Any]]) -> Table:
    brands = {b["code"]: b for b in api.pages("/v1/brands")}
    table = Table(title="Shelf photos, as the model read them", title_justify="left")
    for column in ("outlet", "status", "facings", "our share", "leader", "price tags", "quality"):
        table.add_column(column)
    for (stop, _), photo in zip(phone.photos, photos, strict=True):
        if photo["status"] != "analysed":
            table.add_row(
                stop["name"], photo["status"], "", "", "", "", photo["status_reason"] or ""
            )
            continue
        result = api.get(f"/v1/photos/{photo['id']}/analysis")
        share = result["brand_share"]
        ours = sum(
            v
            for name, v in share.items()
            if any(b["name"] == name and b["own"] for b in brands.values())
        )
        leader = max(share.items(), key=lambda kv: kv[1], default=("-", 0.0))
        table.add_row(
            stop["name"],
            "analysed",
            str(sum(result["facings"].values())),
            f"{100 * ours:.0f} %",
            f"{leader[0]} {100 * leader[1]:.0f} %",
            str(result["price_tags"]),
            "ok" if result["quality_ok"] else ", ".join(result["quality"].get("flags", [])),
        )
    return table


def _day_table(api: Api, stops: list[dict[str, Any]], visits: list[str], offline: int) -> Table:
    table = Table(title="The day", title_justify="left")
    for column in (
        "#",
        "outlet",
        "sent",
        "geofence",
        "distance",
        "minutes",
        "flags",
        "trust",
        "score",
    ):
        table.add_column(column)
    for n, (stop, visit_id) in enumerate(zip(stops, visits, strict=True)):
        visit = api.get(f"/v1/visits/{visit_id}")
        score = (visit.get("perfect_store") or {}).get("score")
        table.add_row(
            str(n + 1),
            stop["name"],
            "synced late" if n < offline else "live",
            visit["geofence"],
            f"{visit['distance_m']:.0f} m",
            f"{(visit.get('duration_s') or 0) / 60:.0f}",
            ", ".join(visit["flags"]) or "-",
            f"{visit['trust_score']:.2f}",
            "-" if score is None else f"{100 * score:.0f} %",
        )
    return table


@app.command()
def day(
    rep: Annotated[str, typer.Option(help="The rep to play (a demo account).")] = "rep",
    password: Annotated[str | None, typer.Option(help="Default: the demo password.")] = None,
    url: UrlOption = URL,
    stops: Annotated[int, typer.Option(min=1, max=20, help="Outlets of the route to visit.")] = 5,
    offline: Annotated[int, typer.Option(min=0, help="First stops made offline, synced late.")] = 2,
    seed: Annotated[
        int, typer.Option(help="The demo market's seed (its catalogue).")
    ] = DEFAULT_SEED,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the photo results.")] = 180,
) -> None:
    """Play one rep's day through the HTTP API, as the phone would, then show the results."""

    def play() -> None:
        api = Api(url, rep, password)
        me = api.get("/v1/me")
        route = api.get("/v1/me/route")
        todo = [s for s in route["stops"] if not s["visited"]][:stops]
        if len(todo) < stops:  # a light day: add other outlets of the rep's territories
            planned = {s["outlet_id"] for s in route["stops"]}
            others = api.get("/v1/outlets", status="active", limit=100)["items"]
            todo += [
                {"outlet_id": o["id"], "name": o["name"], "location": o["location"]}
                for o in others
                if o["id"] not in planned
            ][: stops - len(todo)]
        if not todo:
            raise ApiProblem(f"{rep} has no outlet left to visit today.")
        late = min(offline, len(todo) - 1) if len(todo) > 1 else 0
        console.print(
            f"[bold]{me.get('full_name') or rep}[/]: {len(route['stops'])} outlets due on "
            f"{route['date']}, {route['total_m'] / 1000:.1f} km; visiting {len(todo)}, "
            f"the first {late} offline."
        )
        phone = Phone(api, random.Random(f"{rep}/{route['date']}"), seed)
        visits = _play(api, phone, todo, late)
        photos = _wait(api, phone, wait)
        console.print(_photo_table(api, phone, photos))
        console.print(_day_table(api, todo, visits, late))

    _run(play)


def _territory(api: Api, code: str) -> dict[str, Any]:
    found = [t for t in api.pages("/v1/territories", level="territory") if t["code"] == code]
    if not found:
        raise ApiProblem(f"no territory {code}: is the demo market loaded?")
    return dict(api.get(f"/v1/territories/{found[0]['id']}"))


def _share_table(api: Api) -> Table:
    report = api.get("/v1/reports/shelf-share", group_by="territory")
    table = Table(
        title=f"Shelf share by territory, {report['start']} to {report['stop']}",
        title_justify="left",
    )
    for column in ("territory", "photos", "our brands", "leader", "leader's 95 % interval"):
        table.add_column(column)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in report["rows"]:
        groups.setdefault(row["group_label"] or "-", []).append(row)
    for name, rows in sorted(groups.items()):
        ours = sum(r["share"] for r in rows if r["own"])
        leader = max(rows, key=lambda r: r["share"])
        table.add_row(
            name,
            str(leader["photos"]),
            f"{100 * ours:.0f} %",
            f"{leader['brand']} {100 * leader['share']:.0f} %",
            f"{100 * leader['share_low']:.0f}-{100 * leader['share_high']:.0f} %",
        )
    return table


def _alerts_table(api: Api) -> tuple[Table, list[dict[str, Any]]]:
    answer = api.get("/v1/alerts")
    found = answer["alerts"]
    table = Table(title=f"Alerts up to {answer['until']}", title_justify="left")
    table.add_column("kind")
    table.add_column("what")
    for alert in found:
        table.add_row(alert["kind"], alert["message"])
    return table, found


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _compliance_table(api: Api) -> Table | None:
    try:
        report = api.get("/v1/reports/compliance", group_by="territory", limit=5)
    except ApiProblem:
        return None  # an older service without the compliance report
    table = Table(title="Worst perfect-store compliance", title_justify="left")
    for column in ("territory", "score", "visits", "MSL", "facings met", "displays"):
        table.add_column(column)
    for row in sorted(report["rows"], key=lambda r: r["score"])[:5]:
        table.add_row(
            row["name"],
            _pct(row["score"]),
            str(row["visits"]),
            _pct(row["msl_presence"]),
            _pct(row["facings_met"]),
            _pct(row["displays"]),
        )
    return table


def _coverage_table(api: Api, territory: dict[str, Any]) -> Table:
    period = date.today().strftime("%Y-%m")
    report = api.get("/v1/planning/coverage", territory_id=territory["id"], period=period)
    rows = [
        r
        for r in report["rows"]
        if r["territory_id"] == territory["id"] and r["target_value"] is not None
    ]
    rows.sort(key=lambda r: -float(r["gap_value"] or 0))
    table = Table(title=f"Coverage × SKU gap, {territory['name']}, {period}", title_justify="left")
    for column in (
        "SKU",
        "universe",
        "coverage",
        "carrying",
        "ND",
        "target €",
        "projected €",
        "gap €",
    ):
        table.add_column(column, justify="left" if column == "SKU" else "right")
    for r in rows[:10]:
        table.add_row(
            r["sku_name"],
            str(r["universe"]),
            f"{100 * float(r['coverage']):.0f} %",
            str(r["carrying"]),
            f"{100 * float(r['nd']):.0f} %",
            f"{float(r['target_value']):,.0f}",
            f"{float(r['projected_value'] or 0):,.0f}",
            f"{float(r['gap_value'] or 0):,.0f}",
        )
    return table


def _opportunities_table(opportunities: list[dict[str, Any]], territory: dict[str, Any]) -> Table:
    table = Table(title=f"Top outlets to open, {territory['name']}", title_justify="left")
    for column in (
        "#",
        "prospect",
        "channel",
        "class",
        "expected €/month",
        "uplift €",
        "nearest served",
    ):
        table.add_column(column)
    for o in opportunities:
        nearest = o["nearest_covered_m"]
        table.add_row(
            str(o["rank"]),
            o["name"],
            o["channel"],
            o["outlet_class"],
            f"{float(o['expected_value']):,.0f}",
            f"{float(o['uplift']):,.0f}",
            "-" if nearest is None else f"{nearest:.0f} m",
        )
    return table


def _weekly_chart(api: Api, territory: dict[str, Any]) -> str:
    start = date.today() - timedelta(days=35)
    report = api.get(
        "/v1/reports/shelf-share",
        group_by="week",
        territory_id=territory["id"],
        **{"from": start.isoformat()},
    )
    series: dict[str, Series] = {}
    for row in report["rows"]:
        s = series.setdefault(row["brand"], Series(row["brand"], row["own"], {}))
        s.points[row["group"]] = row["share"]
    weeks = sorted({row["group"] for row in report["rows"]})
    shown = [s for s in series.values() if max(s.points.values()) >= 0.02]
    top = sorted(shown, key=lambda s: -sum(s.points.values()))[:6]
    return share_chart(weeks, top, f"Linear share of shelf by week, {territory['name']}")


def _map(api: Api, territory: dict[str, Any], opportunities: list[dict[str, Any]]) -> str:
    outlets = api.pages("/v1/outlets", territory_id=territory["id"])
    markers = [
        Marker(
            o["location"]["lon"],
            o["location"]["lat"],
            "active" if o["status"] == "active" else "prospect",
        )
        for o in outlets
        if o["status"] in ("active", "prospect")
    ]
    markers += [
        Marker(o["location"]["lon"], o["location"]["lat"], "opportunity", str(o["rank"]))
        for o in opportunities
    ]
    title = f"{territory['name']}: outlets, prospects and the top {len(opportunities)} to open"
    return territory_map(territory["geometry"], markers, title)


@app.command()
def tour(
    url: UrlOption = URL,
    manager: Annotated[
        str, typer.Option(help="The manager whose region to show.")
    ] = "isabelle.moreau",
    planner: Annotated[str, typer.Option(help="The planner.")] = "planner",
    territory: Annotated[
        str, typer.Option(help="The territory (code) the planner looks at.")
    ] = SHARE_DROP.territory_code,
    out: Annotated[Path, typer.Option(help="Folder for the pictures.")] = Path("demo-pictures"),
) -> None:
    """What a manager and a planner look at first, as tables, and pictures in a folder."""

    def show() -> None:
        boss, plan = Api(url, manager), Api(url, planner)
        console.rule(f"[bold]Manager: {manager}")
        console.print(_share_table(boss))
        table, found = _alerts_table(boss)
        console.print(table)
        if (compliance := _compliance_table(boss)) is not None:
            console.print(compliance)
        console.rule(f"[bold]Planner: {planner}")
        place = _territory(plan, territory)
        console.print(_coverage_table(plan, place))
        opportunities = plan.get("/v1/planning/opportunities", territory_id=place["id"], limit=10)
        console.print(_opportunities_table(opportunities, place))
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "share-by-week.svg", out / "territory-map.svg"]
        written[0].write_text(_weekly_chart(boss, place), encoding="utf-8")
        written[1].write_text(_map(plan, place, opportunities), encoding="utf-8")
        # The evidence of the first alert that has photos: the share drop's, when there is one.
        photos = [p for a in found for p in a["evidence"].get("photo_ids", [])]
        if photos:
            written.append(out / "annotated-shelf.jpg")
            written[-1].write_bytes(boss.call("GET", f"/v1/photos/{photos[0]}/annotated.jpg"))
        console.print("Pictures: " + ", ".join(str(p) for p in written))

    _run(show)
