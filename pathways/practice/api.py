"""Retrieval practice over the REST API (learners): the next due card, and answering it
through the same FSRS service as the review page. Shape and validation only."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.api import MAX_ID, IsMember, StrictSerializer, member
from pathways.practice import queries, services

TAGS = ["learner"]


class OptionSerializer(StrictSerializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class CardSerializer(StrictSerializer):
    id = serializers.IntegerField()
    prompt = serializers.CharField()
    kind = serializers.ChoiceField(choices=["mc", "free"])
    module = serializers.CharField()
    competency = serializers.CharField(allow_blank=True)
    is_new = serializers.BooleanField()
    options = OptionSerializer(many=True, help_text="Empty for free recall (answer by rating)")
    ticket = serializers.CharField(help_text="Send it back with the answer")


class ReviewsSerializer(StrictSerializer):
    due = serializers.IntegerField(help_text="Cards due now")
    total_cards = serializers.IntegerField()
    next_due = serializers.DateTimeField(allow_null=True)
    card = CardSerializer(allow_null=True, help_text="The oldest due card, if any")


class AnswerSerializer(StrictSerializer):
    ticket = serializers.CharField(max_length=2000)
    option_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Multiple choice"
    )
    rating = serializers.IntegerField(
        min_value=1, max_value=4, required=False, help_text="Free recall: 1 Again .. 4 Easy"
    )


class ReviewResultSerializer(StrictSerializer):
    card_id = serializers.IntegerField()
    correct = serializers.BooleanField(allow_null=True)
    rating = serializers.IntegerField()
    rating_label = serializers.CharField()
    model_answer = serializers.CharField(allow_blank=True)
    due = serializers.DateTimeField(help_text="When the card comes back")
    replayed = serializers.BooleanField(help_text="True when this ticket was already answered")


class MyReviewsView(APIView):
    permission_classes = [IsMember]
    required_roles = ("learner",)

    @extend_schema(
        summary="My retrieval practice: what is due", responses={200: ReviewsSerializer}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str) -> Response:
        learner = member(request)
        page = queries.review_page(learner)
        card = None
        if page.card is not None:
            c = page.card
            card = {
                "id": c.id,
                "prompt": c.prompt,
                "kind": "mc" if c.is_multiple_choice else "free",
                "module": c.module,
                "competency": c.competency,
                "is_new": c.is_new,
                "options": [{"id": o.id, "text": o.text} for o in c.options]
                if c.is_multiple_choice
                else [],
                "ticket": services.issue_ticket(learner, c.id),
            }
        body = {
            "due": page.due,
            "total_cards": page.total_cards,
            "next_due": page.next_due,
            "card": card,
        }
        return Response(body)


class AnswerReviewView(APIView):
    permission_classes = [IsMember]
    required_roles = ("learner",)

    @extend_schema(
        summary="Answer a due card (rescheduled with FSRS)",
        request=AnswerSerializer,
        responses={200: ReviewResultSerializer},
        examples=[
            OpenApiExample(
                "Multiple choice", value={"ticket": "…", "option_id": 7}, request_only=True
            )
        ],
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, card_id: int) -> Response:
        payload = AnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        result = services.do_review(
            member(request),
            card_id,
            ticket=d["ticket"],
            option_id=d.get("option_id"),
            rating=d.get("rating"),
        )
        return Response(
            {
                "card_id": result.card.id,
                "correct": result.correct,
                "rating": result.rating,
                "rating_label": result.rating_label,
                "model_answer": result.card.model_answer,
                "due": result.due,
                "replayed": result.replayed,
            }
        )


urlpatterns = [
    path("me/reviews/", MyReviewsView.as_view(), name="api_my_reviews"),
    path("me/reviews/<int:card_id>/answer/", AnswerReviewView.as_view(), name="api_review_answer"),
]
