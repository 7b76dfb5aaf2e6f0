"""xAPI 1.0.3 statements from the activity log (MEASUREMENT.md, "xAPI").

Actors are accounts on the organisation's home page (``name`` = membership id), never e-mail
addresses; activity ids are IRIs under the site's ``/o/<slug>/xapi/activities/``; the context
registration is a UUID derived from the enrolment. Statement ids are derived from the event, so
exporting twice gives the same statements.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from organizations.models import Membership, Organization
from pathways.models import ActivityEvent, Module, Scenario

XAPI_VERSION = "1.0.3"
ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
VERBS = ("completed", "passed", "failed", "answered", "experienced", "attempted")
# Namespaces for derived ids: stable across exports and installations.
STATEMENT_NAMESPACE = uuid.UUID("6f7c5a2e-0a51-4e58-9a53-5b8f5f1f2c11")
ACTIVITY_TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "scenario": "http://adlnet.gov/expapi/activities/simulation",
    "scenario_node": "http://adlnet.gov/expapi/activities/interaction",
    "practice_task": "http://adlnet.gov/expapi/activities/interaction",
    "self_assessment": "http://adlnet.gov/expapi/activities/assessment",
}
# What an admin's cohort export may carry: completions only (ARCHITECTURE.md: practice answers
# and scenario choices are "counts only" for admins, so their events stay out).
ADMIN_VERBS = frozenset({"completed", "passed", "failed"})
ADMIN_OBJECTS = frozenset({"module", "scenario", "project", "coaching", "reflection", "step"})


@dataclass(frozen=True)
class Site:
    """Where IRIs point: ``base`` is the site root without a trailing slash."""

    base: str
    org: Organization

    @property
    def home_page(self) -> str:
        return f"{self.base}/o/{self.org.slug}/"

    def activity_iri(self, object_type: str, object_id: str) -> str:
        return f"{self.base}/o/{self.org.slug}/xapi/activities/{object_type}/{object_id}"


def registration_uuid(org_id: int, enrollment_id: int) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, f"enrollment:{org_id}:{enrollment_id}"))


def statement_uuid(org_id: int, event_id: int) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, f"event:{org_id}:{event_id}"))


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def actor(site: Site, member: Membership) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "name": member.user.display_name,
        "account": {"homePage": site.home_page, "name": str(member.pk)},
    }


def _result(raw: dict[str, Any], *, full: bool) -> dict[str, Any] | None:
    """The event's result in xAPI terms; without ``full`` only completion and success."""
    result: dict[str, Any] = {}
    if isinstance(raw.get("completion"), bool):
        result["completion"] = raw["completion"]
    if isinstance(raw.get("success"), bool):
        result["success"] = raw["success"]
    if full:
        score = raw.get("score")
        if isinstance(score, dict):
            clean = {k: v for k, v in score.items() if k in {"scaled", "raw", "min", "max"}}
            if isinstance(clean.get("scaled"), int | float) and not -1 <= clean["scaled"] <= 1:
                clean.pop("scaled")
            if clean:
                result["score"] = clean
        if isinstance(raw.get("duration"), str) and raw["duration"].startswith("P"):
            result["duration"] = raw["duration"]
        if raw.get("response") is not None:
            result["response"] = str(raw["response"])
    return result or None


def _titles(events: list[ActivityEvent]) -> dict[tuple[str, str], str]:
    """Display names of the modules and scenarios the events are about (2 queries)."""
    ids: dict[str, set[int]] = {"module": set(), "scenario": set()}
    for e in events:
        if e.object_type in ids and e.object_id.isdigit():
            ids[e.object_type].add(int(e.object_id))
    titles: dict[tuple[str, str], str] = {}
    if ids["module"]:
        for pk, title in Module.objects.filter(pk__in=ids["module"]).values_list("pk", "title"):
            titles[("module", str(pk))] = title
    if ids["scenario"]:
        for pk, title in Scenario.objects.filter(pk__in=ids["scenario"]).values_list("pk", "title"):
            titles[("scenario", str(pk))] = title
    return titles


def statements(
    site: Site, events: Iterable[ActivityEvent], *, full: bool = True
) -> list[dict[str, Any]]:
    """Statements for ``events`` (their ``actor__user`` selected), oldest first. ``full=False``
    (an admin's export) keeps only completions and drops responses, scores and durations."""
    rows = [
        e
        for e in events
        if e.verb in VERBS and (full or (e.verb in ADMIN_VERBS and e.object_type in ADMIN_OBJECTS))
    ]
    titles = _titles(rows)
    out = []
    for e in sorted(rows, key=lambda e: (e.timestamp, e.pk)):
        activity: dict[str, Any] = {
            "objectType": "Activity",
            "id": site.activity_iri(e.object_type, e.object_id),
            "definition": {
                "type": ACTIVITY_TYPES.get(
                    e.object_type, "http://adlnet.gov/expapi/activities/lesson"
                )
            },
        }
        title = titles.get((e.object_type, e.object_id))
        if title:
            activity["definition"]["name"] = {"en": title}
        statement: dict[str, Any] = {
            "id": statement_uuid(site.org.pk, e.pk),
            "actor": actor(site, e.actor),
            "verb": {"id": ADL_VERBS + e.verb, "display": {"en-US": e.verb}},
            "object": activity,
            "timestamp": _iso(e.timestamp),
            "stored": _iso(e.timestamp),
            "version": XAPI_VERSION,
            "authority": {
                "objectType": "Agent",
                "name": "Pathwise",
                "account": {"homePage": site.home_page, "name": "pathwise"},
            },
            "context": {"platform": "Pathwise", "language": "en"},
        }
        result = _result(e.result or {}, full=full)
        if result:
            statement["result"] = result
        if e.registration_id is not None:
            statement["context"]["registration"] = registration_uuid(site.org.pk, e.registration_id)
        out.append(statement)
    return out


def learner_record(site: Site, learner: Membership) -> list[dict[str, Any]]:
    """Everything the learner did, as statements (3 queries)."""
    events = ActivityEvent.objects.filter(actor=learner).select_related("actor__user")
    return statements(site, events, full=True)


def cohort_record(site: Site, cohort_id: int) -> list[dict[str, Any]]:
    """The completions of a cohort's learners in it, for an admin (3 queries)."""
    events = ActivityEvent.objects.filter(registration__cohort_id=cohort_id).select_related(
        "actor__user"
    )
    return statements(site, events, full=False)
