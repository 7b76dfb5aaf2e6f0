from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from organizations.accounts import services as account_services
from organizations.accounts import sso


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def clean(self) -> dict[str, Any]:
        """Refuse while the account or the client address is locked out (even the right
        password), and record every failure: the lockout counts them."""
        email = self.cleaned_data.get("username")
        if email and self.cleaned_data.get("password"):
            account_services.check_sign_in_allowed(email, self.request)
            sso.check_password_sign_in(email)
        try:
            return super().clean()
        except ValidationError:
            if email:
                account_services.record_sign_in_failure(email, self.request)
            raise


class QueuedPasswordResetForm(PasswordResetForm):
    """Asks for a reset link. The look-up and the e-mail happen in a background task, so the
    answer takes the same time whether or not the address has an account."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        account_services.check_password_reset_allowed(email, self.request)
        return email

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        account_services.do_request_password_reset(self.cleaned_data["email"], self.request)


class RoleSwitchForm(forms.Form):
    role = forms.CharField(max_length=20)


def typed_field[F: forms.Field](form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """``form.fields[name]`` as the field class it is declared as (``form.fields`` is typed as
    plain ``Field``); raises TypeError when the declaration and ``kind`` disagree."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is not a {kind.__name__}.")
    return field


class SSOStartForm(forms.Form):
    email = forms.EmailField(
        label=_("Your work e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
