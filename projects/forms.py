"""Project template forms: the template's fields and its milestone rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from competencies.models import Competency
from projects.models import ProjectTemplate
from projects.services import MAX_OFFSET_WEEKS, MilestoneInput


class CompetencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.framework.name})"


class ProjectTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    brief = forms.CharField(
        label=_("Brief"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The real piece of work the learner takes on, and why it matters now."),
    )
    expected_outcomes = forms.CharField(
        label=_("Expected outcomes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is different at the end: results for the business and for the team."),
    )
    scope = forms.ChoiceField(
        label=_("Scope (the learner's level of influence)"),
        choices=ProjectTemplate.Scope.choices,
        widget=forms.RadioSelect,
        initial=ProjectTemplate.Scope.TEAM,
    )
    sponsor_required = forms.BooleanField(
        label=_("A sponsor must sign off the project"), required=False
    )
    competencies = CompetencyChoiceField(
        label=_("Competencies practised"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["competencies"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Competency.objects.select_related("framework").order_by(
            "framework__name", "position", "name"
        )


class MilestoneForm(forms.Form):
    title = forms.CharField(
        label=_("Milestone"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
    )
    offset_weeks = forms.IntegerField(
        label=_("Week (after the project starts)"),
        min_value=0,
        max_value=MAX_OFFSET_WEEKS,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("title") and data.get("offset_weeks") is None:
            self.add_error("offset_weeks", _("Say in which week this milestone falls."))
        if data.get("offset_weeks") is not None and not data.get("title"):
            self.add_error("title", _("Give this milestone a title or clear its week."))
        return data


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=1, can_delete=True, max_num=30)


def milestones_from(formset: Any) -> list[MilestoneInput]:
    """The milestone rows the admin kept: filled in and not marked for removal."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("title"):
            continue
        rows.append(MilestoneInput(data["title"], data["offset_weeks"]))
    return sorted(rows, key=lambda m: m.offset_weeks)


def with_extra_row(post: Any, prefix: str = "milestones") -> dict[str, Any]:
    """Unbound initial values from a posted form, plus one empty milestone row."""
    total = int(post.get(f"{prefix}-TOTAL_FORMS", 0) or 0)
    rows = []
    for i in range(min(total, 30)):
        if post.get(f"{prefix}-{i}-DELETE"):
            continue
        rows.append(
            {
                "title": post.get(f"{prefix}-{i}-title", ""),
                "offset_weeks": post.get(f"{prefix}-{i}-offset_weeks") or None,
            }
        )
    return {"rows": rows}
