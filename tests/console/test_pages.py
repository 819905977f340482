"""Console pages over HTTP: sign-in, CSRF, roles, scope, and the same figures as the API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from api.console.formatting import num, pct, points
from api.ratelimit import SignInLimit
from tests.console.conftest import Market, csrf_of, login, signed_in, today
from tests.factories.users import PASSWORD, sign_in


def row(html: str, **attrs: str) -> str:
    """The HTML of the table row carrying these data-* attributes."""
    marks = "".join(f' data-{k}="{v}"' for k, v in attrs.items())
    found = re.search(rf"<tr[^>]*{re.escape(marks)}[^>]*>(.*?)</tr>", html, re.S)
    assert found, f"no row with {marks}"
    return found.group(1)


def cell(html: str, css: str) -> str:
    found = re.search(rf'<td class="n {css}">(.*?)</td>', html, re.S)
    assert found, f"no {css} cell"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_anonymous_is_sent_to_sign_in(client: TestClient) -> None:
    page = "/console/shelf-share?channel=horeca&sort=-change"
    response = client.get(page, follow_redirects=False)
    assert response.status_code == 303
    target = "/console/shelf-share%3Fchannel%3Dhoreca%26sort%3D-change"
    assert response.headers["location"] == f"/console/login?next={target}"
    form = client.get(response.headers["location"]).text
    assert 'name="next" value="/console/shelf-share?channel=horeca&amp;sort=-change"' in form


def test_sign_in_sets_a_signed_http_only_same_site_cookie(
    client: TestClient, market: Market
) -> None:
    form = client.get("/console/login")
    data = {
        "username": "manager-console",
        "password": PASSWORD,
        "csrf_token": csrf_of(form.text),
    }
    response = client.post("/console/login", data=data, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert {"httponly", "samesite=lax", "path=/console"} <= {
        part.strip() for part in cookie.split(";")
    }
    assert client.get("/console/shelf-share").status_code == 200


def test_wrong_password_stays_signed_out(client: TestClient, market: Market) -> None:
    form = client.get("/console/login")
    data = {"username": "manager-console", "password": "nope", "csrf_token": csrf_of(form.text)}
    response = client.post("/console/login", data=data)
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert client.get("/console/shelf-share", follow_redirects=False).status_code == 303


def test_sign_in_attempts_are_throttled_like_the_apis(client: TestClient, market: Market) -> None:
    client.app.state.sign_in_limit = SignInLimit("1/minute")  # type: ignore[attr-defined]
    token = csrf_of(client.get("/console/login").text)
    data = {"username": "manager-console", "password": "nope", "csrf_token": token}
    assert client.post("/console/login", data=data).status_code == 401
    throttled = client.post("/console/login", data=data | {"password": PASSWORD})
    assert throttled.status_code == 429
    assert "Too many sign-in attempts" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0


def test_forged_cookie_is_not_a_session(client: TestClient, market: Market) -> None:
    client.cookies.set("fieldsales_console", "eyJ1aWQiOiJ4In0.forged.sig", path="/console")
    assert client.get("/console/shelf-share", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("who", "path", "fields"),
    [
        ("anonymous", "/console/login", {"username": "manager-console", "password": PASSWORD}),
        ("manager", "/console/logout", {}),
        ("planner", "/console/targets", {"period": "2026-01", "quantity": "5"}),
        ("planner", "/console/targets/allocate", {"period": "2026-01"}),
    ],
)
def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, market: Market, who: str, path: str, fields: dict[str, str]
) -> None:
    if who != "anonymous":
        signed_in(client, market.users[who])
    ids = {"territory_id": str(market.region.id), "sku_id": str(market.sku.id)}
    for token in (None, "wrong"):
        data = fields | ids | ({"csrf_token": token} if token else {})
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, (path, token)
        assert "did not come from this site" in response.text


def test_sign_out_ends_the_session(client: TestClient, market: Market) -> None:
    login(client, market.users["manager"])
    page = client.get("/console/shelf-share")
    response = client.post(
        "/console/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/console/shelf-share", follow_redirects=False).status_code == 303


def test_a_rep_only_sees_the_phone_page(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["rep"])
    home = client.get("/console")
    assert home.status_code == 200
    assert "Use the phone app" in home.text
    assert "Shelf share" not in home.text
    photo = market.photos["north"].id
    for path in ("/console/shelf-share", "/console/coverage", f"/console/photos/{photo}"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Use the phone app" in response.text


PAGES = [
    "/console/shelf-share",
    "/console/shelf-share?sort=-change&channel=convenience",
    "/console/shelf-share?category_id=&channel=&from=&to=",
    "/console/shelf-share/territories/{north}",
    "/console/outlets/{outlet}",
    "/console/photos",
    "/console/photos?quality=ok&brand_id={brand}&territory_id={north}",
    "/console/photos?territory_id=&brand_id=&rep_id=&from=&to=&quality=",
    "/console/photos/{photo}",
    "/console/alerts",
    "/console/reps?sort=-adherence",
    "/console/coverage?territory_id={region}&sort=-nd",
    "/console/gap?territory_id={region}",
    "/console/opportunities?territory_id={north}",
    "/console/targets?territory_id={region}",
]


@pytest.mark.parametrize("who", ["manager", "planner"])
def test_every_page_renders(client: TestClient, market: Market, who: str) -> None:
    signed_in(client, market.users[who])
    ids = {
        "north": market.north.id,
        "region": market.region.id,
        "outlet": market.outlets["north"].id,
        "photo": market.photos["north"].id,
        "brand": market.ours.id,
    }
    for page in PAGES:
        response = client.get(page.format(**ids))
        assert response.status_code == 200, (page, response.text[:500])
        assert "<h1>" in response.text


def test_home_sends_each_role_to_its_page(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["planner"])
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/coverage"


def test_a_manager_cannot_open_another_regions_pages(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["manager"])
    elsewhere, far = market.elsewhere.id, market.outlets["far"]
    for path in (
        f"/console/shelf-share/territories/{elsewhere}",
        f"/console/outlets/{far.id}",
        f"/console/photos/{market.photos['far'].id}",
        f"/console/photos/{market.photos['far'].id}/image.jpg",
        f"/console/coverage?territory_id={elsewhere}",
        f"/console/gap?territory_id={elsewhere}",
        f"/console/opportunities?territory_id={elsewhere}",
        f"/console/targets?territory_id={elsewhere}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Not found" in response.text
    listed = client.get("/console/photos").text
    assert str(market.photos["far"].id) not in listed
    assert str(market.photos["north"].id) in listed


def test_shelf_share_shows_the_apis_figures(client: TestClient, market: Market) -> None:
    api = client.get("/v1/reports/shelf-share", headers=sign_in(client, market.users["manager"]))
    rows = api.json()["rows"]
    assert {r["group"] for r in rows} == {str(market.north.id), str(market.south.id)}
    html = signed_in(client, market.users["manager"]).get("/console/shelf-share").text
    for r in rows:
        shown = row(html, territory=r["group"], brand=r["brand_id"])
        assert cell(shown, "share") == pct(r["share"])
        assert cell(shown, "change") == points(r["change_pp"])
    key = (str(market.north.id), str(market.ours.id))
    north_ours = next(r for r in rows if (r["group"], r["brand_id"]) == key)
    assert north_ours["change_pp"] < 0  # the drop a manager comes to find


def test_drill_down_reaches_the_photo(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["manager"])
    territory = client.get(f"/console/shelf-share/territories/{market.north.id}").text
    outlet = market.outlets["north"]
    assert f'href="/console/outlets/{outlet.id}"' in territory
    page = client.get(f"/console/outlets/{outlet.id}").text
    assert f'href="/console/photos/{market.photos["north"].id}"' in page
    assert str(market.photos["south"].id) not in page
    photo = client.get(f"/console/photos/{market.photos['north'].id}").text
    assert "Model test" in photo
    assert pct(0.2) in photo  # ours: 200 px of 1,000


def test_coverage_shows_the_apis_figures_and_the_identity(
    client: TestClient, market: Market
) -> None:
    period = today().strftime("%Y-%m")
    api = client.get(
        "/v1/planning/coverage",
        params={"territory_id": str(market.region.id), "period": period},
        headers=sign_in(client, market.users["planner"]),
    ).json()
    html = (
        signed_in(client, market.users["planner"])
        .get(f"/console/coverage?territory_id={market.region.id}&period={period}")
        .text
    )
    own = next(r for r in api["rows"] if r["territory_id"] == str(market.region.id))
    shown = row(html, sku=own["sku_id"])
    assert cell(shown, "nd") == pct(Decimal(own["nd"]))
    assert cell(shown, "sales") == num(Decimal(own["sales_quantity"])) == "65"
    identity = f"{own['universe']} × {pct(Decimal(own['nd']), 2)} × {num(Decimal(own['ros']), 2)}"
    assert f"{identity} = 65" in shown
    for t in api["territories"]:
        assert cell(row(html, territory=t["territory_id"]), "coverage") == pct(
            Decimal(t["coverage"])
        )


def test_a_planner_sets_and_allocates_a_target(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["planner"])
    period = today().strftime("%Y-%m")
    page = client.get(f"/console/targets?territory_id={market.region.id}&period={period}")
    form = {
        "csrf_token": csrf_of(page.text),
        "territory_id": str(market.region.id),
        "sku_id": str(market.sku.id),
        "period": period,
    }
    saved = client.post("/console/targets", data=form | {"quantity": "1,200", "value": ""})
    assert saved.status_code == 200
    assert "Target saved" in saved.text
    assert 'value="1200.000"' in saved.text
    allocated = client.post("/console/targets/allocate", data=form)
    assert allocated.status_code == 200, allocated.text
    assert re.search(r'id="sum-quantity">1,200.000<', allocated.text)


def test_a_manager_reads_targets_but_cannot_change_them(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["manager"])
    page = client.get(f"/console/targets?territory_id={market.region.id}")
    assert 'action="/console/targets"' not in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "territory_id": str(market.region.id),
        "sku_id": str(market.sku.id),
        "period": "2026-01",
        "quantity": "5",
    }
    assert client.post("/console/targets", data=form).status_code == 403


@pytest.mark.parametrize(
    "path", ["/console/static/vendor/htmx-2.0.11.min.js", "/console/static/console.css"]
)
def test_static_files_are_served_without_a_cdn(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_tables_sort_by_the_column_asked(client: TestClient, market: Market) -> None:
    signed_in(client, market.users["manager"])
    order = {}
    for sort in ("change", "-change"):
        html = client.get(f"/console/shelf-share?sort={sort}").text
        order[sort] = re.findall(r'<tr data-territory="([^"]+)" data-brand="([^"]+)">', html)
    biggest_drop = (str(market.north.id), str(market.ours.id))
    assert order["change"][0] == biggest_drop
    assert order["-change"].index(biggest_drop) == 1  # rivals' gain first, rows without change last


def test_invalid_input_answers_a_page_saying_which_field(
    client: TestClient, market: Market
) -> None:
    signed_in(client, market.users["manager"])
    response = client.get("/console/shelf-share?from=yesterday")
    assert response.status_code == 422
    assert "Check these fields: from" in response.text
