"""Reads for social learning."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from competencies.models import Competency
from organizations.models import Membership
from organizations.raw_queries import fetch_rows, moment_of, tenant_id
from pathways.library.search import search_modules
from pathways.models import (
    Comment,
    MentoringOffer,
    MentoringRequest,
    Module,
    ModuleCompetency,
    ModuleTag,
    SavedModule,
)
from pathways.social.matching import MentorSuggestion, suggest_mentors
from pathways.social.services import COMMENT_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class RecommendationView:
    id: int
    module_id: int
    module_title: str
    module_minutes: int
    sender: str
    note: str
    created_at: dt.datetime


# Read on every visit of the learner's home: written once as SQL, no queryset to compile.
_RECOMMENDATIONS_SQL = """
SELECT r.id, r.module_id, m.title, m.minutes, u.full_name, u.email, r.note, r.created_at
FROM pathways_recommendation r
JOIN pathways_module m ON m.id = r.module_id
JOIN organizations_membership s ON s.id = r.sender_id
JOIN organizations_user u ON u.id = s.user_id
WHERE r.organization_id = %s AND r.recipient_id = %s AND r.dismissed_at IS NULL
    AND m.status = %s
ORDER BY r.created_at DESC, r.id DESC
LIMIT %s
"""


def recommendations_for(learner: Membership, limit: int = 5) -> list[RecommendationView]:
    """Modules colleagues recommended to ``learner`` and not yet dismissed (1 query)."""
    return recommendations_from(fetch_rows(*recommendations_statement(learner, limit)))


def recommendations_statement(learner: Membership, limit: int = 5) -> tuple[str, list[Any]]:
    """``recommendations_for``'s read, for a page that sends it with others."""
    return _RECOMMENDATIONS_SQL, [tenant_id(), learner.pk, Module.Status.PUBLISHED, limit]


def recommendations_from(rows: list[tuple[Any, ...]]) -> list[RecommendationView]:
    """The recommendations of ``recommendations_statement``'s rows (no query)."""
    return [
        RecommendationView(
            id=pk,
            module_id=module_id,
            module_title=title,
            module_minutes=minutes,
            sender=full_name or email.split("@")[0],  # User.display_name
            note=note,
            created_at=moment_of(created_at),
        )
        for pk, module_id, title, minutes, full_name, email, note, created_at in rows
    ]


# Catalogue and personal library -----------------------------------------------------------------

CATALOGUE_PAGE_SIZE = 20


@dataclass(frozen=True)
class CatalogueFilters:
    text: str = ""
    competency_id: int | None = None
    role: str = ""
    function: str = ""
    impact: str = ""
    format: str = ""

    @property
    def active(self) -> bool:
        return bool(
            self.text.strip()
            or self.competency_id
            or self.role
            or self.function
            or self.impact
            or self.format
        )


@dataclass(frozen=True)
class ModuleCard:
    id: int
    title: str
    summary: str
    format: str
    format_label: str
    minutes: int
    competencies: list[str]
    saved: bool
    available: bool = True
    saved_at: dt.datetime | None = None


@dataclass(frozen=True)
class FilterOptions:
    competencies: list[tuple[int, str]]
    roles: list[str]
    functions: list[str]
    impacts: list[str]
    formats: list[tuple[str, StrOrPromise]]  # labels stay lazy: translated when shown


