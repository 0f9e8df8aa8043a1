"""The read API over mind moments and their sigil images."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreams.dream_run_data import DREAM_RUN_FIELDS
from dreams.health import dream_health
from dreams.models import (
    Cadence,
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    RunReason,
    RunStatus,
    Trigger,
)
from dreams.selectors import (
    MomentFilter,
    dream_run_active,
    dream_settings_summary,
    latest_review,
    moment_queryset,
)
from dreams.services.dream_runs import dream_run_queue
from dreams.services.dream_settings import dream_settings_change
from dreams.services.sigil_images import (
    ALLOWED_SIZES,
    SigilImageFormat,
    sigil_image_get_or_render,
)
from dreams.sigil_links import sigil_image_urls
from dreamsite.input import (
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
)

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


class SigilImageUrlsSerializer(serializers.Serializer):
    svg = serializers.CharField()
    png = serializers.CharField()
    sdf = serializers.CharField()


class MomentOutputSerializer(serializers.ModelSerializer):
    prior_moment_ids = serializers.PrimaryKeyRelatedField(
        source="prior_moments", many=True, read_only=True
    )
    session_id = serializers.UUIDField(read_only=True, allow_null=True)
    images = serializers.SerializerMethodField()

    class Meta:
        model = MindMoment
        fields = [
            "id",
            "cycle",
            "kind",
            "text",
            "sigil_phrase",
            "sigil_code",
            "sigil_commands",
            "has_sigil",
            "valence",
            "arousal",
            "colour",
            "visual_percepts",
            "audio_percepts",
            "prior_moment_ids",
            "engine",
            "processing_ms",
            "session_id",
            "created_at",
            "images",
        ]
        read_only_fields = fields

    @extend_schema_field(SigilImageUrlsSerializer(allow_null=True))
    def get_images(self, moment: MindMoment) -> dict[str, str] | None:
        return sigil_image_urls(moment)


class MomentCursorPagination(CursorPagination):
    ordering = "-cycle"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class MomentListApi(generics.ListAPIView):
    serializer_class = MomentOutputSerializer
    filterset_class = MomentFilter
    pagination_class = MomentCursorPagination

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return moment_queryset()


class MomentDetailApi(generics.RetrieveAPIView):
    serializer_class = MomentOutputSerializer
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return moment_queryset()


class SizeInputSerializer(serializers.Serializer):
    size = serializers.ChoiceField(choices=ALLOWED_SIZES, required=False)


def _image_response(
    request: Request, moment_id: int, image_format: SigilImageFormat
) -> HttpResponse:
    query = SizeInputSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    moment = get_object_or_404(
        MindMoment.objects.only("id", "sigil_commands", "has_sigil"), pk=moment_id
    )
    if not moment.has_sigil:
        raise NotFound("This mind moment has no sigil.")
    image = sigil_image_get_or_render(
        commands=moment.sigil_commands,
        image_format=image_format,
        size=query.validated_data.get("size"),
    )
    etag = f'"{image.etag}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(image.content, content_type=image.content_type)
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE_CACHE
    return response


def _image_schema(description: str, media_type: str) -> object:
    return extend_schema(
        parameters=[OpenApiParameter("size", int, enum=list(ALLOWED_SIZES), required=False)],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description),
            304: OpenApiResponse(description="Not modified (ETag matched)"),
            404: OpenApiResponse(description="No such moment, or it has no sigil"),
        },
    )


class SigilImageApi(APIView):
    """Serves one image format; errors still answer in JSON whatever the client accepts."""

    image_format: SigilImageFormat

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple:
        return super().perform_content_negotiation(request, force=True)

    def get(self, request: Request, pk: int) -> HttpResponse:
        return _image_response(request, pk, self.image_format)


@extend_schema_view(get=_image_schema("The sigil as SVG", "image/svg+xml"))
class SigilSvgApi(SigilImageApi):
    image_format = SigilImageFormat.SVG


@extend_schema_view(get=_image_schema("The sigil as an anti-aliased PNG", "image/png"))
class SigilPngApi(SigilImageApi):
    image_format = SigilImageFormat.PNG


@extend_schema_view(
    get=_image_schema("The sigil's signed distance field, 8-bit grayscale PNG", "image/png")
)
class SdfPngApi(SigilImageApi):
    image_format = SigilImageFormat.SDF


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
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SigilImageUrlsSerializer(allow_null=True))
    def get_images(self, review: DreamReview) -> dict[str, str] | None:
        return sigil_image_urls(review.moment)


class DreamHealthOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
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
        return DreamRun.objects.all()

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
    queryset = DreamRun.objects.all()


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
        return DreamReview.objects.select_related("moment")


class DreamReviewDetailApi(generics.RetrieveAPIView):
    serializer_class = DreamReviewOutputSerializer
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return DreamReview.objects.select_related("moment")


class LatestDreamReviewApi(APIView):
    @extend_schema(responses={200: DreamReviewOutputSerializer, 404: None})
    def get(self, request: Request) -> Response:
        review = latest_review()
        if review is None:
            raise NotFound("No dream has been written yet.")
        return Response(DreamReviewOutputSerializer(review).data)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
        "description": "A time of day in the dream time zone (HH:MM or HH:MM:SS), "
        "without an offset.",
        "example": "03:00",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the dream time zone: not an RFC 3339 time with an offset."""


class DreamSettingsApi(APIView):
    """The dream settings: read by anyone, changed (PATCH, any of the fields) under the
    control rule, with the setup wizard's validation."""

    throttle_scope = "control"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "DreamSettingsChange"

        enabled = StrictBooleanField(required=False)
        cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
        daily_at = LocalTimeField(required=False)
        interval_hours = StrictIntegerField(required=False)
        time_zone = StrictCharField(required=False, max_length=64)
        min_new_moments = StrictIntegerField(required=False)
        max_material = StrictIntegerField(required=False)
        timeout_s = StrictIntegerField(required=False)
        cognitive_cycle_ms = StrictIntegerField(required=False, allow_null=True)
        dream_cycle_ms = StrictIntegerField(required=False, allow_null=True)
        session_timeout_ms = StrictIntegerField(required=False, allow_null=True)
        setup_complete = StrictBooleanField(required=False)

        def validate(self, attrs: dict) -> dict:
            if attrs.get("setup_complete") is False:
                raise serializers.ValidationError(
                    {"setup_complete": ["Setup can be finished here, not undone."]}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DreamSettings"

        enabled = serializers.BooleanField()
        cadence = serializers.CharField()
        cadence_label = serializers.CharField()
        daily_at = LocalTimeField()
        interval_hours = serializers.IntegerField()
        time_zone = serializers.CharField()
        min_new_moments = serializers.IntegerField()
        max_material = serializers.IntegerField()
        timeout_s = serializers.IntegerField()
        cognitive_cycle_ms = serializers.IntegerField(allow_null=True)
        dream_cycle_ms = serializers.IntegerField(allow_null=True)
        session_timeout_ms = serializers.IntegerField(allow_null=True)
        loop_timing_in_force = serializers.DictField(child=serializers.IntegerField())
        setup_complete = serializers.BooleanField()
        setup_completed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(dream_settings_summary(DreamSettings.load())).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        finish_setup = changes.pop("setup_complete", False)
        try:
            row = dream_settings_change(changes=changes, finish_setup=finish_setup)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(self.OutputSerializer(dream_settings_summary(row)).data)
