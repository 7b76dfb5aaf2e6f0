"""Content blocks as their templates wrote them before the pages were put together in Python:
the impact page's (``measurement.impact_page.page_html``, held to it by
tests/measurement/test_impact_html.py) and the team manager's page's
(``measurement.team_page.content_html``, tests/measurement/test_team_page.py), byte for byte,
with the context the views gave the templates."""

SPONSOR_HOME = """{% load figures i18n %}
{% if impact %}
<header class="page-header split">
  <div>
    <h1 class="page-header__title">{% blocktranslate with name=impact.name %}Impact of {{ name }}{% endblocktranslate %}</h1>
    <p class="page-header__lead">{% blocktranslate count n=impact.participants with start=impact.evaluation.0 end=impact.evaluation.1 %}{{ n }} participant; evaluation period {{ start }} to {{ end }}.{% plural %}{{ n }} participants; evaluation period {{ start }} to {{ end }}.{% endblocktranslate %}
    {% if impact.plan_changed_on %}<span class="badge badge--info">{% blocktranslate with on=impact.plan_changed_on %}plan changed on {{ on }}{% endblocktranslate %}</span>{% endif %}</p>
  </div>
  <div class="page-header__actions cluster">
    <a class="btn btn--primary" href="{% url 'impact_pdf' org.slug impact.id %}">{% translate "Download one-page PDF" %}</a>
  </div>
</header>
{% if page.choices|length > 1 %}
<form method="get" class="cluster" aria-label="{% translate 'Choose a cohort' %}">
  <div class="field"><label for="cohort-choice">{% translate "Cohort" %}</label>
  <select id="cohort-choice" name="cohort">{% for c in page.choices %}<option value="{{ c.id }}" {% if c.id == impact.id %}selected{% endif %}>{{ c.name }}</option>{% endfor %}</select></div>
  <button class="btn btn--secondary" type="submit">{% translate "Show" %}</button>
</form>
{% endif %}

<section class="grid grid--3" aria-label="{% translate 'Headline' %}" id="headline">
  <div class="card card--primary stat"><p class="stat__value">{% if impact.roi_pct is not None %}{{ impact.roi_pct|floatformat:0 }} %{% else %}–{% endif %}</p><p class="stat__label">{% translate "return on investment (first year)" %}</p><p class="stat__base">{% blocktranslate with b=impact.benefits|floatformat:"0g" c=impact.costs|floatformat:"0g" cur=impact.currency %}{{ b }} {{ cur }} benefits vs {{ c }} {{ cur }} costs{% endblocktranslate %}</p></div>
  <div class="card stat"><p class="stat__value">{% if impact.payback_months is not None %}{{ impact.payback_months|floatformat:1 }}{% else %}–{% endif %}</p><p class="stat__label">{% translate "months to pay back" %}</p><p class="stat__base">{% translate "costs ÷ (annual benefits ÷ 12)" %}</p></div>
  <div class="card stat"><p class="stat__value">{% if impact.bcr is not None %}{{ impact.bcr|floatformat:2 }}{% else %}–{% endif %}</p><p class="stat__label">{% translate "benefit–cost ratio" %}</p><p class="stat__base">{% if impact.has_comparison %}{% blocktranslate with g=impact.comparison_label|truncatechars:70 %}isolated against a comparison group ({{ g }}){% endblocktranslate %}{% else %}{% translate "no comparison group: results are before/after only (weaker evidence)" %}{% endif %}</p></div>
</section>

<section class="card stack" id="levels" aria-labelledby="levels-title">
  <h2 id="levels-title">{% translate "From reaction to ROI" %}</h2>
  <div class="table-wrap"><table class="table">
    <thead><tr><th scope="col">{% translate "Level" %}</th><th scope="col">{% translate "What we found" %}</th><th scope="col">{% translate "Based on" %}</th></tr></thead>
    <tbody>{{ level_rows }}</tbody>
  </table></div>
  {{ level_downloads }}
</section>

<section class="card stack" id="behaviour" aria-labelledby="behaviour-title">
  <h2 id="behaviour-title">{% translate "Behaviour change (360, others' ratings)" %}</h2>
  {% if impact.behaviour %}
  {% if behaviour_figure.data.0.x %}<div class="chart" data-plotly-figure="behaviour-figure" role="img" aria-label="{% translate 'Mean change per competency with 95% confidence intervals; the same figures are in the table below.' %}"></div>{{ behaviour_figure|figure_script:"behaviour-figure" }}{% endif %}
  <div class="table-wrap"><table class="table">
    <thead><tr><th scope="col">{% translate "Competency" %}</th><th scope="col" class="num">{% translate "Learners (pairs)" %}</th><th scope="col" class="num">{% translate "Mean change (95% CI)" %}</th><th scope="col" class="num">{% translate "d_av" %}</th><th scope="col" class="num">{% translate "d_z" %}</th><th scope="col" class="num">{% translate "Reliable improvement" %}</th></tr></thead>
    <tbody>{{ behaviour_rows }}</tbody>
  </table></div>
  {{ behaviour_downloads }}
  <p class="muted">{% translate "d_av divides the mean change by the average spread of scores before and after (comparable with studies of groups); d_z divides it by the spread of the changes (what sample sizes are planned with). Most single changes are within measurement error on a 5-point scale: reliable improvement needs about half a point." %}</p>
  {% else %}
  <p class="muted">{% translate "No 360 follow-up has closed for this cohort yet. Once baseline and follow-up reports are frozen for at least five learners, the mean change appears here with its confidence interval." %}</p>
  {% endif %}
</section>

<section class="stack" id="results" aria-labelledby="results-title">
  <h2 id="results-title">{% translate "Team and business results" %}</h2>
  {% for card in metric_cards %}{{ card }}{% empty %}
  <div class="empty-state"><h2>{% translate "No team or business metrics in the plan" %}</h2><p>{% translate "An admin adds the metrics expected to move to the cohort's measurement plan and enters their monthly values for participants' and comparison teams." %}</p></div>
  {% endfor %}
</section>

<section class="card stack" id="roi" aria-labelledby="roi-title">
  <h2 id="roi-title">{% translate "ROI table" %}</h2>
  {% if impact.benefit_rows or impact.cost_rows %}
  <div class="chart" data-plotly-figure="roi-figure" role="img" aria-label="{% translate 'Benefits by source against costs; the same figures are in the table below.' %}"></div>{{ roi_figure|figure_script:"roi-figure" }}
  {% endif %}
  <div class="table-wrap"><table class="table">
    <caption class="visually-hidden">{% translate "Benefits by source and fully loaded costs" %}</caption>
    <thead><tr><th scope="col">{% translate "Benefit (first year)" %}</th><th scope="col">{% translate "Isolated by" %}</th><th scope="col" class="num">{% translate "Before adjustment" %}</th><th scope="col" class="num">{% translate "Counted" %}</th></tr></thead>
    <tbody>{% if impact.benefit_rows %}{{ benefit_rows }}{% else %}<tr><td colspan="4">{% translate "No benefit counted yet: confirmed project claims and monetised metrics with a comparison group appear here." %}</td></tr>{% endif %}
    <tr><th scope="row">{% translate "Total benefits" %}</th><td></td><td></td><td class="num"><strong>{{ impact.benefits|floatformat:"0g" }} {{ impact.currency }}</strong></td></tr>
    </tbody>
  </table></div>
  <div class="table-wrap"><table class="table">
    <thead><tr><th scope="col">{% translate "Fully loaded cost" %}</th><th scope="col">{% translate "Detail" %}</th><th scope="col" class="num">{% translate "This cohort" %}</th></tr></thead>
    <tbody>{% if impact.cost_rows %}{{ cost_rows }}{% else %}<tr><td colspan="3">{% translate "No costs recorded yet." %}</td></tr>{% endif %}
    <tr><th scope="row">{% translate "Total costs" %}</th><td></td><td class="num"><strong>{{ impact.costs|floatformat:"0g" }} {{ impact.currency }}</strong></td></tr>
    </tbody>
  </table></div>
  {% if impact.intangibles %}<p>{% translate "Intangibles, listed beside the ROI and never added in:" %} {{ impact.intangibles|join:"; " }}</p>{% endif %}
  <p class="cluster"><a href="?cohort={{ impact.id }}&format=csv">{% translate "Download CSV" %}</a> <a href="?cohort={{ impact.id }}&format=xlsx">{% translate "Download XLSX" %}</a></p>
  <p class="muted">{% blocktranslate with when=impact.computed_at|date:"j M Y H:i" %}Phillips method: first-year benefits only, isolated and adjusted by confidence; non-respondents count zero; extreme or unsupported claims excluded; the lower of two estimates. Computed {{ when }} UTC.{% endblocktranslate %}</p>
</section>
{% else %}
<header class="page-header">
  <h1 class="page-header__title">{% translate "Impact" %}</h1>
  <p class="page-header__lead">{% translate "What the programmes you fund changed, and what they returned." %}</p>
</header>
<div class="empty-state"><h2>{% translate "No impact figures yet" %}</h2><p>{% translate "Impact appears once a cohort you sponsor has a measurement plan: the metrics expected to move, a comparison group and its costs. Your programme admin sets it up; figures refresh as results arrive and nightly." %}</p></div>
{% endif %}

<section class="card stack" aria-labelledby="progress-title">
  <h2 id="progress-title">{% translate "Programme progress by team" %}</h2>
  {% if report.teams %}
  <div class="chart" data-plotly-figure="team-completion-figure" role="img" aria-label="{% translate 'Bar chart of mean completion by team; the same figures are in the table below.' %}"></div>
  {{ figure|figure_script:"team-completion-figure" }}
  <details class="chart__table">
    <summary>{% translate "Data table" %}</summary>
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">{% translate "Team" %}</th><th scope="col" class="num">{% translate "Learners" %}</th><th scope="col" class="num">{% translate "Finished" %}</th><th scope="col" class="num">{% translate "Mean completion" %}</th></tr></thead>
      <tbody>{{ team_rows }}</tbody>
    </table></div>
  </details>
  {{ progress_downloads }}
  <p class="muted">{% blocktranslate with p=report.period|date:"M Y" when=report.computed_at|date:"j M Y H:i" %}Period {{ p }}; computed {{ when }} UTC.{% endblocktranslate %}</p>
  {% if report.hidden_teams %}<p class="muted">{% blocktranslate count n=report.hidden_teams %}{{ n }} team hidden: fewer than {{ min_cell }} learners, so its figures could identify people.{% plural %}{{ n }} teams hidden: fewer than {{ min_cell }} learners each, so their figures could identify people.{% endblocktranslate %}</p>{% endif %}
  {% else %}
  <p class="muted"><strong>{% translate "No progress to show yet" %}</strong> — {% translate "once learners in teams of five or more start their pathways, completion by team appears here. Figures refresh after each completed step and nightly." %}</p>
  {% endif %}
</section>
"""

