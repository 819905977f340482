"""Write `yolov8_dummy.onnx`: a fixed 640x640 model whose output is a constant YOLOv8 layout.

Run with the training venv (needs the `onnx` package):
    .venv-train/bin/python tests/vision/data/make_yolov8_dummy.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# onnx is in the train extra only, not in the runtime venv that type-checks the tests.
import onnx  # type: ignore[import-not-found, unused-ignore]
from onnx import (  # type: ignore[import-not-found, unused-ignore]
    TensorProto,
    helper,
    numpy_helper,
)

# Columns: candidates; rows: cx, cy, w, h (input px), score of class "a", of class "b".
OUTPUT = np.array(
    [
        [320.0, 325.0, 320.0, 100.0],
        [320.0, 320.0, 320.0, 100.0],
        [100.0, 100.0, 100.0, 20.0],
        [50.0, 50.0, 50.0, 20.0],
        [0.9, 0.8, 0.1, 0.1],
        [0.1, 0.0, 0.7, 0.05],
    ],
    np.float32,
)[None]


def build() -> onnx.ModelProto:
    const = helper.make_node(
        "Constant", [], ["raw"], value=numpy_helper.from_array(OUTPUT, "raw_value")
    )
    mean = helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0)
    zero = helper.make_node("Mul", ["mean", "zero"], ["nothing"])
    add = helper.make_node("Add", ["raw", "nothing"], ["output0"])
    graph = helper.make_graph(
        [const, mean, zero, add],
        "yolov8_dummy",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 6, 4])],
        [numpy_helper.from_array(np.zeros((), np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"names": "{0: 'a', 1: 'b'}", "imgsz": "[640, 640]"})
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    onnx.save(build(), Path(__file__).with_name("yolov8_dummy.onnx"))
