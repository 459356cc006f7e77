"""Market-data metrics (prometheus-client; multiprocess-safe under gunicorn).

Labels are bounded sets (provider, endpoint, dataset, outcome): never symbols or secrets.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPSTREAM_CALLS = Counter(
    "mojo_upstream_calls_total",
    "Upstream provider requests by provider, endpoint and outcome.",
    ["provider", "endpoint", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "mojo_upstream_latency_seconds",
    "Latency of one upstream provider request.",
    ["provider", "endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15),
)
UPSTREAM_RETRIES = Counter(
    "mojo_upstream_retries_total", "Retried upstream requests.", ["provider", "endpoint"]
)
MALFORMED_RECORDS = Counter(
    "mojo_malformed_records_total",
    "Provider records skipped because they failed typed conversion.",
    ["provider", "endpoint"],
)
THROTTLE_WAITS = Counter(
    "mojo_throttle_waits_total", "Requests that waited for the shared upstream throttle.", ["provider"]
)
THROTTLE_PAUSES = Counter(
    "mojo_throttle_pauses_total",
    "Provider Retry-After answers that paused every worker's upstream requests (set or extended).",
    ["provider"],
)
CACHE_REQUESTS = Counter(
    "mojo_cache_requests_total", "Market-data cache reads by data set and result.", ["dataset", "result"]
)
SINGLEFLIGHT_WAITS = Counter(
    "mojo_singleflight_waits_total", "Reads that waited for another caller's fetch.", ["dataset"]
)
REDIS_ERRORS = Counter("mojo_redis_errors_total", "Redis operations that failed.", ["operation"])
