"""Downloads of the pathway area's tables: issued badges, the module library, scenarios,
pathways, the rule preview, learner comments (admins); a learner's own history, mentoring pairs
and knowledge estimates. The page's rows (all pages), formulas neutralised, the page's readers
only, and a constant number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from organizations.tenancy import tenant_context
from pathways import services
from pathways.badges import services as badge_services
from pathways.builder import services as builder_services
from pathways.learning.services import do_save_practice_answer
from pathways.models import Ability, BadgeAssertion, Cohort, Enrollment, ModuleReaction
from pathways.scenarios import services as scenario_services
from pathways.services import refresh_module_reach
from pathways.social import services as social_services
from tests.conftest import enroll, make_member, make_pathway
from tests.downloads import assert_constant_queries, column, download, rename
from tests.pathways.builder.helpers import make_competencies as builder_competencies
from tests.pathways.builder.helpers import make_draft
from tests.pathways.learning.factories import add_task, extra_module
from tests.pathways.library.conftest import make_competencies, make_module, make_tree
from tests.pathways.scenarios.builders import make_items
from tests.pathways.scenarios.test_growth import build_known_data
from tests.pathways.social.helpers import make_module as published_module

EVIL = '=HYPERLINK("http://x.test","hi")'


def _404(client, url, **params):
    for fmt in ("csv", "xlsx"):
        assert client.get(url, {**params, "format": fmt}).status_code == 404, url


# --- badges ------------------------------------------------------------------------------------


def _finish(org, fixture, email):
    learner = make_member(org, email, is_learner=True)
    enrollment = enroll(org, fixture, learner)
    with tenant_context(org):
        for step in fixture.steps:
            services.do_complete_step(learner, enrollment.pk, step.pk)
        return learner, BadgeAssertion.objects.get(enrollment=enrollment)


def test_issued_badges_download_all_with_their_status(org_a, org_b, admin_a, login):
    fixture = make_pathway(org_a, n_steps=1)
    evil, _ = _finish(org_a, fixture, "evil@a.example")
    rename(evil, EVIL)
    _, revoked = _finish(org_a, fixture, "rev@a.example")
    with tenant_context(org_a):
        badge_services.do_revoke_badge(admin_a.user, revoked.pk, "+Issued in error")
    _finish(org_b, make_pathway(org_b, n_steps=1), "other@b.example")
    client = login(admin_a)
    url = reverse("issued_badges", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0][:5] == ["Learner", "E-mail", "Pathway", "Issued", "Status"]
    by_email = {r[1]: r for r in rows[1:]}
    assert set(by_email) == {"evil@a.example", "rev@a.example"}
    assert by_email["evil@a.example"][0] == "'" + EVIL
    assert by_email["rev@a.example"][4:7:2] == ["Revoked", "'+Issued in error"]
    assert by_email["rev@a.example"][7] == (
        f"http://testserver/badges/{org_a.slug}/assertions/{revoked.uid}"
    )
    assert as_xlsx[1][3] is not None

    def more_badges() -> None:
        for i in range(4):
            _finish(org_a, fixture, f"l{i}@a.example")

    assert_constant_queries(client, url, more_badges)


# --- the library -------------------------------------------------------------------------------


def test_the_library_downloads_every_module_that_matches(org_a, org_b, admin_a, login):
    [listening] = make_competencies(org_a, "Listening")
    make_module(org_a, EVIL, competency_ids=[listening.pk], format="watch")
    make_module(org_a, "Plain reading", format="read")
    make_module(org_b, "Globex module")
    client = login(admin_a)
    url = reverse("module_library", args=[org_a.slug])
    html = client.get(url, {"format": "watch"}).content.decode()
    assert "format=watch&amp;format=csv" in html  # the module-format filter travels along
    rows, as_xlsx = download(client, url)
    assert rows[0][:3] == ["Module", "Summary", "Format"]
    assert sorted(column(rows, "Module")) == ["'" + EVIL, "Plain reading"]
    watch, _ = download(client, f"{url}?format=watch")  # filtered by the module format
    assert column(watch, "Module") == ["'" + EVIL] and column(watch, "Competencies") == [
        "Listening"
    ]

    def more_modules() -> None:
        for i in range(5):
            make_module(org_a, f"Module {i}")

    assert_constant_queries(client, url, more_modules)


def test_library_ratings_stay_hidden_below_five_learners(org_a, org_b, admin_a, login):
    module = published_module(org_a, "Rated")
    with tenant_context(org_a):
        for i in range(4):
            learner = make_member(org_a, f"r{i}@a.example", is_learner=True)
            ModuleReaction.objects.create(module=module, learner=learner, useful=1, relevant=1)
        refresh_module_reach([module.pk])  # facts written outside the services
    rows, _ = download(login(admin_a), reverse("module_library", args=[org_a.slug]))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Ratings"] == "" and row["Relevant (of 5)"] == ""
    assert row["Useful (of 5)"].startswith("hidden: fewer than 5")


def test_scenarios_and_pathways_download(org_a, org_b, admin_a, login):
    make_tree(org_a, {"a": ["b"], "b": None}, title="@Hard talk")
    make_tree(org_a, {"a": [""]}, title="Broken")
    with tenant_context(org_a):
        builder_services.do_create_pathway(None, name=EVIL, purpose="x")
    make_pathway(org_a, name="Leading")
    client = login(admin_a)
    scenarios_url = reverse("library_scenario_list", args=[org_a.slug])
    assert "format=csv" in client.get(scenarios_url).content.decode()
    scenarios, _ = download(client, scenarios_url)
    assert column(scenarios, "Scenario") == ["'@Hard talk", "Broken"]
    assert column(scenarios, "Problems blocking publishing")[0] == "0"
    assert int(column(scenarios, "Problems blocking publishing")[1]) > 0
    pathways_url = reverse("pathway_list", args=[org_a.slug])
    assert "format=xlsx" in client.get(pathways_url).content.decode()
    pathways, _ = download(client, pathways_url)
    assert sorted(column(pathways, "Pathway")) == ["'" + EVIL, "Leading"]
    assert set(column(pathways, "Status")) == {"Draft", "Published"}

    def more_scenarios() -> None:
        for i in range(4):
            make_tree(org_a, {"a": None}, title=f"S{i}")

    def more_pathways() -> None:
        for i in range(4):
            make_pathway(org_a, name=f"P{i}")

    assert_constant_queries(client, scenarios_url, more_scenarios)
    assert_constant_queries(client, pathways_url, more_pathways)


def test_the_rule_preview_downloads_for_the_chosen_cohort(org_a, org_b, admin_a, login):
    draft = make_draft(org_a)
    [competency] = builder_competencies(org_a, 1)
    with tenant_context(org_a):
        builder_services.do_add_rule(
            None, draft.steps[0], competency=competency, action="include_below", threshold=4
        )
        builder_services.do_publish(None, draft.version)
        cohort = Cohort.objects.create(
            name="Spring", version=draft.version, start_date="2026-01-05"
        )
    for i in range(3):
        learner = make_member(org_a, f"leo{i}@a.example", is_learner=True)
        with tenant_context(org_a):
            Enrollment.objects.create(cohort=cohort, learner=learner, version=draft.version)
    client = login(admin_a)
    url = reverse("rule_preview", args=[org_a.slug, draft.version.pk])
    assert (
        f"cohort={cohort.pk}&amp;format=csv"
        in client.get(url, {"cohort": cohort.pk}).content.decode()
    )
    rows, _ = download(client, url, cohort=cohort.pk)
    assert rows[0][:3] == ["Step", "Rule", "Included"]
    assert rows[1][2:4] == ["3", "0"] and rows[1][5] == "3"
    assert rows[2][1] == "All rules together"
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    _404(outsider, url, cohort=cohort.pk)


# --- comments ----------------------------------------------------------------------------------


def test_learner_comments_download_for_moderation(org_a, org_b, admin_a, login):
    module = published_module(org_a, "Feedback")
    author = make_member(org_a, "ann@a.example", is_learner=True)
    with tenant_context(org_a):
        social_services.do_post_comment(author, module.pk, '=WEBSERVICE("http://x")')
        removed = social_services.do_post_comment(author, module.pk, "Something rude")
        social_services.do_remove_comment(admin_a, removed.pk)
    client = login(admin_a)
    url = reverse("recent_comments", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0] == ["Written", "Module", "Author", "Comment", "Removed by"]
    assert rows[1][2:] == ["Ann", "", "Admin"]  # the removed text stays out
    assert rows[2][3] == '\'=WEBSERVICE("http://x")'
    assert "Something rude" not in str(rows)

    def more_comments() -> None:
        with tenant_context(org_a):
            for i in range(5):
                social_services.do_post_comment(author, module.pk, f"Comment {i}")

    assert_constant_queries(client, url, more_comments)


# --- a learner's own tables --------------------------------------------------------------------


def test_a_learner_downloads_their_whole_history(org_a, org_b, login):
    fixture = make_pathway(org_a, n_steps=1)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    module = extra_module(org_a, "Energy, not hours")
    add_task(org_a, module.pk)
    with tenant_context(org_a):
        services.do_complete_step(leo, enrollment.pk, fixture.steps[0].pk)
        do_save_practice_answer(leo, module.pk, "=1+1 is my plan")
    mia = make_member(org_a, "mia@a.example", is_learner=True)
    with tenant_context(org_a):
        do_save_practice_answer(mia, module.pk, "Mia's private answer")
    client = login(leo)
    url = reverse("learning_history", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0] == ["When", "What", "Item", "Detail"]
    assert [r[1:] for r in rows[1:]] == [
        ["Practice", "Energy, not hours", "'=1+1 is my plan"],
        ["Completed", "Leading Through Change module 1", "Leading Through Change"],
    ]
    assert "Mia's private answer" not in str(rows)

    def more_history() -> None:
        with tenant_context(org_a):
            for i in range(30):  # more than a page of the history (25)
                other = extra_module(org_a, f"Module {i}")
                add_task(org_a, other.pk)
                do_save_practice_answer(leo, other.pk, f"Answer {i}")

    assert_constant_queries(client, url, more_history)
    assert len(download(client, url)[0]) == 1 + 2 + 30


def test_a_learner_downloads_their_mentoring_pairs_without_notes(org_a, org_b, login):
    [feedback] = make_competencies(org_a, "Feedback")
    mentee = make_member(org_a, "mia@a.example", is_learner=True)
    mentor = make_member(org_a, "max@a.example", is_learner=True)
    rename(mentor, "+Max")
    with tenant_context(org_a):
        Ability.objects.create(learner=mentor, competency=feedback, theta=1.0, p_known=0.8)
        social_services.do_offer_mentoring(mentor, [feedback.pk])
        request = social_services.do_request_mentor(mentee, feedback.pk, "I freeze in reviews")
        social_services.do_propose_mentor(mentee, request.pk, mentor.pk)
        social_services.do_answer_request(mentor, request.pk, accept=True, note="Thursdays")
    client = login(mentee)
    url = reverse("my_mentoring", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0] == ["Colleague", "E-mail", "Role", "Team", "Competency", "Since"]
    assert rows[1][:5] == ["'+Max", "max@a.example", "Your mentor", "", "Feedback"]
    assert "freeze" not in str(rows) and "Thursdays" not in str(rows)
    mentor_rows, _ = download(login(mentor), url)
    assert mentor_rows[1][:3] == ["Mia", "mia@a.example", "You mentor them"]


def test_a_learner_downloads_their_knowledge_estimates(org_a, org_b, login):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    _fx, listening = build_known_data(org_a, leo)
    client = login(leo)
    url = reverse("my_growth", args=[org_a.slug])
    assert "format=xlsx" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0][:4] == ["Competency", "Framework", "Knowledge estimate %", "Status"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Coaching and developing others", "Delegation"}
    assert by_name["Delegation"][3:8] == ["Too few answers to tell", "3", "3", "43", "100"]

    def more_answers() -> None:
        items = make_items(org_a, listening, [0.0, 0.5], title="Listening basics")
        with tenant_context(org_a):
            for i, item in enumerate(items):
                option = item.options.get(is_correct=True).pk
                scenario_services.do_answer_practice(
                    leo, listening.pk, item.pk, f"t{i}", option_id=option
                )

    assert_constant_queries(client, url, more_answers)


@pytest.mark.parametrize("learner_page", ["learning_history", "my_mentoring", "my_growth"])
def test_a_learners_downloads_are_their_own(org_a, org_b, admin_a, login, learner_page):
    url = reverse(learner_page, args=[org_a.slug])
    _404(login(admin_a), url)  # an admin who is no learner has no such page
    _404(login(make_member(org_b, "leo@b.example", is_learner=True)), url)


def test_admin_downloads_are_for_admins_of_the_organisation(org_a, org_b, admin_a, login):
    draft = make_draft(org_a)
    slug = org_a.slug
    urls = [
        reverse("issued_badges", args=[slug]),
        reverse("module_library", args=[slug]),
        reverse("library_scenario_list", args=[slug]),
        reverse("pathway_list", args=[slug]),
        reverse("recent_comments", args=[slug]),
        reverse("rule_preview", args=[slug, draft.version.pk]),
    ]
    for member in (
        make_member(org_a, "all@a.example", is_learner=True, is_coach=True, is_sponsor=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    ):
        client = login(member)
        for url in urls:
            _404(client, url)
