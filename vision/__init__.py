"""Shelf vision: pure functions from image bytes to detections and shelf KPIs.

Knows nothing of HTTP or the database. Holds the detector, its synthetic-data generator
(`vision.synth`), training and evaluation code.
"""
