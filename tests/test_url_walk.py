"""Every URL that takes an object id answers 404 when the id is another organisation's object.

The walk reads the URL resolver, so a page or endpoint is covered the day it lands. The victim
organisation is the demo organisation ``acme`` (``seed_demo``), so every kind of object the demo
holds exists there; the intruders are members of ``globex``, one per role, who use their *own*
organisation's address with acme's ids (the slug check cannot save the view; only the scoped
fetch can). Both GET and POST must be 404 (or 405 for the method a view does not take).

When this test names a URL keyword it cannot map, add one line to ``OBJECT_KWARGS`` below:
``"<kwarg>": "<app_label>.<Model>"``, or ``"<url_name>:<kwarg>"`` where one keyword means
different models on different URLs. A keyword that is not an object id goes in
``VALUE_KWARGS``; a URL whose keywords are capabilities (signed tokens) in ``SKIPPED_ROUTES``,
with the test that covers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from organizations.models import DataExport, Membership, Organization, User
from organizations.tenancy import TenantModel, tenant_context
from tests.conftest import make_member

# URL keyword -> the model whose id it carries. "<url_name>:<kwarg>" overrides for one URL.
OBJECT_KWARGS: dict[str, str] = {
    "module_id": "pathways.Module",
    "item_id": "pathways.RetrievalItem",
    "scenario_id": "pathways.Scenario",
    "node_id": "pathways.ScenarioNode",
    "choice_id": "pathways.ScenarioChoice",
    "version_id": "pathways.PathwayVersion",
    "stage_id": "pathways.Stage",
    "step_id": "pathways.Step",
    "rule_id": "pathways.PersonalisationRule",
    "group_id": "pathways.ElectiveGroup",
    "card_id": "pathways.ReviewCard",
    "comment_id": "pathways.Comment",
    "recommendation_id": "pathways.Recommendation",
    "offer_id": "pathways.MentoringOffer",
    "request_id": "pathways.MentoringRequest",
    "cohort_id": "pathways.Cohort",
    "enrollment_id": "pathways.Enrollment",
    "play_id": "pathways.ScenarioPlay",
    "decision_id": "pathways.ScenarioDecision",
    "membership_id": "organizations.Membership",
    "team_id": "organizations.Team",
    "job_id": "organizations.ImportJob",
    "framework_id": "competencies.Framework",
    "competency_id": "competencies.Competency",
    "indicator_id": "competencies.BehaviouralIndicator",
    "priority_id": "competencies.StrategicPriority",
    "link_id": "competencies.PriorityAlignment",
    "project_template_edit:template_id": "projects.ProjectTemplate",
    "project_template_delete:template_id": "projects.ProjectTemplate",
    "conversation_template_edit:template_id": "coaching.ConversationTemplate",
    "conversation_template_delete:template_id": "coaching.ConversationTemplate",
    "engagement_id": "coaching.CoachingEngagement",
    "goal_id": "coaching.Goal",
    "experiment_id": "coaching.Experiment",
    "rehearsal_id": "coaching.Rehearsal",
    "entry_id": "coaching.JournalEntry",
    "observe_peer:learner_id": "organizations.Membership",
    "session_detail:session_id": "coaching.CoachingSession",
    "session_edit:session_id": "coaching.CoachingSession",
    "session_cancel:session_id": "coaching.CoachingSession",
    "session_log:session_id": "coaching.CoachingSession",
    "session_rate:session_id": "coaching.CoachingSession",
    "session_feedback:session_id": "coaching.CoachingSession",
    # Account-owned (global) objects: another person's.
    "session_id": "organizations.UserSession",
    "export_id": "organizations.DataExport",
    "project_id": "projects.Project",
    "milestone_id": "projects.Milestone",
    "claim_id": "projects.BenefitClaim",
    "cycle_id": "feedback.Cycle",
    "participant_id": "feedback.Participant",
    "report_id": "feedback.Report",
    "key_id": "organizations.ApiKey",
    "badge_id": "pathways.BadgeAssertion",
    # The public Open Badges URLs (``badges/<org_slug>/...``, outside the tenant prefix) take
    # an organisation's slug and an id: the walk puts the intruder's slug with the victim's
    # pathway id / assertion uid, which must be 404 (a verifier must not find acme's badge
    # under globex's issuer). Also in tests/api/test_badges.py.
    "pathway_id": "pathways.Pathway",
    "uid": "pathways.BadgeAssertion",
    "metric_id": "measurement.Metric",
    "import_id": "measurement.MetricImport",
    "line_id": "measurement.CostLine",
}
# Keywords that carry a field other than the primary key: kwarg -> (field, a value nobody has).
OBJECT_FIELDS: dict[str, tuple[str, Any]] = {"uid": ("uid", uuid.UUID(int=0))}
# URL keywords that are not object ids: a valid value, so the id next to it decides.
VALUE_KWARGS: dict[str, str] = {"kind": "coach"}
# URLs whose keywords are signed capabilities, not ids; each is covered by the named tests.
SKIPPED_ROUTES: dict[str, str] = {
    "accept_invitation": "tests/organizations/people/test_invitations.py (signed token)",
    "password_reset_confirm": "tests/organizations/test_auth.py (Django's signed token)",
    "openid_connect_login": "tests/organizations/test_sso.py (public provider id)",
    "openid_connect_callback": "tests/organizations/test_sso.py (state-checked callback)",
    "calendar_feed": "tests/coaching/test_pages.py (secret feed token, org id inside)",
    # Stakeholder / rater links: the signed token names both the organisation and the request,
    # and the URL has no organisation to pair it with, so there is no "another organisation's
    # object" to put in it: a genuine token of acme opens acme's request by design. Forged,
    # expired and other-organisation tokens (validly signed for org B with org A's id) are
    # tested where the token is made.
    "project_rating": "tests/projects/test_project_pages.py::"
    "test_forged_expired_and_wrong_organisation_links_show_a_clear_page (signed token)",
    "feedback_rate": "tests/feedback/test_views.py::"
    "test_a_rater_link_of_one_organisation_never_opens_anothers_request and "
    "tests/feedback/test_services.py::"
    "test_tokens_name_org_and_request_and_refuse_tampering_and_expiry (signed token)",
}
ROLES = ("is_admin", "is_learner", "is_coach", "is_sponsor")
ACCEPTABLE = {404, 405}
# An id that no organisation has: the answer to compare with.
NOWHERE = 2_000_000_000


def _first(model: type[models.Model]) -> Any:
    return model.objects.order_by("pk").first()


def _import_job() -> models.Model:
    from organizations.models import ImportJob

    return ImportJob.objects.create(filename="people.csv", content="email\n", content_sha256="0")


def _mentoring_offer() -> models.Model:
    from competencies.models import Competency
    from pathways.models import MentoringOffer

    return MentoringOffer.objects.create(mentor=_first(Membership), competency=_first(Competency))


def _mentoring_request() -> models.Model:
    from competencies.models import Competency
    from pathways.models import MentoringRequest

    return MentoringRequest.objects.create(mentee=_first(Membership), competency=_first(Competency))


def _metric_import() -> models.Model:
    from measurement.models import MetricImport

    return MetricImport.objects.create(filename="metrics.csv", status=MetricImport.Status.DONE)


def _badge() -> models.Model:
    from pathways.badges.services import do_issue_badge
    from pathways.models import Enrollment

    # The badge demo finishes learner00001's pathway, which stops at the project step (done
    # only on the sponsor's sign-off), so seed_demo issues none: the real service issues one
    # for an enrolment the demo has completed.
    finished = Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).order_by("pk")
    return do_issue_badge(finished.select_related("version").first())


# Objects the demo data does not hold yet, built in the victim's tenant context. Prefer adding
# them to seed_demo; this is for kinds the demo has no story for.
EXTRA_OBJECTS: dict[str, Any] = {
    "organizations.ImportJob": _import_job,
    "pathways.MentoringOffer": _mentoring_offer,
    "pathways.MentoringRequest": _mentoring_request,
    "pathways.BadgeAssertion": _badge,
    "measurement.MetricImport": _metric_import,
    # Global objects owned by an account: built for one of the victim's people.
    "organizations.DataExport": lambda user_id: DataExport.objects.create(
        user_id=user_id, status="done", content=b"PK"
    ),
}


@dataclass
class Route:
    name: str | None
    route: str
    kwargs: list[str]
    callback: Any


def _kwarg_names(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    return list(pattern.regex.groupindex)


def _walk(patterns: list[Any], prefix: str = "", kwargs: tuple[str, ...] = ()) -> Iterator[Route]:
    for p in patterns:
        names = kwargs + tuple(_kwarg_names(p.pattern))
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), names)
        elif isinstance(p, URLPattern):
            yield Route(p.name, prefix + str(p.pattern), list(names), p.callback)


def routes_with_ids() -> list[Route]:
    """Every resolvable URL with at least one keyword besides the organisation's slug."""
    return [
        r
        for r in _walk(get_resolver().url_patterns)
        if [k for k in r.kwargs if k != "org_slug" and k != "format"]
    ]


