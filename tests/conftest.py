"""Shared fixtures. A guard fails any test that tries to reach a host off this machine."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.testing.fixtures import make_repo

_LOCAL = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach WeChat, GitHub or any other real host: only loopback."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in _LOCAL and not host.startswith("127.") and not host.startswith("/"):
            raise AssertionError(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)
