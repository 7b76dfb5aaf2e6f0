"""Forms for an organisation's security settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class SecuritySettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["session_idle_minutes"]
        help_texts = {
            "session_idle_minutes": _(
                "Members are signed out after this many minutes without using Pathwise "
                "(5 to 20160). Leave empty to keep them signed in for up to two weeks."
            )
        }
