from __future__ import annotations

from django.urls import path

from measurement import views

urlpatterns = [
    path("impact/", views.sponsor_home, name="sponsor_home"),
]
