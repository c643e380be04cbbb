"""serve.server: the socket bound before uvicorn starts, with one-line errors."""

from __future__ import annotations

import socket

import pytest

from mlci.serve import ServeError
from mlci.serve.server import address, bind, check_port


def test_port_zero_binds_a_free_port_that_can_be_told() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        host, port = address(sock)
        assert host == "127.0.0.1" and port > 0
        socket.create_connection((host, port), timeout=2).close()  # listening already
    finally:
        sock.close()


def test_a_port_in_use_is_one_line() -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = address(taken)[1]
        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            bind("127.0.0.1", port)
    finally:
        taken.close()


@pytest.mark.parametrize("port", [-1, 65536, 10**6, True, "8080"])
def test_a_port_out_of_range_is_one_line(port: object) -> None:
    with pytest.raises(ServeError, match="expected a number from 0 to 65535"):
        check_port(port)  # type: ignore[arg-type]


def test_an_address_of_no_interface_here_is_one_line() -> None:
    """192.0.2.1 (TEST-NET-1, RFC 5737) is numeric: no name is looked up, nothing is sent."""
    with pytest.raises(ServeError, match=r"cannot listen on 192\.0\.2\.1:0: Cannot assign requested address"):
        bind("192.0.2.1", 0)
