"""Forms for people, teams, invitations, imports and the audit log filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations import tabular
from organizations.forms import typed_field
from organizations.listed_fields import (
    ListedDateInput,
    ListedFields,
    ListedSelect,
    ListedTextInput,
)
from organizations.models import Membership, Role, Team
from organizations.people.queries import STATUS_LABELS, AuditChoices, FilterChoices

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _member_by_email(email: str, field_label: str) -> Membership | None:
    if not email:
        return None
    member = (
        Membership.objects.select_related("user").filter(user__email__iexact=email.strip()).first()
    )
    if member is None:
        raise forms.ValidationError(
            _("%(email)s is not a member of this organisation.") % {"email": email}
        )
    return member


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.ModelChoiceField(
        label=_("Part of"),
        queryset=Team.objects.unscoped().none(),
        required=False,
        empty_label=_("— top level —"),
        help_text=_("The team this one sits under, if any."),
    )
    manager_email = forms.EmailField(
        label=_("Manager's e-mail"),
        required=False,
        help_text=_("A member of the organisation who leads this team."),
    )

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Team.objects.order_by("name")
        if team is not None:
            parents = parents.exclude(pk=team.pk)
        typed_field(self, "parent", forms.ModelChoiceField).queryset = parents

    def clean_manager_email(self) -> Membership | None:
        return _member_by_email(self.cleaned_data["manager_email"], "manager_email")


ROLE_CHOICES = [(r, label) for r, label in Role.choices]


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"))
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    function = forms.CharField(
        label=_("Function"),
        max_length=100,
        required=False,
        help_text=_("For example Operations, Commercial, Finance."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.unscoped().none(),
        required=False,
        empty_label=_("— none —"),
    )
    manager_email = forms.EmailField(
        label=_("Manager's e-mail"), required=False, help_text=_("Leave empty for no manager.")
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[Role.LEARNER],
        error_messages={"required": _("Choose at least one role.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "team", forms.ModelChoiceField).queryset = Team.objects.order_by("name")
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_manager_email(self) -> Membership | None:
        return _member_by_email(self.cleaned_data["manager_email"], "manager_email")

    @classmethod
    def initial_for(cls, membership: Membership) -> dict[str, Any]:
        return {
            "name": membership.user.full_name,
            "email": membership.user.email,
            "job_title": membership.job_title,
            "function": membership.function,
            "team": membership.team_id,
            "manager_email": membership.manager.user.email if membership.manager else "",
            "roles": membership.roles,
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A header row, then one person a row. Columns: email, name, title, function, team, "
            "manager_email, roles (e.g. learner;coach). Separated by commas, semicolons or tabs; "
            "UTF-8, or Excel's Unicode Text. Up to 5 MB."
        ),
    )

    def clean_file(self) -> tuple[str, str]:
        """The file's name and text: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's
        "Unicode Text") or Windows-1252; anything else is refused with what to do."""
        upload = self.cleaned_data["file"]
        too_big = tabular.size_problem(upload.size, MAX_UPLOAD_BYTES)
        if too_big:
            raise forms.ValidationError(too_big)
        try:
            return upload.name, tabular.decode_text(upload.read())
        except tabular.FileRefused as refused:
            raise forms.ValidationError(refused.message) from None


class PeopleFilterForm(ListedFields, forms.Form):
    q = forms.CharField(
        label=_("Search name or e-mail"), required=False, max_length=200, widget=ListedTextInput
    )
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=ListedSelect
    )
    role = forms.ChoiceField(label=_("Role"), required=False, widget=ListedSelect)
    function = forms.ChoiceField(label=_("Function"), required=False, widget=ListedSelect)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=ListedSelect)

    def __init__(self, *args: Any, choices: FilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything: list[tuple[object, object]] = [("", _("Any"))]
        typed_field(self, "team", forms.ChoiceField).choices = anything + choices.teams
        if choices.many_teams:
            self.fields["team"].help_text = _(
                "Too many teams to list here: on the Teams page, search for the team and "
                "follow its number of members."
            )
        typed_field(self, "role", forms.ChoiceField).choices = anything + ROLE_CHOICES
        typed_field(self, "function", forms.ChoiceField).choices = anything + [
            (f, f) for f in choices.functions
        ]
        typed_field(self, "status", forms.ChoiceField).choices = anything + list(
            STATUS_LABELS.items()
        )


class TeamFilterForm(ListedFields, forms.Form):
    q = forms.CharField(
        label=_("Search teams"), required=False, max_length=200, widget=ListedTextInput
    )


class AuditFilterForm(ListedFields, forms.Form):
    actor = forms.TypedChoiceField(
        label=_("Who"), required=False, coerce=int, empty_value=None, widget=ListedSelect
    )
    object_type = forms.ChoiceField(label=_("What"), required=False, widget=ListedSelect)
    action = forms.ChoiceField(label=_("Action"), required=False, widget=ListedSelect)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=ListedDateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=ListedDateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, choices: AuditChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything: list[tuple[object, object]] = [("", _("Any"))]
        typed_field(self, "actor", forms.ChoiceField).choices = anything + choices.actors
        typed_field(self, "object_type", forms.ChoiceField).choices = anything + [
            (t, t) for t in choices.object_types
        ]
        typed_field(self, "action", forms.ChoiceField).choices = anything + [
            (a, a) for a in choices.actions
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
