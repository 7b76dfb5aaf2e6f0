"""The impact page's content block as its template wrote it before the page was put together
in Python (``measurement.impact_page.page_html``): what tests/measurement/test_impact_html.py
holds the Python to, byte for byte, with the context the view gave the template."""

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