@dataclass(frozen=True)
class CataloguePage:
    modules: list[ModuleCard]
    total: int
    page: int
    pages: int
    filters: CatalogueFilters
    options: FilterOptions
    published_total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _competency_names(module_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for module_id, name in (
        ModuleCompetency.objects.filter(module_id__in=module_ids)
        .order_by("competency__position", "competency__name")
        .values_list("module_id", "competency__name")
    ):
        names[module_id].append(name)
    return names


def filter_options() -> FilterOptions:
    """Choices for the catalogue filters, taken from published modules (2 queries)."""
    published = Module.objects.filter(status=Module.Status.PUBLISHED)
    competencies = list(
        Competency.objects.filter(
            pk__in=ModuleCompetency.objects.filter(module__in=published).values("competency_id")
        )
        .order_by("framework__name", "position", "name")
        .values_list("pk", "name")
    )
    tags: dict[str, set[str]] = defaultdict(set)
    for kind, value in (
        ModuleTag.objects.filter(module__in=published).values_list("kind", "value").distinct()
    ):
        tags[kind].add(value)
    return FilterOptions(
        competencies=competencies,
        roles=sorted(tags[ModuleTag.Kind.ROLE], key=str.lower),
        functions=sorted(tags[ModuleTag.Kind.FUNCTION], key=str.lower),
        impacts=sorted(tags[ModuleTag.Kind.IMPACT], key=str.lower),
        formats=list(Module.Format.choices),
    )


def catalogue(
    viewer: Membership,
    filters: CatalogueFilters,
    page: int = 1,
    options: FilterOptions | None = None,
) -> CataloguePage:
    """One page of published modules matching ``filters``, best matches first, with the
    viewer's saved state (at most 7 queries whatever the number of modules; 5 when the caller
    passes the ``filter_options()`` it already read)."""
    found = search_modules(
        text=filters.text,
        competency_id=filters.competency_id,
        role=filters.role,
        function=filters.function,
        impact=filters.impact,
        format=filters.format,
        published_only=True,
    )
    total = found.count()
    pages = max(1, -(-total // CATALOGUE_PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * CATALOGUE_PAGE_SIZE
    modules = list(found[start : start + CATALOGUE_PAGE_SIZE]) if total else []
    ids = [m.pk for m in modules]
    names = _competency_names(ids) if ids else {}
    saved = (
        set(
            SavedModule.objects.filter(learner=viewer, module_id__in=ids).values_list(
                "module_id", flat=True
            )
        )
        if ids
        else set()
    )
    published_total = (
        total
        if not filters.active
        else Module.objects.filter(status=Module.Status.PUBLISHED).count()
    )
    return CataloguePage(
        modules=[
            ModuleCard(
                id=m.pk,
                title=m.title,
                summary=m.summary,
                format=m.format,
                format_label=m.get_format_display(),
                minutes=m.minutes,
                competencies=names.get(m.pk, []),
                saved=m.pk in saved,
            )
            for m in modules
        ],
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        options=options if options is not None else filter_options(),
        published_total=published_total,
    )


def my_library(viewer: Membership) -> list[ModuleCard]:
    """The viewer's saved modules, most recently saved first (2 queries)."""
    rows = list(
        SavedModule.objects.filter(learner=viewer)
        .select_related("module")
        .order_by("-saved_at", "-id")
    )
    names = _competency_names([r.module_id for r in rows]) if rows else {}
    return [
        ModuleCard(
            id=r.module_id,
            title=r.module.title,
            summary=r.module.summary,
            format=r.module.format,
            format_label=r.module.get_format_display(),
            minutes=r.module.minutes,
            competencies=names.get(r.module_id, []),
            saved=True,
            available=r.module.status == Module.Status.PUBLISHED,
            saved_at=r.saved_at,
        )
        for r in rows
    ]


def module_card(viewer: Membership, module_id: int) -> ModuleCard:
    """One published module as a card, with the viewer's saved state (2 queries)."""
    module = Module.objects.get(pk=module_id, status=Module.Status.PUBLISHED)
    return ModuleCard(
        id=module.pk,
        title=module.title,
        summary=module.summary,
        format=module.format,
        format_label=module.get_format_display(),
        minutes=module.minutes,
        competencies=[],
        saved=SavedModule.objects.filter(learner=viewer, module=module).exists(),
    )


# Comments ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentView:
    id: int
    author: str
    author_team: str
    body: str  # empty once removed: the text never reaches the page
    created_at: dt.datetime
    edited_at: dt.datetime | None
    removed: bool
    is_mine: bool
    can_remove: bool


@dataclass(frozen=True)
class CommentsView:
    """Context for ``pathways/social/_comments.html`` (pass it as ``comments``)."""

    module_id: int
    module_title: str
    module_summary: str
    items: list[CommentView]
    can_post: bool
    can_moderate: bool
    max_length: int

    @property
    def count(self) -> int:
        return sum(1 for c in self.items if not c.removed)


def comments_for(module_id: int, viewer: Membership) -> CommentsView:
    """The discussion on a module as ``viewer`` sees it (2 queries whatever the number of
    comments). Learners see published modules only; raises ``Module.DoesNotExist`` otherwise,
    and for another organisation's module."""
    modules = Module.objects.all()
    if not viewer.is_admin:
        modules = modules.filter(status=Module.Status.PUBLISHED)
    module = modules.get(pk=module_id)
    rows = (
        Comment.objects.filter(module=module)
        .select_related("author__user", "author__team")
        .order_by("created_at", "id")
    )
    return CommentsView(
        module_id=module.pk,
        module_title=module.title,
        module_summary=module.summary,
        items=[
            CommentView(
                id=c.pk,
                author=c.author.user.display_name,
                author_team=c.author.team.name if c.author.team is not None else "",
                body="" if c.removed_at else c.body,
                created_at=c.created_at,
                edited_at=c.edited_at,
                removed=c.removed_at is not None,
                is_mine=c.author_id == viewer.pk and c.removed_at is None,
                can_remove=viewer.is_admin and c.removed_at is None,
            )
            for c in rows
        ],
        can_post=viewer.is_learner and module.status == Module.Status.PUBLISHED,
        can_moderate=viewer.is_admin,
        max_length=COMMENT_MAX_LENGTH,
    )


@dataclass(frozen=True)
class OwnComment:
    id: int
    module_id: int
    module_title: str
    body: str


def own_comment(viewer: Membership, comment_id: int) -> OwnComment:
    """One of the viewer's own comments that an admin has not removed (1 query); raises
    ``Comment.DoesNotExist`` for anyone else's."""
    comment = Comment.objects.select_related("module").get(
        pk=comment_id, author=viewer, removed_at__isnull=True
    )
    return OwnComment(
        id=comment.pk,
        module_id=comment.module_id,
        module_title=comment.module.title,
        body=comment.body,
    )


@dataclass(frozen=True)
class RecentComment:
    id: int
    module_id: int
    module_title: str
    author: str
    body: str
    created_at: dt.datetime
    removed: bool
    removed_by: str


RECENT_COMMENTS_LIMIT = 50


def recent_comments(limit: int = RECENT_COMMENTS_LIMIT) -> list[RecentComment]:
    """The organisation's latest comments on any module, for admins to moderate (1 query)."""
    rows = Comment.objects.select_related("module", "author__user", "removed_by__user").order_by(
        "-created_at", "-id"
    )[:limit]
    return [
        RecentComment(
            id=c.pk,
            module_id=c.module_id,
            module_title=c.module.title,
            author=c.author.user.display_name,
            body="" if c.removed_at else c.body,
            created_at=c.created_at,
            removed=c.removed_at is not None,
            removed_by=c.removed_by.user.display_name if c.removed_by is not None else "",
        )
        for c in rows
    ]


COMMENT_EXPORT_HEADERS = ("Written", "Module", "Author", "Comment", "Removed by")


def comment_export_rows(comments: list[RecentComment]) -> list[tuple[object, ...]]:
    """The moderation list (``recent_comments``) as export rows, the text in full (no queries;
    times in the organisation's time zone). A removed comment's text stays out, as on the
    page; the audit log keeps it."""
    return [
        (
            timezone.localtime(c.created_at),
            c.module_title,
            c.author,
            c.body,
            (c.removed_by or gettext("an admin")) if c.removed else "",
        )
        for c in comments
    ]


# Recommendations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Colleague:
    id: int
    name: str
    team: str
    job_title: str

    @property
    def label(self) -> str:
        extra = ", ".join(x for x in (self.job_title, self.team) if x)
        return f"{self.name} ({extra})" if extra else self.name


def colleagues_for(viewer: Membership) -> list[Colleague]:
    """Active learners of the organisation other than ``viewer``, by name (1 query)."""
    rows = (
        Membership.objects.filter(is_active=True, is_learner=True)
        .exclude(pk=viewer.pk)
        .select_related("user", "team")
    )
    people = [
        Colleague(
            id=m.pk,
            name=m.user.display_name,
            team=m.team.name if m.team is not None else "",
            job_title=m.job_title,
        )
        for m in rows
    ]
    return sorted(people, key=lambda c: (c.name.lower(), c.id))


# Micro-mentoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    team: str
    job_title: str
    email: str


def _person(member: Membership) -> Person:
    return Person(
        id=member.pk,
        name=member.user.display_name,
        team=member.team.name if member.team is not None else "",
        job_title=member.job_title,
        email=member.user.email,
    )


@dataclass(frozen=True)
class MentoringPair:
    request_id: int
    my_role: str  # "mentor" | "mentee"
    partner: Person
    competency: str
    since: dt.datetime | None
    note: str
    response_note: str


@dataclass(frozen=True)
class IncomingProposal:
    request_id: int
    mentee: Person
    competency: str
    note: str
    proposed_at: dt.datetime


@dataclass(frozen=True)
class MyRequest:
    id: int
    competency_id: int
    competency: str
    status: str
    status_label: str
    note: str
    mentor: Person | None
    response_note: str
    created_at: dt.datetime
    responded_at: dt.datetime | None
    suggestions: list[MentorSuggestion] = field(default_factory=list)


@dataclass(frozen=True)
class OfferView:
    id: int
    competency_id: int
    competency: str


@dataclass(frozen=True)
class MentoringPage:
    pairs: list[MentoringPair]
    incoming: list[IncomingProposal]
    requests: list[MyRequest]
    offers: list[OfferView]
    competencies: list[tuple[int, str]]

    @property
    def offered_ids(self) -> set[int]:
        return {o.competency_id for o in self.offers}


MENTORING_EXPORT_HEADERS = ("Colleague", "E-mail", "Role", "Team", "Competency", "Since")


def mentoring_export_rows(page: MentoringPage) -> list[tuple[object, ...]]:
    """The viewer's mentoring pairs as export rows (no queries): who, how to reach them and
    since when, never the notes they exchanged."""
    return [
        (
            p.partner.name,
            p.partner.email,
            gettext("You mentor them") if p.my_role == "mentor" else gettext("Your mentor"),
            p.partner.team,
            p.competency,
            timezone.localtime(p.since) if p.since else None,
        )
        for p in page.pairs
    ]


def competency_choices() -> list[tuple[int, str]]:
    """Every competency of the organisation as (id, name), framework by framework (1 query)."""
    return list(
        Competency.objects.order_by("framework__name", "position", "name").values_list("pk", "name")
    )


def mentoring_page(viewer: Membership) -> MentoringPage:
    """Everything on "my mentoring" (at most 7 queries whatever the number of requests,
    offers or people)."""
    Status = MentoringRequest.Status
    rows = list(
        MentoringRequest.objects.filter(Q(mentee=viewer) | Q(mentor=viewer))
        .select_related(
            "competency", "mentee__user", "mentee__team", "mentor__user", "mentor__team"
        )
        .order_by("-created_at", "-id")
    )
    pairs: list[MentoringPair] = []
    incoming: list[IncomingProposal] = []
    mine: list[MentoringRequest] = []
    asked: set[int] = set()
    for r in rows:
        if r.status == Status.ACCEPTED:
            as_mentor = r.mentor_id == viewer.pk
            partner = r.mentee if as_mentor else r.mentor
            if partner is None:
                continue
            pairs.append(
                MentoringPair(
                    request_id=r.pk,
                    my_role="mentor" if as_mentor else "mentee",
                    partner=_person(partner),
                    competency=r.competency.name,
                    since=r.responded_at,
                    note=r.note,
                    response_note=r.response_note,
                )
            )
        elif r.status == Status.PROPOSED and r.mentor_id == viewer.pk:
            incoming.append(
                IncomingProposal(
                    request_id=r.pk,
                    mentee=_person(r.mentee),
                    competency=r.competency.name,
                    note=r.note,
                    proposed_at=r.created_at,
                )
            )
        if r.mentee_id == viewer.pk and r.status != Status.WITHDRAWN:
            # Newest first: a decline is history once a newer request covers the competency.
            superseded = r.status == Status.DECLINED and r.competency_id in asked
            asked.add(r.competency_id)
            if r.status != Status.ACCEPTED and not superseded:
                mine.append(r)
    open_ids = [r.competency_id for r in mine if r.status == Status.OPEN]
    suggestions = suggest_mentors(viewer, open_ids) if open_ids else {}
    offers = [
        OfferView(id=o.pk, competency_id=o.competency_id, competency=o.competency.name)
        for o in MentoringOffer.objects.filter(mentor=viewer)
        .select_related("competency")
        .order_by("competency__position", "competency__name")
    ]
    competencies = competency_choices()
    return MentoringPage(
        pairs=pairs,
        incoming=incoming,
        requests=[
            MyRequest(
                id=r.pk,
                competency_id=r.competency_id,
                competency=r.competency.name,
                status=r.status,
                status_label=r.get_status_display(),
                note=r.note,
                mentor=_person(r.mentor) if r.mentor is not None else None,
                response_note=r.response_note,
                created_at=r.created_at,
                responded_at=r.responded_at,
                suggestions=suggestions.get(r.competency_id, []) if r.status == Status.OPEN else [],
            )
            for r in mine
        ],
        offers=offers,
        competencies=competencies,
    )
