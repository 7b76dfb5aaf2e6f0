"""Forms for retrieval practice: one review answer, and the learner's reminder settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import TIME_ZONE_CHOICES

RATING_CHOICES = [(1, _("Again")), (2, _("Hard")), (3, _("Good")), (4, _("Easy"))]


class ReviewAnswerForm(forms.Form):
    """The shape of an answer; which fields a card needs is decided by the service."""

    ticket = forms.CharField(label=_("Review form"), max_length=600, widget=forms.HiddenInput)
    n = forms.IntegerField(
        label=_("Cards answered in this sitting"),
        min_value=0,
        max_value=10_000,
        required=False,
        widget=forms.HiddenInput,
    )
    option = forms.IntegerField(label=_("Answer"), min_value=1, required=False)
    rating = forms.TypedChoiceField(
        label=_("How well you recalled it"), choices=RATING_CHOICES, coerce=int, required=False
    )
    # Shown back to the learner beside the model answer; never stored.
    answer = forms.CharField(label=_("Your answer"), max_length=4000, required=False)

    def answered(self) -> int:
        return (self.cleaned_data.get("n") or 0) if self.is_bound and self.is_valid() else 0


class ReminderSettingsForm(forms.Form):
    email_reminders = forms.BooleanField(
        label=_("E-mail me on days when reviews are due"),
        required=False,
        help_text=_("One short e-mail at about 08:00 your time, only when something is due."),
    )
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        required=False,
        help_text=_("Reminders and times on your pages follow it."),
    )

    def __init__(self, *args: Any, org_time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = [
            ("", _("Same as the organisation (%(zone)s)") % {"zone": org_time_zone}),
            *TIME_ZONE_CHOICES,
        ]
