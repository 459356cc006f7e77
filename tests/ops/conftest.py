"""Fixtures for the operations tests: Redis and the sandbox for every test, the console log."""

from __future__ import annotations

import copy
import io
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox(redis: object, sandbox: object) -> None:
    """Every test in this folder starts with an empty Redis and a reset sandbox."""


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this marker itself; declared here too so the suite also runs
    # with `-p no:xdist` under --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")


def _console_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if h.name == "console")


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the LOGGING console handler (its filters, its formatter) writes, as text."""
    handler = _console_handler()
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.stream
    handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.fixture
def json_console_log(console_log: io.StringIO) -> Iterator[io.StringIO]:
    """The console log with the production JSON formatter of LOGGING."""
    config = copy.deepcopy(settings.LOGGING)
    formatter = logging.config.DictConfigurator(config).configure_formatter(config["formatters"]["json"])
    handler = _console_handler()
    previous = handler.formatter
    handler.setFormatter(formatter)
    yield console_log
    handler.setFormatter(previous)
