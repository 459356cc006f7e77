"""A sliding-window log in Redis: N slots per window, exact across processes, one round trip.

A window is a Redis sorted set of the slots taken in it, each scored with Redis's own clock
(`TIME`, so hosts with skewed clocks still agree). One Lua script drops the slots that have
left the window, then either takes a slot or says how long until the oldest one leaves; Redis
runs it atomically, so gunicorn workers on any host sharing a key share one exact quota.
The upstream provider throttle and the API's DRF throttles both run on it. A slot can be
stamped again later (`stamp_slot`): the provider throttle moves a request's slot to the moment
its answer came back, so the slot covers the request's arrival at the provider, wherever in
between that was.

A shared pause is one key holding "paused until" in Redis time, set by a second script only
when it moves the end later, and expiring at that end (`PXAT`), so it cleans itself up and
"is it paused?" is one `PTTL` — again Redis's clock, whatever each host's clock says.
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


# KEYS[1] = the pause key; ARGV[1] = the pause (µs). Moves "paused until" (µs of Redis time)
# later, never earlier; the key expires when the pause ends. Returns 1 when it moved, else 0.
# A script, not TIME then SET from the caller: "only if later" must be atomic, and one round
# trip. The value is written with %d: Lua's own number formatting would round it.
PAUSE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause_until = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause_until <= current then
  return 0
end
redis.call('SET', KEYS[1], string.format('%d', pause_until), 'PXAT', math.ceil(pause_until / 1000))
return 1
"""
PAUSE_SHA = hashlib.sha1(PAUSE_LUA.encode(), usedforsecurity=False).hexdigest()


# KEYS[1] = the window's sorted set; ARGV = window (µs), the slot's member. Moves the slot to
# Redis's now (back into the set if it had left it), so it leaves the window a whole window
# from now; the set's expiry moves with it.
STAMP_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
return 0
"""
STAMP_SHA = hashlib.sha1(STAMP_LUA.encode(), usedforsecurity=False).hexdigest()


def _run_script(client: Redis, lua: str, sha: str, key: str, *args: str) -> object:
    """EVALSHA the script, loading it first when Redis does not know it (after a restart)."""
    try:
        return client.evalsha(sha, 1, key, *args)
    except NoScriptError:
        client.script_load(lua)  # kept by Redis until it restarts
        return client.evalsha(sha, 1, key, *args)


def new_member() -> str:
    """A slot's name, unique across processes and hosts (a quarter of uuid4's cost)."""
    return os.urandom(16).hex()


def _window_us(window: float) -> str:
    return str(max(1, round(window * 1_000_000)))


def take_slot(client: Redis, key: str, *, limit: int, window: float, member: str | None = None) -> float:
    """Take one of `limit` slots in `key`'s window of `window` seconds; return 0 when taken.

    Otherwise return the seconds until the oldest slot leaves the window (a refusal takes
    no slot). One EVALSHA, so one round trip; only the first call after Redis (re)started
    loads the script, as redis-py's `Script` does. Redis errors propagate to the caller.
    The slot is named `member` (fresh when None), for `stamp_slot`.
    """
    args = (str(limit), _window_us(window), member or new_member())
    wait_us = _run_script(client, SLIDING_WINDOW_LUA, SLIDING_WINDOW_SHA, key, *args)
    return int(cast("int", wait_us)) / 1_000_000


def stamp_slot(client: Redis, key: str, *, member: str, window: float) -> None:
    """Move slot `member` of `key`'s window to Redis's now: it leaves the window `window` s later.

    A slot that had already left the window comes back into it. One round trip; Redis errors
    propagate to the caller.
    """
    _run_script(client, STAMP_LUA, STAMP_SHA, key, _window_us(window), member)


def extend_pause(client: Redis, key: str, *, seconds: float) -> bool:
    """Pause `key` until Redis's now + `seconds`, unless it is already paused longer.

    Return True when this call moved the end of the pause later (one round trip).
    Redis errors propagate to the caller.
    """
    pause_us = str(max(1, round(seconds * 1_000_000)))
    return bool(_run_script(client, PAUSE_LUA, PAUSE_SHA, key, pause_us))


def pause_left(client: Redis, key: str) -> float:
    """Return the seconds left in `key`'s pause (0 when not paused). Redis errors propagate."""
    left_ms = int(cast("int", client.pttl(key)))
    if left_ms < 0:  # -2: no pause; -1: a key without an expiry is not one of ours
        return 0.0
    # PTTL 0 means under a millisecond left, not over: the key goes only once its end passed.
    return max(left_ms, 1) / 1000
