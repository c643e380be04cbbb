"""The Open Inference Protocol's JSON bodies (REST, V2), read and written; pure: no I/O.

What is checked, each mistake a :class:`BadRequest` (HTTP 400) with one line that names it:

- the body is JSON (``malformed JSON: ...``) and an object, with ``inputs`` a non-empty list;
- ``id`` is a string, ``parameters`` objects of strings, numbers and booleans;
- every input of the model is given once, by its name, and no other; each with ``shape`` (a list
  of non-negative integers that fits the model's shape: the same rank, fixed dimensions equal),
  ``datatype`` (the model's own: no silent conversion from FP64 to FP32), and ``data``, in the
  tensor's natural nested form or flattened (the spec allows both), with exactly as many
  elements as the shape says, of the datatype's kind (numbers for FP*, integers within range
  for INT* and UINT*, booleans for BOOL, strings for BYTES), finite once converted;
- ``outputs``, when given, names outputs of the model, each once; without it (or empty) every
  output is returned, in the model's order.

V2's binary tensor extension (``binary_data_size``, ``binary_data``) is refused with a 400 that
says so: this server speaks JSON only.

Answers follow the spec's ``$inference_response``: ``model_name``, ``model_version`` only when the
model has one ("servers that do not implement versioning should not provide this field"), ``id``
when the request gave one, and each output with its ``name``, ``datatype``, ``shape`` and ``data``
flattened in row-major order. Floats are written with the shortest text that reads back as the
same number of their type (an FP32 value reads back as the same float32), by orjson.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlci.render.fmt import json_kind
from mlci.serve.model import V2_DTYPES, Model, TensorSpec

if TYPE_CHECKING:
    import numpy.typing as npt

_FLOATS = ("FP16", "FP32", "FP64")
_INTEGERS = ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64")


class BadRequest(ValueError):
    """The request is the client's mistake: HTTP 400 with this message as V2's ``error``."""


@dataclass(frozen=True)
class InferRequest:
    """A checked inference request: the arrays to feed the model, and the outputs asked for."""

    id: str | None
    feeds: dict[str, npt.NDArray[Any]]
    outputs: tuple[str, ...]


def dumps(value: Any) -> bytes:
    """JSON, numpy arrays included (as lists)."""
    import orjson

    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)


def error_body(message: str) -> bytes:
    """V2's error object: ``{"error": message}``."""
    return dumps({"error": message})


def parse_infer(body: bytes, model: Model) -> InferRequest:
    """The inference request in ``body``, checked against ``model``; BadRequest for any mistake."""
    import orjson

    if not body.strip():
        raise BadRequest("the request has no body: expected a JSON inference request object")
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    if not isinstance(request, dict):
        raise BadRequest(f"the body must be a JSON object (an inference request), not {json_kind(request)}")
    request_id = request.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise BadRequest(f"'id' must be a string, not {json_kind(request_id)}")
    _parameters(request.get("parameters"), "the request's")
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise BadRequest("'inputs' must be a non-empty list of input tensors: "
                         f"the model takes {_names(spec.name for spec in model.inputs)}")
    specs = {spec.name: spec for spec in model.inputs}
    feeds: dict[str, npt.NDArray[Any]] = {}
    for index, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise BadRequest(f"inputs[{index}] must be an object, not {json_kind(item)}")
        name = item.get("name")
        if not isinstance(name, str):
            raise BadRequest(f"inputs[{index}] has no 'name' (a string)")
        spec = specs.get(name)
        if spec is None:
            raise BadRequest(f"unknown input {name!r}: the model takes {_names(specs)}")
        if name in feeds:
            raise BadRequest(f"input {name!r} is given twice")
        feeds[name] = _tensor(item, spec)
    missing = [spec for spec in model.inputs if spec.name not in feeds]
    if missing:
        spec = missing[0]
        raise BadRequest(f"missing input {spec.name!r} (datatype {spec.datatype}, shape {list(spec.shape)})")
    return InferRequest(request_id, feeds, _outputs(request.get("outputs"), model))


