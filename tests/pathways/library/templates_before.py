"""The module library's content block as its template wrote it before the page was put
together in Python (pathways/library/page_parts.py): what
tests/pathways/library/test_library_parts.py holds the Python to, byte for byte."""

LIBRARY = """{% load i18n list_parts %}
<header class="page-header">
  <h1 class="page-header__title">{% translate "Module library" %}</h1>
  <p class="page-header__lead">{% translate "Micro-modules of at most 15 minutes, each with a practice task and retrieval questions. Pathways are built from the published ones." %}</p>
  <div class="page-header__actions"><a class="btn btn--primary" href="{% url 'library_module_new' org.slug %}">{% translate "New module" %}</a></div>
</header>
{% with tab="modules" %}{% include "pathways/library/_tabs.html" %}{% endwith %}

<form method="get" action="{% url 'module_library' org.slug %}" class="card stack" role="search"
      hx-get="{% url 'module_library' org.slug %}" hx-target="#library-results" hx-swap="outerHTML" hx-push-url="true"
      hx-trigger="submit, input changed delay:400ms from:#id_q, change">
  <div class="field">
    <label for="id_q">{% translate "Search titles, summaries and bodies" %}</label>
    <input type="search" name="q" id="id_q" value="{{ filters.text }}" maxlength="200" placeholder="{% translate 'e.g. feedback, delegation, resistance' %}">
  </div>
  <div class="grid grid--3">
    {{ form.listed.competency }}
    {{ form.listed.role }}
    {{ form.listed.function }}
    {{ form.listed.impact }}
    {{ form.listed.format }}
    {{ form.listed.status }}
  </div>
  <div class="form-actions">
    <button class="btn btn--secondary" type="submit">{% translate "Search" %}</button>
    {% if filters.active %}<a class="btn btn--link" href="{% url 'module_library' org.slug %}">{% translate "Clear filters" %}</a>{% endif %}
    <span class="htmx-indicator muted" aria-hidden="true">{% translate "Searching…" %}</span>
  </div>
</form>

{% partialdef results inline %}
<section id="library-results" class="stack" aria-live="polite" aria-labelledby="results-heading">
  <h2 id="results-heading" class="visually-hidden">{% translate "Results" %}</h2>
  {% if data.rows %}
  <p class="muted">{% blocktranslate with size=data.library_size count total=data.total %}{{ total }} module matches, of {{ size }} in the library.{% plural %}{{ total }} modules match, of {{ size }} in the library.{% endblocktranslate %}{% if filters.text %} {% translate "Best matches first." %}{% endif %}</p>
  <div class="table-wrap">
  <table class="table">
    <caption class="visually-hidden">{% translate "Modules" %}</caption>
    <thead><tr><th scope="col">{% translate "Module" %}</th><th scope="col">{% translate "Format" %}</th><th scope="col" class="num">{% translate "Time" %}</th><th scope="col">{% translate "Competencies" %}</th><th scope="col">{% translate "Practice" %}</th><th scope="col">{% translate "Learners" %}</th><th scope="col">{% translate "Status" %}</th></tr></thead>
    <tbody>
    {{ data.rows_html }}
    </tbody>
  </table>
  </div>
  {% translate "all modules that match" as what %}{% table_downloads query=query what=what %}
  {% if data.page.has_other_pages %}
  <nav class="cluster" aria-label="{% translate 'Pages' %}">
    {% if data.page.has_previous %}<a class="btn btn--secondary btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ data.page.previous_page_number }}">{% translate "Previous" %}</a>{% endif %}
    <span class="muted">{% blocktranslate with n=data.page.number total=data.page.num_pages %}Page {{ n }} of {{ total }}{% endblocktranslate %}</span>
    {% if data.page.has_next %}<a class="btn btn--secondary btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ data.page.next_page_number }}">{% translate "Next" %}</a>{% endif %}
  </nav>
  {% endif %}
  {% elif data.library_size %}
  <div class="empty-state"><h2>{% translate "No module matches" %}</h2><p>{% translate "Try fewer words or remove a filter. Every word you type must appear in the module." %}</p><a class="btn btn--secondary" href="{% url 'module_library' org.slug %}">{% translate "Show all modules" %}</a></div>
  {% else %}
  <div class="empty-state"><h2>{% translate "The library is empty" %}</h2><p>{% translate "Modules are short lessons (at most 15 minutes) with a practice task and retrieval questions. Write the first one, then add it to a pathway." %}</p><a class="btn btn--primary" href="{% url 'library_module_new' org.slug %}">{% translate "Write the first module" %}</a></div>
  {% endif %}
</section>
{% endpartialdef %}
"""
