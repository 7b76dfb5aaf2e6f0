"""Every write for project templates: check_* validates, do_* changes state and audits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competencies.models import Competency
from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import Membership, User
from organizations.outbox.delivery import record_followup
from projects.models import (
    BenefitClaim,
    Milestone,
    MilestoneDateChange,
    MilestoneTemplate,
    OutcomeResult,
    Project,
    ProjectDecision,
    ProjectLearner,
    ProjectTemplate,
    ProjectTemplateCompetency,
    RatingRequest,
    Stakeholder,
    StakeholderRating,
    StatusUpdate,
)

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


# --- Running projects ------------------------------------------------------------------------
#
# Who may do what: the learners on a project (``ProjectLearner``) run it; the owner edits the
# charter while it is a draft or sent back; the sponsor approves, decides claims and signs off;
# an admin may exclude a claim. Views pass the acting membership; every check names the rule.

SCOPE_ORDER: list[str] = [
    ProjectTemplate.Scope.TEAM.value,
    ProjectTemplate.Scope.CROSS_FUNCTIONAL.value,
    ProjectTemplate.Scope.ORGANISATION.value,
]
RATING_SCALE = range(1, 6)
# Reminders to stakeholders who have not answered: at most two, this many days apart.
REMINDER_DAYS = (3, 6)
MAX_FUNCTIONS = 12
MAX_STAKEHOLDERS = 30
EDITABLE = (Project.Status.DRAFT, Project.Status.SENT_BACK)


@dataclass(frozen=True)
class MilestonePlan:
    title: str
    due_on: dt.date


@dataclass(frozen=True)
class StakeholderInput:
    name: str
    email: str


@dataclass(frozen=True)
class CharterInput:
    title: str
    problem: str
    scope: str
    expected_outcomes: str
    start_date: dt.date
    end_date: dt.date
    scope_reason: str = ""
    sponsor_email: str = ""
    co_learner_emails: Sequence[str] = ()
    functions: Sequence[str] = ()
    stakeholders: Sequence[StakeholderInput] = ()
    milestones: Sequence[MilestonePlan] = ()


@dataclass(frozen=True)
class ClaimInput:
    measure: str
    annual_value: Decimal
    basis: str
    isolation_pct: Decimal
    confidence_pct: Decimal
    is_revenue: bool = False


@dataclass
class _Resolved:
    sponsor: Membership | None
    co_learners: list[tuple[Membership, int]] = field(default_factory=list)  # (member, enrolment)
    stakeholder_members: dict[str, Membership] = field(default_factory=dict)


def _problems(problems: dict[str, list[str]]) -> None:
    if problems:
        raise ValidationError(problems)


def scope_is_wider(template_scope: str, scope: str) -> bool:
    if template_scope not in SCOPE_ORDER or scope not in SCOPE_ORDER:
        return False
    return SCOPE_ORDER.index(scope) > SCOPE_ORDER.index(template_scope)


def check_project_step(owner: Membership, enrollment_id: int, step_id: int) -> tuple[int, object]:
    """The learner's open project step: ``(cohort_id, step)`` with its template, or raise
    ``DoesNotExist`` (not theirs) / ``ValidationError`` (not open, not a project step)."""
    from pathways.learning.queries import step_context
    from pathways.models import Enrollment, Step
    from pathways.queries import AVAILABLE, DONE

    context = step_context(owner, enrollment_id, step_id)
    if context.step.kind != "project":
        raise Step.DoesNotExist
    if context.step.state not in (AVAILABLE, DONE):
        raise ValidationError(
            _("“%(step)s” is not open yet: %(reason)s.")
            % {"step": context.step.title, "reason": context.step.reason}
        )
    step = Step.objects.select_related("project_template").get(pk=step_id)
    cohort_id = Enrollment.objects.values_list("cohort_id", flat=True).get(pk=enrollment_id)
    return cohort_id, step


def check_charter(
    owner: Membership,
    data: CharterInput,
    *,
    template: ProjectTemplate | None,
    cohort_id: int | None,
    step_key: Any,
    project: Project | None = None,
) -> _Resolved:
    """Validate a charter; raise ValidationError keyed by form field (all problems at once)."""
    from pathways.models import Enrollment

    problems: dict[str, list[str]] = {}
    if not data.title.strip():
        problems["title"] = [_("Give the project a title.")]
    if not data.problem.strip():
        problems["problem"] = [_("Say what problem the project tackles and why it matters.")]
    if not data.expected_outcomes.strip():
        problems["expected_outcomes"] = [_("Write at least one expected outcome, one per line.")]
    if data.scope not in SCOPE_ORDER:
        problems["scope"] = [_("Choose the scope: team, cross-functional or organisation-wide.")]
    elif (
        template is not None
        and scope_is_wider(template.scope, data.scope)
        and not data.scope_reason.strip()
    ):
        problems["scope_reason"] = [
            _(
                "This scope is wider than the template allows (%(allowed)s). Say why the "
                "wider scope is needed, or choose a narrower one."
            )
            % {"allowed": ProjectTemplate.Scope(template.scope).label}
        ]
    if data.end_date < data.start_date:
        problems["end_date"] = [_("The project must end on or after its start date.")]
    sponsor = None
    email = data.sponsor_email.strip().lower()
    if email:
        sponsor = (
            Membership.objects.select_related("user")
            .filter(user__email__iexact=email, is_active=True)
            .first()
        )
        if sponsor is None:
            problems["sponsor_email"] = [
                _("%(email)s is not a member of this organisation. Choose a colleague here.")
                % {"email": email}
            ]
        elif sponsor.pk == owner.pk:
            problems["sponsor_email"] = [_("You cannot sponsor your own project.")]
    elif template is not None and template.sponsor_required:
        problems["sponsor_email"] = [
            _("This project needs a sponsor: a leader who cares about the result and signs it off.")
        ]
    resolved = _Resolved(sponsor=sponsor)
    co_emails = sorted({e.strip().lower() for e in data.co_learner_emails if e.strip()})
    if co_emails:
        enrollments = {
            e.learner.user.email.lower(): e
            for e in Enrollment.objects.select_related("learner__user").filter(
                cohort_id=cohort_id or 0,
                status=Enrollment.Status.ACTIVE,
                learner__is_active=True,
                learner__user__email__in=co_emails,
                version__steps__key=step_key,
            )
        }
        wrong = [e for e in co_emails if e not in enrollments or e == owner.user.email.lower()]
        if wrong:
            problems["co_learners"] = [
                _(
                    "Not in your cohort with this project step: %(emails)s. Co-learners must be "
                    "enrolled in the same cohort and have this step in their pathway."
                )
                % {"emails": ", ".join(wrong)}
            ]
        else:
            taken = ProjectLearner.objects.filter(
                learner_id__in=[e.learner_id for e in enrollments.values()],
                project__step_key=step_key,
            )
            if project is not None:
                taken = taken.exclude(project=project)
            busy = sorted(taken.values_list("learner__user__email", flat=True))
            if busy:
                problems["co_learners"] = [
                    _("Already on another project for this step: %(emails)s.")
                    % {"emails": ", ".join(busy)}
                ]
            resolved.co_learners = [(e.learner, e.pk) for e in enrollments.values()]
        if sponsor is not None and sponsor.user.email.lower() in co_emails:
            problems["sponsor_email"] = [_("A learner on the project cannot also sponsor it.")]
    if len(data.functions) > MAX_FUNCTIONS:
        problems["functions"] = [_("Name at most %(n)s functions.") % {"n": MAX_FUNCTIONS}]
    stakeholder_rows: list[str] = []
    seen: set[str] = set()
    if len(data.stakeholders) > MAX_STAKEHOLDERS:
        stakeholder_rows.append(_("At most %(n)s stakeholders.") % {"n": MAX_STAKEHOLDERS})
    for number, person in enumerate(data.stakeholders, start=1):
        address = person.email.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            stakeholder_rows.append(
                _("Stakeholder %(n)s: “%(email)s” is not an e-mail address.")
                % {"n": number, "email": person.email}
            )
            continue
        if not person.name.strip():
            stakeholder_rows.append(_("Stakeholder %(n)s needs a name.") % {"n": number})
        if address in seen:
            stakeholder_rows.append(
                _("Stakeholder %(n)s: %(email)s is listed twice.") % {"n": number, "email": address}
            )
        seen.add(address)
    if stakeholder_rows:
        problems["stakeholders"] = stakeholder_rows
    elif seen:
        resolved.stakeholder_members = {
            m.user.email.lower(): m
            for m in Membership.objects.select_related("user").filter(
                user__email__in=seen, is_active=True
            )
        }
    milestone_rows: list[str] = []
    if not data.milestones:
        milestone_rows.append(_("Plan at least one milestone."))
    for number, milestone in enumerate(data.milestones, start=1):
        if not milestone.title.strip():
            milestone_rows.append(_("Milestone %(n)s needs a title.") % {"n": number})
        if milestone.due_on > data.end_date:
            milestone_rows.append(
                _("Milestone %(n)s (%(date)s) falls after the project's end (%(end)s).")
                % {"n": number, "date": milestone.due_on, "end": data.end_date}
            )
        elif milestone.due_on < data.start_date:
            milestone_rows.append(
                _("Milestone %(n)s (%(date)s) falls before the project starts (%(start)s).")
                % {"n": number, "date": milestone.due_on, "start": data.start_date}
            )
    if milestone_rows:
        problems["milestones"] = milestone_rows
    _problems(problems)
    return resolved


def _clean_functions(functions: Sequence[str]) -> list[str]:
    kept: dict[str, str] = {}
    for name in functions:
        name = name.strip()
        if name and name.lower() not in kept:
            kept[name.lower()] = name[:100]
    return list(kept.values())


def _charter_state(project: Project) -> dict:
    return {
        **snapshot(project),
        "learners": sorted(
            ProjectLearner.objects.filter(project=project).values_list("learner_id", flat=True)
        ),
        "stakeholders": sorted(
            Stakeholder.objects.filter(project=project).values_list("email", flat=True)
        ),
        "milestones": [
            [m.title, m.due_on.isoformat()]
            for m in Milestone.objects.filter(project=project).order_by("due_on", "position")
        ],
    }


def _write_charter(project: Project, data: CharterInput, resolved: _Resolved) -> None:
    project.title = data.title.strip()
    project.problem = data.problem.strip()
    project.scope = data.scope
    project.scope_reason = data.scope_reason.strip()
    project.expected_outcomes = "\n".join(
        line.strip() for line in data.expected_outcomes.splitlines() if line.strip()
    )
    project.sponsor = resolved.sponsor
    project.functions = _clean_functions(data.functions)
    project.start_date = data.start_date
    project.end_date = data.end_date
    project.save()
    ProjectLearner.objects.filter(project=project).exclude(learner_id=project.owner_id).delete()
    ProjectLearner.objects.bulk_create(
        [
            ProjectLearner(
                organization_id=project.organization_id,
                project=project,
                learner=member,
                enrollment_id=enrollment_id,
            )
            for member, enrollment_id in resolved.co_learners
        ]
    )
    Stakeholder.objects.filter(project=project).delete()
    Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                organization_id=project.organization_id,
                project=project,
                name=person.name.strip(),
                email=person.email.strip().lower(),
                membership=resolved.stakeholder_members.get(person.email.strip().lower()),
            )
            for person in data.stakeholders
        ]
    )
    Milestone.objects.filter(project=project).delete()
    Milestone.objects.bulk_create(
        [
            Milestone(
                organization_id=project.organization_id,
                project=project,
                title=m.title.strip(),
                position=i,
                due_on=m.due_on,
            )
            for i, m in enumerate(sorted(data.milestones, key=lambda m: m.due_on))
        ]
    )


def planned_milestones(template: ProjectTemplate | None, start: dt.date) -> list[MilestonePlan]:
    """The template's milestones as dates from ``start`` (what the charter form pre-fills)."""
    if template is None:
        return []
    return [
        MilestonePlan(m.title, start + dt.timedelta(weeks=m.offset_weeks))
        for m in MilestoneTemplate.objects.filter(template=template).order_by("offset_weeks", "id")
    ]


