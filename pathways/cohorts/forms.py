"""Forms for cohorts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from organizations.forms import typed_field
from organizations.listed_fields import ListedEmailInput, ListedSelect, ListedTextInput
from organizations.models import Membership, Role
from pathways.cohorts.queries import Choices
from pathways.models import Cohort, PathwayVersion


class FlatChoices(BaseChoiceIterator):
    """Choices that are already flat ``(value, label)`` pairs (our own reads): a field keeps
    them as they are, where it would otherwise normalise a list of a thousand teams again on
    every page (Django leaves a choice iterator alone)."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class CohortForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    version = forms.ModelChoiceField(
        label=_("Pathway"),
        queryset=PathwayVersion.objects.unscoped().none(),
        help_text=_("Only published versions can run; publish a draft from the pathway builder."),
        empty_label=_("— choose a published pathway —"),
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Cohort.Status.choices)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["version"]
        else:
            del self.fields["status"]
            typed_field(self, "version", forms.ModelChoiceField).queryset = (
                PathwayVersion.objects.filter(status=PathwayVersion.Status.PUBLISHED)
                .select_related("pathway")
                .order_by("pathway__name", "-number")
            )

    def has_versions(self) -> bool:
        """Whether a published version can be chosen (the create form)."""
        queryset = typed_field(self, "version", forms.ModelChoiceField).queryset
        return queryset is not None and queryset.exists()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date is before the start date."))
        return data


def _member_with_email(email: str, refusal: str | Promise) -> Membership:
    """The organisation's member whose e-mail is ``email`` (any capitals), or the field's
    error ``refusal`` (with ``%(email)s``)."""
    email = email.strip()
    member = Membership.objects.select_related("user").filter(user__email__iexact=email).first()
    if member is None:
        raise forms.ValidationError(str(refusal) % {"email": email})
    return member


class AddLearnerForm(forms.Form):
    email = forms.EmailField(label=_("Learner's e-mail"), widget=ListedEmailInput)

    def clean_email(self) -> Membership:
        return _member_with_email(
            self.cleaned_data["email"],
            _("%(email)s is not a member of this organisation. Invite them first."),
        )


class LearnerFilterForm(forms.Form):
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=ListedSelect
    )
    job_title = forms.CharField(
        label=_("Job title contains"),
        required=False,
        max_length=200,
        widget=ListedTextInput,
        help_text=_("Any part of the title, e.g. “manager”; capitals do not matter."),
    )
    role = forms.ChoiceField(
        label=_("Also holds the platform role"), required=False, widget=ListedSelect
    )
    function = forms.ChoiceField(label=_("Function"), required=False, widget=ListedSelect)

    def __init__(self, *args: Any, choices: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        typed_field(self, "team", forms.ChoiceField).choices = FlatChoices(
            [*anything, *choices.teams]
        )
        typed_field(self, "role", forms.ChoiceField).choices = anything + [
            (r, label) for r, label in Role.choices if r != Role.LEARNER
        ]
        typed_field(self, "function", forms.ChoiceField).choices = FlatChoices(
            anything + [(f, f) for f in choices.functions]
        )


class StaffForm(forms.Form):
    """A coach or sponsor to assign, by e-mail: the people who can be assigned are found as the
    admin types (``people_url``, the cohort's ``cohort_staff_people`` for the field's
    ``prefix``, the kind), never listed in full, as an organisation may have hundreds of
    coaches. Whether the person holds the role is the service's to say."""

    email = forms.EmailField(
        widget=ListedEmailInput,
        help_text=_("Type part of their name or e-mail, then choose them from the list."),
    )

    def __init__(self, *args: Any, label: str, people_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = label
        if people_url:
            # The suggestions: the first people on focus, then those matching what is typed,
            # as the options of the field's list (``staff_people_list``).
            field.widget.attrs.update(
                {
                    "list": f"{self.prefix}-people",
                    "autocomplete": "off",
                    "hx-get": people_url,
                    "hx-trigger": "focus once, input changed delay:300ms",
                    "hx-target": f"#{self.prefix}-people",
                    "hx-sync": "this:replace",
                }
            )

    def clean_email(self) -> Membership:
        return _member_with_email(
            self.cleaned_data["email"], _("%(email)s is not a member of this organisation.")
        )
