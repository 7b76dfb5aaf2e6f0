"""The content blocks of the coach's home, the coach's sessions and the admin's engagements as
their templates wrote them before the pages were put together in Python (coaching/page_parts.py):
what tests/coaching/test_page_parts.py holds the Python to, byte for byte."""

COACH_HOME = """{% load i18n relative_dates %}
<header class="page-header"><h1 class="page-header__title">{% translate "Your coaching" %}</h1>
<p class="page-header__lead">{% translate "Today's sessions, what is left to log, and who may need a conversation first." %}</p>
<div class="page-header__actions cluster"><a class="btn btn--primary" href="{% url 'session_new' org.slug %}">{% translate "Schedule a session" %}</a> <a class="btn btn--link" href="{% url 'coach_sessions' org.slug %}">{% translate "All sessions" %}</a> <a class="btn btn--link" href="{% url 'my_calendar' org.slug %}">{% translate "Calendar feed" %}</a> <a class="btn btn--link" href="{% url 'coach_patterns' org.slug %}">{% translate "Growth patterns" %}</a></div></header>
{% if home.to_log %}
<section class="card card--primary" aria-labelledby="to-log-title">
  <h2 id="to-log-title">{% blocktranslate count n=home.to_log_count %}{{ n }} session to log{% plural %}{{ n }} sessions to log{% endblocktranslate %}</h2>
  <ul class="stack-list">{% for s in home.to_log %}<li><strong>{{ s.title }}</strong> · {{ s.starts_at|date:"D j M, H:i" }}{% if s.participants %} · {{ s.participants|slice:":3"|join:", " }}{% if s.participants|length > 3 %} {% blocktranslate count n=s.participants|length|add:"-3" %}and {{ n }} more{% plural %}and {{ n }} more{% endblocktranslate %}{% endif %}{% endif %} · <a class="btn btn--small btn--primary" href="{{ s.log_url }}">{% translate "Log it" %}</a></li>{% endfor %}</ul>
  {% if home.to_log_count > home.to_log|length %}<p class="muted"><a href="{% url 'coach_sessions' org.slug %}">{% blocktranslate with n=home.to_log_count %}See all sessions: {{ n }} to log, the oldest shown here{% endblocktranslate %}</a></p>{% endif %}
</section>
{% endif %}
<section class="grid grid--2">
  <div class="card" aria-labelledby="today-title"><h2 id="today-title" class="card__title">{% translate "Today" %}</h2>
    {% if home.today %}{% with sessions=home.today %}{% include "coaching/_session_rows.html" %}{% endwith %}{% else %}<p class="muted">{% translate "No sessions today." %}</p>{% endif %}</div>
  <div class="card" aria-labelledby="week-title"><h2 id="week-title" class="card__title">{% translate "Next 7 days" %}</h2>
    {% if home.this_week %}{% with sessions=home.this_week %}{% include "coaching/_session_rows.html" %}{% endwith %}{% elif not home.upcoming_more %}<p class="muted">{% translate "Nothing else scheduled this week." %} <a href="{% url 'session_new' org.slug %}">{% translate "Schedule a session" %}</a></p>{% endif %}
    {% if home.upcoming_more %}<p class="muted"><a href="{% url 'coach_sessions' org.slug %}">{% translate "More sessions this week: see all sessions" %}</a></p>{% endif %}</div>
</section>
{% if home.attention %}
<section class="card" aria-labelledby="attention-title">
  <h2 id="attention-title">{% blocktranslate count n=home.attention_count %}{{ n }} coachee needs attention{% plural %}{{ n }} coachees need attention{% endblocktranslate %}</h2>
  <ul class="stack-list">{% for a in home.attention %}<li><a href="{{ a.url }}"><strong>{{ a.name }}</strong></a> · {% for r in a.reasons %}<span class="badge badge--overdue">{{ r }}</span> {% endfor %}</li>{% endfor %}</ul>
  {% if home.attention_count > home.attention|length %}<p class="muted">{% blocktranslate with shown=home.attention|length %}The first {{ shown }} by name are listed; find anyone by name in the roster below.{% endblocktranslate %}</p>{% endif %}
</section>
{% elif home.engagements %}<p class="muted">{% blocktranslate count n=home.engagements %}Your {{ n }} coachee is on track.{% plural %}All {{ n }} of your coachees are on track.{% endblocktranslate %}</p>{% endif %}
{% if home.other_organisations %}<p class="muted">{% translate "You also coach in:" %} {% for o in home.other_organisations %}<a href="{% url 'coach_home' o.slug %}">{{ o.name }}</a>{% if not forloop.last %}, {% endif %}{% endfor %} — {% translate "each organisation's coachees are kept separate." %}</p>{% endif %}
<h2 id="coachees-title">{% translate "Your coachees" %}</h2>
{% if summary.enrolments %}
<section class="grid grid--3" aria-label="{% translate 'Summary' %}">
  <div class="card stat"><p class="stat__value">{{ summary.learners }}</p><p class="stat__label">{% blocktranslate count n=summary.learners %}coachee{% plural %}coachees{% endblocktranslate %}</p><p class="stat__base">{% blocktranslate count n=summary.enrolments %}in {{ n }} enrolment{% plural %}in {{ n }} enrolments{% endblocktranslate %}</p></div>
  <div class="card stat"><p class="stat__value">{{ summary.overdue }}</p><p class="stat__label">{% translate "with overdue steps" %}</p><p class="stat__base">{% blocktranslate count n=summary.counted %}of {{ n }} enrolment counted{% plural %}of {{ n }} enrolments counted{% endblocktranslate %}</p></div>
  <div class="card stat"><p class="stat__value">{{ summary.not_started }}</p><p class="stat__label">{% translate "not started" %}</p><p class="stat__base">{% if summary.as_of %}{% blocktranslate with when=summary.as_of|relative_time:"dated" %}progress as of {{ when }}{% endblocktranslate %}{% else %}{% translate "progress not counted yet" %}{% endif %}</p></div>
</section>
{% if summary.attention %}
<section class="card card--primary" aria-labelledby="roster-attention-title">
  <h2 id="roster-attention-title">{% translate "Talk to these coachees first" %}</h2>
  <p>{% translate "Overdue steps first, then those who have not started: a short check-in often unblocks them." %}</p>
  <ul class="stack-list">{% for c in summary.attention %}
    <li><strong>{{ c.name }}</strong> · {{ c.pathway }} · {% if c.steps_overdue %}<span class="badge badge--overdue">{{ c.steps_overdue_label }}</span>{% else %}<span class="badge badge--locked">{% translate "Not started" %}</span>{% endif %} · <a href="mailto:{{ c.email }}">{{ c.email_label }}</a></li>{% endfor %}
  </ul>
  {% if summary.attention_more %}<p class="muted">{% blocktranslate count n=summary.attention_more %}and {{ n }} more in the table below{% plural %}and {{ n }} more in the table below{% endblocktranslate %}</p>{% endif %}
</section>
{% endif %}
{% partialdef roster inline %}
<section id="roster" class="stack" aria-labelledby="coachees-title" aria-live="polite">
  {% url 'coach_home' org.slug as here %}
  <form method="get" action="{{ here }}" role="search" class="cluster" hx-get="{{ here }}" hx-target="#roster" hx-swap="outerHTML" hx-push-url="true" hx-trigger="input changed delay:300ms from:#coachee-search, submit">
    <input type="hidden" name="show" value="{{ show }}">
    <div class="field"><label for="coachee-search">{% translate "Find a coachee by name or e-mail" %}</label>
      <input type="search" id="coachee-search" name="q" value="{{ q }}" maxlength="100" autocomplete="off"></div>
    <button class="btn btn--secondary btn--small" type="submit">{% translate "Search" %}</button>
    {% if q %}<a class="btn btn--link btn--small" href="{{ here }}?show={{ show }}" hx-get="{{ here }}?show={{ show }}" hx-target="#roster" hx-swap="outerHTML" hx-push-url="true">{% translate "Clear search" %}</a>{% endif %}
  </form>
  <nav class="tabs" aria-label="{% translate 'Show coachees' %}">
    {% for key, label, n in roster_tabs %}<a href="{{ here }}?show={{ key }}{% if q %}&amp;q={{ q|urlencode }}{% endif %}" hx-get="{{ here }}?show={{ key }}{% if q %}&amp;q={{ q|urlencode }}{% endif %}" hx-target="#roster" hx-swap="outerHTML" hx-push-url="true" {% if show == key %}aria-current="page"{% endif %}>{{ label }} ({{ n }})</a>
    {% endfor %}
  </nav>
  {% if page.object_list %}
  <div class="table-wrap"><table class="table">
    <caption>{% if q %}{% blocktranslate count n=page.paginator.count with q=q %}{{ n }} enrolment matches “{{ q }}”{% plural %}{{ n }} enrolments match “{{ q }}”{% endblocktranslate %}{% else %}{% blocktranslate count n=page.paginator.count %}{{ n }} enrolment in this view{% plural %}{{ n }} enrolments in this view{% endblocktranslate %}{% endif %}</caption>
    <thead><tr><th scope="col">{% translate "Name" %}</th><th scope="col">{% translate "Team" %}</th><th scope="col">{% translate "Pathway" %}</th><th scope="col">{% translate "Cohort" %}</th><th scope="col">{% translate "Progress" %}</th><th scope="col">{% translate "Overdue" %}</th><th scope="col">{% translate "Status" %}</th></tr></thead>
    <tbody>{% for row in roster_rows %}{{ row }}{% endfor %}</tbody>
  </table></div>
  {% include "includes/pagination.html" with target="roster" %}
  {% elif q %}
  <div class="empty-state"><h2>{% translate "Nobody matches this search" %}</h2><p>{% translate "Try part of the name or of the e-mail address, or another view." %}</p></div>
  {% else %}
  <p class="muted">{% translate "Nobody in this view." %}</p>
  {% endif %}
  {% translate "every coachee with their progress" as what %}{% include "includes/table_downloads.html" with query="" what=what %}
</section>
{% endpartialdef %}
{% else %}
<div class="empty-state"><h2>{% translate "No coachees yet" %}</h2><p>{% translate "When an HR admin assigns you to a cohort, its learners are listed here with their progress." %}</p></div>
{% endif %}
"""

