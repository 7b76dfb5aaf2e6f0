"""Coaching conversation template form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from competencies.models import Competency


class CompetencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.framework.name})"


class ConversationTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What this conversation should achieve for the learner."),
    )
    questions = forms.CharField(
        label=_("Questions for the coach"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One question per line, in the order the coach might ask them."),
    )
    suggested_timing = forms.CharField(
        label=_("Suggested timing"),
        max_length=200,
        required=False,
        help_text=_(
            "When it fits relative to other steps, e.g. “After the project's first milestone, "
            "before Stage 3”."
        ),
    )
    focus_competencies = CompetencyChoiceField(
        label=_("Focus competencies"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["focus_competencies"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Competency.objects.select_related("framework").order_by(
            "framework__name", "position", "name"
        )
