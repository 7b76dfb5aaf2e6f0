"""The forms of the engagement page (goal, experiment, observation, rehearsal, three-way note):
a refused form comes back beside its list with each error next to its field, the field marked
invalid and focused, and nothing saved; htmx gets the section alone, a plain post the page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import Experiment, Goal, Observation, Rehearsal, ThreeWayNote
from organizations.tenancy import tenant_context
from pathways.models import Scenario
from tests.coaching.helpers import World, build_world
from tests.conftest import count_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=1)


def _url(w: World, what: str, engagement: int | None = None) -> str:
    return f"/o/{w.org.slug}/coaching/engagements/{engagement or w.engagements[0].pk}/{what}/"


def _today(days: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _scenario(w: World) -> Scenario:
    with tenant_context(w.org):
        return Scenario.objects.create(title="Hard conversation", status=Scenario.Status.PUBLISHED)


# form name -> (path, model, id prefix, a refused post, the field in error, its message,
#               a post that is accepted, a text the saved row shows)
def _cases(w: World) -> dict[str, tuple[Any, ...]]:
    with tenant_context(w.org):
        return _cases_in_context(w)


def _cases_in_context(w: World) -> dict[str, tuple[Any, ...]]:
    return {
        "goal": (
            "goals",
            Goal,
            "goal",
            {"title": "Speak up in reviews", "success_measure": "", "target_date": _today(30)},
            "success_measure",
            "This field is required.",
            {"title": "Speak up in reviews", "success_measure": "Twice", "target_date": _today(30)},
            "Speak up in reviews",
        ),
        "goal (refused by the service)": (
            "goals",
            Goal,
            "goal",
            {"title": "Speak up", "success_measure": "Twice", "target_date": _today(-3)},
            "target_date",
            "The target date is in the past.",
            None,
            None,
        ),
        "experiment": (
            "experiments",
            Experiment,
            "experiment",
            {"kind": "experiment", "action": "", "due_on": _today(7), "where": "Team stand-up"},
            "action",
            "This field is required.",
            {"kind": "experiment", "action": "Pause before answering", "due_on": _today(7)},
            "Pause before answering",
        ),
        "observation": (
            "observations",
            Observation,
            "observation",
            {
                "competency": w.competencies[0].pk,
                "indicator": w.competencies[1].indicators.first().pk,
                "level": w.levels[3].pk,
                "situation": "Quarterly review",
                "behaviour": "Named the risk first",
                "observed_on": _today(),
            },
            "indicator",
            None,  # the service's own words
            {
                "competency": w.competencies[0].pk,
                "level": w.levels[3].pk,
                "situation": "Quarterly review",
                "behaviour": "Named the risk first",
                "observed_on": _today(),
            },
            "Named the risk first",
        ),
        "rehearsal": (
            "rehearsals",
            Rehearsal,
            "rehearsal",
            {"scenario": "", "note": "Before the board meeting"},
            "scenario",
            "This field is required.",
            {"scenario": _scenario(w).pk, "note": "Before the board meeting"},
            "Hard conversation",
        ),
        "note": (
            "notes",
            ThreeWayNote,
            "note",
            {"text": "   "},
            "text",
            "This field is required.",
            {"text": "Agreed to focus on delegation"},
            "Agreed to focus on delegation",
        ),
    }


def _count(w: World, model: Any) -> int:
    with tenant_context(w.org):
        return model.objects.count()


def _assert_error_beside_field(body: str, prefix: str, field: str, message: str | None) -> None:
    field_id = f"{prefix}_{field}"
    tag = re.search(rf"<(?:input|select|textarea)[^>]*id=\"{field_id}\"[^>]*>", body)
    assert tag, f"no {field_id} in the form"
    assert 'aria-invalid="true"' in tag.group(0) and "autofocus" in tag.group(0)
    assert f'aria-describedby="{field_id}_error"' in tag.group(0)
    error = re.search(rf'<p class="field__error" id="{field_id}_error">([^<]*)</p>', body)
    assert error, f"no error next to {field_id}"
    if message is not None:
        assert error.group(1) == message.replace("'", "&#x27;")
    # ... and in the summary at the top of the form, linked to the field.
    assert f'<a href="#{field_id}">' in body and 'class="form-errors"' in body
    if prefix != "note":  # the note form is always open
        assert "<details open>" in body  # the form is not folded away


@pytest.mark.parametrize(
    "case",
    ["goal", "goal (refused by the service)", "experiment", "observation", "rehearsal", "note"],
)
def test_a_refused_form_comes_back_with_the_error_beside_its_field(client, worlds, case):
    a, _b = worlds
    path, model, prefix, refused, field, message, _ok, _shown = _cases(a)[case]
    client.force_login(a.coach.user)
    before = _count(a, model)

    page = client.post(_url(a, path), refused)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and "<h1" in body  # the whole page, no redirect
    _assert_error_beside_field(body, prefix, field, message)
    assert 'class="message message--error"' not in body  # no flash message any more
    ids = re.findall(r' id="([^"]+)"', body)
    assert len(ids) == len(set(ids))  # the forms' fields share names, never ids
    for value in refused.values():  # what was typed is kept
        if isinstance(value, str) and value.strip() and not value[0].isdigit():
            assert value in body

    partial = client.post(_url(a, path), refused, **HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and body.lstrip().startswith(f'<section class="card" id="{path}"')
    _assert_error_beside_field(body, prefix, field, message)
    assert _count(a, model) == before  # nothing saved


@pytest.mark.parametrize("case", ["goal", "experiment", "observation", "rehearsal", "note"])
def test_an_accepted_form_saves_and_shows_the_new_row(client, worlds, case):
    a, _b = worlds
    path, model, _prefix, _refused, _field, _message, ok, shown = _cases(a)[case]
    client.force_login(a.coach.user)
    before = _count(a, model)
    partial = client.post(_url(a, path), ok, **HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert shown in body and 'role="status" tabindex="-1" autofocus' in body
    assert _count(a, model) == before + 1
    assert "aria-invalid" not in body  # a fresh form
    # Without htmx: saved, then back to the page with the message. (A note is a new note when
    # its text is: the same text again is a double submit, which adds nothing.)
    again = {**ok, "text": ok["text"] + " Follow-up."} if case == "note" else ok
    plain = client.post(_url(a, path), again, follow=True)
    assert plain.redirect_chain[-1][0] == _url(a, path).rsplit("/", 2)[0] + "/"
    assert _count(a, model) == before + 2


def test_the_learner_gets_their_own_forms_errors_and_the_sponsor_the_notes(client, worlds):
    a, _b = worlds
    client.force_login(a.learners[0].user)
    body = client.post(
        _url(a, "goals"), {"title": "", "success_measure": "x", "target_date": _today(9)}, **HTMX
    ).content.decode()
    _assert_error_beside_field(body, "goal", "title", "This field is required.")
    assert client.post(_url(a, "observations"), {}).status_code in (403, 404)
    client.force_login(a.sponsor.user)
    body = client.post(_url(a, "notes"), {"text": ""}, **HTMX).content.decode()
    _assert_error_beside_field(body, "note", "text", "This field is required.")
    assert "Goals" not in body and "Observations" not in body


def test_another_organisations_members_get_404_and_nothing_is_saved(client, worlds):
    a, b = worlds
    client.force_login(b.coach.user)
    for path, data in (
        ("goals", {"title": "x", "success_measure": "y", "target_date": _today(9)}),
        ("experiments", {"kind": "experiment", "action": "x", "due_on": _today(9)}),
        ("observations", {}),
        ("rehearsals", {}),
        ("notes", {"text": "x"}),
    ):
        # Org B's coach at org A's address, and at their own address with org A's engagement.
        assert client.post(_url(a, path), data).status_code == 404
        bad = f"/o/{b.org.slug}/coaching/engagements/{a.engagements[0].pk}/{path}/"
        assert client.post(bad, data, **HTMX).status_code == 404
    for model in (Goal, Experiment, Observation, Rehearsal, ThreeWayNote):
        assert _count(a, model) == 0


def test_a_refused_forms_section_reads_in_constant_queries(client, worlds):
    a, _b = worlds
    client.force_login(a.coach.user)
    refused = {"title": "Speak up", "success_measure": "", "target_date": _today(30)}
    counts = []
    for extra in (1, 6):
        with tenant_context(a.org):
            for i in range(extra):
                services.do_set_goal(
                    a.coach,
                    a.engagements[0].pk,
                    title=f"Goal {len(counts)}-{i}",
                    success_measure="Seen",
                    target_date=timezone.localdate() + dt.timedelta(days=9),
                )
                services.do_add_experiment(
                    a.coach, a.engagements[0].pk, action=f"Try {i}", due_on=timezone.localdate()
                )
        with count_queries() as ctx:
            assert client.post(_url(a, "goals"), refused, **HTMX).status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1], counts