def do_start_project(
    owner: Membership, enrollment_id: int, step_id: int, data: CharterInput
) -> Project:
    """Create the draft project for the learner's project step (one per learner and step).

    Raises ``DoesNotExist`` when the step is not the learner's, ``ValidationError`` otherwise."""
    with transaction.atomic():
        # Lock the learner: a double submit creates one project.
        Membership.objects.select_for_update().filter(pk=owner.pk).first()
        cohort_id, step = check_project_step(owner, enrollment_id, step_id)
        key = step.key  # type: ignore[attr-defined]
        if ProjectLearner.objects.filter(learner=owner, project__step_key=key).exists():
            raise ValidationError(_("You already have a project for this step."))
        template = step.project_template  # type: ignore[attr-defined]
        resolved = check_charter(owner, data, template=template, cohort_id=cohort_id, step_key=key)
        project = Project(
            template=template,
            cohort_id=cohort_id,
            step_key=key,
            owner=owner,
            sponsor_required=bool(template and template.sponsor_required),
        )
        _write_charter(project, data, resolved)
        ProjectLearner.objects.create(project=project, learner=owner, enrollment_id=enrollment_id)
        record_change(owner.user, "created", project, after=_charter_state(project))
    return project


def check_is_learner_on(actor: Membership, project: Project) -> None:
    if not ProjectLearner.objects.filter(project=project, learner=actor).exists():
        raise ValidationError(_("Only the learners on this project can do that."))


