"""Django signals marketdata sends (django.dispatch), so the apps above it act without an upward import.

`refresh_cycle_finished(sender=RefreshCycle, cycle=...)`: a refresh cycle has ended and is
recorded, inline or on the workers; sent once per cycle, from the process that finished it.
"""

from __future__ import annotations

from django.dispatch import Signal

refresh_cycle_finished = Signal()
