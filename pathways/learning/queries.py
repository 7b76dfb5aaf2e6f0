"""Learner reads: the home with its one next step, diagnostic, module page, electives, history.

Every function returns plain dataclasses built with a fixed number of queries, whatever the
number of modules, cards and enrolments.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from competencies.models import Competency, ProficiencyLevel
from organizations.html_parts import blocktranslate, interpolate, url, url_with_ids
from organizations.models import Membership
from organizations.paging import requested_page
from organizations.raw_queries import fetch_row_sets, fetch_rows, moment_of, tenant_id
from organizations.relative_dates import local_today, relative_day_with_date
from organizations.templatetags.relative_dates import relative_date_against
from organizations.words import words as kept_words
from pathways import queries
from pathways.learning import next_actions
from pathways.markdown import render_markdown
from pathways.models import (
    ActivityEvent,
    Enrollment,
    Module,
    ModuleReaction,
    PersonalisationRule,
    PracticeAnswer,
    PracticeTask,
    RetrievalItem,
    ReviewCard,
    SelfAssessment,
    Step,
    VersionCompetency,
)
from pathways.scenarios.queries import first_line
from pathways.social.queries import (
    RecommendationView,
    recommendations_from,
    recommendations_statement,
)

HISTORY_PAGE_SIZE = 25
# Used when a framework has no proficiency scale of its own.
DEFAULT_SCALE = [
    (1, gettext_lazy("Beginning"), gettext_lazy("I rarely do this yet.")),
    (2, gettext_lazy("Developing"), gettext_lazy("I do this sometimes, with effort.")),
    (3, gettext_lazy("Proficient"), gettext_lazy("I do this reliably in familiar situations.")),
    (4, gettext_lazy("Advanced"), gettext_lazy("I do this well, even under pressure.")),
    (5, gettext_lazy("Role model"), gettext_lazy("Others learn this from me.")),
]


def review_session_url(org_slug: str) -> str | None:
    """The review session page, once the practice area provides it."""
    try:
        return url("review_session", org_slug=org_slug)
    except NoReverseMatch:
        return None


def visible_modules(membership: Membership) -> QuerySet[Module]:
    """Modules the learner may open: published ones, and any module of their own pathways
    (a retired module stays readable to those whose pathway version still holds it)."""
    versions = (
        Enrollment.objects.filter(learner=membership)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .values("version_id")
    )
    in_pathways = Step.objects.filter(version_id__in=versions).values("module_id")
    return Module.objects.filter(Q(status=Module.Status.PUBLISHED) | Q(pk__in=in_pathways))


# --- The home and its next step ---------------------------------------------------------


@dataclass
class NextStep:
    kind: str  # diagnostic | overdue | reviews | step | electives
    title: str
    reason: str
    url: str | None
    enrollment: queries.EnrollmentView | None = None
    step: queries.StepView | None = None


@dataclass(frozen=True)
class RecommendationCard(RecommendationView):
    """A recommendation as the home shows it, with its links and words."""

    module_url: str = ""
    dismiss_url: str = ""
    from_label: str = ""
    dismiss_label: str = ""


@dataclass
class HomeView:
    enrollments: list[queries.EnrollmentView]
    next_step: NextStep | None
    reviews_due: int
    review_url: str | None
    celebrations: list[queries.Celebration]
    recommendations: list[RecommendationView]

    @property
    def all_done(self) -> bool:
        return bool(self.enrollments) and self.next_step is None


def step_url(org_slug: str, enrollment_id: int, step_id: int) -> str:
    step_url_of = url_with_ids("learning_step", ("enrollment_id", "step_id"), org_slug=org_slug)
    return step_url_of(enrollment_id=enrollment_id, step_id=step_id)


@functools.lru_cache(maxsize=4096)
def _due_words(value: dt.date, today: dt.date, language: str | None) -> str:
    """``value|relative_date:"dated"`` on ``today`` in ``language``: the same for every learner
    of a cohort, so formed once per process (the due dates of a day are few)."""
    return relative_date_against(value, today, "dated")


def with_card_text(
    org_slug: str, enrollments: list[queries.EnrollmentView]
) -> list[queries.EnrollmentView]:
    """``enrollments`` with the links and words of their pathway cards (the home's
    ``enrollment-card``): built once per page here rather than per step in the template. No
    query."""
    step_url_of = url_with_ids("learning_step", ("enrollment_id", "step_id"), org_slug=org_slug)
    project_url_of = url_with_ids(
        "project_for_step", ("enrollment_id", "step_id"), org_slug=org_slug
    )
    diagnostic_url_of = url_with_ids("learning_diagnostic", ("enrollment_id",), org_slug=org_slug)
    electives_url_of = url_with_ids("learning_electives", ("enrollment_id",), org_slug=org_slug)
    today, language = local_today(), get_language()
    words = _card_words(language)
    translated = kept_words()
    for e in enrollments:
        e.diagnostic_url = diagnostic_url_of(enrollment_id=e.id)
        e.electives_url = electives_url_of(enrollment_id=e.id)
        for stage in e.stages:
            stage.progress_label = interpolate(
                translated["%(done)s/%(total)s done"], {"done": stage.done, "total": stage.required}
            )
            for s in stage.steps:
                s.url = step_url_of(enrollment_id=e.id, step_id=s.id)
                if s.kind == "project":
                    s.project_url = project_url_of(enrollment_id=e.id, step_id=s.id)
                if s.overdue:
                    s.due_note = " · " + interpolate(
                        translated["was due %(when)s"],
                        {"when": _due_words(s.due_on, today, language)},
                    )
                elif s.due_on and s.state != queries.DONE and s.required:
                    s.due_note = " · " + interpolate(
                        translated["due %(when)s"], {"when": _due_words(s.due_on, today, language)}
                    )
                if s.state == queries.AVAILABLE:
                    s.open_label = interpolate(translated["Open: %(title)s"], {"title": s.title})
                s.row_html = _step_row(s, e.electives_url, words)
        e.card_html = _card_body(e, words)
    return enrollments


@functools.lru_cache(maxsize=16)
def _card_words(language: str | None) -> dict[str, str]:
    """The fixed words of the pathway cards and their step rows in ``language`` (the active
    one), translated and escaped once per process: the catalogue does not change."""
    return {
        key: conditional_escape(_(message))
        for key, message in (
            ("done", "Done"),
            ("open_project", "Open project"),
            ("overdue", "Overdue"),
            ("open", "Open"),
            ("skipped", "Skipped"),
            ("not_chosen", "Not chosen"),
            ("choose", "Choose"),
            ("locked", "Locked"),
            ("completed", "Completed"),
            ("progress", "Progress"),
            ("tailor", "Rate yourself to tailor this pathway"),
            ("choose_electives", "Choose your electives"),
            ("review_electives", "Review your electives"),
            ("steps", "Steps"),
            ("finished", "Finished"),
        )
    }


def _card_body(e: queries.EnrollmentView, words: dict[str, str]) -> SafeString:
    """The pathway card's body below its news (``enrollment-card``: the pathway, its progress,
    the diagnostic and electives links, the stages with their step rows), as the template wrote
    it before (same bytes), formed here once per card instead of its template nodes."""
    esc = conditional_escape
    if e.completed:
        badge = f'<span class="badge badge--done">{words["completed"]}</span>'
    else:
        badge = f'<span class="badge badge--info">{esc(e.cohort)}</span>'
    progress = blocktranslate(
        "%(done)s of %(total)s steps done (%(percent)s%%)",
        done=e.steps_done,
        total=e.steps_total,
        percent=e.percent,
    )
    diagnostic = (
        f'<p><a href="{esc(e.diagnostic_url)}">{words["tailor"]}</a></p>'
        if e.needs_diagnostic
        else ""
    )
    electives = ""
    if e.elective_groups:
        label = words["choose_electives" if e.pending_electives else "review_electives"]
        electives = f'<p><a href="{esc(e.electives_url)}">{label}</a></p>'
    parts = [
        f'<div class="split">\n    <h2 class="card__title">{esc(e.pathway)}</h2>\n    {badge}\n'
        f'  </div>\n  <progress class="progress" max="{e.steps_total}" value="{e.steps_done}" '
        f'aria-label="{words["progress"]}"></progress>\n'
        f'  <p class="progress-label">{progress}</p>\n  {diagnostic}\n  {electives}\n  '
    ]
    for stage in e.stages:
        finished = (
            f' <span class="badge badge--done">{words["finished"]}</span>' if stage.finished else ""
        )
        title = esc(stage.title) if stage.title else words["steps"]
        parts.append(
            f'\n    <h3 class="stage">{title} <span class="muted">{stage.progress_label}'
            f'</span>{finished}</h3>\n    <ol class="steps">\n      '
        )
        parts.extend(f"\n      {s.row_html}\n      " for s in stage.steps)
        parts.append("\n    </ol>\n  ")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _step_row(s: queries.StepView, electives_url: str, words: dict[str, str]) -> SafeString:
    """The step's ``<li>`` on the pathway card, as the template wrote it before (same bytes),
    formed here once per step instead of a dozen template conditions."""
    e = conditional_escape
    opened = s.state in (queries.DONE, queries.AVAILABLE)
    title = f'<a href="{e(s.url)}">{e(s.title)}</a>' if opened else e(s.title)
    meta = str(e(s.kind_label))
    if s.minutes:
        meta += f" · {s.minutes} min"
    if s.reason:
        meta += f" · {e(s.reason)}"
    meta += s.due_note
    if s.state == queries.DONE:
        action = f'<span class="badge badge--done">{words["done"]}</span>\n          '
    elif s.state == queries.AVAILABLE and s.kind == "project":
        action = (
            '\n            <a class="btn btn--secondary btn--small" '
            f'href="{e(s.project_url)}">{words["open_project"]}</a>\n          '
        )
    elif s.state == queries.AVAILABLE:
        overdue = (
            f'<span class="badge badge--overdue">{words["overdue"]}</span>' if s.overdue else ""
        )
        action = (
            f'\n            {overdue}\n            <a class="btn btn--secondary btn--small" '
            f'href="{e(s.url)}" aria-label="{s.open_label}">{words["open"]}</a>\n          '
        )
    elif s.state == queries.SKIPPED:
        action = f'<span class="badge badge--info">{words["skipped"]}</span>\n          '
    elif s.state == queries.NOT_CHOSEN:
        action = f'<span class="badge badge--info">{words["not_chosen"]}</span>\n          '
    elif s.state == queries.CHOOSE:
        action = (
            f'<a class="badge badge--available" href="{e(electives_url)}">'
            f"{words['choose']}</a>\n          "
        )
    else:
        action = f'<span class="badge badge--locked">{words["locked"]}</span>'
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<li class="step step--{s.state if opened else "locked"}">\n        <div>\n'
        f'          <p class="step__title">{title}</p>\n'
        f'          <p class="step__meta">{meta}</p>\n        </div>\n'
        f'        <div class="step__action">\n          {action}\n        </div>\n      </li>'
    )


def recommendation_cards(
    org_slug: str, recommendations: list[RecommendationView]
) -> list[RecommendationView]:
    """``recommendations`` with their links and words, each route reversed once (no query)."""
    if not recommendations:
        return []
    module_url_of = url_with_ids("learning_module", ("module_id",), org_slug=org_slug)
    dismiss_url_of = url_with_ids(
        "dismiss_recommendation", ("recommendation_id",), org_slug=org_slug
    )
    translated = kept_words()
    return [
        RecommendationCard(
            **vars(r),
            module_url=module_url_of(module_id=r.module_id),
            dismiss_url=dismiss_url_of(recommendation_id=r.id),
            # Escaped HTML: the template writes them as they are.
            from_label=mark_safe(  # noqa: S308 - interpolate escapes the values
                interpolate(
                    translated["From %(sender)s · %(minutes)s min"],
                    {"sender": r.sender, "minutes": r.module_minutes},
                )
            ),
            dismiss_label=mark_safe(  # noqa: S308 - interpolate escapes the values
                interpolate(
                    translated["Dismiss the recommendation of %(title)s"], {"title": r.module_title}
                )
            ),
        )
        for r in recommendations
    ]


def _action_step(action: next_actions.NextAction, today: dt.date) -> NextStep:
    reason = action.reason
    if action.due_on is not None and action.due_on < today and not reason:
        reason = _("Was due %(when)s") % {"when": relative_day_with_date(action.due_on, today)}
    return NextStep(kind=action.kind, title=action.title, reason=reason, url=action.url)


def choose_next_step(
    org_slug: str,
    enrollments: list[queries.EnrollmentView],
    reviews_due: int,
    review_url: str | None,
    today: dt.date | None = None,
    actions: list[next_actions.NextAction] | None = None,
) -> NextStep | None:
    """The most useful thing to do now, with a short reason. In order: the diagnostic that
    personalises a new pathway, overdue work (steps and other areas' actions, oldest first), due
    reviews, other areas' actions due soon, then the next step of the first pathway that has one
    (or the elective choice it waits for), then other actions. ``today`` (default: the
    organisation's) words the dates: "Was due 2 days ago (3 Dec)"."""
    today = today or queries.org_today()
    actions = actions or []
    for e in enrollments:
        if e.needs_diagnostic:
            return NextStep(
                kind="diagnostic",
                title=_("Rate yourself to tailor %(pathway)s") % {"pathway": e.pathway},
                reason=_("Start of %(pathway)s") % {"pathway": e.pathway},
                url=url_with_ids("learning_diagnostic", ("enrollment_id",), org_slug=org_slug)(
                    enrollment_id=e.id
                ),
                enrollment=e,
            )
    overdue = [
        (s.due_on, i, e, s)
        for i, e in enumerate(enrollments)
        for s in e.steps
        if s.overdue and s.due_on is not None and s.state == queries.AVAILABLE
    ]
    late_actions = sorted(
        ((a.due_on, a) for a in actions if a.due_on is not None and a.due_on < today),
        key=lambda row: row[0],
    )
    if late_actions and (not overdue or late_actions[0][0] < min(o[0] for o in overdue)):
        return _action_step(late_actions[0][1], today)
    if overdue:
        due_on, _i, e, s = min(overdue, key=lambda row: (row[0], row[1]))
        return NextStep(
            kind="overdue",
            title=s.title,
            # Translators: "when" is relative with the exact date: "2 days ago (3 Dec)".
            reason=_("Was due %(when)s") % {"when": relative_day_with_date(due_on, today)},
            url=step_url(org_slug, e.id, s.id),
            enrollment=e,
            step=s,
        )
    if reviews_due:
        return NextStep(
            kind="reviews",
            title=_("Recall what you learned"),
            reason=ngettext("%(n)s review due", "%(n)s reviews due", reviews_due)
            % {"n": reviews_due},
            url=review_url,
        )
    soon = sorted(
        (
            a
            for a in actions
            if a.due_on is not None and today <= a.due_on <= today + next_actions.SOON
        ),
        key=lambda a: a.due_on or today,
    )
    if soon:
        return _action_step(soon[0], today)
    for e in enrollments:
        if e.next_step is not None:
            s = e.next_step
            reason = (
                _("Next in %(stage)s of %(pathway)s") % {"stage": s.stage, "pathway": e.pathway}
                if s.stage
                else _("Next in %(pathway)s") % {"pathway": e.pathway}
            )
            return NextStep(
                kind="step",
                title=s.title,
                reason=reason,
                url=step_url(org_slug, e.id, s.id),
                enrollment=e,
                step=s,
            )
        if e.pending_electives:
            group = e.pending_electives[0]
            return NextStep(
                kind="electives",
                title=_("Choose %(k)s of %(n)s: %(group)s")
                % {"k": group.needed, "n": len(group.options), "group": group.title},
                reason=_("Your choice in %(pathway)s") % {"pathway": e.pathway},
                url=url_with_ids("learning_electives", ("enrollment_id",), org_slug=org_slug)(
                    enrollment_id=e.id
                ),
                enrollment=e,
            )
    undated = [a for a in actions if a.due_on is None or a.due_on > today + next_actions.SOON]
    if undated:
        return _action_step(undated[0], today)
    return None


def learner_home(membership: Membership, org_slug: str, now: dt.datetime | None = None) -> HomeView:
    """Everything on the learner's home in one statement (``fetch_row_sets``): the enrolments
    with the number of reviews due riding on them, their steps, facts and rules, the other
    areas' next actions and the recommendations; a learner without an enrolment counts their
    due reviews apart (one more query), as does a rule that reads the 360 baseline."""
    now = now or timezone.now()
    today = queries.org_today(now)
    pending = next_actions.pending_for(membership, org_slug, today)
    enrollment_rows, step_rows, fact_rows, *action_rows, recommendation_rows = fetch_row_sets(
        [
            *queries.learner_home_statements(membership.pk, now),
            *pending.statements,
            recommendations_statement(membership),
        ]
    )
    loaded, views = queries.learner_home_views((enrollment_rows, step_rows, fact_rows), today)
    enrollments = with_card_text(org_slug, views)
    reviews_due = (
        loaded[0].reviews_due
        if loaded
        else ReviewCard.objects.filter(learner=membership, due__lte=now).count()
    )
    review_url = review_session_url(org_slug)
    return HomeView(
        enrollments=enrollments,
        next_step=choose_next_step(
            org_slug, enrollments, reviews_due, review_url, today, pending.actions(action_rows)
        ),
        reviews_due=reviews_due,
        review_url=review_url,
        celebrations=queries.celebrations_for(enrollments, now),
        recommendations=recommendation_cards(org_slug, recommendations_from(recommendation_rows)),
    )


# --- Diagnostic -------------------------------------------------------------------------


@dataclass
class LevelView:
    value: int
    label: str
    descriptor: str


@dataclass
class DiagnosticCompetency:
    id: int
    name: str
    description: str
    levels: list[LevelView]
    rating: int | None = None

    @property
    def scale_values(self) -> set[int]:
        return {level.value for level in self.levels}


@dataclass
class DiagnosticView:
    enrollment_id: int
    pathway: str
    competencies: list[DiagnosticCompetency]
    taken_at: dt.datetime | None


def diagnostic_for(membership: Membership, enrollment_id: int) -> DiagnosticView:
    """The competencies a pathway's learner rates at enrolment: the version's competencies and
    any competency its personalisation rules read, each with its framework's scale (4 queries).
    Raises ``Enrollment.DoesNotExist`` for an enrolment that is not the learner's."""
    enrollment = Enrollment.objects.select_related("version__pathway").get(
        pk=enrollment_id, learner=membership
    )
    version_competencies = VersionCompetency.objects.filter(
        version_id=enrollment.version_id
    ).values("competency_id")
    ruled = PersonalisationRule.objects.filter(step__version_id=enrollment.version_id).values(
        "competency_id"
    )
    competencies = list(
        Competency.objects.filter(Q(pk__in=version_competencies) | Q(pk__in=ruled))
        .select_related("framework")
        .order_by("framework__name", "position", "name")
    )
    levels: dict[int, list[LevelView]] = {}
    for level in ProficiencyLevel.objects.filter(
        framework_id__in={c.framework_id for c in competencies}
    ).order_by("value"):
        levels.setdefault(level.framework_id, []).append(
            LevelView(level.value, level.label, level.descriptor)
        )
    ratings = {
        a.competency_id: a
        for a in SelfAssessment.objects.filter(enrollment_id=enrollment.pk).order_by("created_at")
    }
    default = [LevelView(v, str(label), str(text)) for v, label, text in DEFAULT_SCALE]
    return DiagnosticView(
        enrollment_id=enrollment.pk,
        pathway=enrollment.version.pathway.name,
        competencies=[
            DiagnosticCompetency(
                id=c.pk,
                name=c.name,
                description=c.description,
                levels=levels.get(c.framework_id) or default,
                rating=ratings[c.pk].rating if c.pk in ratings else None,
            )
            for c in competencies
        ],
        taken_at=min((a.created_at for a in ratings.values()), default=None),
    )


# --- Electives --------------------------------------------------------------------------


@dataclass
class ElectiveGroupPage:
    id: int
    title: str
    choose: int
    needed: int
    options: list[queries.ElectiveOption]
    locked_by: str | None  # title of a chosen step already started or done


@dataclass
class ElectivesPage:
    enrollment: queries.EnrollmentView
    groups: list[ElectiveGroupPage]


def electives_for(membership: Membership, enrollment_id: int) -> ElectivesPage:
    """The enrolment's elective groups, the learner's picks, and whether each group is fixed
    because a chosen step was started (practice answer saved) or done (5 queries).
    Raises ``Enrollment.DoesNotExist`` for an enrolment that is not the learner's."""
    views = queries.learner_enrollments(membership, enrollment_id=enrollment_id)
    if not views:
        raise Enrollment.DoesNotExist
    [view] = views
    module_by_step = {s.id: s.module_id for s in view.steps}
    started_modules = set(
        PracticeAnswer.objects.filter(
            learner=membership,
            task__module_id__in=[m for m in module_by_step.values() if m is not None],
        ).values_list("task__module_id", flat=True)
    )
    groups = []
    for group in view.elective_groups:
        locked_by = next(
            (
                o.title
                for o in group.options
                if o.done or (o.chosen and module_by_step.get(o.step_id) in started_modules)
            ),
            None,
        )
        groups.append(
            ElectiveGroupPage(
                id=group.id,
                title=group.title,
                choose=group.choose,
                needed=group.needed,
                options=group.options,
                locked_by=locked_by,
            )
        )
    return ElectivesPage(enrollment=view, groups=groups)


# --- Module page ------------------------------------------------------------------------


@dataclass
class StepContext:
    enrollment_id: int
    pathway: str
    step: queries.StepView
    enrollment_completed: bool


@dataclass
class ModulePage:
    id: int
    title: str
    summary: str
    body_html: str
    format_label: str
    minutes: int
    task_id: int | None
    task_prompt: str
    task_kind_label: str
    answer: str
    answer_updated_at: dt.datetime | None
    useful: int | None
    relevant: int | None
    retrieval_items: int
    review_cards: int
    done: bool
    context: StepContext | None = None
    done_at: dt.datetime | None = None
    undo_until: dt.datetime | None = None  # a completion made by mistake can be undone till then

    @property
    def needs_answer(self) -> bool:
        """The practice task is what marks the module done: it must be answered first."""
        return self.task_id is not None and not self.answer


def module_page(
    membership: Membership, module_id: int, context: StepContext | None = None
) -> ModulePage:
    """A module as the learner takes it (5 queries). Raises ``Module.DoesNotExist`` when the
    learner may not see it."""
    module = visible_modules(membership).get(pk=module_id)
    task = PracticeTask.objects.filter(module_id=module.pk).first()
    answer = (
        PracticeAnswer.objects.filter(learner=membership, task_id=task.pk).first()
        if task is not None
        else None
    )
    reaction = ModuleReaction.objects.filter(learner=membership, module_id=module.pk).first()
    counts = RetrievalItem.objects.filter(module_id=module.pk).aggregate(
        items=Count("pk", distinct=True),
        cards=Count("cards", filter=Q(cards__learner=membership), distinct=True),
    )
    if context is not None:
        done = context.step.state == queries.DONE
        done_at = context.step.completed_at if done else None
    else:
        done_at = (
            ActivityEvent.objects.filter(
                actor=membership, verb="completed", object_type="module", object_id=str(module.pk)
            )
            .values_list("timestamp", flat=True)
            .first()
        )
        done = done_at is not None
    undo_until = done_at + queries.UNDO_WINDOW if done_at is not None else None
    if undo_until is not None and undo_until <= timezone.now():
        undo_until = None
    return ModulePage(
        id=module.pk,
        title=module.title,
        summary=module.summary,
        body_html=render_markdown(module.body),
        format_label=module.get_format_display(),
        minutes=module.minutes,
        task_id=task.pk if task is not None else None,
        task_prompt=task.prompt if task is not None else "",
        task_kind_label=task.get_kind_display() if task is not None else "",
        answer=answer.text if answer is not None else "",
        answer_updated_at=answer.updated_at if answer is not None else None,
        useful=reaction.useful if reaction is not None else None,
        relevant=reaction.relevant if reaction is not None else None,
        retrieval_items=counts["items"],
        review_cards=counts["cards"],
        done=done,
        context=context,
        done_at=done_at,
        undo_until=undo_until,
    )


@dataclass
class TemplateStepPage:
    """A project or coaching-conversation step: its brief or purpose and how to mark it done."""

    title: str
    kind_label: str
    brief_html: str
    outcomes_html: str
    questions: list[str]
    timing: str
    context: StepContext


def step_context(membership: Membership, enrollment_id: int, step_id: int) -> StepContext:
    """The learner's enrolment and one of its steps with its state (4 queries). Raises
    ``Enrollment.DoesNotExist``/``Step.DoesNotExist`` when either is not the learner's."""
    views = queries.learner_enrollments(membership, enrollment_id=enrollment_id)
    if not views:
        raise Enrollment.DoesNotExist
    step = next((s for s in views[0].steps if s.id == step_id), None)
    if step is None:
        raise Step.DoesNotExist
    return StepContext(
        enrollment_id=views[0].id,
        pathway=views[0].pathway,
        step=step,
        enrollment_completed=views[0].completed,
    )


def template_step_page(membership: Membership, context: StepContext) -> TemplateStepPage:
    """A project or coaching step's template (1 query)."""
    step = Step.objects.select_related("project_template", "conversation_template").get(
        pk=context.step.id
    )
    project, conversation = step.project_template, step.conversation_template
    if project is not None:
        return TemplateStepPage(
            title=step.display_title,
            kind_label=step.get_kind_display(),
            brief_html=render_markdown(project.brief),
            outcomes_html=render_markdown(project.expected_outcomes),
            questions=[],
            timing="",
            context=context,
        )
    return TemplateStepPage(
        title=step.display_title,
        kind_label=step.get_kind_display(),
        brief_html=render_markdown(conversation.purpose) if conversation is not None else "",
        outcomes_html="",
        questions=(
            [q.strip() for q in conversation.questions.splitlines() if q.strip()]
            if conversation is not None
            else []
        ),
        timing=conversation.suggested_timing if conversation is not None else "",
        context=context,
    )


# --- History ----------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    kind: str  # completion | answer | review | scenario
    when: dt.datetime
    title: str
    detail: str
    module_id: int | None = None
    scenario_id: int | None = None  # scenario plays: continue (unfinished) or debrief
    play_id: int | None = None
    finished: bool = False


@dataclass
class HistoryPage:
    entries: list[HistoryEntry] = field(default_factory=list)
    number: int = 1
    num_pages: int = 1
    total: int = 0
    has_previous: bool = False
    has_next: bool = False
    rows_html: SafeString = field(default_factory=SafeString)  # the table's rows, when asked


RATING_LABELS = {
    1: gettext_lazy("Again"),
    2: gettext_lazy("Hard"),
    3: gettext_lazy("Good"),
    4: gettext_lazy("Easy"),
}

# Everything the learner did, newest first, one page of it with its titles and details and the
# number of entries in all, in one statement: the history is read as SQL text, no queryset to
# compile. Each kind's base table is filtered on the organisation and the learner (their
# indexes lead with both); the page's rows are then joined to their titles kind by kind (a
# small join each: one join of every title table would cost more to plan than to run). Typed
# NULLs: PostgreSQL types a UNION's columns pair by pair. A module taken on its own is an
# event whose object id is the module's id as text ({event_module_id}: the id when the text is
# a number, per backend).
_HISTORY_SQL = """
WITH entries AS (
    SELECT 'step' AS kind, completed_at AS at, id AS ref
    FROM pathways_stepcompletion WHERE organization_id = %s AND learner_id = %s
    UNION ALL
    SELECT 'module', "timestamp", id
    FROM pathways_activityevent
    WHERE organization_id = %s AND actor_id = %s AND verb = 'completed'
        AND object_type = 'module' AND registration_id IS NULL
    UNION ALL
    SELECT 'answer', updated_at, id
    FROM pathways_practiceanswer WHERE organization_id = %s AND learner_id = %s
    UNION ALL
    SELECT 'review', reviewed_at, id
    FROM pathways_reviewlog WHERE organization_id = %s AND learner_id = %s
    UNION ALL
    SELECT 'play', COALESCE(finished_at, started_at), id
    FROM pathways_scenarioplay WHERE organization_id = %s AND learner_id = %s
),
shown AS (
    SELECT kind, at, ref, COUNT(*) OVER () AS total
    FROM entries ORDER BY at DESC, ref DESC LIMIT %s OFFSET %s
)
SELECT shown.kind, shown.at, shown.ref, shown.total,
    (SELECT pw.name FROM pathways_pathwayversion pv
        JOIN pathways_pathway pw ON pw.id = pv.pathway_id WHERE pv.id = en.version_id),
    COALESCE(
        NULLIF(st.title, ''),
        (SELECT title FROM pathways_module WHERE id = st.module_id),
        (SELECT title FROM projects_projecttemplate WHERE id = st.project_template_id),
        (SELECT title FROM coaching_conversationtemplate WHERE id = st.conversation_template_id)
    ),
    st.kind, st.id, st.module_id, CAST(NULL AS bigint)
FROM shown
JOIN pathways_stepcompletion sc ON sc.id = shown.ref
JOIN pathways_enrollment en ON en.id = sc.enrollment_id
LEFT JOIN pathways_step st ON st.version_id = en.version_id AND st.key = sc.step_key
WHERE shown.kind = 'step'
UNION ALL
SELECT shown.kind, shown.at, shown.ref, shown.total, ev.object_id,
    (SELECT title FROM pathways_module WHERE id = {event_module_id}),
    NULL, NULL, NULL, NULL
FROM shown
JOIN pathways_activityevent ev ON ev.id = shown.ref
WHERE shown.kind = 'module'
UNION ALL
SELECT shown.kind, shown.at, shown.ref, shown.total, pa.text, am.title, NULL, am.id, NULL,
    NULL
FROM shown
JOIN pathways_practiceanswer pa ON pa.id = shown.ref
JOIN pathways_practicetask task ON task.id = pa.task_id
JOIN pathways_module am ON am.id = task.module_id
WHERE shown.kind = 'answer'
UNION ALL
SELECT shown.kind, shown.at, shown.ref, shown.total, item.prompt, NULL, NULL, rl.rating,
    rl.duration_ms, item.module_id
FROM shown
JOIN pathways_reviewlog rl ON rl.id = shown.ref
JOIN pathways_reviewcard card ON card.id = rl.card_id
JOIN pathways_retrievalitem item ON item.id = card.item_id
WHERE shown.kind = 'review'
UNION ALL
SELECT shown.kind, shown.at, shown.ref, shown.total, scenario.title, node.text,
    CASE WHEN play.finished_at IS NULL THEN NULL ELSE 'finished' END, play.scenario_id,
    (SELECT COUNT(*) FROM pathways_scenariodecision d WHERE d.play_id = play.id),
    (SELECT COUNT(*) FROM pathways_scenariodecision d
        JOIN pathways_scenariochoice c ON c.id = d.choice_id
        WHERE d.play_id = play.id AND c.is_effective)
FROM shown
JOIN pathways_scenarioplay play ON play.id = shown.ref
JOIN pathways_scenario scenario ON scenario.id = play.scenario_id
LEFT JOIN pathways_scenarionode node ON node.id = play.current_node_id
WHERE shown.kind = 'play'
ORDER BY 2 DESC, 3 DESC
"""
_EVENT_MODULE_ID = {
    "postgresql": "CASE WHEN ev.object_id ~ '^[0-9]{1,18}$' THEN CAST(ev.object_id AS bigint) END",
    "sqlite": "CASE WHEN ev.object_id <> '' AND ev.object_id NOT GLOB '*[^0-9]*' "
    "THEN CAST(ev.object_id AS integer) END",
}


@functools.cache
def _history_sql(vendor: str) -> str:
    return _HISTORY_SQL.format(event_module_id=_EVENT_MODULE_ID[vendor])


def _play_detail(finished: bool, ending: str | None, choices: int, effective: int) -> str:
    counts = {"n": choices, "effective": effective}
    if finished:
        return ngettext(
            "Ending reached: %(ending)s (%(n)s choice, %(effective)s the most effective)",
            "Ending reached: %(ending)s (%(n)s choices, %(effective)s the most effective)",
            choices,
        ) % {**counts, "ending": first_line(ending or "", 90)}
    return (
        ngettext(
            "Started, not finished yet: %(n)s choice so far",
            "Started, not finished yet: %(n)s choices so far",
            choices,
        )
        % counts
    )


def _history_entry(row: tuple[Any, ...]) -> HistoryEntry:
    """One row of ``_HISTORY_SQL`` as an entry with its title and detail."""
    kind, at, ref, _total, text1, text2, text3, n1, n2, n3 = row
    when = moment_of(at)
    if kind == "step":  # the pathway, the step's title (its own or its target's) and kind
        if n1 is None:
            return HistoryEntry("completion", when, _("A step of an earlier version"), text1)
        title = text2 if text2 is not None else str(Step.Kind(text3).label)
        return HistoryEntry("completion", when, title, text1, n2)
    if kind == "module":  # the event's object id, the module's title
        module_id = int(text1) if text1.isdigit() else None
        title = text2 if text2 is not None else _("A removed module")
        return HistoryEntry("completion", when, title, _("Taken outside a pathway"), module_id)
    if kind == "answer":  # the answer, the module's title and id
        return HistoryEntry("answer", when, text2, text1, n1)
    if kind == "review":  # the prompt; rating, duration, the item's module
        label = RATING_LABELS.get(n1, str(n1))
        detail = (
            _("Answered %(rating)s in %(seconds)s s")
            % {"rating": label, "seconds": round(n2 / 1000)}
            if n2
            else _("Answered %(rating)s") % {"rating": label}
        )
        return HistoryEntry("review", when, text1, detail, n3)
    # A scenario play (the scenario's title, the node reached, whether finished; the scenario,
    # choices made, effective ones): when it reached its ending, or, while unfinished, when it
    # was started.
    finished = text3 is not None
    return HistoryEntry(
        kind="scenario",
        when=when,
        title=text1,
        detail=_play_detail(finished, text2, int(n2), int(n3)),
        scenario_id=n1,
        play_id=ref,
        finished=finished,
    )


def _history_read(membership_id: int, limit: int, offset: int) -> tuple[list[HistoryEntry], int]:
    """``limit`` entries of the learner's history from ``offset``, newest first, and the
    number of entries in all (0 when the page is past the end). 1 query."""
    org_id = tenant_id()
    params = [org_id, membership_id] * 5 + [limit, offset]
    rows = fetch_rows(_history_sql(connection.vendor), params)
    return [_history_entry(row) for row in rows], int(rows[0][3]) if rows else 0


def _truncated(text: str, length: int) -> str:
    """``text|truncatechars:length``."""
    if len(text) > length:
        return Truncator(text).chars(length)
    return unicodedata.normalize("NFC", text)  # what Truncator hands back when it fits


def _moment_html(value: dt.datetime) -> str:
    """``<time datetime="{{ value|date:'c' }}">{{ value|date:"j M Y, H:i T" }}</time>`` in the
    active time zone, put together directly."""
    local = timezone.localtime(value)
    zone = local.tzinfo
    # Django's date format leaves the zone's name out in a repeated or skipped hour.
    ambiguous = zone is None or zone.utcoffset(
        local.replace(fold=not local.fold)
    ) != zone.utcoffset(local)
    name = "" if ambiguous or zone is None else zone.tzname(local)
    return (
        f'<time datetime="{local.isoformat()}">{local.day} {MONTHS_3[local.month].title()} '
        f"{local.year:04d}, {local.hour:02d}:{local.minute:02d} {name}</time>"
    )


def _history_rows_html(org_slug: str, entries: list[HistoryEntry]) -> SafeString:
    """The history table's rows, as its template wrote them, built once per page: each link
    formed from one reversed URL, each word translated once (no query)."""
    module_url = url_with_ids("learning_module", ("module_id",), org_slug=org_slug)
    debrief_url = url_with_ids("scenario_debrief", ("play_id",), org_slug=org_slug)
    play_url = url_with_ids("scenario_play", ("scenario_id",), org_slug=org_slug)
    badges = {
        "completion": f'<span class="badge badge--done">{escape(_("Completed"))}</span>',
        "answer": f'<span class="badge badge--info">{escape(_("Practice"))}</span>',
        "finished": f'<span class="badge badge--info">{escape(_("Scenario finished"))}</span>',
        "started": f'<span class="badge badge--info">{escape(_("Scenario started"))}</span>',
        "review": f'<span class="badge badge--available">{escape(_("Review"))}</span>',
    }
    rows = []
    for e in entries:
        title = escape(_truncated(e.title, 90))
        if e.module_id:
            item = f'<a href="{module_url(module_id=e.module_id)}">{title}</a>'
        elif e.play_id and e.finished:
            item = f'<a href="{debrief_url(play_id=e.play_id)}">{title}</a>'
        elif e.scenario_id:
            item = f'<a href="{play_url(scenario_id=e.scenario_id)}">{title}</a>'
        else:
            item = title
        if e.kind == "scenario":
            badge = badges["finished" if e.finished else "started"]
        else:
            badge = badges.get(e.kind, badges["review"])
        rows.append(
            f"\n    <tr>\n      <td>{_moment_html(e.when)}</td>\n      <td>{badge}</td>"
            f"\n      <td>{item}</td>\n      <td>{escape(_truncated(e.detail, 140))}</td>"
            "\n    </tr>\n  "
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above


def history_page(
    membership: Membership, page: int | str | None = 1, org_slug: str | None = None
) -> HistoryPage:
    """Completions (pathway steps and modules taken on their own), practice answers, reviews
    and scenario plays, newest first, ``HISTORY_PAGE_SIZE`` a page: 1 query (2 or 3 for a page
    past the end or below 1, which shows the last page as ``Paginator.get_page`` does). With
    ``org_slug``, the table's rows as HTML (``rows_html``).

    A scenario play is one entry: when it reached its ending, or, while unfinished, when it
    was started."""
    asked = requested_page(page)
    entries: list[HistoryEntry] = []
    total = 0
    if asked is not None:
        entries, total = _history_read(
            membership.pk, HISTORY_PAGE_SIZE, (asked - 1) * HISTORY_PAGE_SIZE
        )
    number = asked or 1
    if not entries and asked != 1:  # past the end or below 1: the last page
        entries, total = _history_read(membership.pk, HISTORY_PAGE_SIZE, 0)
        number = max(1, -(-total // HISTORY_PAGE_SIZE))
        if number > 1:
            entries, total = _history_read(
                membership.pk, HISTORY_PAGE_SIZE, (number - 1) * HISTORY_PAGE_SIZE
            )
    num_pages = max(1, -(-total // HISTORY_PAGE_SIZE))
    return HistoryPage(
        entries=entries,
        number=number,
        num_pages=num_pages,
        total=total,
        has_previous=number > 1,
        has_next=number < num_pages,
        rows_html=_history_rows_html(org_slug, entries) if org_slug else SafeString(),
    )


HISTORY_EXPORT_HEADERS = ("When", "What", "Item", "Detail")
# Entries read per batch of the download: one query each.
HISTORY_EXPORT_BATCH = 1000


def history_export_rows(membership: Membership) -> Iterator[tuple[object, ...]]:
    """Everything the learner did, newest first, as export rows (``HISTORY_EXPORT_HEADERS``;
    times in the organisation's time zone, titles and details in full). Only for the learner
    themselves: their practice answers are theirs. One query per ``HISTORY_EXPORT_BATCH``
    entries."""
    labels = {
        "completion": _("Completed"),
        "answer": _("Practice"),
        "review": _("Review"),
    }
    offset = 0
    while True:
        entries, _total = _history_read(membership.pk, HISTORY_EXPORT_BATCH, offset)
        for e in entries:
            if e.kind == "scenario":
                what = _("Scenario finished") if e.finished else _("Scenario started")
            else:
                what = labels.get(e.kind, e.kind)
            yield (timezone.localtime(e.when), what, e.title, e.detail)
        if len(entries) < HISTORY_EXPORT_BATCH:
            return
        offset += HISTORY_EXPORT_BATCH