SESSION_LIST = """{% load i18n %}
<header class="page-header"><h1 class="page-header__title">{% translate "Your sessions" %}</h1>
<div class="page-header__actions"><a class="btn btn--primary" href="{% url 'session_new' org.slug %}">{% translate "Schedule a session" %}</a></div></header>
{% if page.object_list %}
<div class="table-wrap"><table class="table"><caption>{% blocktranslate count n=page.paginator.count %}{{ n }} session, newest first{% plural %}{{ n }} sessions, newest first{% endblocktranslate %}</caption>
<thead><tr><th scope="col">{% translate "Session" %}</th><th scope="col">{% translate "When" %}</th><th scope="col">{% translate "Who" %}</th><th scope="col">{% translate "Status" %}</th></tr></thead>
<tbody>{% for row in rows %}{{ row }}{% endfor %}</tbody></table></div>
{% translate "all your sessions" as what %}{% include "includes/table_downloads.html" with query="" what=what %}
{% if page.has_other_pages %}<nav class="cluster" aria-label="{% translate 'Pages' %}">{% if page.has_previous %}<a href="?page={{ page.previous_page_number }}">{% translate "Newer" %}</a>{% endif %}<span>{% blocktranslate with n=page.number total=page.paginator.num_pages %}Page {{ n }} of {{ total }}{% endblocktranslate %}</span>{% if page.has_next %}<a href="?page={{ page.next_page_number }}">{% translate "Older" %}</a>{% endif %}</nav>{% endif %}
{% else %}<div class="empty-state"><h2>{% translate "No sessions yet" %}</h2><p>{% translate "Schedule a 1:1 with a coachee or a group session for a cohort; participants get a calendar invitation." %}</p></div>{% endif %}
"""