# templates/measurement/team_dashboard.html's content block.
TEAM_DASHBOARD = """{% load figures i18n %}
<header class="page-header">
  <h1 class="page-header__title">{% translate "How your teams are doing" %}</h1>
  <p class="page-header__lead">{% translate "Your teams' metrics over the last twelve months and how their people take part in the programme. Figures are for the team as a whole; no person's answers are shown." %}</p>
</header>
{% for team, participation, participation_id, metric_figures, programme_rows, metric_rows in sections %}{# the tables' rows: measurement.team_page #}
<section class="card stack" aria-labelledby="team-{{ team.id }}">
  <h2 id="team-{{ team.id }}">{{ team.name }} <span class="muted">· {% blocktranslate count n=team.people %}{{ n }} person{% plural %}{{ n }} people{% endblocktranslate %}</span></h2>
  {% if not team.shown %}
  <p class="muted">{% blocktranslate %}Hidden: fewer than {{ min_cell }} people, so team figures could identify someone.{% endblocktranslate %}</p>
  {% else %}
  <div class="grid grid--3">
    {% with c=team.latest_completion %}{% if c %}
    <div class="stat"><p class="stat__value">{% widthratio c.value 1 100 %}%</p><p class="stat__label">{% translate "mean pathway completion" %}</p><p class="stat__base">{% blocktranslate with n=c.base f=c.part month=c.period|date:"M Y" %}{{ n }} learners, {{ f }} finished ({{ month }}){% endblocktranslate %}</p></div>
    {% else %}
    <div class="stat"><p class="stat__value">–</p><p class="stat__label">{% translate "programme participation" %}</p><p class="stat__base">{% blocktranslate %}shown from {{ min_cell }} learners in the team{% endblocktranslate %}</p></div>
    {% endif %}{% endwith %}
    {% with c=team.latest_milestones %}{% if c %}
    <div class="stat"><p class="stat__value">{% widthratio c.value 1 100 %}%</p><p class="stat__label">{% translate "project milestones on time" %}</p><p class="stat__base">{% blocktranslate with f=c.part n=c.base p=c.people month=c.period|date:"M Y" %}{{ f }} of {{ n }} due in {{ month }}, projects of {{ p }} learners{% endblocktranslate %}</p></div>
    {% endif %}{% endwith %}
    {% with c=team.latest_satisfaction %}{% if c %}
    <div class="stat"><p class="stat__value">{{ c.value|floatformat:1 }} / 5</p><p class="stat__label">{% translate "stakeholder satisfaction" %}</p><p class="stat__base">{% blocktranslate with n=c.base month=c.period|date:"M Y" %}{{ n }} ratings in {{ month }}{% endblocktranslate %}</p></div>
    {% endif %}{% endwith %}
    {% with c=team.latest_attendance %}{% if c %}
    <div class="stat"><p class="stat__value">{% widthratio c.value 1 100 %}%</p><p class="stat__label">{% translate "coaching places attended" %}</p><p class="stat__base">{% blocktranslate with f=c.part n=c.base p=c.people month=c.period|date:"M Y" %}{{ f }} of {{ n }} places, {{ p }} learners ({{ month }}){% endblocktranslate %}</p></div>
    {% endif %}{% endwith %}
  </div>

  {% if participation %}
  <div class="chart" data-plotly-figure="{{ participation_id }}" role="img" aria-label="{% blocktranslate with name=team.name %}Programme participation of {{ name }} by month; the same figures are in the data table below.{% endblocktranslate %}"></div>
  {{ participation|figure_script:participation_id }}
  <details class="chart__table">
    <summary>{% translate "Data table" %}</summary>
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">{% translate "Month" %}</th><th scope="col" class="num">{% translate "Completion" %}</th><th scope="col" class="num">{% translate "Milestones on time" %}</th><th scope="col" class="num">{% translate "Stakeholder satisfaction" %}</th><th scope="col" class="num">{% translate "Coaching attendance" %}</th></tr></thead>
      <tbody>{{ programme_rows }}</tbody>
    </table></div>
  </details>
  {% else %}
  <p class="muted">{% translate "No programme figures for this team yet: completion, project milestones and coaching attendance appear once its people take part." %}</p>
  {% endif %}

  {% if team.metrics %}
  <h3>{% translate "Team metrics" %}</h3>
  {% for metric, fig, fig_id in metric_figures %}{% if metric.points %}
  <div class="chart" data-plotly-figure="{{ fig_id }}" role="img" aria-label="{% blocktranslate with name=metric.name %}{{ name }} by month; the same figures are in the table below.{% endblocktranslate %}"></div>
  {{ fig|figure_script:fig_id }}{% endif %}
  {% endfor %}
  <div class="table-wrap"><table class="table">
    <thead><tr><th scope="col">{% translate "Metric" %}</th><th scope="col" class="num">{% translate "Latest" %}</th><th scope="col">{% translate "Month" %}</th><th scope="col" class="num">{% translate "Change over the period" %}</th></tr></thead>
    <tbody>{{ metric_rows }}</tbody>
  </table></div>
  {% else %}<p class="muted">{% translate "No metric values for this team in the last twelve months. Your programme admin enters or imports them." %}</p>{% endif %}
  <p class="muted table-downloads">{% blocktranslate with name=team.name %}Download every figure of {{ name }}:{% endblocktranslate %}
    <a href="?team={{ team.id }}&amp;format=csv" download>CSV</a> ·
    <a href="?team={{ team.id }}&amp;format=xlsx" download>{% translate "Excel (XLSX)" %}</a></p>
  <p class="muted">{% blocktranslate %}A month's figure shows only when at least {{ min_cell }} people stand behind it; otherwise it reads “hidden”. Figures refresh within minutes of new results and nightly.{% endblocktranslate %}</p>
  {% endif %}
</section>
{% endfor %}
"""
