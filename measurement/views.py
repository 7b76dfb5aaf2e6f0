from __future__ import annotations

import json

from django.http import HttpResponse
from django.shortcuts import render
from plotly.utils import PlotlyJSONEncoder

from measurement import charts, queries
from organizations.http import TenantRequest
from organizations.roles import role_required


@role_required("sponsor", "admin")
def sponsor_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    report = queries.team_completion()
    figure = json.loads(json.dumps(charts.team_completion_figure(report), cls=PlotlyJSONEncoder))
    return render(
        request,
        "measurement/sponsor_home.html",
        {"report": report, "figure": figure, "min_cell": queries.MIN_CELL_SIZE},
    )