def _lock(project: Project) -> Project:
    locked = Project.objects.select_for_update().get(pk=project.pk)
    return locked


def check_charter_editable(actor: Membership, project: Project) -> None:
    if project.owner_id != actor.pk:
        raise ValidationError(_("Only the learner who started the project edits its charter."))
    if project.status not in EDITABLE:
        raise ValidationError(
            _(
                "The charter was approved (or is waiting for your sponsor) and can no longer be "
                "edited. Post a status update or move a milestone's date instead."
            )
        )


def do_update_charter(actor: Membership, project: Project, data: CharterInput) -> Project:
    with transaction.atomic():
        project = _lock(project)
        check_charter_editable(actor, project)
        resolved = check_charter(
            actor,
            data,
            template=project.template,
            cohort_id=project.cohort_id,
            step_key=project.step_key,
            project=project,
        )
        before = _charter_state(project)
        _write_charter(project, data, resolved)
        record_change(actor.user, "updated", project, before=before, after=_charter_state(project))
    return project


def _decide(project: Project, actor: Membership, kind: str, comment: str = "") -> None:
    ProjectDecision.objects.create(project=project, actor=actor, kind=kind, comment=comment)


def _notify(handler: str, *args: object, key: str, run_after: dt.datetime | None = None) -> None:
    record_followup(f"projects.notifications.{handler}", *args, dedupe_key=key, run_after=run_after)


