"""Fixtures for the sandbox's tests: a reset sandbox for every test; the official `massive`
client and `requests` over HTTP."""

from __future__ import annotations

from typing import Any

import massive
import pytest
import requests
from massive.rest.models import OptionContractSnapshot

from devtools.sandbox.server import SandboxServer
from tests.conftest import SANDBOX_TODAY

MASSIVE_AUTH = {"Authorization": "Bearer test-key"}
TIMEOUT = 10


@pytest.fixture(autouse=True)
def _uses_sandbox(sandbox: object) -> None:
    """Every test in this folder starts with a reset sandbox (and mojo's settings pointed at it)."""


@pytest.fixture
def client(sandbox: SandboxServer) -> massive.RESTClient:
    """The official client pointed at the sandbox, without its own retries."""
    return massive.RESTClient(api_key="test-key", base=sandbox.base_url, retries=0)


@pytest.fixture
def get(sandbox: SandboxServer):
    """GET a sandbox path with `requests` (Massive's bearer header unless told otherwise)."""

    def _get(path: str, *, headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
        return requests.get(
            sandbox.base_url + path,
            params=params,
            headers=MASSIVE_AUTH if headers is None else headers,
            timeout=TIMEOUT,
        )

    return _get


@pytest.fixture(scope="module")
def aapl_chain(sandbox_server: SandboxServer) -> list[OptionContractSnapshot]:
    """AAPL's whole chain on the pinned today, fetched once per module with the official client."""
    client = massive.RESTClient(api_key="test-key", base=sandbox_server.base_url, retries=0)
    return list(client.list_snapshot_options_chain("AAPL", params={"limit": 250}))


@pytest.fixture
def today():
    return SANDBOX_TODAY
