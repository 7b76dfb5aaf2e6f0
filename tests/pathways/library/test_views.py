"""Library pages: admins only, another organisation's objects 404, fixed query counts."""

from __future__ import annotations

import re

import pytest

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.models import Module, RetrievalItem, Scenario, ScenarioNode
from tests.conftest import count_queries, make_member
from tests.pathways.library.conftest import make_competencies, make_module, make_tree


@pytest.fixture
def admin(org_a, org_b):
    return make_member(org_a, "ada@a.example", is_admin=True)


def _lib(org):
    return f"/o/{org.slug}/library/"


def test_it_shows_the_library_to_admins_and_404_to_learners(client, org_a, org_b, admin):
    make_module(org_a, "Feedback that lands")
    client.force_login(admin.user)
    page = client.get(_lib(org_a)).content.decode()
    assert "Feedback that lands" in page
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(learner.user)
    assert client.get(_lib(org_a)).status_code == 404
    assert client.get(f"/o/{org_a.slug}/library/scenarios/").status_code == 404


def test_it_teaches_on_an_empty_library(client, org_a, org_b, admin):
    client.force_login(admin.user)
    page = client.get(_lib(org_a)).content.decode()
    assert "Write the first module" in page


def test_it_filters_the_page_and_serves_the_results_partial_to_htmx(client, org_a, org_b, admin):
    make_module(org_a, "Feedback that lands", format="read")
    make_module(org_a, "Delegating outcomes", format="watch")
    client.force_login(admin.user)
    page = client.get(_lib(org_a), {"q": "delegating"}).content.decode()
    assert "Delegating outcomes" in page and "Feedback that lands" not in page
    partial = client.get(_lib(org_a), {"format": "read"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Feedback that lands" in partial and "Delegating outcomes" not in partial
    assert "<html" not in partial


def test_it_creates_a_module_with_tags_and_refuses_too_many_minutes(client, org_a, org_b, admin):
    [skill] = make_competencies(org_a, "Coaching")
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/library/modules/new/"
    data = {
        "title": "Ask before you tell",
        "summary": "Questions first.",
        "body": "## Ask",
        "format": "read",
        "minutes": "20",
        "difficulty": "2",
        "is_core": "core",
        "competencies": [str(skill.pk)],
        "roles": "Team lead, Senior manager",
    }
    page = client.post(url, data).content.decode()
    assert "Micro-modules take at most 15 minutes" in page
    with tenant_context(org_a):
        assert Module.objects.count() == 0
    data["minutes"] = "10"
    response = client.post(url, data)
    assert response.status_code == 302
    with tenant_context(org_a):
        module = Module.objects.get()
        assert sorted(module.tags.values_list("value", flat=True)) == [
            "Senior manager",
            "Team lead",
        ]
        assert AuditEntry.objects.filter(action="created", object_id=str(module.pk)).exists()


def test_it_previews_markdown_without_scripts(client, org_a, org_b, admin):
    client.force_login(admin.user)
    response = client.post(
        f"/o/{org_a.slug}/library/body-preview/",
        {"body": "**Hi** <script>alert(1)</script><img src=x onerror=alert(1)>"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<strong>Hi</strong>" in html
    assert "<script>alert" not in html and "onerror" not in html


def test_it_previews_a_module_as_a_learner_sees_it(client, org_a, org_b, admin):
    module = make_module(org_a, "Feedback that lands", body="Use **SBI**.")
    with tenant_context(org_a):
        services.do_save_practice_task(None, module, "action", "Plan one feedback conversation.")
        services.do_save_retrieval_item(
            None,
            module,
            None,
            services.RetrievalItemData(
                kind="free",
                prompt="Name the parts of SBI.",
                model_answer="Situation, behaviour, impact.",
            ),
        )
    client.force_login(admin.user)
    page = client.get(f"/o/{org_a.slug}/library/modules/{module.pk}/preview/").content.decode()
    assert "<strong>SBI</strong>" in page
    assert "Plan one feedback conversation." in page
    assert "Name the parts of SBI." in page


def test_it_adds_edits_and_deletes_retrieval_items_inline(client, org_a, org_b, admin):
    module = make_module(org_a, "Feedback")
    client.force_login(admin.user)
    base = f"/o/{org_a.slug}/library/modules/{module.pk}/items/"
    bad = client.post(
        base + "new/",
        {
            "new-kind": "mc",
            "new-prompt": "Which?",
            "new-level": "easy",
            "new-option_1_text": "A",
            "new-option_1_correct": "on",
            "new-option_1_feedback": "Yes",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "at least two options" in bad.content.decode()
    good = client.post(
        base + "new/",
        {
            "new-kind": "mc",
            "new-prompt": "Which?",
            "new-level": "easy",
            "new-option_1_text": "A",
            "new-option_1_correct": "on",
            "new-option_1_feedback": "Yes",
            "new-option_2_text": "B",
            "new-option_2_feedback": "No",
        },
        HTTP_HX_REQUEST="true",
    )
    assert (
        'id="retrieval-items"' in good.content.decode()
        and "Question added." in good.content.decode()
    )
    with tenant_context(org_a):
        item = RetrievalItem.objects.get()
    form = client.get(f"{base}{item.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Which?</textarea>" in form and "Save question" in form
    client.post(
        f"{base}{item.pk}/",
        {
            f"item{item.pk}-kind": "free",
            f"item{item.pk}-prompt": "Why?",
            f"item{item.pk}-level": "hard",
            f"item{item.pk}-model_answer": "Because.",
        },
    )
    with tenant_context(org_a):
        item.refresh_from_db()
        assert (item.kind, item.prompt, item.difficulty) == ("free", "Why?", 1.0)
    assert client.post(f"{base}{item.pk}/delete/").status_code == 302
    with tenant_context(org_a):
        assert RetrievalItem.objects.count() == 0


def test_it_builds_a_scenario_in_the_browser_and_publishes_it(client, org_a, org_b, admin):
    client.force_login(admin.user)
    response = client.post(f"/o/{org_a.slug}/library/scenarios/new/", {"title": "Late report"})
    with tenant_context(org_a):
        scenario = Scenario.objects.get()
    assert response.status_code == 302
    base = f"/o/{org_a.slug}/library/scenarios/{scenario.pk}/"
    client.post(base + "nodes/new/", {"node-key": "start", "node-text": "The report is late."})
    client.post(
        base + "nodes/new/",
        {
            "node-key": "end",
            "node-text": "It ships.",
            "node-is_ending": "on",
            "node-debrief": "Asking early helped.",
        },
    )
    with tenant_context(org_a):
        start, end = ScenarioNode.objects.order_by("position")
        scenario.refresh_from_db()
        assert scenario.start_node_id == start.pk
    page = client.post(base + "status/", {"status": "published"}, follow=True).content.decode()
    assert "offers no choices" in page
    client.post(
        f"{base}nodes/{start.pk}/choices/new/",
        {
            "choice-text": "Ask what is blocking",
            "choice-next_node": str(end.pk),
            "choice-feedback": "Curiosity first.",
            "choice-is_effective": "on",
        },
    )
    client.post(base + "status/", {"status": "published"})
    with tenant_context(org_a):
        assert Scenario.objects.get().status == "published"
    play = client.get(base + "preview/").content.decode()
    assert "The report is late." in play and "Ask what is blocking" in play
    with tenant_context(org_a):
        choice_id = start.choices.get().pk
    ending = client.get(base + "preview/", {"path": str(choice_id)}).content.decode()
    assert "Curiosity first." in ending and "Asking early helped." in ending


def _leads_to(page):
    """The node ids the "Leads to" select offers."""
    start = page.index('name="choice-next_node"')
    return re.findall(r'<option value="(\d+)"', page[start : page.index("</select>", start)])


def test_it_offers_a_choice_its_own_situation_to_try_again_and_says_what_to_add_first(
    client, org_a, org_b, admin
):
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    lonely = make_tree(org_b, {"solo": []}, start="solo", title="Solo")
    with tenant_context(org_a):
        a = ScenarioNode.objects.get(key="a")
        end = ScenarioNode.objects.get(key="end")
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/library/scenarios/{scenario.pk}/nodes/{a.pk}/"
    page = client.get(url).content.decode()
    assert _leads_to(page) == [str(a.pk), str(end.pk)]
    assert "a (this situation again)" in page
    assert "Add where it leads" not in page
    response = client.post(
        url + "choices/new/",
        {"choice-text": "Wait", "choice-next_node": str(a.pk), "choice-feedback": "Nothing."},
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        wait = a.choices.get(text="Wait")
    assert wait.next_node_id == a.pk
    edit = client.get(f"{url}choices/{wait.pk}/").content.decode()
    assert _leads_to(edit) == [str(a.pk), str(end.pk)]

    # A lone situation has nowhere else to lead yet: the page says what to add first.
    other_admin = make_member(org_b, "bo@b.example", is_admin=True)
    client.force_login(other_admin.user)
    with tenant_context(org_b):
        solo = ScenarioNode.objects.get(scenario=lonely)
    page = client.get(f"/o/{org_b.slug}/library/scenarios/{lonely.pk}/nodes/{solo.pk}/")
    assert "Add where it leads" in page.content.decode()


def test_it_gives_404_for_another_organisations_objects_under_ones_own_slug(client, org_a, org_b):
    module = make_module(org_a, "Private to Acme")
    with tenant_context(org_a):
        item = services.do_save_retrieval_item(
            None,
            module,
            None,
            services.RetrievalItemData(kind="free", prompt="Q?", model_answer="A."),
        )
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    with tenant_context(org_a):
        node = ScenarioNode.objects.get(key="a")
        choice = node.choices.get()
    intruder = make_member(org_b, "intruder@b.example", is_admin=True)
    client.force_login(intruder.user)
    b = f"/o/{org_b.slug}/library/"
    m = f"{b}modules/{module.pk}/"
    s = f"{b}scenarios/{scenario.pk}/"
    for url in [
        m,
        m + "preview/",
        m + "status/",
        m + "practice/",
        m + "practice/delete/",
        m + "items/new/",
        f"{m}items/{item.pk}/",
        f"{m}items/{item.pk}/delete/",
        s,
        s + "status/",
        s + "preview/",
        s + "nodes/new/",
        f"{s}nodes/{node.pk}/",
        f"{s}nodes/{node.pk}/delete/",
        f"{s}nodes/{node.pk}/choices/new/",
        f"{s}nodes/{node.pk}/choices/{choice.pk}/",
        f"{s}nodes/{node.pk}/choices/{choice.pk}/delete/",
    ]:
        assert client.post(url, {"status": "retired", "title": "x"}).status_code == 404, url
        if not url.endswith(("delete/", "status/", "practice/", "choices/new/")):
            assert client.get(url).status_code == 404, url
    with tenant_context(org_a):
        assert Module.objects.get().status == "draft"
        assert ScenarioNode.objects.count() == 2


def _library_queries(client, org, n):
    skills = make_competencies(org, "Coaching", "Strategy")
    for i in range(n):
        make_module(
            org,
            f"Module {i:02d}",
            competency_ids=[s.pk for s in skills],
            roles=["Team lead"],
            functions=[f"F{i}"],
            impacts=["Engagement"],
        )
    with count_queries() as ctx:
        response = client.get(_lib(org), {"q": "Module"})
    assert response.status_code == 200
    return len(ctx.app_queries)


def test_it_lists_the_library_in_the_same_number_of_queries_for_3_and_30_modules(
    client, org_a, org_b
):
    for org in (org_a, org_b):
        admin = make_member(org, f"admin@{org.slug}.example", is_admin=True)
    client.force_login(make_member(org_a, "q@a.example", is_admin=True).user)
    small = _library_queries(client, org_a, 3)
    client.force_login(admin.user)
    large = _library_queries(client, org_b, 30)
    assert small == large


def _scenario_queries(client, org, n):
    for i in range(n):
        make_tree(org, {"a": ["b", "end"], "b": ["end"], "end": None}, title=f"Scenario {i}")
    with count_queries() as ctx:
        response = client.get(f"/o/{org.slug}/library/scenarios/")
    assert response.status_code == 200
    return len(ctx.app_queries)


def test_it_lists_scenarios_in_the_same_number_of_queries_for_3_and_30(client, org_a, org_b):
    client.force_login(make_member(org_a, "q@a.example", is_admin=True).user)
    small = _scenario_queries(client, org_a, 3)
    client.force_login(make_member(org_b, "q@b.example", is_admin=True).user)
    large = _scenario_queries(client, org_b, 30)
    assert small == large


def test_it_edits_a_scenario_and_a_module_page_in_fixed_queries(client, org_a, org_b):
    client.force_login(make_member(org_a, "q@a.example", is_admin=True).user)
    small = make_tree(org_a, {"a": ["end"], "end": None}, title="Small")
    big = make_tree(
        org_a,
        {f"n{i}": [f"n{i + 1}", "end"] for i in range(20)} | {"n20": ["end"], "end": None},
        start="n0",
        title="Big",
    )
    counts = []
    for scenario in (small, big):
        with count_queries() as ctx:
            assert (
                client.get(f"/o/{org_a.slug}/library/scenarios/{scenario.pk}/").status_code == 200
            )
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def _with_items(org, title, n):
    module = make_module(org, title)
    with tenant_context(org):
        services.do_save_practice_task(None, module, "reflect", "What will you try?")
        for i in range(n):
            services.do_save_retrieval_item(
                None,
                module,
                None,
                services.RetrievalItemData(
                    kind="mc",
                    prompt=f"Question {i}?",
                    options=[
                        services.OptionData("Yes", True, "Right."),
                        services.OptionData("No", False, "Not quite."),
                    ],
                ),
            )
    return module


def test_it_shows_the_module_editor_and_items_partial_in_fixed_queries(client, org_a, org_b):
    client.force_login(make_member(org_a, "q@a.example", is_admin=True).user)
    make_competencies(org_a, "Coaching")
    small, large = _with_items(org_a, "Small", 1), _with_items(org_a, "Large", 6)
    for url_suffix, headers in (("", {}), ("items/new/", {"HTTP_HX_REQUEST": "true"})):
        counts = []
        for module in (small, large):
            url = f"/o/{org_a.slug}/library/modules/{module.pk}/{url_suffix}"
            with count_queries() as ctx:
                assert client.get(url, **headers).status_code == 200
            counts.append(len(ctx.app_queries))
        assert counts[0] == counts[1], url_suffix


def test_it_retires_a_module_after_confirmation_and_refuses_learners(client, org_a, org_b, admin):
    module = make_module(org_a, "Old news")
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    url = f"/o/{org_a.slug}/library/modules/{module.pk}/status/"
    client.force_login(learner.user)
    assert client.post(url, {"status": "retired"}).status_code == 404
    client.force_login(admin.user)
    page = client.get(f"/o/{org_a.slug}/library/modules/{module.pk}/").content.decode()
    assert "data-confirm=" in page and "Retire" in page
    client.post(url, {"status": "retired"})
    with tenant_context(org_a):
        assert Module.objects.get().status == "retired"
        assert AuditEntry.objects.filter(action="retired", actor=admin.user).exists()


def test_it_plays_a_preview_without_recording_anything(client, org_a, org_b, admin):
    from pathways.models import ScenarioDecision, ScenarioPlay

    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    with tenant_context(org_a):
        choice = ScenarioNode.objects.get(key="a").choices.get()
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/library/scenarios/{scenario.pk}/preview/"
    page = client.get(url, {"path": f"{choice.pk}"}).content.decode()
    assert "Debrief" in page and "Play again" in page
    stale = client.get(url, {"path": "999999"}).content.decode()
    assert "stops at the last valid choice" in stale
    with tenant_context(org_a):
        assert ScenarioPlay.objects.count() == 0
        assert ScenarioDecision.objects.count() == 0


def test_it_shows_what_is_missing_before_publishing_and_asks_why(client, org_a, org_b, admin):
    module = make_module(org_a, "Bare")
    client.force_login(admin.user)
    base = f"/o/{org_a.slug}/library/modules/{module.pk}/"
    page = client.get(base).content.decode()
    assert "Not ready to publish: add a practice task and retrieval questions" in page
    assert "Why publish without them?" in page
    refused = client.post(base + "status/", {"status": "published"}, follow=True)
    assert "It lacks a practice task and retrieval questions" in refused.content.decode()
    with tenant_context(org_a):
        assert Module.objects.get().status == "draft"
    reason = "Pilot: the practice happens live in the workshop."
    client.post(base + "status/", {"status": "published", "reason": reason})
    with tenant_context(org_a):
        assert Module.objects.get().status == "published"
        assert AuditEntry.objects.get(action="published").after["reason"] == reason


def test_it_shows_admins_each_modules_reach_and_ratings_hiding_small_groups(
    client, org_a, org_b, admin
):
    from pathways.models import ActivityEvent, ModuleReaction
    from pathways.services import refresh_module_reach

    weak = make_module(org_a, "Weak module")
    few = make_module(org_a, "Few ratings")
    learners = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(6)]
    with tenant_context(org_a):
        for i, learner in enumerate(learners):
            ActivityEvent.objects.create(
                actor=learner, verb="experienced", object_type="module", object_id=str(weak.pk)
            )
            if i < 4:
                ActivityEvent.objects.create(
                    actor=learner, verb="completed", object_type="module", object_id=str(weak.pk)
                )
            ModuleReaction.objects.create(learner=learner, module=weak, useful=2, relevant=3)
        for learner in learners[:2]:
            ModuleReaction.objects.create(learner=learner, module=few, useful=5, relevant=5)
        # Facts written outside the services: their roll-up is recomputed from them.
        refresh_module_reach([weak.pk, few.pk])
    client.force_login(admin.user)
    page = client.get(_lib(org_a)).content.decode()
    assert "completed by 4 of 6 learners who opened it" in page
    assert "useful 2.0/5, relevant 3.0/5 (n = 6 ratings)" in page
    assert "rated of little use: refresh or retire" in page
    # Two ratings could be told apart: no mean, only that they are hidden and why.
    assert "ratings hidden: fewer than 5 learners rated it" in page
    assert "useful 5.0/5" not in page


def test_it_describes_question_difficulty_in_words_not_logits(client, org_a, org_b, admin):
    module = make_module(org_a, "Feedback")
    with tenant_context(org_a):
        RetrievalItem.objects.create(
            module=module,
            kind=RetrievalItem.Kind.FREE_RECALL,
            prompt="Hard one?",
            model_answer="x",
            difficulty=1.2,
        )
    client.force_login(admin.user)
    page = client.get(f"/o/{org_a.slug}/library/modules/{module.pk}/").content.decode()
    assert "harder than most questions" in page
    assert "logit" not in page
