"""schemathesis 4 against a live mojo: every check, positive and negative data, every phase.

The test starts gunicorn (production settings, the sandbox as provider, this run's Redis),
prepares a user with a token, a watchlist entry, a position and five trades, and runs `st run` from the
repository root, where `schemathesis.toml` holds the whole configuration (seed, generation,
checks, the rejections OpenAPI cannot express, the warnings that fail the run). The API
throttles are raised for the run: the generator sends requests far faster than a user.
`make schemathesis-long` runs the same with more examples per operation.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.ops.gunicorn import ROOT, VENV_BIN, manage, running_gunicorn

# What the run may take here (about 70 s alone at the configured examples, more beside the rest
# of the suite on a small machine; `make schemathesis-long` allows two hours): a liveness bound,
# so a hang ends it.
RUN_TIMEOUT_SECONDS = 7200 if os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") else 400

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 120),  # the run, and gunicorn's start and the seed
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.xdist_group("schemathesis"),
]

RAISED_THROTTLES = {"API_THROTTLE_USER_RATE": "1000000/min", "API_THROTTLE_AUTH_RATE": "1000000/min"}
SEED_DATA = """
from decimal import Decimal
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from watchlist.services import position_open, watchlist_add
from watchlist.trades import LegInput, trade_open
user = get_user_model().objects.create_user("fuzz", password="fuzz-password-123")
watchlist_add(user=user, symbol="WMT")
position_open(user=user, symbol="WMT", instrument="stock", quantity=10, multiplier=1,
              entry_price=Decimal("100"), strategy="stock")
for strike in range(90, 95):  # trades 2-6: a fuzzed delete of one's leg leaves the others
    trade_open(user=user, symbol="WMT", strategy="csp", legs=[LegInput(instrument="option",
               option_ticker=f"O:WMT261218P000{strike}000", quantity=-1, entry_price=Decimal("1.25"))])
from watchlist.models import Alert
for trade_id in (5, 6):  # alerts 1-2: what a cycle would have opened
    Alert.objects.create(owner=user, trade_id=trade_id, code="dte_exit", message="Short put is 21 DTE.")
print(Token.objects.create(user=user).key)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sandbox_server) -> Iterator[tuple[str, str]]:
    """(base URL, API token) of gunicorn pointed at the sandbox."""
    directory = tmp_path_factory.mktemp("schemathesis")
    env = {
        "MASSIVE_BASE_URL": sandbox_server.base_url,
        "FMP_BASE_URL": sandbox_server.base_url,
        "MASSIVE_API_KEY": "schemathesis-massive-key",
        "FMP_API_KEY": "schemathesis-fmp-key",
        **RAISED_THROTTLES,
    }
    with running_gunicorn(directory, workers=2, env=env) as base_url:
        token = re.search(r"[0-9a-f]{40}", manage(directory, "shell", "-c", SEED_DATA, env=env))
        assert token is not None
        yield base_url, token.group(0)


def test_schemathesis_finds_no_failure_and_reaches_every_linked_operation(served) -> None:
    base_url, token = served
    command = [str(VENV_BIN / "st"), "run", f"{base_url}/api/schema/", "-H", f"Authorization: Token {token}"]
    if examples := os.environ.get("SCHEMATHESIS_MAX_EXAMPLES"):
        command += ["--max-examples", examples]
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "Missing test data" not in output, output[-8000:]
    assert re.search(r"\d+ generated, \d+ passed", output), output[-2000:]
