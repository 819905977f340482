"""The shelf detector: torch model, training and ONNX export (need the `train` extra).

`data` (annotation readers) and `augment` (training crops) are torch-free.
"""
