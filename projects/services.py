"""Every write for project templates: check_* validates, do_* changes state and audits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from competencies.models import Competency
from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import User
from projects.models import MilestoneTemplate, ProjectTemplate, ProjectTemplateCompetency

MAX_OFFSET_WEEKS = 104  # two years: longer than any leadership programme


@dataclass(frozen=True)
class MilestoneInput:
    title: str
    offset_weeks: int


def check_project_template(
    *,
    title: str,
    brief: str,
    scope: str,
    milestones: list[MilestoneInput],
    exclude: ProjectTemplate | None = None,
) -> None:
    """Raise ValidationError (all problems at once, keyed by the form field each is about;
    milestone rows under NON_FIELD_ERRORS) unless the template can be saved."""
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = [_("Give the project template a title.")]
    else:
        clash = ProjectTemplate.objects.filter(title__iexact=title.strip())
        if exclude is not None:
            clash = clash.exclude(pk=exclude.pk)
        if clash.exists():
            problems["title"] = [_template_title_taken(title)]
    if not brief.strip():
        problems["brief"] = [
            _("Write the brief: what the learner will take on and why it matters.")
        ]
    if scope not in ProjectTemplate.Scope.values:
        problems["scope"] = [_("Choose the scope: team, cross-functional or organisation-wide.")]
    rows: list[str] = []
    for number, milestone in enumerate(milestones, start=1):
        if not milestone.title.strip():
            rows.append(_("Milestone %(n)s needs a title.") % {"n": number})
        if not 0 <= milestone.offset_weeks <= MAX_OFFSET_WEEKS:
            rows.append(
                _("Milestone %(n)s must fall between week 0 and week %(max)s.")
                % {"n": number, "max": MAX_OFFSET_WEEKS}
            )
    if rows:
        problems[NON_FIELD_ERRORS] = rows
    if problems:
        raise ValidationError(problems)


def _template_title_taken(title: str) -> str:
    return _("A project template called “%(title)s” already exists.") % {"title": title.strip()}


def _state(template: ProjectTemplate) -> dict:
    return {
        **snapshot(template),
        "competencies": sorted(
            ProjectTemplateCompetency.objects.filter(template=template).values_list(
                "competency_id", flat=True
            )
        ),
        "milestones": [
            [m.title, m.offset_weeks]
            for m in MilestoneTemplate.objects.filter(template=template).order_by(
                "offset_weeks", "id"
            )
        ],
    }


def do_save_project_template(
    actor: User | None,
    template: ProjectTemplate | None,
    *,
    title: str,
    brief: str,
    expected_outcomes: str = "",
    scope: str = ProjectTemplate.Scope.TEAM,
    sponsor_required: bool = False,
    competencies: Iterable[Competency] = (),
    milestones: Iterable[MilestoneInput] = (),
) -> ProjectTemplate:
    """Create (``template`` None) or replace a project template with its milestones and
    competencies."""
    milestones = list(milestones)
    # The title check cannot see a template another request is saving at the same moment.
    taken = ValidationError({"title": [_template_title_taken(title)]})
    with refuse_duplicate(ProjectTemplate, "projecttemplate_unique_title_ci", taken):
        check_project_template(
            title=title, brief=brief, scope=scope, milestones=milestones, exclude=template
        )
        before = _state(template) if template is not None else None
        if template is None:
            template = ProjectTemplate()
        template.title = title.strip()
        template.brief = brief.strip()
        template.expected_outcomes = expected_outcomes.strip()
        template.scope = scope
        template.sponsor_required = sponsor_required
        template.save()
        ProjectTemplateCompetency.objects.filter(template=template).delete()
        ProjectTemplateCompetency.objects.bulk_create(
            [
                ProjectTemplateCompetency(
                    organization_id=template.organization_id, template=template, competency=c
                )
                for c in {c.pk: c for c in competencies}.values()
            ]
        )
        MilestoneTemplate.objects.filter(template=template).delete()
        MilestoneTemplate.objects.bulk_create(
            [
                MilestoneTemplate(
                    organization_id=template.organization_id,
                    template=template,
                    title=m.title.strip(),
                    offset_weeks=m.offset_weeks,
                )
                for m in milestones
            ]
        )
        record_change(
            actor,
            "created" if before is None else "updated",
            template,
            before=before,
            after=_state(template),
        )
    return template


def check_can_delete_project_template(template: ProjectTemplate) -> None:
    from pathways.services import check_template_not_in_steps

    check_template_not_in_steps(template.title, project_template=template)


def do_delete_project_template(actor: User | None, template: ProjectTemplate) -> None:
    with transaction.atomic():
        check_can_delete_project_template(template)
        record_change(actor, "deleted", template, before=_state(template))
        template.delete()
