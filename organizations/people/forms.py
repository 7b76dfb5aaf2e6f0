"""Forms for people, teams, invitations, imports and the audit log filters."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from organizations import tabular
from organizations.forms import typed_field
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


def _attrs_html(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``, written directly."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListedSelect(forms.Select):
    """A drop-down whose options Django works out as for any ``Select`` (which one is chosen,
    the attributes) but whose HTML is written here rather than by the form renderer's
    templates, one included template per option: the same markup, for the filters of lists
    that are drawn on every request."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs_html(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        # Each option's own template ends in a line break; the whole is stripped, as the
        # form renderer does.
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (each value escaped above)


class _ListedInput(forms.Widget):
    """``django/forms/widgets/input.html``, written directly (see ``ListedSelect``)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        value_html = "" if shown is None else f' value="{conditional_escape(str(shown))}"'
        return mark_safe(  # noqa: S308 (each value escaped)
            f'<input type="{conditional_escape(widget["type"])}"'
            f' name="{conditional_escape(widget["name"])}"{value_html}'
            f"{_attrs_html(widget['attrs'])}>"
        )


class ListedTextInput(_ListedInput, forms.TextInput):
    pass


class ListedDateInput(_ListedInput, forms.DateInput):
    pass


def field_html(field: forms.BoundField) -> SafeString:
    """What ``{% include "includes/field.html" %}`` writes for ``field`` (its label, widget,
    help and errors), put together directly: a list page's filters are drawn on every
    request, and an included template per field costs more than its list's rows."""
    auto_id = conditional_escape(field.auto_id)
    required = ' <span aria-hidden="true">*</span>' if field.field.required else ""
    help_text = (
        f'<p class="field__help" id="{auto_id}_helptext">{conditional_escape(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    errors = "".join(
        f'<p class="field__error" id="{auto_id}_error">{conditional_escape(str(error))}</p>'
        for error in field.errors
    )
    return mark_safe(  # noqa: S308 (each value escaped)
        f'<div class="field{" field--invalid" if field.errors else ""}">\n'
        f'  <label for="{conditional_escape(field.id_for_label)}">'
        f"{conditional_escape(field.label)}{required}</label>\n"
        f"  {field}\n"
        f"  {help_text}\n"
        f"  {errors}\n"
        "</div>\n"
    )


class _ListedFields:
    """A filter form whose fields the page draws with ``field_html``: ``form.listed.<name>``."""

    @cached_property
    def listed(self) -> dict[str, SafeString]:
        return {name: field_html(self[name]) for name in self.fields}  # type: ignore[attr-defined,index]


class PeopleFilterForm(_ListedFields, forms.Form):
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


class TeamFilterForm(_ListedFields, forms.Form):
    q = forms.CharField(
        label=_("Search teams"), required=False, max_length=200, widget=ListedTextInput
    )


class AuditFilterForm(_ListedFields, forms.Form):
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
