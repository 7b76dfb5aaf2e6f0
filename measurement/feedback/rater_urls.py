"""The rater's signed link, outside /o/<slug>/: the organisation comes from the token."""

from __future__ import annotations

from django.urls import path

from measurement.feedback import views

urlpatterns = [
    path("r/360/<str:token>/", views.rate, name="feedback_rate"),
]
