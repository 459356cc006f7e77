"""Below every app: the error base and its one HTTP mapping, API schema pieces, the Redis
sliding-window rate limit and the API throttles on it, request ids and redaction, the
request deadline, the Redis cache plumbing and checks.

It imports no app (a test holds it to that).
"""
