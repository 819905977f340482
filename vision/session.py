"""ONNX Runtime sessions, built once per process with explicit providers and threads.

Input and output names and the input shape are read from the model, so any detector
export with one image input works (our own, or a YOLOv8-style `[1, 4 + classes, N]` one).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_DETECTOR = MODELS_DIR / "detector.onnx"


@dataclass(frozen=True)
class ModelSession:
    """A loaded model and what the runtime needs to know about it.

    Attributes:
        session: The onnxruntime session.
        input_name: Name of the (only) image input.
        output_names: Names of the outputs, in model order.
        input_hw: Fixed input (height, width), or None where the model takes any size.
        metadata: The JSON sidecar `<model>.json` if present, merged over the model's
            own string metadata (Ultralytics writes `names` and `imgsz` there).
    """

    session: Any
    input_name: str
    output_names: tuple[str, ...]
    input_hw: tuple[int, int] | None
    metadata: dict[str, Any]

    def run(self, batch: Any) -> list[Any]:
        """Run on a (1, 3, H, W) float32 batch; returns the outputs in model order."""
        return list(self.session.run(list(self.output_names), {self.input_name: batch}))


def _fixed_hw(shape: list[Any]) -> tuple[int, int] | None:
    if len(shape) != 4:
        raise ValueError(f"expected an image input of rank 4 (N, 3, H, W), got shape {shape}")
    h, w = shape[2], shape[3]
    if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
        return h, w
    return None


def _model_metadata(session: Any) -> dict[str, Any]:
    raw = dict(session.get_modelmeta().custom_metadata_map)
    meta: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            meta[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            meta[key] = value
    names = meta.get("names")
    if isinstance(names, dict):  # Ultralytics: {0: "person", ...}
        meta["classes"] = [names[k] for k in sorted(names)]
    return meta


def load_session(
    path: str | Path = DEFAULT_DETECTOR,
    *,
    threads: int = 2,
    providers: tuple[str, ...] = ("CPUExecutionProvider",),
) -> ModelSession:
    """Build an onnxruntime session for `path` (once per process: it is not cheap).

    Args:
        path: The .onnx file; a `<stem>.json` beside it adds metadata.
        threads: Intra-op threads (inter-op is 1: the graph is one chain of convs).
        providers: Execution providers, in order of preference.

    Raises:
        FileNotFoundError: Where `path` does not exist.
    """
    model = Path(path)
    if not model.is_file():
        raise FileNotFoundError(f"no ONNX model at {model}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(model), sess_options=options, providers=list(providers))
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ValueError(f"{model}: expected one image input, got {[i.name for i in inputs]}")
    metadata = _model_metadata(session)
    sidecar = model.with_suffix(".json")
    if sidecar.is_file():
        metadata.update(json.loads(sidecar.read_text()))
    return ModelSession(
        session=session,
        input_name=inputs[0].name,
        output_names=tuple(o.name for o in session.get_outputs()),
        input_hw=_fixed_hw(list(inputs[0].shape)),
        metadata=metadata,
    )
