from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import TIME_ZONE_CHOICES

NAME_MAX_LENGTH = 200


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("As colleagues, coaches and your HR team see it."),
        error_messages={"required": _("Write the name colleagues know you by.")},
    )
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        required=False,
        help_text=_("Dates and times on your pages, and reminders, follow it."),
    )
    email_reminders = forms.BooleanField(
        label=_("E-mail me on days when reviews are due"),
        required=False,
        help_text=_("One short e-mail at about 08:00 your time, only when something is due."),
    )

    def __init__(self, *args: Any, org_time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = [
            ("", _("Same as the organisation (%(zone)s)") % {"zone": org_time_zone}),
            *TIME_ZONE_CHOICES,
        ]

    def clean_full_name(self) -> str:
        name = " ".join(str(self.cleaned_data["full_name"]).split())
        if not name:
            raise forms.ValidationError(_("Write the name colleagues know you by."))
        return name