def _model_for(route: Route, kwarg: str) -> type[models.Model] | str:
    """The model a keyword carries, or an explanation of why it is unknown."""
    label = OBJECT_KWARGS.get(f"{route.name}:{kwarg}") or OBJECT_KWARGS.get(kwarg)
    if label is None and kwarg == "pk":
        # A DRF viewset's detail route: its ``model`` (TenantViewSet) or queryset's model.
        view_class = getattr(route.callback, "cls", None)
        model = getattr(view_class, "model", None) or getattr(
            getattr(view_class, "queryset", None), "model", None
        )
        if model is not None:
            return model
    if label is None:
        guess = [
            m._meta.label
            for m in apps.get_models()
            if m._meta.model_name == kwarg.removesuffix("_id").replace("_", "")
        ]
        hint = f" (perhaps {guess[0]!r})" if len(guess) == 1 else ""
        return (
            f"URL {route.name!r} ({route.route}) has keyword {kwarg!r}, which "
            f"tests/test_url_walk.py does not know: add {kwarg!r}: '<app>.<Model>'{hint} to "
            f"OBJECT_KWARGS (or '{route.name}:{kwarg}' if the keyword means another model "
            "elsewhere), or a value to VALUE_KWARGS if it is not an id."
        )
    return apps.get_model(label)


