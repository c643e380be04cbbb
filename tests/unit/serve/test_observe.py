"""serve.observe: JSON log lines, the request id, the metrics' labels."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from mlci.serve.observe import JsonFormatter, classify, request_id


def test_a_log_record_is_one_json_line_with_its_fields() -> None:
    record = logging.LogRecord("mlci.serve.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/x"), None)
    record.__dict__.update(status=200, duration_ms=0.5, request_id="r1", color_message="\x1b[36mx\x1b[0m")
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data.pop("time").endswith("+00:00")
    assert data == {"level": "INFO", "logger": "mlci.serve.access", "message": "GET /x", "status": 200,
                    "duration_ms": 0.5, "request_id": "r1"}


def test_a_traceback_stays_on_the_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("mlci.serve.error", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "RuntimeError: boom" in json.loads(line)["exception"]


def test_fields_json_cannot_write_are_written_as_text() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update(odd={1: object()})
    assert json.loads(JsonFormatter().format(record))["odd"]["1"].startswith("<object")


@pytest.mark.parametrize("path, expected", [
    ("/v2/models/iris/infer", ("infer", "iris")),
    ("/v2/models/iris/versions/3/infer", ("infer", "iris")),
    ("/v2/models/iris", ("model_metadata", "iris")),
    ("/v2/models/iris/ready", ("model_ready", "iris")),
    ("/v2/models/other/infer", ("infer", "")),
    ("/v2/health/live", ("server_live", "")),
    ("/v2/health/ready", ("server_ready", "")),
    ("/v2", ("server_metadata", "")),
    ("/metrics", ("metrics", "")),
    ("/favicon.ico", ("other", "")),
])
def test_paths_are_labelled_without_the_clients_choosing_labels(path: str, expected: tuple[str, str]) -> None:
    assert classify(path, "iris") == expected


def test_a_request_id_is_the_clients_when_it_is_a_plain_token() -> None:
    assert request_id({"headers": [(b"x-request-id", b"abc-1.2_3")]}) == "abc-1.2_3"
    for hostile in (b"a b", b"x" * 129, b"\xff", b"a\r\nb"):
        made = request_id({"headers": [(b"x-request-id", hostile)]})
        assert len(made) == 32 and made.isalnum()
    assert request_id({"headers": []}) != request_id({"headers": []})
