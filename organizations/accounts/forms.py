"""Forms for an organisation's security settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.accounts.sso import parse_domains
from organizations.models import Organization, Role


class SecuritySettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["mfa_required", "session_idle_minutes", "retention_days"]
        help_texts = {
            "retention_days": _(
                "Raw 360 answers and stakeholder comments behind frozen reports, and uploaded "
                "import files, are deleted this many days later by a nightly job (30 to 3650). "
                "Leave empty to keep them."
            ),
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


class SSOSettingsForm(forms.Form):
    issuer = forms.URLField(
        label=_("Issuer URL"),
        max_length=500,
        help_text=_("Your provider's issuer, e.g. https://login.example.com/realms/staff."),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=191)
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=191,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the secret already saved."),
    )
    domains = forms.CharField(
        label=_("E-mail domains"),
        max_length=1000,
        help_text=_(
            "The domains whose people sign in through it, e.g. example.com, example.co.uk."
        ),
    )
    default_role = forms.ChoiceField(
        label=_("Role for people who join through it"), choices=Role.choices, initial=Role.LEARNER
    )
    password_sign_in_disabled = forms.BooleanField(
        label=_("Switch off password sign-in for these domains"), required=False
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def clean_domains(self) -> list[str]:
        domains = parse_domains(self.cleaned_data["domains"])
        if not domains:
            raise forms.ValidationError(_("Name at least one e-mail domain."))
        return domains


class OwnNameForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
