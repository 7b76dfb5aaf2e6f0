"""Forms for scenario choices and adaptive-practice answers (shape and validation only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ChoiceForm(forms.Form):
    choice = forms.IntegerField(
        min_value=1, error_messages={"required": _("Pick one of the options shown.")}
    )
    # The decision number the page was showing: a second submit of the same step is a replay.
    sequence = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": _("That page was out of date. Choose one of the options shown now."),
            "invalid": _("That page was out of date. Choose one of the options shown now."),
            "min_value": _("That page was out of date. Choose one of the options shown now."),
        },
    )


class PracticeForm(forms.Form):
    REVEAL, ANSWER = "reveal", "answer"

    item = forms.IntegerField(min_value=1)
    token = forms.CharField(max_length=64)
    action = forms.ChoiceField(choices=[(REVEAL, REVEAL), (ANSWER, ANSWER)], initial=ANSWER)
    option = forms.IntegerField(min_value=1, required=False)
    grade = forms.IntegerField(min_value=1, max_value=4, required=False)
    recall = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only for you to compare with the model answer; it is not stored."),
    )
