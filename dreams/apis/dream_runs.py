"""The API over dream runs (history and the trigger), dream reviews and dream health."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreams.apis.moments import SigilImageUrlsSerializer
from dreams.apis.personalities import PersonalityRefSerializer
from dreams.dream_run_data import DREAM_RUN_FIELDS
from dreams.models import DreamReview, DreamRun, RunReason, RunStatus, Trigger
from dreams.selectors.dream_runs import (
    dream_run_active,
    dream_run_queryset,
    latest_review,
    review_queryset,
)
from dreams.selectors.health import dream_health
from dreams.services.dream_runs import dream_run_queue
from dreams.sigil_links import sigil_image_urls
from dreamsite.input import StrictBooleanField, StrictInputSerializer


class DreamRunOutputSerializer(serializers.ModelSerializer):
    # Empty while a run is queued or running, and for a written one.
    reason = serializers.ChoiceField(choices=RunReason.choices, allow_blank=True)
    reason_label = serializers.CharField(source="get_reason_display")
    review_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = DreamRun
        fields = list(DREAM_RUN_FIELDS)
        read_only_fields = fields


class DreamReviewOutputSerializer(serializers.ModelSerializer):
    sigil_phrase = serializers.CharField(source="moment.sigil_phrase")
    sigil_commands = serializers.JSONField(source="moment.sigil_commands")
    valence = serializers.FloatField(source="moment.valence")
    arousal = serializers.FloatField(source="moment.arousal")
    moment_id = serializers.IntegerField()
    personality = PersonalityRefSerializer(read_only=True, allow_null=True)
    images = serializers.SerializerMethodField()

    class Meta:
        model = DreamReview
        fields = [
            "id",
            "sequence",
            "title",
            "narrative",
            "themes",
            "threads",
            "sigil_phrase",
            "sigil_commands",
            "valence",
            "arousal",
            "moment_id",
            "images",
            "engine",
            "model",
            "material_count",
            "personality",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SigilImageUrlsSerializer(allow_null=True))
    def get_images(self, review: DreamReview) -> dict[str, str] | None:
        return sigil_image_urls(review.moment)


class DreamHealthOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # named like a Field attribute
    fix_hint = serializers.CharField()
    last_written_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True)
    last_run = DreamRunOutputSerializer(allow_null=True)
    running_run_id = serializers.IntegerField(allow_null=True)


class NewestFirstPagination(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


class DreamRunListCreateApi(generics.ListAPIView):
    """Run history (newest first, filter by status, trigger or engine), and the trigger."""

    serializer_class = DreamRunOutputSerializer
    pagination_class = NewestFirstPagination
    filterset_fields = {"status": ["exact"], "trigger": ["exact"], "engine": ["exact"]}
    throttle_scope = "control"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "DreamRunTrigger"

        force = StrictBooleanField(default=True)
        dry_run = StrictBooleanField(default=False)

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return dream_run_queryset()

    @extend_schema(
        request=InputSerializer,
        responses={
            202: DreamRunOutputSerializer,
            200: OpenApiResponse(DreamRunOutputSerializer, description="Skipped (see reason)"),
            409: OpenApiResponse(DreamRunOutputSerializer, description="Another run is going"),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trigger = Trigger.API if request.auth == "control-token" else Trigger.DASHBOARD
        run = dream_run_queue(trigger=trigger, **data.validated_data)
        body = DreamRunOutputSerializer(run).data
        if run.status == RunStatus.QUEUED:
            return Response(body, status=status.HTTP_202_ACCEPTED)
        if run.reason == RunReason.ALREADY_RUNNING:
            active = dream_run_active()
            body["running_run_id"] = active.pk if active else None
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(body, status=status.HTTP_200_OK)


class DreamRunDetailApi(generics.RetrieveAPIView):
    serializer_class = DreamRunOutputSerializer
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return dream_run_queryset()


class DreamHealthApi(APIView):
    @extend_schema(responses=DreamHealthOutputSerializer)
    def get(self, request: Request) -> Response:
        health = dream_health()
        active = dream_run_active()
        payload = {
            "status": health.status,
            "label": health.label,
            "fix_hint": health.fix_hint,
            "last_written_at": health.last_written_at,
            "next_due_at": health.next_due_at,
            "last_run": health.last_run,
            "running_run_id": active.pk if active else None,
        }
        return Response(DreamHealthOutputSerializer(payload).data)


class DreamReviewListApi(generics.ListAPIView):
    serializer_class = DreamReviewOutputSerializer
    pagination_class = NewestFirstPagination
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return review_queryset()


class DreamReviewDetailApi(generics.RetrieveAPIView):
    serializer_class = DreamReviewOutputSerializer
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return review_queryset()


class LatestDreamReviewApi(APIView):
    @extend_schema(responses={200: DreamReviewOutputSerializer, 404: None})
    def get(self, request: Request) -> Response:
        review = latest_review()
        if review is None:
            raise NotFound("No dream has been written yet.")
        return Response(DreamReviewOutputSerializer(review).data)
