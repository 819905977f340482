"""Fuzzing from the contract: every operation of ``openapi/openapi.json``, as every role.

Each generated request must get no 5xx, a status and a body the spec declares, and every 4xx
must be ``application/problem+json``. The quick profile (the default) fuzzes a few requests per
operation and role; ``make fuzz`` sets ``FIELDSALES_FUZZ=long``: the coverage phase's boundary
and invalid values too, and many more random ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig as Config
from schemathesis.python import asgi
from sqlalchemy import Engine
from sqlmodel import Session

from api import tokens
from api.app import create_app
from models.settings import Settings
from tests.hardening.conftest import ROLES, World, build_world
from tests.overrides import on_session

SPEC = Path(__file__).parents[2] / "openapi" / "openapi.json"
LONG = os.environ.get("FIELDSALES_FUZZ") == "long"
EXAMPLES = int(os.environ.get("FIELDSALES_FUZZ_EXAMPLES", 50 if LONG else 3))
PHASES = {
    "coverage": {"enabled": LONG},
    "examples": {"enabled": LONG},
    "stateful": {"enabled": False},
}
# Ids of the world's objects by path parameter name; the fuzzer uses them as often as random ones.
KNOWN_IDS: dict[str, list[str]] = {}

schema = schemathesis.openapi.from_path(SPEC, config=Config.from_dict({"phases": PHASES}))


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *KNOWN_IDS.get(name, [])])
            for name, value in path_parameters.items()
        }
    )


PROBLEM = "application/problem+json"


@schemathesis.check
def errors_are_problems(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """Every 4xx and 5xx answers RFC 9457 problem+json with the status it was sent with."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM), f"{response.status_code} sent as {content_type!r}"
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"].startswith("urn:fieldsales:problem:"), body
    return True


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    errors_are_problems,
]


@pytest.fixture(scope="module")
def fuzz_session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, expire_on_commit=False) as session:
            yield session
        transaction.rollback()


@pytest.fixture(scope="module")
def world(fuzz_session: Session) -> Iterator[World]:
    world = build_world(fuzz_session)
    KNOWN_IDS.update({name: [str(i) for i in ids] for name, ids in world.ids.items()})
    yield world
    KNOWN_IDS.clear()


@pytest.fixture(scope="module")
def fuzz_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, fuzz_session: Session
) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("fuzz"),
        secret_key="fuzz-signing-key-0123456789abcdef",
    )
    app = create_app(settings)

    def every_request_rolled_back() -> Iterator[Session]:
        # Each generated request sees the same world: its writes are undone once answered.
        with fuzz_session.begin_nested() as nested:
            yield fuzz_session
            nested.rollback()

    on_session(app, every_request_rolled_back)
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def role_headers(fuzz_app: FastAPI, world: World) -> dict[str, dict[str, str]]:
    settings: Settings = fuzz_app.state.settings
    return {
        role: {"Authorization": f"Bearer {tokens.issue(settings, user).access_token}"}
        for role, user in world.users.items()
    }


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not LONG,
    suppress_health_check=list(HealthCheck),
)
def test_contract_holds_for_every_role(
    case: schemathesis.Case[Any],
    role: str,
    fuzz_app: FastAPI,
    role_headers: dict[str, dict[str, str]],
) -> None:
    # A generous timeout: on a loaded machine a redrawn boundary can take seconds to apply.
    case.call_and_validate(app=fuzz_app, headers=role_headers[role], checks=CHECKS, timeout=60)


@pytest.mark.parametrize("path", ["/v1/visits/{visit_id}/photos", "/v1/skus/{sku_id}/images"])
def test_uploads_document_every_refusal(path: str) -> None:
    # Found by fuzzing: pack images answered an undocumented 415 for bytes that are no image.
    responses = schema.raw_schema["paths"][path]["post"]["responses"]

    assert {"400", "413", "415", "422", "503"} <= set(responses)


def test_errors_are_documented_as_problems_and_metrics_as_text() -> None:
    # Found by fuzzing: 422s were documented as application/json, /metrics as JSON.
    paths = schema.raw_schema["paths"]
    error_types = {
        media
        for path in paths.values()
        for operation in path.values()
        for status, response in operation["responses"].items()
        if int(status) >= 400
        for media in response["content"]
    }
    metrics = paths["/metrics"]["get"]["responses"]["200"]["content"]

    assert error_types == {PROBLEM}
    assert list(metrics) == ["text/plain"]
