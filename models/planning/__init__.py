"""The planning engine: coverage × SKU × target by territory, the gap by lever, outlets to open.

Every figure is set-based SQL grouped by outlet and territory (Citus pushes those down when the
fact tables are distributed by outlet); rows roll up the territory hierarchy by assignment, so a
parent's counts and sums are exactly its children's.
"""
