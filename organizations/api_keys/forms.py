from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses the key, e.g. “HRIS nightly sync” or “BI dashboard”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiKey.Scope.choices,
        initial=ApiKey.Scope.READ,
        help_text=_("Read only is enough for reports and dashboards."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. The key stops working at the start of this day."),
    )
