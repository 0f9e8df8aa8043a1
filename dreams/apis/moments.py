"""The read API over mind moments and their sigil images."""

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from dreams.apis.personalities import PersonalityRefSerializer
from dreams.models import MindMoment
from dreams.selectors.moments import MomentFilter, moment_for_sigil_image, moment_queryset
from dreams.services.sigil_images import (
    ALLOWED_SIZES,
    SigilImageFormat,
    sigil_image_get_or_render,
)
from dreams.sigil_links import sigil_image_urls

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


class SigilImageUrlsSerializer(serializers.Serializer):
    svg = serializers.CharField()
    png = serializers.CharField()
    sdf = serializers.CharField()


class ColorTriadSerializer(serializers.Serializer):
    """The source system's colour triad (its name `color`), derived from the reading."""

    primary = serializers.CharField()
    secondary = serializers.CharField()
    accent = serializers.CharField()


class MomentOutputSerializer(serializers.ModelSerializer):
    # What `many=True` builds, spelled so that its type is known.
    prior_moment_ids = serializers.PrimaryKeyRelatedField.many_init(
        source="prior_moments", read_only=True
    )
    session_id = serializers.UUIDField(read_only=True, allow_null=True)
    personality = PersonalityRefSerializer(read_only=True, allow_null=True)
    images = serializers.SerializerMethodField()
    color = ColorTriadSerializer(source="colour_triad", read_only=True)

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
            "color",
            "visual_percepts",
            "audio_percepts",
            "prior_moment_ids",
            "engine",
            "processing_ms",
            "session_id",
            "personality",
            "created_at",
            "images",
            "replays",
            "citations",
            "last_resurfaced_at",
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
    moment = moment_for_sigil_image(moment_id)
    if moment is None:
        raise NotFound("No such mind moment.")
    if not moment.has_sigil:
        raise NotFound("This mind moment has no sigil.")
    image = sigil_image_get_or_render(
        commands=moment.sigil_commands,
        image_format=image_format,
        size=query.validated_data.get("size"),
    )
    response = HttpResponse(image.content, content_type=image.content_type)
    response["ETag"] = f'"{image.etag}"'
    response["Cache-Control"] = IMMUTABLE_CACHE
    # Django's own If-None-Match matching (lists, weak tags, "*"): a 304 keeps both headers.
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


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