def do_submit_charter(actor: Membership, project: Project) -> Project:
    """Send the charter to the sponsor; with no sponsor (none required) the project starts."""
    with transaction.atomic():
        project = _lock(project)
        check_charter_editable(actor, project)
        if project.sponsor_required and project.sponsor_id is None:
            raise ValidationError(_("Name your sponsor in the charter before submitting it."))
        count = ProjectDecision.objects.filter(project=project).count()
        _decide(project, actor, ProjectDecision.Kind.SUBMITTED)
        if project.sponsor_id is None:
            _start_running(project, actor, _("No sponsor: the learner started the project."))
        else:
            project.status = Project.Status.SUBMITTED
            project.save(update_fields=["status"])
            _notify("charter_waiting", project.pk, key=f"project:{project.pk}:waiting:{count}")
        record_change(actor.user, "submitted", project)
    return project


def _start_running(project: Project, actor: Membership, comment: str = "") -> None:
    project.status = Project.Status.RUNNING
    project.approved_at = timezone.now()
    project.save(update_fields=["status", "approved_at"])
    _decide(project, actor, ProjectDecision.Kind.APPROVED, comment)
    milestones = list(Milestone.objects.filter(project=project))
    for m in milestones:
        m.approved_on = m.due_on
    Milestone.objects.bulk_update(milestones, ["approved_on"])
    for m in milestones:
        _queue_due_reminder(m)


def _queue_due_reminder(milestone: Milestone) -> None:
    """E-mail the learners the day before the milestone's current date (once per date)."""
    from organizations.relative_dates import zone_named
    from organizations.tenancy import current_org

    org = current_org()
    zone = zone_named(org.time_zone if org is not None else "UTC")
    when = dt.datetime.combine(milestone.due_on - dt.timedelta(days=1), dt.time(8), tzinfo=zone)
    if when <= timezone.now():
        return
    _notify(
        "milestone_due",
        milestone.pk,
        milestone.due_on.isoformat(),
        key=f"milestone:{milestone.pk}:due:{milestone.due_on.isoformat()}",
        run_after=when,
    )


def check_is_sponsor(actor: Membership, project: Project) -> None:
    if project.sponsor_id != actor.pk:
        raise ValidationError(_("Only the project's sponsor can do that."))