def _tensor(item: Mapping[str, Any], spec: TensorSpec) -> npt.NDArray[Any]:
    import numpy as np

    where = f"input {spec.name!r}"
    parameters = _parameters(item.get("parameters"), f"{where}'s")
    if "binary_data_size" in parameters:
        raise BadRequest(f"{where}: binary tensor data (binary_data_size) is not supported: send 'data' as JSON")
    datatype = item.get("datatype")
    if not isinstance(datatype, str):
        raise BadRequest(f"{where} has no 'datatype' (a string such as {spec.datatype!r})")
    if datatype not in V2_DTYPES:
        raise BadRequest(f"{where}: unknown datatype {datatype!r} (V2's are {', '.join(V2_DTYPES)})")
    if datatype != spec.datatype:
        raise BadRequest(f"{where}: datatype {datatype}, but the model takes {spec.datatype}")
    shape = item.get("shape")
    if not isinstance(shape, list) or not all(type(dim) is int and dim >= 0 for dim in shape):
        raise BadRequest(f"{where}: 'shape' must be a list of non-negative integers")
    if len(shape) != len(spec.shape) or any(want not in (-1, got) for want, got in zip(spec.shape, shape)):
        raise BadRequest(f"{where}: shape {shape} does not fit the model's {list(spec.shape)}")
    if "data" not in item:
        raise BadRequest(f"{where} has no 'data'")
    data = item["data"]
    if not isinstance(data, list):
        raise BadRequest(f"{where}: 'data' must be a list, not {json_kind(data)}")
    dtype = V2_DTYPES[datatype]
    try:
        array = np.array(data, dtype=object if datatype == "BYTES" else None)
    except (ValueError, TypeError, OverflowError):
        raise BadRequest(f"{where}: 'data' is not a regular array (rows of different lengths?)") from None
    size = math.prod(shape)
    if array.shape != tuple(shape) and not (array.ndim == 1 and array.size == size):
        raise BadRequest(f"{where}: 'data' has {array.size} elements"
                         f"{' in shape ' + str(list(array.shape)) if array.ndim > 1 else ''}, shape {shape} holds {size}")
    if array.size == 0:
        return np.zeros(shape, dtype=dtype)
    return _convert(array, data, datatype, dtype, where).reshape(shape)


def _convert(array: npt.NDArray[Any], data: list[Any], datatype: str, dtype: str, where: str) -> npt.NDArray[Any]:
    """``array`` (numpy's reading of ``data``) as ``dtype``, when its elements are of the datatype's kind."""
    import numpy as np

    kind = array.dtype.kind
    if datatype == "BYTES":
        if not all(isinstance(value, str) for value in array.flat):
            raise BadRequest(f"{where}: BYTES data must be strings")
        return array
    if datatype == "BOOL":
        if kind != "b":
            raise BadRequest(f"{where}: BOOL data must be true or false")
        return array
    if datatype in _FLOATS:
        if kind not in "iuf":
            raise BadRequest(f"{where}: {datatype} data must be numbers")
        with np.errstate(over="ignore"):
            converted = array.astype(dtype)
        if not np.isfinite(converted).all():
            raise BadRequest(f"{where}: a value is out of {datatype}'s range")
        return converted
    assert datatype in _INTEGERS
    info = np.iinfo(dtype)
    if kind not in "iu":
        # numpy reads [2**63, 1] as floats: integers all the same, but too large for one type
        if kind == "f" and all(type(value) is int for value in np.array(data, dtype=object).flat):
            raise BadRequest(f"{where}: a value is out of {datatype}'s range ({info.min} to {info.max})")
        raise BadRequest(f"{where}: {datatype} data must be integers")
    if int(array.min()) < info.min or int(array.max()) > info.max:
        raise BadRequest(f"{where}: a value is out of {datatype}'s range ({info.min} to {info.max})")
    return array.astype(dtype)


def _outputs(value: Any, model: Model) -> tuple[str, ...]:
    everything = tuple(spec.name for spec in model.outputs)
    if value is None or value == []:
        return everything
    if not isinstance(value, list):
        raise BadRequest(f"'outputs' must be a list of objects with a 'name', not {json_kind(value)}")
    names: list[str] = []
    for index, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise BadRequest(f"outputs[{index}] must be an object with a 'name' (a string)")
        if name not in model.output_by_name:
            raise BadRequest(f"unknown output {name!r}: the model gives {_names(everything)}")
        if name in names:
            raise BadRequest(f"output {name!r} is asked for twice")
        if _parameters(item.get("parameters"), f"output {name!r}'s").get("binary_data"):
            raise BadRequest(f"output {name!r}: binary tensor data (binary_data) is not supported: answers are JSON")
        names.append(name)
    return tuple(names)


def _parameters(value: Any, whose: str) -> Mapping[str, Any]:
    """V2's ``$parameters``: an object whose values are strings, numbers or booleans."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{whose} 'parameters' must be an object, not {json_kind(value)}")
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)):
            raise BadRequest(f"{whose} parameter {key!r} must be a string, number or boolean, not {json_kind(item)}")
    return value


def infer_response(model: Model, request: InferRequest, arrays: Sequence[npt.NDArray[Any]]) -> bytes:
    """The ``$inference_response`` for the outputs ``request`` asked for, computed as ``arrays``."""
    import numpy as np

    outputs = []
    for name, array in zip(request.outputs, arrays):
        array = np.ascontiguousarray(array)
        flat = array.reshape(-1)
        outputs.append({
            "name": name,
            "datatype": model.output_by_name[name].datatype,
            "shape": list(array.shape),
            "data": flat.tolist() if flat.dtype.kind in "OUS" else flat,
        })
    body: dict[str, Any] = {"model_name": model.name}
    if model.version:
        body["model_version"] = model.version
    if request.id is not None:
        body["id"] = request.id
    body["outputs"] = outputs
    return dumps(body)


def _names(names: Any) -> str:
    return ", ".join(repr(name) for name in names)
