"""Say so after signing out: the sign-in page a person lands on otherwise looks unchanged."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _


@receiver(user_logged_out, dispatch_uid="pathwise_signed_out_message")
def tell_signed_out(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "_messages"):
        # The session is flushed right after this signal; the message survives it in the
        # messages cookie (the fallback storage writes there first).
        messages.info(request, _("You are signed out. See you soon."))
