"""The model served: an ONNX file in an onnxruntime session, and its tensors in V2's terms.

V2 (the Open Inference Protocol) describes a tensor by a name, a datatype (``FP32``, ``INT64``,
``BYTES``, ...) and a shape in which a dimension of any size is ``-1``. ONNX gives each input and
output a type (``tensor(float)``) and a shape whose free dimensions are ``None`` or a symbol
(``"N"``); :func:`load` maps one to the other once, when the model loads.

scikit-learn classifiers exported by skl2onnx have, unless exported with ``zipmap=False``, a
probability output that is no tensor but a sequence of maps, one ``{class: probability}`` per row
(ONNX's ZipMap). V2 carries tensors only, so such an output is served as an FP32 tensor of shape
``[rows, classes]``, its columns in the map's order (the classifier's ``classes_``): the same
numbers that ``zipmap=False`` gives. Any other output that is no tensor, and any input that is no
tensor, makes the model one that this server cannot serve, said when it loads.

The session runs on the CPU with one thread for each operator and none between them, and without
spinning threads: a served model answers many small requests, one at a time on each request
thread, and on a small machine threads that spin take the CPU from the HTTP server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.serve import ServeError

if TYPE_CHECKING:
    import numpy.typing as npt

# ONNX element types (as onnxruntime names them in ``tensor(...)``) to V2 datatypes and numpy dtypes.
ONNX_TO_V2: dict[str, tuple[str, str]] = {
    "float": ("FP32", "float32"),
    "double": ("FP64", "float64"),
    "float16": ("FP16", "float16"),
    "int8": ("INT8", "int8"),
    "int16": ("INT16", "int16"),
    "int32": ("INT32", "int32"),
    "int64": ("INT64", "int64"),
    "uint8": ("UINT8", "uint8"),
    "uint16": ("UINT16", "uint16"),
    "uint32": ("UINT32", "uint32"),
    "uint64": ("UINT64", "uint64"),
    "bool": ("BOOL", "bool"),
    "string": ("BYTES", "object"),
}
V2_DTYPES: dict[str, str] = dict(ONNX_TO_V2.values())  # V2 datatype -> numpy dtype name
PLATFORM = "onnxruntime_onnx"  # what Triton and KServe report for a model run by onnxruntime
# A model's name and version are parts of a URL path: letters, digits, ".", "_" and "-".
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_TENSOR = re.compile(r"tensor\((\w+)\)")
_ZIPMAP = re.compile(r"seq\(map\((int64|string),\s*tensor\(float\)\)\)")


@dataclass(frozen=True)
class TensorSpec:
    """One input or output as V2 describes it: ``shape`` has -1 for a dimension of any size."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    zipmap: bool = False  # a ZipMap output, served as an FP32 tensor [rows, classes]

    @property
    def dtype(self) -> str:
        """The numpy dtype name of its elements."""
        return V2_DTYPES[self.datatype]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


class Model:
    """An ONNX model loaded for serving: its name, optional version, tensors, and :meth:`run`."""

    def __init__(self, session: Any, name: str, version: str | None, path: Path) -> None:
        self.session = session
        self.name = name
        self.version = version
        self.path = path
        self.inputs = tuple(_spec(arg, "input") for arg in session.get_inputs())
        self.outputs = tuple(_spec(arg, "output") for arg in session.get_outputs())
        self.input_names = frozenset(spec.name for spec in self.inputs)
        self.output_by_name = {spec.name: spec for spec in self.outputs}

    def metadata(self) -> dict[str, Any]:
        """V2's model metadata response object."""
        return {
            "name": self.name,
            "versions": [self.version] if self.version else [],
            "platform": PLATFORM,
            "inputs": [spec.to_json() for spec in self.inputs],
            "outputs": [spec.to_json() for spec in self.outputs],
        }

    def run(self, feeds: Mapping[str, npt.NDArray[Any]], outputs: Sequence[str]) -> list[npt.NDArray[Any]]:
        """The named outputs for ``feeds`` (every input, checked by the protocol), as arrays.

        onnxruntime's own complaints (a value its kernels refuse) raise ``ValueError``: the
        request's fault, which the protocol answers with 400."""
        import numpy as np
        from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidArgument

        try:
            values = self.session.run(list(outputs), dict(feeds))
        except (InvalidArgument, Fail) as exc:
            raise ValueError(_one_line(str(exc))) from exc
        arrays = []
        for name, value in zip(outputs, values):
            if self.output_by_name[name].zipmap:
                keys = list(value[0]) if value else []
                value = np.array([[row[key] for key in keys] for row in value], dtype=np.float32).reshape(len(value), len(keys))
            arrays.append(value)
        return arrays


def load(path: str | Path, name: str | None = None, version: str | None = None) -> Model:
    """The model at ``path``, loaded into onnxruntime; ServeError (one line) when it cannot be served."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise ServeError(f"{shown}: no such file")
    if not path.is_file():
        raise ServeError(f"{shown}: not a file")
    name = path.stem if name is None else name
    if not NAME.fullmatch(name):
        raise ServeError(f"{name!r} cannot be a model name (it is part of a URL: letters, digits, '.', '_', '-'); "
                         "give one with --name")
    if version is not None and not NAME.fullmatch(version):
        raise ServeError(f"{version!r} cannot be a model version (letters, digits, '.', '_', '-')")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: onnxruntime's warnings go to stderr past logging
    try:
        session = ort.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own exceptions (InvalidProtobuf, Fail, ...) share no base class
        raise ServeError(f"{shown}: not an ONNX model onnxruntime can load: {_one_line(str(exc))}") from exc
    try:
        return Model(session, name, version, path)
    except ValueError as exc:
        raise ServeError(f"{shown}: {exc}") from exc


def _spec(arg: Any, kind: str) -> TensorSpec:
    """A NodeArg of the session as V2 describes it; ValueError for a type V2 tensors cannot carry."""
    shape = tuple(dim if isinstance(dim, int) and dim >= 0 else -1 for dim in (arg.shape or []))
    tensor = _TENSOR.fullmatch(arg.type)
    if tensor and tensor.group(1) in ONNX_TO_V2:
        return TensorSpec(arg.name, ONNX_TO_V2[tensor.group(1)][0], shape)
    if kind == "output" and _ZIPMAP.fullmatch(arg.type):
        return TensorSpec(arg.name, "FP32", (-1, -1), zipmap=True)
    hint = " (export scikit-learn classifiers with skl2onnx's default options or zipmap=False)" if kind == "output" else ""
    raise ValueError(f"{kind} {arg.name!r} has type {arg.type}, which V2 tensors cannot carry{hint}")


def _one_line(text: str) -> str:
    """onnxruntime's message (several lines) on one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip()) or "no reason given"

