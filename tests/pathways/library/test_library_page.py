"""The library page read as SQL text: the same modules in the same order as ``search_modules``
for every filter, its rows, pages and downloads, and a fixed two statements."""

from __future__ import annotations

import pytest
from django import forms

from organizations.listed_fields import ListedSelect
from organizations.tenancy import tenant_context
from pathways.library.forms import LibraryFilterForm
from pathways.library.queries import (
    PAGE_SIZE,
    LibraryFilters,
    library_export_rows,
    library_page,
)
from pathways.library.search import search_modules
from pathways.models import Module, ModuleReach, ModuleTag, PracticeTask, RetrievalItem
from tests.conftest import count_queries, make_member
from tests.pathways.library.conftest import make_competencies, make_module


@pytest.fixture
def library(org_a, org_b):
    coaching, feedback = make_competencies(org_a, "Coaching", "Giving feedback")
    modules = [
        make_module(
            org_a,
            "Feedback that lands",
            summary="The situation-behaviour-impact model.",
            body="Describe the behaviour you saw and its impact on the team.",
            competency_ids=[feedback.pk, coaching.pk],
            roles=["Team lead", "Manager_1"],
            functions=["Sales"],
            impacts=["Engagement"],
            format="read",
            is_core=False,
        ),
        make_module(
            org_a,
            "Delegating outcomes",
            summary="Hand over results, not tasks: 100% yours.",
            body="Agree the outcome and the check-ins; give honest feedback at the end.",
            competency_ids=[coaching.pk],
            roles=["Senior manager"],
            functions=["Operations"],
            format="watch",
        ),
        make_module(org_a, "Energy, not hours", summary="", body="Protect deep work.", minutes=1),
        make_module(org_a, "a lower-case title", body="Feedback, again.", roles=["team LEAD"]),
    ]
    make_module(org_b, "Feedback in Globex", body="Feedback for another organisation.")
    with tenant_context(org_a):
        Module.objects.filter(pk=modules[0].pk).update(status=Module.Status.PUBLISHED)
        Module.objects.filter(pk=modules[1].pk).update(status=Module.Status.RETIRED)
    return {"coaching": coaching, "feedback": feedback, "modules": modules}


FILTERS = [
    {},
    {"text": "feedback"},
    {"text": "feedback behaviour"},
    {"text": "100%"},
    {"text": "  "},
    {"role": "team lead"},
    {"role": "Manager_1"},
    {"role": "Manager%"},
    {"function": "sales", "status": "published"},
    {"impact": "Engagement", "format": "read"},
    {"format": "watch"},
    {"status": "draft"},
    {"text": "feedback", "role": "Team lead"},
]


@pytest.mark.parametrize("given", FILTERS)
def test_it_finds_what_search_modules_finds_in_the_same_order(org_a, org_b, library, given):
    filters = LibraryFilters(**given)
    with tenant_context(org_a):
        expected = [m.pk for m in search_modules(**given)]
        page = library_page(filters)
    assert [r.id for r in page.rows] == expected
    assert page.total == len(expected)


def test_it_filters_by_competency(org_a, org_b, library):
    with tenant_context(org_a):
        page = library_page(LibraryFilters(competency_id=library["feedback"].pk))
        everything = library_page(LibraryFilters())
    assert [r.title for r in page.rows] == ["Feedback that lands"]
    assert page.library_size == 4 and everything.library_size == everything.total == 4


def test_it_reads_each_rows_facts_and_the_filters_choices(org_a, org_b, library):
    feedback, delegating = library["modules"][:2]
    with tenant_context(org_a):
        PracticeTask.objects.create(module=feedback, prompt="Try it.")
        for i in range(3):
            RetrievalItem.objects.create(module=feedback, prompt=f"Q{i}", model_answer="A")
        ModuleReach.objects.create(
            module=feedback, opened=9, completed=4, ratings=6, useful_sum=14, relevant_sum=27
        )
        ModuleReach.objects.create(
            module=delegating, opened=2, completed=1, ratings=2, useful_sum=10, relevant_sum=10
        )
        page = library_page(LibraryFilters())
    rows = {r.title: r for r in page.rows}
    row = rows["Feedback that lands"]
    assert (row.questions, row.has_practice, row.opened, row.completed) == (3, True, 9, 4)
    assert (row.ratings, round(row.useful or 0, 2), row.relevant) == (6, 2.33, 4.5)
    assert row.competencies == ["Coaching", "Giving feedback"]  # by position, then name
    assert row.tags == {
        "function": ["Sales"],
        "impact": ["Engagement"],
        "role": ["Manager_1", "Team lead"],
    }
    assert (row.is_core, row.status, row.format_label) == (False, "published", "Read")
    hidden = rows["Delegating outcomes"]
    assert hidden.ratings_hidden and hidden.useful is None and hidden.relevant is None
    plain = rows["Energy, not hours"]
    assert (plain.questions, plain.has_practice, plain.opened, plain.competencies) == (
        0,
        False,
        0,
        [],
    )
    assert page.competencies == [
        (library["coaching"].pk, "Coaching"),
        (library["feedback"].pk, "Giving feedback"),
    ]
    with tenant_context(org_a):
        roles = list(  # in the database's order, as the queryset read them
            ModuleTag.objects.filter(kind="role")
            .order_by("value")
            .values_list("value", flat=True)
            .distinct()
        )
    assert page.roles == roles and len(roles) == 4
    assert page.functions == ["Operations", "Sales"] and page.impacts == ["Engagement"]


