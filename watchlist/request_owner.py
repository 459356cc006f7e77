"""Whose data an API request reads and writes: the authenticated user's, never another's."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from rest_framework.request import Request


def request_owner(request: Request) -> User:
    """The request's user; IsAuthenticated (the default permission) has turned anonymous ones away."""
    return cast("User", request.user)
