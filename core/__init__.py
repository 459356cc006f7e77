"""Below every app: the error base and its one HTTP mapping, API schema pieces, throttles,
request ids and redaction, the request deadline, the Redis cache plumbing and checks.

It imports no app (a test holds it to that).
"""
