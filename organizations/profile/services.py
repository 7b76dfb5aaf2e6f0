"""Writes to the signed-in person's own profile (global to every organisation they belong to)."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.audit import snapshot
from organizations.models import User

PROFILE_FIELDS = ["full_name", "time_zone", "email_reminders"]


def check_profile(full_name: str, time_zone: str) -> None:
    errors: dict[str, str] = {}
    if not full_name.strip():
        errors["full_name"] = _("Write the name colleagues know you by.")
    if time_zone and time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = _("Choose a time zone from the list.")
    if errors:
        raise ValidationError(errors)


def do_update_profile(
    user: User, *, full_name: str, time_zone: str, email_reminders: bool
) -> list[str]:
    """Save the person's name, time zone ("" = the organisation's) and reminder choice.
    Returns the names of the fields that changed."""
    check_profile(full_name, time_zone)
    with transaction.atomic():
        before = snapshot(user, PROFILE_FIELDS)
        User.objects.filter(pk=user.pk).update(
            full_name=full_name.strip(), time_zone=time_zone, email_reminders=email_reminders
        )
        user.full_name, user.time_zone = full_name.strip(), time_zone
        user.email_reminders = email_reminders
        after = snapshot(user, PROFILE_FIELDS)
    return [name for name in PROFILE_FIELDS if before[name] != after[name]]
