"""A user's alert channels: e-mail and a signed webhook, with the webhook's secret shown once.

The secret is made when a webhook URL is first set (or on request), returned by that one call
and never again: mojo keeps it to sign, nobody reads it back. Removing the URL forgets it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.webhooks import webhook_url_check
from watchlist.models import AlertSettings

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# "whsec_" + 64 hex digits: recognisable in a secrets scanner, 256 bits of randomness.
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True, slots=True)
class AlertSettingsSaved:
    settings: AlertSettings
    new_secret: str | None  # set only by the call that made it


def alert_settings_of(user: User) -> AlertSettings:
    """The user's settings, or the defaults (all channels off) unsaved."""
    found = AlertSettings.objects.filter(user=user).select_related("user").first()
    return found if found is not None else AlertSettings(user=user)


def webhook_url_validate(url: str) -> None:
    """Raise a 400 error unless `url` is http(s) resolving to public addresses (private ones too
    when ALERT_WEBHOOK_ALLOW_PRIVATE is set)."""
    webhook_url_check(url, allow_private=settings.ALERT_WEBHOOK_ALLOW_PRIVATE)


def alert_settings_problems(
    *, user: User, email_enabled: bool, email: str, webhook_url: str, rotate_webhook_secret: bool
) -> dict[str, str]:
    """What is wrong with these channels besides the webhook URL itself, by field ({} when nothing).

    The API and the admin's form both ask here, so they refuse the same things.
    """
    problems: dict[str, str] = {}
    if rotate_webhook_secret and not webhook_url.strip():
        problems["rotate_webhook_secret"] = "There is no webhook to rotate the secret of."  # noqa: S105
    if email_enabled and not (email.strip() or user.email):
        problems["email"] = "E-mail alerts need an address: give one, or set the account's."
    return problems


@transaction.atomic
def alert_settings_save(
    *,
    user: User,
    email_enabled: bool,
    webhook_url: str,
    email: str = "",
    rotate_webhook_secret: bool = False,
    now: datetime,
) -> AlertSettingsSaved:
    """Replace the user's channels; a webhook URL must resolve to public addresses only.

    Raises a 400 error naming what is wrong (nothing is saved): an e-mail channel with no
    address, or a webhook URL refused by `core.webhooks.webhook_url_check`.
    """
    webhook_url = webhook_url.strip()
    if webhook_url:
        webhook_url_validate(webhook_url)
    problems = alert_settings_problems(
        user=user,
        email_enabled=email_enabled,
        email=email,
        webhook_url=webhook_url,
        rotate_webhook_secret=rotate_webhook_secret,
    )
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})
    chosen = AlertSettings.objects.select_for_update().filter(user=user).first() or AlertSettings(user=user)
    chosen.email_enabled, chosen.email, chosen.webhook_url = email_enabled, email.strip(), webhook_url
    new_secret = None
    if not webhook_url:
        chosen.webhook_secret, chosen.webhook_secret_created_at = "", None
    elif rotate_webhook_secret or not chosen.webhook_secret:
        new_secret = SECRET_PREFIX + secrets.token_hex(32)
        chosen.webhook_secret, chosen.webhook_secret_created_at = new_secret, now
    chosen.full_clean()
    chosen.save()
    return AlertSettingsSaved(settings=chosen, new_secret=new_secret)