def test_it_pages_like_the_paginator_did(org_a, org_b):
    for i in range(PAGE_SIZE * 2 + 3):
        make_module(org_a, f"Module {i:03d}")
    with tenant_context(org_a):
        pages = {n: library_page(LibraryFilters(), n) for n in ("1", "2", "3", "9", "0", "x")}
        empty = library_page(LibraryFilters(text="nothing matches"), "4")
    assert [len(pages[n].rows) for n in ("1", "2", "3")] == [PAGE_SIZE, PAGE_SIZE, 3]
    assert pages["2"].rows[0].title == f"Module {PAGE_SIZE:03d}"
    assert pages["2"].page.has_previous and pages["2"].page.has_next
    assert pages["2"].page.previous_page_number == 1 and pages["2"].page.next_page_number == 3
    for n in ("3", "9", "0"):  # past the end or below 1: the last page
        assert (pages[n].page.number, pages[n].page.num_pages, len(pages[n].rows)) == (3, 3, 3)
        assert not pages[n].page.has_next
    assert pages["x"].page.number == 1 and not pages["x"].page.has_previous
    assert (empty.total, empty.library_size, empty.page.number, empty.rows) == (0, 53, 1, [])
    assert not empty.page.has_other_pages


def test_it_reads_the_page_in_two_statements_whatever_the_filters(client, org_a, org_b, library):
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    counts = []
    for params in ({}, {"q": "feedback", "role": "Team lead", "format": "read"}):
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/library/", params).status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]
    with tenant_context(org_a), count_queries() as ctx:
        library_page(LibraryFilters(text="feedback", competency_id=library["coaching"].pk))
    assert len(ctx.app_queries) == 2


def test_it_writes_each_row_as_the_template_did(client, org_a, org_b, library):
    feedback = library["modules"][0]
    with tenant_context(org_a):
        Module.objects.filter(pk=feedback.pk).update(
            title="Feedback <that> lands & sticks", summary='It\'s "SBI".'
        )
        ModuleReach.objects.create(
            module=feedback, opened=1, completed=0, ratings=5, useful_sum=12, relevant_sum=25
        )
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    page = client.get(f"/o/{org_a.slug}/library/").content.decode()
    assert (
        f'<th scope="row"><a href="/o/{org_a.slug}/library/modules/{feedback.pk}/">'
        "Feedback &lt;that&gt; lands &amp; sticks</a>\n"
        '          <br><span class="muted">It&#x27;s &quot;SBI&quot;.</span>\n'
        '          <br><span class="badge badge--info">Elective</span></th>'
    ) in page
    assert "<td>completed by 0 of 1 learner who opened it<br>\n" in page
    assert (
        "useful 2.4/5, relevant 5.0/5 (n = 5 ratings) "
        '<span class="badge badge--overdue">rated of little use: refresh or retire</span></td>'
    ) in page
    assert '<td class="num">1 min</td>' in page and "<td>—</td>" in page
    assert '<td><span class="badge badge--overdue">No task</span> · 0 questions</td>' in page
    assert '<span class="badge badge--retired">Retired</span>' in page


def test_it_downloads_every_match_in_batches(org_a, org_b, library, monkeypatch):
    monkeypatch.setattr("pathways.library.queries.LIBRARY_EXPORT_BATCH", 3)
    with tenant_context(org_a), count_queries() as ctx:
        rows = list(library_export_rows(LibraryFilters()))
    with tenant_context(org_a):
        expected = [m.title for m in search_modules()]
    assert [r[0] for r in rows] == expected and len(rows) == 4
    assert len(ctx.app_queries) == 4  # two batches: the modules, then their lookups
    feedback = next(r for r in rows if r[0] == "Feedback that lands")
    assert feedback[5] == "Coaching, Giving feedback" and feedback[6] == "Manager_1, Team lead"


@pytest.mark.parametrize(
    "data",
    [None, {"role": "Team lead"}, {"role": "nobody"}, {"competency": "x"}, {"status": "draft"}],
)
def test_it_renders_the_filter_selects_as_djangos_select(org_a, org_b, data):
    def form(widget):
        made = LibraryFilterForm(
            data, [(3, "Coaching <others>"), (1, "Feedback")], ["Team lead", "A & B"], [], ["x"]
        )
        for field in made.fields.values():
            if isinstance(field.widget, ListedSelect):
                choices = field.widget.choices
                field.widget = widget()
                field.widget.choices = choices
        return made

    plain, django = form(ListedSelect), form(forms.Select)
    for name in ("competency", "role", "function", "impact", "format", "status"):
        assert str(plain[name]) == str(django[name]), name
