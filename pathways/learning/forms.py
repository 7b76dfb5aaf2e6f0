"""Learner forms: shape and validation of input; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pathways.learning.queries import DiagnosticView, ElectiveGroupPage
from pathways.learning.services import ANSWER_MAX_LENGTH

SCALE = [(str(n), str(n)) for n in range(1, 6)]


class DiagnosticForm(forms.Form):
    """One required rating per competency of the pathway, on its framework's scale."""

    def __init__(self, diagnostic: DiagnosticView, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.diagnostic = diagnostic
        for competency in diagnostic.competencies:
            self.fields[f"competency_{competency.id}"] = forms.TypedChoiceField(
                label=competency.name,
                help_text=competency.description,
                choices=[
                    (level.value, f"{level.value} – {level.label}") for level in competency.levels
                ],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Rate yourself on this competency."),
                    "invalid_choice": _("Pick one of the levels shown."),
                },
            )

    def ratings(self) -> dict[int, int]:
        return {
            int(name.removeprefix("competency_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("competency_")
        }

    def rows(self) -> list[tuple[Any, Any]]:
        """(bound field, competency) pairs for the template."""
        return [(self[f"competency_{c.id}"], c) for c in self.diagnostic.competencies]


class PracticeAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=ANSWER_MAX_LENGTH,
        strip=True,
        error_messages={"required": _("Write your answer before saving.")},
        help_text=_("Saved as evidence of your practice; only you see it."),
    )


class ReactionForm(forms.Form):
    useful = forms.TypedChoiceField(
        label=_("How useful was it?"),
        choices=SCALE,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 = not at all, 5 = very"),
        error_messages={"required": _("Pick 1 to 5."), "invalid_choice": _("Pick 1 to 5.")},
    )
    relevant = forms.TypedChoiceField(
        label=_("How relevant is it to your work?"),
        choices=SCALE,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 = not at all, 5 = very"),
        error_messages={"required": _("Pick 1 to 5."), "invalid_choice": _("Pick 1 to 5.")},
    )


class ElectiveChoiceForm(forms.Form):
    """The learner's picks in one elective group."""

    steps = forms.MultipleChoiceField(
        label=_("Your choice"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pick the steps you want to take.")},
    )

    def __init__(self, group: ElectiveGroupPage, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"group-{group.id}")
        super().__init__(*args, **kwargs)
        self.group = group
        steps = self.fields["steps"]
        assert isinstance(steps, forms.MultipleChoiceField)
        steps.choices = [(o.key, o.title) for o in group.options if not o.skipped or o.done]
        steps.label = _("Choose %(k)s") % {"k": group.needed}
        if not self.is_bound:
            self.initial["steps"] = [o.key for o in group.options if o.chosen or o.done]
