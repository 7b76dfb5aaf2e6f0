"""The pathway list's cards, written in Python (``views._pathway_cards``): the same bytes as the
template loop they replaced, for drafts, published and never-published versions, long purposes
and names with markup; and the list's one statement of its own."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.utils import timezone, translation

from organizations.tenancy import tenant_context
from pathways.builder import queries, services
from pathways.builder.views import _pathway_cards
from pathways.models import Pathway
from tests.conftest import count_queries, make_member
from tests.pathways.builder.helpers import make_draft

# The loop of templates/pathways/builder/pathway_list.html before its cards were written in
# Python.
_LOOP = Template(
    """{% load i18n %}{% for row in rows %}
  <section class="card stack" aria-labelledby="pathway-{{ row.id }}">
    <div class="split">
      <h2 class="card__title" id="pathway-{{ row.id }}">{% if row.current %}<a href="{% url 'version_editor' org.slug row.current.id %}">{{ row.name }}</a>{% else %}{{ row.name }}{% endif %}</h2>
      {% if row.draft %}<a class="btn btn--secondary btn--small" href="{% url 'version_editor' org.slug row.draft.id %}">{% blocktranslate with n=row.draft.number %}Continue draft v{{ n }}{% endblocktranslate %}</a>{% endif %}
    </div>
    {% if row.purpose %}<p class="muted">{{ row.purpose|truncatewords:40 }}</p>{% endif %}
    <div class="table-wrap">
    <table class="table">
      <caption class="visually-hidden">{% blocktranslate with name=row.name %}Versions of {{ name }}{% endblocktranslate %}</caption>
      <thead><tr><th scope="col">{% translate "Version" %}</th><th scope="col">{% translate "Status" %}</th><th scope="col" class="num">{% translate "Steps" %}</th><th scope="col" class="num">{% translate "Cohorts" %}</th><th scope="col" class="num">{% translate "Active learners" %}</th><th scope="col">{% translate "Published" %}</th></tr></thead>
      <tbody>
      {% for v in row.versions %}
        <tr>
          <th scope="row"><a href="{% url 'version_editor' org.slug v.id %}">v{{ v.number }}</a></th>
          <td><span class="badge badge--{{ v.status }}">{{ v.status_label }}</span></td>
          <td class="num">{{ v.steps }}</td>
          <td class="num">{{ v.cohorts }}</td>
          <td class="num">{{ v.active_learners }}</td>
          <td>{% if v.published_at %}{{ v.published_at|date:"j M Y" }}{% else %}<span class="muted">{% translate "not yet" %}</span>{% endif %}</td>
        </tr>
      {% endfor %}
      </tbody>
    </table>
    </div>
  </section>
{% endfor %}"""
)


def test_the_pathway_cards_are_what_the_template_loop_wrote(org_a, org_b):
    make_draft(org_a, "Draft <only> & co", n_modules=1)
    published = make_draft(org_a, "Alpha", n_modules=2)
    long_purpose = " ".join(f"word{i} <b>&" for i in range(60))
    with tenant_context(org_a):
        services.do_publish(None, published.version)
        services.do_start_new_draft(None, published.version)
        Pathway.objects.filter(name="Alpha").update(purpose=long_purpose)
        Pathway.objects.create(name="Empty", purpose="")
    make_draft(org_b, "Other organisation")
    with tenant_context(org_a):
        rows = queries.pathway_list()
        org_a.refresh_from_db()
        assert [r.name for r in rows] == ["Alpha", "Draft <only> & co", "Empty"]
        assert [v.published_at is None for v in rows[0].versions] == [True, False]
        for zone in ("UTC", "Pacific/Auckland"):
            with timezone.override(zone), translation.override("en"):
                old = _LOOP.render(Context({"rows": rows, "org": org_a}))
                assert _pathway_cards(rows, org_a.slug) == old
        # Midnight in Auckland is still the day before in UTC: the day is the zone's.
        rows[0].versions[1].published_at = dt.datetime(2026, 3, 1, 11, 30, tzinfo=dt.UTC)
        with timezone.override("Pacific/Auckland"):
            old = _LOOP.render(Context({"rows": rows, "org": org_a}))
            assert "2 Mar 2026" in old
            assert _pathway_cards(rows, org_a.slug) == old


def test_the_pathway_list_page_sends_one_statement_of_its_own(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/pathways/"
    make_draft(org_a, "Alpha", n_modules=1)
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    for name in ("Beta", "Gamma"):
        draft = make_draft(org_a, name, n_modules=3)
        with tenant_context(org_a):
            services.do_publish(None, draft.version)
            services.do_start_new_draft(None, draft.version)
    with count_queries() as large:
        page = client.get(url).content.decode()
    assert "Continue draft v2" in page and "Gamma" in page
    assert len(large.app_queries) == len(small.app_queries)
    # The list's own statements: one, whatever the number of pathways and versions.
    own = [q["sql"] for q in large.app_queries if "pathways_" in q["sql"]]
    assert len(own) == 1 and "FROM pathways_pathway p" in own[0]
