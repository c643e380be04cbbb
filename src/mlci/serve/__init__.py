"""``mlci serve``: an ONNX model behind the REST API of the Open Inference Protocol (KServe V2).

The parts, each its own module:

- ``model``: the model in an onnxruntime session, its tensors as V2 describes them, and a run;
- ``protocol``: V2's JSON bodies, parsed and checked against the model (pure: no I/O);
- ``app``: the HTTP routes (an ASGI application), the request-size limit, errors as V2 error bodies;
- ``observe``: one JSON access-log line per request, and the Prometheus metrics;
- ``server``: uvicorn on a socket bound first, and the shutdown that finishes what it started.

Nothing here is imported by mlci's core: ``commands/serve.py`` imports it when ``mlci serve`` runs,
and its libraries (onnxruntime, uvicorn, starlette, prometheus-client) come with ``mlci[serve]``.
This module itself imports only the error family, so that the command can name a missing extra.
"""

from __future__ import annotations

from mlci.errors import MlciError


class ServeError(MlciError):
    """``mlci serve`` cannot start: a missing model file, one that is not ONNX, a port it cannot bind."""