def do_review_charter(
    actor: Membership, project: Project, *, approve: bool, comment: str = ""
) -> Project:
    """The sponsor approves the charter (the milestones' dates become the approved dates) or
    sends it back with a comment the learner sees."""
    with transaction.atomic():
        project = _lock(project)
        check_is_sponsor(actor, project)
        if project.status != Project.Status.SUBMITTED:
            raise ValidationError(_("This charter is not waiting for your decision."))
        if not approve and not comment.strip():
            raise ValidationError(
                {"comment": [_("Say what the learner should change before you send it back.")]}
            )
        count = ProjectDecision.objects.filter(project=project).count()
        if approve:
            _start_running(project, actor, comment.strip())
            _notify("charter_approved", project.pk, key=f"project:{project.pk}:approved")
        else:
            project.status = Project.Status.SENT_BACK
            project.save(update_fields=["status"])
            _decide(project, actor, ProjectDecision.Kind.SENT_BACK, comment.strip())
            _notify("charter_sent_back", project.pk, key=f"project:{project.pk}:back:{count}")
        record_change(actor.user, "approved" if approve else "sent back", project)
    return project


def check_running(project: Project) -> None:
    if project.status != Project.Status.RUNNING:
        raise ValidationError(
            _("This project is not running: %(status)s.") % {"status": project.get_status_display()}
        )


def do_post_update(
    actor: Membership,
    project: Project,
    *,
    rag: str,
    progress: str,
    tried: str = "",
    blockers: str = "",
    next_steps: str = "",
    on: dt.date | None = None,
) -> StatusUpdate:
    with transaction.atomic():
        # A double submit: the project row serialises the two, and the second finds the
        # first's update (the author's latest, identical) and returns it.
        project = _lock(project)
        check_is_learner_on(actor, project)
        check_running(project)
        problems: dict[str, list[str]] = {}
        if rag not in StatusUpdate.Rag.values:
            problems["rag"] = [_("Choose on track, at risk or off track.")]
        if not progress.strip():
            problems["progress"] = [_("Say what progress you made.")]
        _problems(problems)
        fields = {
            "on": on or timezone.localdate(),
            "rag": rag,
            "progress": progress.strip(),
            "tried": tried.strip(),
            "blockers": blockers.strip(),
            "next_steps": next_steps.strip(),
        }
        latest = StatusUpdate.objects.filter(project=project, author=actor).order_by("-pk").first()
        if latest is not None and all(getattr(latest, k) == v for k, v in fields.items()):
            return latest
        update = StatusUpdate.objects.create(project=project, author=actor, **fields)
        record_change(actor.user, "status update", project, after=snapshot(update))
    return update


def do_complete_milestone(
    actor: Membership,
    milestone: Milestone,
    *,
    evidence: str,
    links: str = "",
    done_on: dt.date | None = None,
) -> Milestone:
    """Mark a milestone done with evidence. "On time" compares ``done_on`` with the approved
    date. Compare-and-set: a second submit changes nothing."""
    with transaction.atomic():
        project = milestone.project
        check_is_learner_on(actor, project)
        check_running(project)
        today = timezone.localdate()
        done_on = done_on or today
        problems: dict[str, list[str]] = {}
        if not evidence.strip():
            problems["evidence"] = [_("Describe the evidence: what was delivered, and where.")]
        if done_on > today:
            problems["done_on"] = [_("A milestone cannot be done in the future.")]
        if done_on < project.start_date:
            problems["done_on"] = [_("That date is before the project started.")]
        _problems(problems)
        updated = Milestone.objects.filter(pk=milestone.pk, done_on__isnull=True).update(
            done_on=done_on, evidence=evidence.strip(), evidence_links=links.strip()
        )
        if not updated:
            raise ValidationError(_("This milestone is already done."))
        milestone.refresh_from_db()
        record_change(actor.user, "milestone done", milestone, after=snapshot(milestone))
        _queue_team_rollups(project.pk)
    return milestone


def _queue_team_rollups(project_id: int) -> None:
    """The teams of the project's learners show its milestones and satisfaction: they roll up
    again (through the outbox, in this transaction)."""
    from measurement.impact import queue_team_rollups_for_learners

    queue_team_rollups_for_learners(
        ProjectLearner.objects.filter(project_id=project_id).values_list("learner_id", flat=True)
    )


