"""Sign-in and sign-out hooks: sessions and security events for every way of signing in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from organizations.accounts import services
from organizations.models import User


@receiver(user_logged_in, dispatch_uid="pathwise_session_started")
def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.do_start_session(request, user)


@receiver(user_logged_out, dispatch_uid="pathwise_session_ended")
def _signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.do_end_session(request, user)
