from __future__ import annotations

from django.urls import path

from pathways.social import views

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/saved/", views.my_library, name="my_library"),
    path("catalogue/modules/<int:module_id>/save/", views.save_module, name="save_module"),
    path("catalogue/modules/<int:module_id>/unsave/", views.unsave_module, name="unsave_module"),
    path(
        "catalogue/modules/<int:module_id>/recommend/",
        views.recommend_module,
        name="recommend_module",
    ),
    path(
        "catalogue/modules/<int:module_id>/comments/",
        views.module_comments,
        name="module_comments",
    ),
    path(
        "catalogue/modules/<int:module_id>/comments/new/",
        views.post_comment,
        name="post_comment",
    ),
    path("comments/", views.recent_comments, name="recent_comments"),
    path("comments/<int:comment_id>/edit/", views.edit_comment, name="edit_comment"),
    path("comments/<int:comment_id>/delete/", views.delete_comment, name="delete_comment"),
    path("comments/<int:comment_id>/remove/", views.remove_comment, name="remove_comment"),
    path(
        "recommendations/<int:recommendation_id>/dismiss/",
        views.dismiss_recommendation,
        name="dismiss_recommendation",
    ),
    path("mentoring/", views.my_mentoring, name="my_mentoring"),
    path("mentoring/offers/", views.offer_mentoring, name="offer_mentoring"),
    path(
        "mentoring/offers/<int:offer_id>/withdraw/",
        views.withdraw_offer,
        name="withdraw_offer",
    ),
    path("mentoring/requests/", views.request_mentor, name="request_mentor"),
    path(
        "mentoring/requests/<int:request_id>/propose/",
        views.propose_mentor,
        name="propose_mentor",
    ),
    path(
        "mentoring/requests/<int:request_id>/answer/",
        views.answer_request,
        name="answer_request",
    ),
    path(
        "mentoring/requests/<int:request_id>/withdraw/",
        views.withdraw_request,
        name="withdraw_request",
    ),
    path(
        "mentoring/requests/<int:request_id>/ask-again/",
        views.ask_again,
        name="ask_again",
    ),
]
