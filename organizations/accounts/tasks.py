"""Account e-mails sent in the background."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth.forms import PasswordResetForm


@shared_task(name="organizations.accounts.send_password_reset", acks_late=True)
def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """E-mail a reset link to the account that uses ``email``, if there is one (Django's own
    form finds it and makes the token). Safe to run twice: a second link is as valid as the
    first and both stop working once the password changes."""
    form = PasswordResetForm(data={"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
