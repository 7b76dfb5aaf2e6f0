"""Forms for an organisation's security settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class SecuritySettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["mfa_required", "session_idle_minutes"]
        help_texts = {
            "mfa_required": _(
                "People who must use two-step sign-in are led through setting it up the next "
                "time they open this organisation."
            ),
            "session_idle_minutes": _(
                "Members are signed out after this many minutes without using Pathwise "
                "(5 to 20160). Leave empty to keep them signed in for up to two weeks."
            ),
        }


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
