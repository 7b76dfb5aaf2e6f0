"""Admin pages of the competency model: access, forms, htmx partials, 404s and query counts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from competencies import services
from competencies.models import (
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    ProficiencyLevel,
    StrategicPriority,
)
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.models import Module, ModuleCompetency
from tests.competencies.helpers import build_framework
from tests.conftest import count_queries, make_member

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "admin@a.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin_a):
    client.force_login(admin_a.user)
    return client


def _url(org, path: str) -> str:
    return f"/o/{org.slug}/{path}"


def _first(org, model, **filters):
    with tenant_context(org):
        return model.objects.filter(**filters).order_by("pk").first()


# ----- access --------------------------------------------------------------------------------


def test_it_shows_learners_a_404_on_every_competency_page(client, org_a, org_b):
    framework = build_framework(org_a, 1)
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(learner.user)
    competency = _first(org_a, Competency)
    indicator = _first(org_a, BehaviouralIndicator)
    priority = _first(org_a, StrategicPriority)
    for path in (
        "competencies/",
        "competencies/new/",
        "competencies/import/",
        "competencies/alignment/",
        f"competencies/{framework.pk}/",
        f"competencies/{framework.pk}/edit/",
        f"competencies/{framework.pk}/delete/",
        f"competencies/{framework.pk}/scale/",
        f"competencies/{framework.pk}/export/",
        f"competencies/competency/{competency.pk}/",
        f"competencies/competency/{competency.pk}/edit/",
        f"competencies/indicators/{indicator.pk}/edit/",
        "priorities/",
        f"priorities/{priority.pk}/",
    ):
        assert client.get(_url(org_a, path)).status_code == 404, path
    assert client.post(_url(org_a, f"competencies/{framework.pk}/delete/")).status_code == 404
    with tenant_context(org_a):
        assert Framework.objects.filter(pk=framework.pk).exists()


def test_it_gives_404_for_another_organisations_objects_under_ones_own_slug(
    admin_client, org_a, org_b
):
    framework = build_framework(org_b, 1)
    competency = _first(org_b, Competency)
    indicator = _first(org_b, BehaviouralIndicator)
    priority = _first(org_b, StrategicPriority)
    link = _first(org_b, PriorityAlignment)
    build_framework(org_a, 1, name="Ours")
    own_priority = _first(org_a, StrategicPriority)
    gets = [
        f"competencies/{framework.pk}/",
        f"competencies/{framework.pk}/edit/",
        f"competencies/{framework.pk}/delete/",
        f"competencies/{framework.pk}/scale/",
        f"competencies/{framework.pk}/export/",
        f"competencies/competency/{competency.pk}/",
        f"competencies/competency/{competency.pk}/edit/",
        f"competencies/indicators/{indicator.pk}/edit/",
        f"priorities/{priority.pk}/",
    ]
    for path in gets:
        assert admin_client.get(_url(org_a, path)).status_code == 404, path
    posts = [
        (f"competencies/{framework.pk}/delete/", {}),
        (f"competencies/{framework.pk}/competencies/new/", {"name": "Sneaky"}),
        (f"competencies/competency/{competency.pk}/delete/", {}),
        (f"competencies/competency/{competency.pk}/move/", {"direction": "up"}),
        (f"competencies/competency/{competency.pk}/indicators/add/", {"text": "Sneaky"}),
        (f"competencies/indicators/{indicator.pk}/delete/", {}),
        (f"competencies/indicators/{indicator.pk}/move/", {"direction": "up"}),
        (f"priorities/{priority.pk}/delete/", {}),
        (f"priorities/{priority.pk}/links/", {"competency": competency.pk, "weight": 3}),
        (f"priorities/links/{link.pk}/delete/", {}),
        # Their competency linked to our own priority.
        (f"priorities/{own_priority.pk}/links/", {"competency": competency.pk, "weight": 3}),
    ]
    for path, data in posts:
        response = admin_client.post(_url(org_a, path), data)
        assert response.status_code in {200, 404}, path
        if response.status_code == 200:  # the form refuses the unknown competency
            assert "Select a valid choice" in response.content.decode()
    with tenant_context(org_b):
        assert Framework.objects.count() == 1
        assert Competency.objects.count() == 1
        assert BehaviouralIndicator.objects.count() == 2
        assert PriorityAlignment.objects.count() == 1
        assert StrategicPriority.objects.count() == 2
    with tenant_context(org_a):
        assert not Competency.objects.filter(name="Sneaky").exists()
        assert PriorityAlignment.objects.count() == 1


# ----- frameworks ----------------------------------------------------------------------------


def test_it_teaches_on_an_empty_framework_list(admin_client, org_a, org_b):
    page = admin_client.get(_url(org_a, "competencies/")).content.decode()
    assert "No competency framework yet" in page
    assert "Create a framework" in page


def test_it_creates_a_framework_with_the_default_scale_in_the_browser(
    admin_client, admin_a, org_a, org_b
):
    response = admin_client.post(
        _url(org_a, "competencies/new/"), {"name": "Leadership", "description": "For managers"}
    )
    framework = _first(org_a, Framework)
    assert response.status_code == 302
    assert response["Location"] == _url(org_a, f"competencies/{framework.pk}/")
    page = admin_client.get(response["Location"]).content.decode()
    assert "Foundation" in page and "Expert" in page
    assert "No competencies yet" in page
    with tenant_context(org_a):
        entry = AuditEntry.objects.get(action="created")
    assert entry.actor == admin_a.user
    assert entry.after["name"] == "Leadership"


def test_it_shows_the_duplicate_name_error_next_to_the_field(admin_client, org_a, org_b):
    build_framework(org_a, 1)
    response = admin_client.post(_url(org_a, "competencies/new/"), {"name": "leadership"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "already exists in this organisation" in page
    assert 'class="field__error"' in page and 'class="form-errors"' in page
    with tenant_context(org_a):
        assert Framework.objects.count() == 1


def test_it_edits_the_scale_in_the_browser(admin_client, org_a, org_b):
    framework = build_framework(org_a, 1)
    data = {}
    for value, label in enumerate(["Novice", "Learner", "Practitioner", "Leader", "Master"], 1):
        data[f"label_{value}"] = label
        data[f"descriptor_{value}"] = f"Level {value} in words"
    response = admin_client.post(_url(org_a, f"competencies/{framework.pk}/scale/"), data)
    assert response.status_code == 302
    with tenant_context(org_a):
        labels = list(
            ProficiencyLevel.objects.filter(framework=framework)
            .order_by("value")
            .values_list("label", flat=True)
        )
    assert labels == ["Novice", "Learner", "Practitioner", "Leader", "Master"]
    data["label_2"] = "novice"
    page = admin_client.post(_url(org_a, f"competencies/{framework.pk}/scale/"), data)
    assert "Two levels are called" in page.content.decode()


def test_it_asks_before_deleting_and_says_what_is_lost(admin_client, org_a, org_b):
    framework = build_framework(org_a, 3, indicators=2)
    page = admin_client.get(_url(org_a, f"competencies/{framework.pk}/delete/")).content.decode()
    assert "3 competencies" in page and "6 behavioural indicators" in page
    assert "data-confirm" in page
    response = admin_client.post(_url(org_a, f"competencies/{framework.pk}/delete/"))
    assert response.status_code == 302
    with tenant_context(org_a):
        assert not Framework.objects.exists()


def test_it_refuses_to_delete_a_framework_in_use_with_a_clear_message(admin_client, org_a, org_b):
    framework = build_framework(org_a, 2)
    with tenant_context(org_a):
        module = Module.objects.create(title="Feedback that lands", minutes=10)
        ModuleCompetency.objects.create(module=module, competency=Competency.objects.first())
    page = admin_client.get(_url(org_a, f"competencies/{framework.pk}/delete/")).content.decode()
    assert "cannot be deleted" in page and "Feedback that lands" in page
    assert "Delete framework</button>" not in page
    page = admin_client.post(
        _url(org_a, f"competencies/{framework.pk}/delete/"), follow=True
    ).content.decode()
    assert "Feedback that lands" in page
    with tenant_context(org_a):
        assert Framework.objects.filter(pk=framework.pk).exists()


def test_it_downloads_the_framework_as_json(admin_client, org_a, org_b):
    framework = build_framework(org_a, 2)
    response = admin_client.get(_url(org_a, f"competencies/{framework.pk}/export/"))
    assert response["Content-Type"].startswith("application/json")
    assert 'filename="leadership.json"' in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [c["name"] for c in data["competencies"]] == ["Competency 1", "Competency 2"]
    assert "priorities" in data
    bare = admin_client.get(_url(org_a, f"competencies/{framework.pk}/export/?priorities=0"))
    assert "priorities" not in json.loads(bare.content)


def test_it_imports_an_uploaded_file_from_another_organisation(client, org_a, org_b):
    framework = build_framework(org_a, 3)
    admin_b = make_member(org_b, "admin@b.example", is_admin=True)
    with tenant_context(org_a):
        from competencies.portability import export_json

        body = export_json(framework).encode()
    client.force_login(admin_b.user)
    upload = SimpleUploadedFile("leadership.json", body, content_type="application/json")
    response = client.post(
        _url(org_b, "competencies/import/"), {"file": upload, "include_priorities": "on"}
    )
    assert response.status_code == 302
    with tenant_context(org_b):
        imported = Framework.objects.get()
        assert Competency.objects.filter(framework=imported).count() == 3
        assert StrategicPriority.objects.count() == 2
        assert AuditEntry.objects.filter(action="imported").count() == 1


def test_it_imports_a_copy_under_another_name_in_the_browser(admin_client, org_a, org_b):
    framework = build_framework(org_a, 2)
    exported = admin_client.get(_url(org_a, f"competencies/{framework.pk}/export/")).content
    page = admin_client.post(
        _url(org_a, "competencies/import/"), {"text": exported.decode()}
    ).content.decode()
    assert "name: a framework called “Leadership” already exists" in page
    assert "import it under another name" in page
    response = admin_client.post(
        _url(org_a, "competencies/import/"),
        {"text": exported.decode(), "name": "Leadership (copy)"},
        follow=True,
    )
    assert "Imported “Leadership (copy)”: 2 competencies" in response.content.decode()
    with tenant_context(org_a):
        assert Framework.objects.count() == 2
        copy = Framework.objects.get(name="Leadership (copy)")
        assert Competency.objects.filter(framework=copy).count() == 2


def test_it_lists_every_import_problem_and_writes_nothing(admin_client, org_a, org_b):
    bad = {
        "format": "pathwise.competency-framework",
        "version": 1,
        "name": "Pasted",
        "levels": [{"value": 1, "label": "A"}, {"value": 2, "label": "B"}],
        "competencies": [{"name": "X", "indicators": [{"text": ""}]}, {"name": "x"}],
    }
    page = admin_client.post(
        _url(org_a, "competencies/import/"), {"text": json.dumps(bad)}
    ).content.decode()
    assert "2 problems to fix" in page
    assert "competencies[0].indicators[0]: text is empty" in page
    assert "competencies[1]: name “x” is already used by competencies[0]" in page
    page = admin_client.post(_url(org_a, "competencies/import/"), {}).content.decode()
    assert "Choose a framework file or paste its JSON." in page
    with tenant_context(org_a):
        assert not Framework.objects.exists()


# ----- competencies and indicators -----------------------------------------------------------


def test_it_adds_a_competency_and_shows_field_errors(admin_client, org_a, org_b):
    framework = build_framework(org_a, 1)
    url = _url(org_a, f"competencies/{framework.pk}/competencies/new/")
    response = admin_client.post(url, {"name": "Resilience", "category": "Self"})
    assert response.status_code == 302 and response["Location"].endswith(
        "#competency-" + str(_first(org_a, Competency, name="Resilience").pk)
    )
    page = admin_client.post(url, {"name": "resilience"}).content.decode()
    assert "already has a competency called" in page
    with tenant_context(org_a):
        assert Competency.objects.filter(framework=framework).count() == 2


def test_it_edits_a_competency_inline_with_htmx(admin_client, org_a, org_b):
    build_framework(org_a, 2)
    competency = _first(org_a, Competency)
    url = _url(org_a, f"competencies/competency/{competency.pk}/edit/")
    fragment = admin_client.get(url, **HTMX).content.decode()
    assert "<html" not in fragment and f'id="competency-{competency.pk}"' in fragment
    fragment = admin_client.post(
        url, {"name": "Competency 2", "category": "", "description": ""}, **HTMX
    ).content.decode()
    assert "<html" not in fragment and "already has a competency" in fragment
    fragment = admin_client.post(
        url, {"name": "Deciding well", "category": "Business", "description": "Owns it"}, **HTMX
    ).content.decode()
    assert (
        "<html" not in fragment and "Deciding well" in fragment and "Competency saved." in fragment
    )
    full = admin_client.get(url).content.decode()
    assert "<html" in full
    card = admin_client.get(
        _url(org_a, f"competencies/competency/{competency.pk}/"), **HTMX
    ).content.decode()
    assert "<html" not in card and "Deciding well" in card and "Add indicator" in card


def test_it_moves_a_competency_with_htmx_and_without(admin_client, org_a, org_b):
    framework = build_framework(org_a, 3)
    third = _first(org_a, Competency, name="Competency 3")
    url = _url(org_a, f"competencies/competency/{third.pk}/move/")
    fragment = admin_client.post(url, {"direction": "up"}, **HTMX).content.decode()
    assert 'id="competency-list"' in fragment and "<html" not in fragment
    assert fragment.index("Competency 3") < fragment.index("Competency 2")
    assert admin_client.post(url, {"direction": "up"}).status_code == 302
    with tenant_context(org_a):
        names = list(
            Competency.objects.filter(framework=framework)
            .order_by("position")
            .values_list("name", flat=True)
        )
    assert names == ["Competency 3", "Competency 1", "Competency 2"]


def test_it_manages_indicators_with_htmx(admin_client, org_a, org_b):
    build_framework(org_a, 1, indicators=0)
    competency = _first(org_a, Competency)
    add = _url(org_a, f"competencies/competency/{competency.pk}/indicators/add/")
    fragment = admin_client.post(add, {"text": "Asks before telling"}, **HTMX).content.decode()
    assert "Asks before telling" in fragment and "Indicator added." in fragment
    fragment = admin_client.post(add, {"text": "  "}, **HTMX).content.decode()
    assert "Describe a behaviour someone could observe" in fragment
    admin_client.post(add, {"text": "Names the impact"}, **HTMX)
    second = _first(org_a, BehaviouralIndicator, text="Names the impact")
    fragment = admin_client.post(
        _url(org_a, f"competencies/indicators/{second.pk}/move/"), {"direction": "up"}, **HTMX
    ).content.decode()
    assert fragment.index("Names the impact") < fragment.index("Asks before telling")
    edit = _url(org_a, f"competencies/indicators/{second.pk}/edit/")
    form = admin_client.get(edit, **HTMX)
    assert form["HX-Retarget"] == f"#indicator-{second.pk}"
    fragment = admin_client.post(edit, {"text": "Names the impact first"}, **HTMX).content.decode()
    assert "Names the impact first" in fragment
    fragment = admin_client.post(
        _url(org_a, f"competencies/indicators/{second.pk}/delete/"), **HTMX
    ).content.decode()
    assert "Names the impact first" not in fragment and "Indicator removed." in fragment
    with tenant_context(org_a):
        assert list(BehaviouralIndicator.objects.values_list("text", flat=True)) == [
            "Asks before telling"
        ]


def test_it_refuses_to_delete_a_competency_a_module_uses(admin_client, org_a, org_b):
    build_framework(org_a, 2)
    competency = _first(org_a, Competency)
    with tenant_context(org_a):
        module = Module.objects.create(title="Decide in the open", minutes=8)
        ModuleCompetency.objects.create(module=module, competency=competency)
    page = admin_client.post(
        _url(org_a, f"competencies/competency/{competency.pk}/delete/"), follow=True
    ).content.decode()
    assert "cannot be deleted" in page and "Decide in the open" in page
    with tenant_context(org_a):
        assert Competency.objects.filter(pk=competency.pk).exists()


# ----- priorities and the map ----------------------------------------------------------------


def test_it_creates_a_priority_links_and_unlinks_a_competency(admin_client, org_a, org_b):
    build_framework(org_a, 2, priorities=0)
    competency = _first(org_a, Competency)
    response = admin_client.post(_url(org_a, "priorities/new/"), {"title": "Cut churn"})
    priority = _first(org_a, StrategicPriority)
    assert response["Location"] == _url(org_a, f"priorities/{priority.pk}/")
    links = _url(org_a, f"priorities/{priority.pk}/links/")
    page = admin_client.post(links, {"competency": competency.pk, "weight": 9}).content.decode()
    assert "Select a valid choice" in page
    admin_client.post(links, {"competency": competency.pk, "weight": 4})
    link = _first(org_a, PriorityAlignment)
    assert link.weight == 4
    page = admin_client.get(_url(org_a, "competencies/alignment/")).content.decode()
    assert "Cut churn" in page and "Competency 2" in page
    assert "1 competency serves no priority" in page
    admin_client.post(_url(org_a, f"priorities/links/{link.pk}/delete/"))
    page = admin_client.get(_url(org_a, "competencies/alignment/")).content.decode()
    assert "1 priority is served by no competency" in page


def test_it_flags_priorities_that_no_competency_serves(admin_client, org_a, org_b):
    build_framework(org_a, 2, priorities=1)
    with tenant_context(org_a):
        services.do_create_priority(None, "Enter two new markets by 2027", "")
    page = admin_client.get(_url(org_a, "competencies/alignment/")).content.decode()
    assert "1 priority is served by no competency" in page
    assert "Enter two new markets by 2027" in page
    page = admin_client.get(_url(org_a, "competencies/")).content.decode()
    assert "1 of 2 strategic priorities is served by no competency." in page


# ----- query counts --------------------------------------------------------------------------


def _queries(client, url: str, **extra) -> int:
    with count_queries() as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.app_queries)


def test_it_reads_the_framework_pages_in_a_fixed_number_of_queries(admin_client, org_a, org_b):
    small = build_framework(org_a, 3, name="Small", priorities=2)
    list_small = _queries(admin_client, _url(org_a, "competencies/"))
    detail_small = _queries(admin_client, _url(org_a, f"competencies/{small.pk}/"))
    map_small = _queries(admin_client, _url(org_a, "competencies/alignment/"))
    priorities_small = _queries(admin_client, _url(org_a, "priorities/"))

    large = build_framework(org_a, 30, name="Large", indicators=4, priorities=5)
    build_framework(org_a, 5, name="Another")
    assert _queries(admin_client, _url(org_a, "competencies/")) == list_small
    assert _queries(admin_client, _url(org_a, f"competencies/{large.pk}/")) == detail_small
    assert _queries(admin_client, _url(org_a, "competencies/alignment/")) == map_small
    assert _queries(admin_client, _url(org_a, "priorities/")) == priorities_small


def test_it_renders_the_htmx_partials_in_a_fixed_number_of_queries(admin_client, org_a, org_b):
    def move(competency_id: int) -> int:
        url = _url(org_a, f"competencies/competency/{competency_id}/move/")
        with count_queries() as ctx:
            admin_client.post(url, {"direction": "up"}, **HTMX)
        return len(ctx.app_queries)

    def edit_form(indicator_id: int) -> int:
        return _queries(
            admin_client, _url(org_a, f"competencies/indicators/{indicator_id}/edit/"), **HTMX
        )

    build_framework(org_a, 3, name="Small")
    build_framework(org_a, 30, name="Large", indicators=4)
    small = _first(org_a, Competency, framework__name="Small", name="Competency 3")
    large = _first(org_a, Competency, framework__name="Large", name="Competency 30")
    assert move(small.pk) == move(large.pk)
    small_ind = _first(org_a, BehaviouralIndicator, competency=small)
    large_ind = _first(org_a, BehaviouralIndicator, competency=large)
    assert edit_form(small_ind.pk) == edit_form(large_ind.pk)

    def add(competency_id: int) -> int:
        url = _url(org_a, f"competencies/competency/{competency_id}/indicators/add/")
        with count_queries() as ctx:
            admin_client.post(url, {"text": "Another behaviour"}, **HTMX)
        return len(ctx.app_queries)

    assert add(small.pk) == add(large.pk)

    def card(competency_id: int) -> int:
        url = _url(org_a, f"competencies/competency/{competency_id}/")
        return _queries(admin_client, url, **HTMX)

    assert card(small.pk) == card(large.pk)


def test_it_renders_every_admin_page(admin_client, org_a, org_b):
    framework = build_framework(org_a, 2)
    competency = _first(org_a, Competency)
    indicator = _first(org_a, BehaviouralIndicator)
    priority = _first(org_a, StrategicPriority)
    expected = {
        "competencies/new/": "Create framework",
        "competencies/import/": "What the file looks like",
        f"competencies/{framework.pk}/edit/": "Save framework",
        f"competencies/{framework.pk}/scale/": "Level 5",
        f"competencies/{framework.pk}/delete/": "What will be lost",
        f"competencies/competency/{competency.pk}/edit/": "Save competency",
        f"competencies/indicators/{indicator.pk}/edit/": "Save indicator",
        "priorities/": "Add a priority",
        "priorities/new/": "Add priority",
        f"priorities/{priority.pk}/": "Link a competency",
    }
    for path, text in expected.items():
        response = admin_client.get(_url(org_a, path))
        assert response.status_code == 200, path
        assert text in response.content.decode(), path
