"""Forms for the catalogue, comments, recommendations and mentoring (validation of shape only;
the rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.forms import typed_field
from pathways.social.queries import CatalogueFilters, Colleague, FilterOptions
from pathways.social.services import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH


class CatalogueFilterForm(forms.Form):
    """The catalogue's GET form; unknown or malformed values are ignored, never an error page."""

    text = forms.CharField(label=_("Search"), required=False, max_length=200)
    competency = forms.TypedChoiceField(
        label=_("Competency"), required=False, coerce=int, empty_value=None
    )
    role = forms.ChoiceField(label=_("Role"), required=False)
    function = forms.ChoiceField(label=_("Function"), required=False)
    impact = forms.ChoiceField(label=_("Impact area"), required=False)
    format = forms.ChoiceField(label=_("Format"), required=False)

    def __init__(self, *args: Any, options: FilterOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        typed_field(self, "competency", forms.ChoiceField).choices = anything + [
            (str(pk), name) for pk, name in options.competencies
        ]
        typed_field(self, "role", forms.ChoiceField).choices = anything + [
            (v, v) for v in options.roles
        ]
        typed_field(self, "function", forms.ChoiceField).choices = anything + [
            (v, v) for v in options.functions
        ]
        typed_field(self, "impact", forms.ChoiceField).choices = anything + [
            (v, v) for v in options.impacts
        ]
        typed_field(self, "format", forms.ChoiceField).choices = anything + list(options.formats)
        self.fields["text"].widget.attrs.update(
            {"type": "search", "placeholder": _("e.g. feedback, delegation"), "autocomplete": "off"}
        )

    def filters(self) -> CatalogueFilters:
        """The valid filters; an invalid field is dropped (and reported next to the field)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return CatalogueFilters(
            text=data.get("text") or "",
            competency_id=data.get("competency"),
            role=data.get("role") or "",
            function=data.get("function") or "",
            impact=data.get("impact") or "",
            format=data.get("format") or "",
        )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Share what worked for you or ask a question. Your colleagues see your name."),
    )


class RecommendForm(forms.Form):
    recipient = forms.TypedChoiceField(label=_("Colleague"), coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this module, for them? At most 500 characters."),
    )

    def __init__(self, *args: Any, colleagues: list[Colleague], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "recipient", forms.ChoiceField).choices = [
            ("", _("Choose a colleague"))
        ] + [(str(c.id), c.label) for c in colleagues]


class OfferForm(forms.Form):
    competencies = forms.TypedMultipleChoiceField(
        label=_("Competencies you could mentor on"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one competency.")},
    )
    share_estimate = forms.BooleanField(
        label=_("Show colleagues who ask for a mentor my knowledge estimate on these"),
        help_text=_(
            "It comes from your quiz and scenario answers. Leave this unticked to keep it to "
            "yourself; colleagues then see only that you offer to mentor."
        ),
        required=False,
    )

    def __init__(self, *args: Any, competencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "competencies", forms.ChoiceField).choices = [
            (str(pk), name) for pk, name in competencies
        ]


class MentorRequestForm(forms.Form):
    competency = forms.TypedChoiceField(
        label=_("Competency you want help with"),
        coerce=int,
        empty_value=None,
        error_messages={"required": _("Choose the competency you would like help with.")},
    )
    note = forms.CharField(
        label=_("What you would like to work on (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your mentor sees this. At most 500 characters."),
    )

    def __init__(self, *args: Any, competencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "competency", forms.ChoiceField).choices = [
            ("", _("Choose a competency"))
        ] + [(str(pk), name) for pk, name in competencies]


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        error_messages={"required": _("Choose accept or decline.")},
    )
    note = forms.CharField(
        label=_("Note to your colleague (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
