"""The API over personalities: every version for anyone to read; a new version and the
activation of a version under the control rule."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreams.models import NOTES_MAX_CHARS, Personality
from dreams.selectors.personalities import personality_get, personality_versions
from dreams.services.personalities import personality_activate, personality_create
from dreamsite.input import (
    StrictBooleanField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
)
from engines.contracts import SIGIL_STYLE_MAX_CHARS, VOICE_MAX_CHARS


class PersonalityRefSerializer(serializers.ModelSerializer):
    """The version that made a moment or a review, as the moment and review APIs show it
    (null: written before personalities)."""

    class Meta:
        model = Personality
        fields = ["id", "version", "name"]
        read_only_fields = fields


class PersonalityOutputSerializer(serializers.ModelSerializer):
    moment_count = serializers.IntegerField(help_text="Mind moments this version made.")
    review_count = serializers.IntegerField(help_text="Dream reviews this version made.")

    class Meta:
        model = Personality
        fields = [
            "id",
            "version",
            "name",
            "cognition_voice",
            "dreaming_voice",
            "sigil_style",
            "notes",
            "is_active",
            "created_at",
            "created_by",
            "moment_count",
            "review_count",
        ]
        read_only_fields = fields


def _shown(personality: Personality) -> dict:
    """A version with its counts, as the list shows it."""
    found = personality_get(personality.pk)
    if found is None:  # removed between the write and this read
        raise NotFound("No such personality version.")
    return PersonalityOutputSerializer(found).data


class NewestVersionFirst(CursorPagination):
    ordering = "-version"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class PersonalityListCreateApi(generics.ListAPIView):
    """Every version, newest first; POST writes a new version: a copy of `based_on` (by
    default the active version) with the parts given changed, active at once with
    `activate`."""

    serializer_class = PersonalityOutputSerializer
    pagination_class = NewestVersionFirst
    filter_backends: list = []
    throttle_scope = "control"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PersonalityCreate"

        based_on = StrictIntegerField(
            required=False, min_value=1, help_text="The id of the version to start from."
        )
        name = StrictCharField(required=False, max_length=80)
        cognition_voice = StrictCharField(required=False, max_length=VOICE_MAX_CHARS)
        dreaming_voice = StrictCharField(required=False, max_length=VOICE_MAX_CHARS)
        sigil_style = StrictCharField(
            required=False, allow_blank=True, max_length=SIGIL_STYLE_MAX_CHARS
        )
        notes = StrictCharField(required=False, allow_blank=True, max_length=NOTES_MAX_CHARS)
        activate = StrictBooleanField(default=False)

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return personality_versions()

    @extend_schema(request=InputSerializer, responses={201: PersonalityOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        based_on = None
        if "based_on" in changes:
            based_on = personality_get(changes.pop("based_on"))
            if based_on is None:
                raise serializers.ValidationError({"based_on": ["No such personality version."]})
        try:
            personality = personality_create(
                created_by=request.user.username, based_on=based_on, **changes
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(_shown(personality), status=status.HTTP_201_CREATED)


class PersonalityDetailApi(generics.RetrieveAPIView):
    serializer_class = PersonalityOutputSerializer
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return personality_versions()


class PersonalityActivateApi(APIView):
    """Make a version the active one: the next cognition and the next dream speak in it."""

    throttle_scope = "control"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PersonalityActivate"

    @extend_schema(request=None, responses={200: PersonalityOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        personality = personality_get(pk)
        if personality is None:
            raise NotFound("No such personality version.")
        try:
            personality_activate(personality=personality)
        except Personality.DoesNotExist:
            raise NotFound("No such personality version.") from None
        return Response(_shown(personality))
