from __future__ import annotations

from django.urls import path

from pathways.scenarios import views

urlpatterns = [
    path("scenarios/", views.scenario_list, name="scenario_list"),
    path("scenarios/<int:scenario_id>/play/", views.scenario_play, name="scenario_play"),
    path("scenarios/plays/<int:play_id>/choose/", views.scenario_choose, name="scenario_choose"),
    path(
        "scenarios/plays/<int:play_id>/decisions/<int:decision_id>/",
        views.scenario_decision,
        name="scenario_decision",
    ),
    path("scenarios/plays/<int:play_id>/debrief/", views.scenario_debrief, name="scenario_debrief"),
    path(
        "practice/competency/<int:competency_id>/",
        views.practise_competency,
        name="practise_competency",
    ),
    path("growth/", views.my_growth, name="my_growth"),
]
