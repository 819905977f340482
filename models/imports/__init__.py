"""Bulk imports of master data and facts from CSV or GeoJSON, all or nothing.

Files are UTF-8 (a byte-order mark is fine). A CSV file starts with a header line (line 1);
column names are matched without regard to case or surrounding spaces, cells are trimmed and
an empty cell is an empty value. Blank lines are skipped. A GeoJSON file is one
FeatureCollection: each feature's ``properties`` are its columns and its ``geometry`` gives the
location or boundary; problems name the feature by its 1-based position (``feature``) instead
of a line. GeoJSON is read whole and may be up to 64 MB; CSV is streamed.

Kinds and their columns (* required, in the header and in every row):

- ``territories`` (CSV or GeoJSON), upserted by code:
  ``code*, name*, level, parent_code, geometry``. ``geometry`` must be in the header: a
  Polygon or MultiPolygon in WKT (``MULTIPOLYGON(((2 48, ...)))``, optionally ``SRID=4326;``)
  or GeoJSON text, WGS84 lon/lat, valid by PostGIS's rules (``ST_IsValidReason`` says why
  not); an empty cell is a territory without a boundary. ``parent_code`` names a territory in
  the same file or already stored; a cycle is refused. ``level`` defaults to ``territory``.
  Afterwards every outlet is re-assigned to its leaf territory, and sibling territories whose
  areas overlap are reported (a warning, not a failure).
- ``outlets`` (CSV or GeoJSON Point features), upserted by code:
  ``code*, name*, address, channel*, class, status, lon*, lat*``; channel is one of
  hypermarket, supermarket, convenience, traditional_trade, horeca, other; class A, B or C
  (default C); status active, prospect or closed (default active); lon in -180..180, lat in
  -90..90. Any other column is kept in the outlet's ``attributes`` (merged into what is
  stored; an empty cell removes that key). Imported outlets that are new or changed are
  assigned to the leaf territory that contains them.
- ``skus`` (CSV), upserted by code:
  ``code*, name*, brand_code*, category_code*, pack_size, ean, rrp, brand_name, brand_own,
  category_name``. ``ean`` is an EAN-8, UPC-A, EAN-13 or GTIN-14 with a valid check digit and
  unique; ``rrp`` a decimal >= 0. A brand or category that does not exist yet is created from
  ``brand_name`` (and ``brand_own``: true/false, yes/no, 1/0; default false) or
  ``category_name``, taken from the first row that gives them; existing brands and categories
  are left as they are.
- ``sales`` (CSV), one row per outlet, SKU and day, replacing the stored row:
  ``outlet_code*, sku_code*, date* (YYYY-MM-DD), quantity*, value*`` (decimals >= 0).
- ``targets`` (CSV), one row per territory, SKU and month, replacing the stored row:
  ``territory_code*, sku_code*, period* (YYYY-MM), quantity, value``; the header needs at least
  one of quantity and value, and each row at least one of them filled in.

For territories, outlets and SKUs, an optional column left out of the file keeps each stored
row's value (a new row gets the default); a column that is present sets it, an empty cell to
the default or nothing. Numbers are plain decimals with a dot (``1234.5``), rounded to the
column's precision. Rows identical to what is stored are not rewritten (``unchanged``).

A file with any problem is refused as a whole with ``Rejected`` (HTTP 422,
``urn:fieldsales:problem:import-rejected``): ``errors`` lists up to 1000 problems as
``{"line": n, "column": "...", "reason": "..."}`` in file order and ``error_count`` says how
many there are in all. Unknown, repeated or missing columns are refused from the header alone.
At most 5,000,000 rows per file.
"""

from models.imports.service import SPECS, import_file
from models.imports.spec import (
    Format,
    ImportSummary,
    Kind,
    Progress,
    Rejected,
    Unsupported,
)

__all__ = [
    "SPECS",
    "Format",
    "ImportSummary",
    "Kind",
    "Progress",
    "Rejected",
    "Unsupported",
    "import_file",
]