def do_move_milestone(
    actor: Membership, milestone: Milestone, *, new_date: dt.date, reason: str
) -> Milestone:
    """Move a running project's milestone; the approved date stays (on time is judged
    against it) and the move is kept with its reason."""
    with transaction.atomic():
        project = milestone.project
        check_is_learner_on(actor, project)
        check_running(project)
        problems: dict[str, list[str]] = {}
        if milestone.done_on is not None:
            raise ValidationError(_("A milestone that is done cannot be moved."))
        if not reason.strip():
            problems["reason"] = [_("Say why the date moves.")]
        if new_date == milestone.due_on:
            problems["new_date"] = [_("Choose a different date.")]
        if new_date > project.end_date:
            problems["new_date"] = [
                _("The new date falls after the project's end (%(end)s).")
                % {"end": project.end_date}
            ]
        if new_date < project.start_date:
            problems["new_date"] = [_("The new date falls before the project started.")]
        _problems(problems)
        MilestoneDateChange.objects.create(
            milestone=milestone,
            actor=actor,
            old_date=milestone.due_on,
            new_date=new_date,
            reason=reason.strip(),
        )
        before = snapshot(milestone)
        milestone.due_on = new_date
        milestone.save(update_fields=["due_on"])
        _queue_due_reminder(milestone)
        record_change(
            actor.user, "milestone moved", milestone, before=before, after=snapshot(milestone)
        )
    return milestone


def _request_ratings(project: Project, milestone: Milestone | None) -> int:
    """Create one request per stakeholder for this occasion (skipping existing ones) and queue
    the e-mail and two reminders. Returns how many were created."""
    stakeholders = list(Stakeholder.objects.filter(project=project))
    existing = set(
        RatingRequest.objects.filter(project=project, milestone=milestone).values_list(
            "stakeholder_id", flat=True
        )
    )
    created = 0
    now = timezone.now()
    for person in stakeholders:
        if person.pk in existing:
            continue
        request = RatingRequest.objects.create(
            project=project, stakeholder=person, milestone=milestone
        )
        created += 1
        _notify("rating_request", request.pk, key=f"rating:{request.pk}:ask")
        for n, days in enumerate(REMINDER_DAYS, start=1):
            _notify(
                "rating_reminder",
                request.pk,
                n,
                key=f"rating:{request.pk}:reminder:{n}",
                run_after=now + dt.timedelta(days=days),
            )
    return created


def do_request_milestone_ratings(actor: Membership, milestone: Milestone) -> int:
    """Ask every stakeholder to rate the project at this milestone (once per milestone)."""
    with transaction.atomic():
        project = milestone.project
        check_is_learner_on(actor, project)
        check_running(project)
        if not Stakeholder.objects.filter(project=project).exists():
            raise ValidationError(_("The charter names no stakeholders to ask."))
        updated = Milestone.objects.filter(
            pk=milestone.pk, ratings_requested_at__isnull=True
        ).update(ratings_requested_at=timezone.now())
        if not updated:
            raise ValidationError(_("Stakeholders were already asked at this milestone."))
        created = _request_ratings(project, milestone)
        record_change(actor.user, "ratings requested", milestone, after={"requests": created})
    return created


