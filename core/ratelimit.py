"""A sliding-window log in Redis: N slots per window, exact across processes, one round trip.

A window is a Redis sorted set of the slots taken in it, each scored with Redis's own clock
(`TIME`, so hosts with skewed clocks still agree). One Lua script drops the slots that have
left the window, then either takes a slot or says how long until the oldest one leaves; Redis
runs it atomically, so gunicorn workers on any host sharing a key share one exact quota.
The upstream provider throttle and the API's DRF throttles both run on it.
"""

from __future__ import annotations

import hashlib
import os
from typing import cast

from redis import Redis
from redis.exceptions import NoScriptError

# KEYS[1] = the window's sorted set; ARGV = limit, window (µs), a unique member.
# Returns 0 when a slot was taken, else the µs until the oldest slot leaves the window.
SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""
SLIDING_WINDOW_SHA = hashlib.sha1(SLIDING_WINDOW_LUA.encode(), usedforsecurity=False).hexdigest()


def take_slot(client: Redis, key: str, *, limit: int, window: float) -> float:
    """Take one of `limit` slots in `key`'s window of `window` seconds; return 0 when taken.

    Otherwise return the seconds until the oldest slot leaves the window (a refusal takes
    no slot). One EVALSHA, so one round trip; only the first call after Redis (re)started
    loads the script, as redis-py's `Script` does. Redis errors propagate to the caller.
    """
    member = os.urandom(16).hex()  # unique across processes and hosts (a quarter of uuid4's cost)
    args = (str(limit), str(max(1, round(window * 1_000_000))), member)
    try:
        wait_us = client.evalsha(SLIDING_WINDOW_SHA, 1, key, *args)
    except NoScriptError:
        client.script_load(SLIDING_WINDOW_LUA)  # kept by Redis until it restarts
        wait_us = client.evalsha(SLIDING_WINDOW_SHA, 1, key, *args)
    return int(cast("int", wait_us)) / 1_000_000
