"""Forms of 360 feedback (the rating survey is read item by item in the view: its fields are the
cycle's items)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from competencies.models import Competency
from measurement.feedback.models import NOMINATED_GROUPS, Cycle, Relationship
from organizations.forms import typed_field
from pathways.models import Cohort


class LaunchCycleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    cohort = forms.ModelChoiceField(
        label=_("Cohort"), queryset=Cohort.objects.unscoped().none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Cycle.Kind.choices)
    baseline = forms.ModelChoiceField(
        label=_("Baseline (for a follow-up)"),
        queryset=Cycle.objects.unscoped().none(),
        required=False,
        help_text=_("A follow-up uses exactly the baseline's statements, anchors and questions."),
    )
    competencies = forms.ModelMultipleChoiceField(
        label=_("Competencies (for a baseline)"),
        queryset=Competency.objects.unscoped().none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their behavioural indicators become the statements raters rate, 1–5."),
    )
    question_1 = forms.CharField(
        label=_("Open question 1"),
        max_length=300,
        required=False,
        initial="What should this person keep doing?",
    )
    question_2 = forms.CharField(
        label=_("Open question 2"),
        max_length=300,
        required=False,
        initial="What one thing would make them more effective?",
    )
    nominations_close_on = forms.DateField(
        label=_("Nominations close on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    responses_close_on = forms.DateField(
        label=_("Answers close on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    min_per_group = forms.IntegerField(
        label=_("Minimum raters per group"), initial=3, min_value=1, max_value=20
    )
    recommended_per_group = forms.IntegerField(
        label=_("Recommended raters per group"), initial=5, min_value=1, max_value=20
    )
    max_per_group = forms.IntegerField(
        label=_("Maximum raters per group"), initial=10, min_value=1, max_value=30
    )
    pulse_every_weeks = forms.IntegerField(
        label=_("Behaviour pulse every … weeks"),
        required=False,
        min_value=2,
        max_value=26,
        help_text=_(
            "Optional, baselines only: a short pulse to the manager and peers until the follow-up."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "cohort", forms.ModelChoiceField).queryset = Cohort.objects.order_by(
            "name"
        )
        typed_field(self, "baseline", forms.ModelChoiceField).queryset = Cycle.objects.filter(
            kind=Cycle.Kind.BASELINE, status=Cycle.Status.CLOSED
        )
        typed_field(self, "competencies", forms.ModelMultipleChoiceField).queryset = (
            Competency.objects.filter(indicators__isnull=False)
            .distinct()
            .order_by("position", "name")
        )


class NominationForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("How they work with you"),
        choices=[(g.value, g.label) for g in NOMINATED_GROUPS],
        initial=Relationship.PEER,
    )
    email = forms.EmailField(label=_("E-mail address"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)


class AddRaterForm(NominationForm):
    """An HR admin adds a rater to a learner's approved list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "add_%s")
        super().__init__(*args, **kwargs)
        self.fields["relationship"].label = _("How they work with the learner")