class RatingUnavailable(Exception):
    """The rating link cannot be used; ``reason`` is used, expired, forged or gone."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def check_rating(scores: dict[str, int | None]) -> None:
    problems = {
        name: [_("Choose a rating from 1 to 5.")]
        for name, value in scores.items()
        if value not in RATING_SCALE
    }
    _problems(problems)


def do_submit_rating(
    request_id: int,
    *,
    outcome_quality: int | None,
    collaboration: int | None,
    communication: int | None,
    comment: str = "",
) -> StakeholderRating:
    """Record a stakeholder's answer once. Must run inside the tenant named by the link.
    Raises ``RatingUnavailable`` for a used or vanished request, ``ValidationError`` for bad
    scores (nothing written)."""
    with transaction.atomic():
        scores = {
            "outcome_quality": outcome_quality,
            "collaboration": collaboration,
            "communication": communication,
        }
        check_rating(scores)
        request = RatingRequest.objects.filter(pk=request_id).first()
        if request is None:
            raise RatingUnavailable("gone", _("This rating request no longer exists."))
        claimed = RatingRequest.objects.filter(pk=request_id, answered_at__isnull=True).update(
            answered_at=timezone.now()
        )
        if not claimed:
            raise RatingUnavailable(
                "used", _("This link was already used: your rating is recorded. Thank you.")
            )
        rating = StakeholderRating.objects.create(
            request=request,
            project_id=request.project_id,
            outcome_quality=int(outcome_quality or 0),
            collaboration=int(collaboration or 0),
            communication=int(communication or 0),
            comment=comment.strip()[:3000],
        )
        _queue_team_rollups(request.project_id)
    return rating


def check_claim(claim: ClaimInput, number: int) -> list[str]:
    rows = []
    if not claim.measure.strip():
        rows.append(_("Claim %(n)s: name the measure.") % {"n": number})
    if claim.annual_value < 0:
        rows.append(
            _("Claim %(n)s: the annual value cannot be negative; claim the size of the change.")
            % {"n": number}
        )
    for label, value in (
        (_("isolation"), claim.isolation_pct),
        (_("confidence"), claim.confidence_pct),
    ):
        if not 0 <= value <= 100:
            rows.append(
                _("Claim %(n)s: %(what)s must be between 0 and 100 %%.")
                % {"n": number, "what": label}
            )
    if not claim.basis.strip():
        rows.append(_("Claim %(n)s: say how you computed the value.") % {"n": number})
    return rows


def do_close_project(
    actor: Membership,
    project: Project,
    *,
    achieved: Sequence[str],
    claims: Sequence[ClaimInput] = (),
) -> Project:
    """The learner's closing report: what was achieved against each expected outcome, and any
    benefit claims. Stakeholders are asked for their end-of-project rating. With a sponsor the
    project waits for sign-off; without one it is closed and the pathway step is done."""
    with transaction.atomic():
        project = _lock(project)
        check_is_learner_on(actor, project)
        check_running(project)
        expected = project.outcome_lines
        problems: dict[str, list[str]] = {}
        achieved = list(achieved) + [""] * (len(expected) - len(achieved))
        missing = [i + 1 for i, text in enumerate(achieved[: len(expected)]) if not text.strip()]
        if missing:
            problems["achieved"] = [
                _("Say what was achieved against outcome %(n)s.") % {"n": n} for n in missing
            ]
        claim_rows = [row for i, c in enumerate(claims, start=1) for row in check_claim(c, i)]
        if claim_rows:
            problems["claims"] = claim_rows
        _problems(problems)
        OutcomeResult.objects.filter(project=project).delete()
        OutcomeResult.objects.bulk_create(
            [
                OutcomeResult(
                    organization_id=project.organization_id,
                    project=project,
                    position=i,
                    expected=text,
                    achieved=achieved[i].strip(),
                )
                for i, text in enumerate(expected)
            ]
        )
        BenefitClaim.objects.bulk_create(
            [
                BenefitClaim(
                    organization_id=project.organization_id,
                    project=project,
                    claimant=actor,
                    measure=c.measure.strip(),
                    annual_value=c.annual_value,
                    is_revenue=c.is_revenue,
                    basis=c.basis.strip(),
                    isolation_pct=c.isolation_pct,
                    confidence_pct=c.confidence_pct,
                )
                for c in claims
            ]
        )
        project.closed_at = timezone.now()
        count = ProjectDecision.objects.filter(project=project).count()
        _decide(project, actor, ProjectDecision.Kind.CLOSED)
        if project.sponsor_id is None:
            project.status = Project.Status.CLOSED
            project.save(update_fields=["status", "closed_at"])
            _complete_steps(project)
        else:
            project.status = Project.Status.CLOSING
            project.save(update_fields=["status", "closed_at"])
            _notify("closing_report", project.pk, key=f"project:{project.pk}:closing:{count}")
        _request_ratings(project, None)
        record_change(actor.user, "closed", project, after={"claims": len(claims)})
    return project


def _complete_steps(project: Project) -> None:
    """Every learner's pathway step for this project is done (the project's signed-off fact)."""
    from pathways.models import Enrollment, Step
    from pathways.services import do_complete_step

    if project.step_key is None:
        return
    places = list(ProjectLearner.objects.filter(project=project, enrollment__isnull=False))
    versions = dict(
        Enrollment.objects.filter(pk__in=[p.enrollment_id for p in places]).values_list(
            "pk", "version_id"
        )
    )
    steps = dict(
        Step.objects.filter(
            version_id__in=set(versions.values()), key=str(project.step_key)
        ).values_list("version_id", "pk")
    )
    for place in places:
        assert place.enrollment_id is not None
        step_id = steps.get(versions.get(place.enrollment_id))  # type: ignore[arg-type]
        if step_id is None:
            continue  # moved to a version without this step
        learner = Membership.objects.get(pk=place.learner_id)
        try:
            with transaction.atomic():
                do_complete_step(learner, place.enrollment_id, step_id, by_project=True)
        except (ValidationError, ObjectDoesNotExist):
            # A withdrawn enrolment or a step no longer in the pathway: the project's facts
            # stand; the pathway simply has nothing to complete.
            continue


def check_claim_decision(
    actor: Membership,
    claim: BenefitClaim,
    decision: str,
    adjusted_value: Decimal | None,
    reason: str,
) -> None:
    project = claim.project
    is_sponsor = project.sponsor_id == actor.pk
    if decision == BenefitClaim.Status.EXCLUDED:
        if not (is_sponsor or actor.is_admin):
            raise ValidationError(_("Only the sponsor or an HR admin can exclude a claim."))
        if not reason.strip():
            raise ValidationError(
                {"reason": [_("Say why the claim is excluded (unsupported or extreme).")]}
            )
        return
    if not is_sponsor:
        raise ValidationError(_("Only the project's sponsor confirms or rejects claims."))
    if project.status != Project.Status.CLOSING:
        raise ValidationError(_("Claims are decided while the project waits for sign-off."))
    if decision not in (BenefitClaim.Status.CONFIRMED, BenefitClaim.Status.REJECTED):
        raise ValidationError({"decision": [_("Choose confirm, reject or exclude.")]})
    if adjusted_value is not None and adjusted_value < 0:
        raise ValidationError({"adjusted_value": [_("The adjusted value cannot be negative.")]})
    if decision == BenefitClaim.Status.REJECTED and not reason.strip():
        raise ValidationError({"reason": [_("Say why you reject the claim.")]})


def do_decide_claim(
    actor: Membership,
    claim: BenefitClaim,
    *,
    decision: str,
    adjusted_value: Decimal | None = None,
    reason: str = "",
) -> BenefitClaim:
    with transaction.atomic():
        claim = BenefitClaim.objects.select_for_update().select_related("project").get(pk=claim.pk)
        check_claim_decision(actor, claim, decision, adjusted_value, reason)
        before = snapshot(claim)
        claim.status = decision
        claim.decided_by = actor
        claim.decided_on = timezone.localdate()
        if decision == BenefitClaim.Status.EXCLUDED:
            claim.excluded_reason = reason.strip()
        else:
            claim.decision_comment = reason.strip()
            claim.adjusted_value = (
                adjusted_value if decision == BenefitClaim.Status.CONFIRMED else None
            )
        claim.save()
        record_change(actor.user, f"claim {decision}", claim, before=before, after=snapshot(claim))
    return claim


def do_sign_off(
    actor: Membership, project: Project, *, rating: int | None, assessment: str
) -> Project:
    """The sponsor signs the project off: rating of the result (1-5) and a short assessment.
    Every claim must be decided first. The learners' pathway step is done."""
    with transaction.atomic():
        project = _lock(project)
        check_is_sponsor(actor, project)
        if project.status != Project.Status.CLOSING:
            raise ValidationError(_("The project is not waiting for sign-off."))
        problems: dict[str, list[str]] = {}
        if rating not in RATING_SCALE:
            problems["rating"] = [_("Rate the result from 1 to 5.")]
        if not assessment.strip():
            problems["assessment"] = [_("Write a short assessment for the learner.")]
        pending = BenefitClaim.objects.filter(
            project=project, status=BenefitClaim.Status.PENDING
        ).count()
        if pending:
            problems["__all__"] = [
                _("Decide the %(n)s benefit claim(s) waiting for you before signing off.")
                % {"n": pending}
            ]
        _problems(problems)
        project.status = Project.Status.SIGNED_OFF
        project.signed_off_at = timezone.now()
        project.sponsor_rating = rating
        project.sponsor_assessment = assessment.strip()
        project.save(
            update_fields=["status", "signed_off_at", "sponsor_rating", "sponsor_assessment"]
        )
        _decide(project, actor, ProjectDecision.Kind.SIGNED_OFF, assessment.strip())
        _complete_steps(project)
        _notify("signed_off", project.pk, key=f"project:{project.pk}:signed_off")
        record_change(actor.user, "signed off", project, after={"rating": rating})
    return project


def do_ask_for_more(actor: Membership, project: Project, *, comment: str) -> Project:
    """The sponsor is not ready to sign off: the project runs again, with the request."""
    with transaction.atomic():
        project = _lock(project)
        check_is_sponsor(actor, project)
        if project.status != Project.Status.CLOSING:
            raise ValidationError(_("The project is not waiting for sign-off."))
        if not comment.strip():
            raise ValidationError({"comment": [_("Say what more you need before signing off.")]})
        count = ProjectDecision.objects.filter(project=project).count()
        project.status = Project.Status.RUNNING
        project.save(update_fields=["status"])
        _decide(project, actor, ProjectDecision.Kind.MORE_ASKED, comment.strip())
        _notify("more_asked", project.pk, key=f"project:{project.pk}:more:{count}")
        record_change(actor.user, "asked for more", project)
    return project
