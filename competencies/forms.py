"""Forms shape input; the rules (names unique, weights 1–5, usage) live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from competencies.portability import MAX_BYTES
from competencies.queries import LevelView

WEIGHT_CHOICES = [
    (1, _("1 – contributes a little")),
    (2, _("2 – contributes")),
    (3, _("3 – matters")),
    (4, _("4 – matters a lot")),
    (5, _("5 – essential")),
]


def add_service_error(form: forms.Form, exc: ValidationError, field: str | None = None) -> None:
    """Attach a service ``ValidationError`` to ``form`` (a dict goes to its named fields)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field if field in form.fields else None, exc.messages)


class FrameworkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the framework is for and whom it describes."),
    )


class CompetencyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.CharField(
        label=_("Category"),
        max_length=100,
        required=False,
        help_text=_("Groups competencies, e.g. “Leading self”, “Leading others”."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What good looks like, in a sentence or two."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Suggests the framework's existing categories (a <datalist> on the framework page).
        self.fields["category"].widget.attrs["list"] = "category-suggestions"


class IndicatorForm(forms.Form):
    text = forms.CharField(
        label=_("Observable behaviour"),
        max_length=300,
        help_text=_(
            "Something a colleague could see or hear, e.g. “Names the impact before the fix”."
        ),
    )


class ScaleForm(forms.Form):
    """A label and a descriptor per level of the framework's scale."""

    def __init__(self, *args: Any, levels: list[LevelView], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        for level in levels:
            self.fields[f"label_{level.value}"] = forms.CharField(
                label=_("Level %(value)d label") % {"value": level.value},
                max_length=80,
                initial=level.label,
            )
            self.fields[f"descriptor_{level.value}"] = forms.CharField(
                label=_("Level %(value)d descriptor") % {"value": level.value},
                required=False,
                initial=level.descriptor,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple[LevelView, forms.BoundField, forms.BoundField]]:
        return [
            (level, self[f"label_{level.value}"], self[f"descriptor_{level.value}"])
            for level in self.levels
        ]

    def changes(self) -> dict[int, tuple[str, str]]:
        return {
            level.value: (
                self.cleaned_data[f"label_{level.value}"],
                self.cleaned_data[f"descriptor_{level.value}"],
            )
            for level in self.levels
        }


class LevelForm(forms.Form):
    """A new level at the top of the scale; ``value`` is the number the admin saw as next."""

    value = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    label = forms.CharField(label=_("Label"), max_length=80)
    descriptor = forms.CharField(
        label=_("Descriptor"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What someone at this level does that someone a level below does not."),
    )


class LevelValueForm(forms.Form):
    """The level an admin confirmed removing (compared with the scale's top when it is done)."""

    value = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Framework file (.json)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    text = forms.CharField(
        label=_("…or paste the JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Import under another name (optional)"),
        max_length=200,
        required=False,
        help_text=_(
            "Leave empty to use the name in the file. Give a new name to import a copy next to "
            "a framework that already has that name."
        ),
    )
    include_priorities = forms.BooleanField(
        label=_("Also import the strategic priorities and their links"),
        required=False,
        initial=True,
        help_text=_("A priority whose title already exists here is reused, not duplicated."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload and text:
            raise ValidationError(_("Upload a file or paste JSON, not both."))
        if not upload and not text:
            raise ValidationError(_("Choose a framework file or paste its JSON."))
        if upload and upload.size > MAX_BYTES:
            self.add_error(
                "file", _("The file is larger than 2 MB; a framework file is far smaller.")
            )
        return data

    def raw(self) -> str | bytes:
        upload = self.cleaned_data.get("file")
        return upload.read() if upload else self.cleaned_data["text"]


class PriorityForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_(
            "An outcome the business is working towards, e.g. “Cut customer churn by a fifth”."
        ),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AlignmentForm(forms.Form):
    competency = forms.TypedChoiceField(label=_("Competency"), coerce=int)
    weight = forms.TypedChoiceField(
        label=_("Weight"),
        coerce=int,
        choices=WEIGHT_CHOICES,
        initial=3,
        help_text=_("How much this competency contributes to the priority."),
    )

    def __init__(
        self, *args: Any, choices: list[tuple[str, list[tuple[int, str]]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["competency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a competency"))] + [
            (group, options) for group, options in choices
        ]
