"""Production settings with static files in the test's own directory (MOJO_TEST_STATIC_ROOT).

Production storage serves hashed names from a manifest: an admin page needs `collectstatic`
first, and the checkout's `staticfiles/` is shared with whoever else runs there.
"""

from __future__ import annotations

import os
from pathlib import Path

from mojo.settings.production import *  # noqa: F403

STATIC_ROOT = Path(os.environ["MOJO_TEST_STATIC_ROOT"])
