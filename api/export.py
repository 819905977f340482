"""CSV export of report rows: the same figures as the JSON, one row per item."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi.responses import Response
from pydantic import BaseModel

CSV = "text/csv; charset=utf-8"


def csv_response(rows: Sequence[BaseModel], model: type[BaseModel], filename: str) -> Response:
    """Rows as CSV with a header from the model's fields (so an empty report still has one)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(model.model_fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.model_dump(mode="json") for row in rows)
    return Response(
        out.getvalue(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
