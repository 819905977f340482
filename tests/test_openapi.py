"""The committed contract matches the app."""

from __future__ import annotations

from pathlib import Path

from api.cli.ops import render_spec

SPEC = Path(__file__).parent.parent / "openapi" / "openapi.json"


def test_committed_spec_matches_the_app() -> None:
    assert SPEC.read_text() == render_spec(), (
        "openapi/openapi.json drifted: run `fieldsales openapi`"
    )


def test_every_operation_declares_its_problems() -> None:
    import json

    spec = json.loads(SPEC.read_text())
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/v1/")
        and not any(code.startswith(("4", "5")) for code in operation["responses"])
    ]
    assert undocumented == []