def _victims_object(model: type[models.Model], victim: Organization) -> models.Model | None:
    if issubclass(model, TenantModel):
        with tenant_context(victim):
            found = _first(model)
            if found is None and model._meta.label in EXTRA_OBJECTS:
                found = EXTRA_OBJECTS[model._meta.label]()
            return found
    if any(f.name == "user" for f in model._meta.concrete_fields):
        # A global object owned by an account: one of the victim organisation's people.
        with tenant_context(victim):
            user_ids = list(Membership.objects.values_list("user_id", flat=True))
        found = model._base_manager.filter(user_id__in=user_ids).order_by("pk").first()
        if found is None and model._meta.label in EXTRA_OBJECTS:
            found = EXTRA_OBJECTS[model._meta.label](user_ids[0])
        return found
    return None


def _url(
    route: Route, slug: str, victim: Organization, nowhere: bool = False
) -> str | None | tuple[str]:
    """The URL filled with the victim's objects (or, with ``nowhere``, ids no organisation
    has); a 1-tuple holds a problem to report."""
    kwargs: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg == "org_slug":
            kwargs[kwarg] = slug
            continue
        if kwarg in VALUE_KWARGS:
            kwargs[kwarg] = VALUE_KWARGS[kwarg]
            continue
        model = _model_for(route, kwarg)
        if isinstance(model, str):
            return (model,)
        obj = _victims_object(model, victim)
        if obj is None:
            return (
                f"URL {route.name!r} ({route.route}): the demo organisation has no "
                f"{model._meta.label} to try as {kwarg!r}; add one to seed_demo.",
            )
        if kwarg in OBJECT_FIELDS:
            field, absent = OBJECT_FIELDS[kwarg]
            kwargs[kwarg] = absent if nowhere else getattr(obj, field)
        else:
            kwargs[kwarg] = NOWHERE if nowhere else obj.pk
    if route.name is None:
        return (f"URL {route.route} has no name; name it so that it can be reversed.",)
    return reverse(route.name, kwargs=kwargs)


def test_it_finds_the_routes_with_ids():
    names = {r.name for r in routes_with_ids()}
    assert {"cohort_detail", "learning_step_done", "my-enrollments-complete-step"} <= names


def test_it_names_a_keyword_it_cannot_map():
    route = Route("project_milestone", "o/<slug:org_slug>/x/<int:widget_id>/", [], None)
    message = _model_for(route, "widget_id")
    assert isinstance(message, str)
    assert "'project_milestone'" in message and "'widget_id'" in message
    assert "OBJECT_KWARGS" in message


@pytest.mark.django_db
def test_every_url_with_an_id_gives_404_for_another_organisations_object():
    # 8 learners: the fewest with which every demo seeds (projects needs 8 besides the demo
    # learner, so there are colleagues to put on them).
    call_command("seed_demo", learners=8, stdout=open("/dev/null", "w"))  # noqa: SIM115
    victim = Organization.objects.get(slug="acme")
    home = Organization.objects.get(slug="globex")
    # The victim's people are signed in somewhere, so their sessions exist.
    for user in User.objects.filter(email__endswith="@acme.test")[:2]:
        Client().force_login(user)
    intruders = [make_member(home, f"walker-{role}@globex.test", **{role: True}) for role in ROLES]
    problems: list[str] = []
    urls: list[tuple[Route, str, str]] = []
    for route in routes_with_ids():
        if route.name in SKIPPED_ROUTES:
            continue
        url = _url(route, home.slug, victim)
        if isinstance(url, tuple):
            problems.append(url[0])
        elif url is not None:
            urls.append((route, url, str(_url(route, home.slug, victim, nowhere=True))))
    assert len(urls) >= 70
    for intruder in intruders:
        client = Client()
        client.force_login(intruder.user)
        for route, url, nowhere_url in urls:
            for method in ("get", "post"):
                got = getattr(client, method)(url, {}).status_code
                if got in ACCEPTABLE:
                    continue
                # A view that answers before looking the id up (a role gate, an empty form's
                # errors) must answer exactly as for an id that exists nowhere.
                baseline = getattr(client, method)(nowhere_url, {}).status_code
                if got != baseline:
                    problems.append(
                        f"{route.name} as {intruder.roles[0]}: {method.upper()} {url} gave "
                        f"{got}, but {baseline} for an id that exists nowhere"
                    )
                elif got < 400 and method == "get":
                    problems.append(
                        f"{route.name} as {intruder.roles[0]}: GET {url} gave {got}; a page "
                        "about an object must be 404 when the object is not this organisation's"
                    )
    assert problems == [], "\n".join(problems)
