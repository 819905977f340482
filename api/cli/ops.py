"""``fieldsales openapi``: the committed API contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api.app import create_app
from models.settings import Settings

SPEC = Path("openapi/openapi.json")
console = Console()


def render_spec() -> str:
    """The OpenAPI document the app serves, as committed in ``openapi/openapi.json``."""
    spec: dict[str, Any] = create_app(Settings()).openapi()
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec.")] = SPEC,
    check: Annotated[bool, typer.Option(help="Only check that the file is up to date.")] = False,
) -> None:
    """Write the OpenAPI spec of the app (or check it for drift)."""
    spec = render_spec()
    if check:
        if not output.exists() or output.read_text() != spec:
            console.print(f"[red]{output} is out of date:[/] run `fieldsales openapi`.")
            raise typer.Exit(1)
        console.print(f"{output} is up to date.")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(spec)
    console.print(f"Wrote {output}.")