ENGAGEMENT_LIST = """{% load i18n %}
<header class="page-header"><h1 class="page-header__title">{% translate "Coaching engagements" %}</h1>
<p class="page-header__lead">{% translate "Who coaches whom, for which cohort, and what was contracted. What is said in coaching is never shown here." %}</p>
<div class="page-header__actions cluster"><a class="btn btn--primary" href="{% url 'engagement_new' org.slug %}">{% translate "Pair a coach and a coachee" %}</a> <a class="btn btn--secondary" href="{% url 'engagement_pair_cohort' org.slug %}">{% translate "Pair a whole cohort" %}</a> <a class="btn btn--link" href="{% url 'coaching_report' org.slug %}">{% translate "Coaching summary" %}</a></div></header>
<form method="get" class="cluster" role="search"><label for="q">{% translate "Search by name" %}</label><input id="q" name="q" value="{{ q }}" type="search"><button class="btn btn--secondary" type="submit">{% translate "Search" %}</button></form>
{% if page.object_list %}
<div class="table-wrap"><table class="table"><caption>{% blocktranslate count n=page.paginator.count %}{{ n }} engagement{% plural %}{{ n }} engagements{% endblocktranslate %}</caption>
<thead><tr><th scope="col">{% translate "Coachee" %}</th><th scope="col">{% translate "Coach" %}</th><th scope="col">{% translate "Cohort" %}</th><th scope="col">{% translate "Sessions held / contracted" %}</th><th scope="col">{% translate "Dates" %}</th><th scope="col">{% translate "Focus" %}</th></tr></thead>
<tbody>{% for e in page.object_list %}<tr><th scope="row">{{ e.coachee }}</th><td>{{ e.coach }}</td><td>{{ e.cohort }}</td><td>{{ e.sessions }}</td><td>{{ e.dates }}</td><td>{{ e.focus }}</td></tr>{% endfor %}</tbody></table></div>
{% translate "all engagements that match the search" as what %}{% include "includes/table_downloads.html" with query=query what=what %}
{% if page.has_other_pages %}<nav class="cluster" aria-label="{% translate 'Pages' %}">{% if page.has_previous %}<a href="?page={{ page.previous_page_number }}&amp;q={{ q|urlencode }}">{% translate "Previous" %}</a>{% endif %}<span>{% blocktranslate with n=page.number total=page.paginator.num_pages %}Page {{ n }} of {{ total }}{% endblocktranslate %}</span>{% if page.has_next %}<a href="?page={{ page.next_page_number }}&amp;q={{ q|urlencode }}">{% translate "Next" %}</a>{% endif %}</nav>{% endif %}
{% else %}<div class="empty-state"><h2>{% if q %}{% translate "No engagement matches" %}{% else %}{% translate "No coaching engagements yet" %}{% endif %}</h2><p>{% translate "Pair a coach with a learner of a cohort: the coachee then sees their coach and the coaching agreement." %}</p></div>{% endif %}
"""
