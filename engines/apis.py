"""Engine readiness for everyone; the selection write for callers allowed to control."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreamsite.control import control_refusal
from dreamsite.input import StrictBooleanField, StrictCharField, StrictInputSerializer
from engines.models import SelectionSource
from engines.readiness import all_engine_readiness
from engines.selection import EngineSelectionError, engine_select, selected_engine


class ReadinessOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="engine")
    label = serializers.CharField(source="engine_label")  # type: ignore[assignment]  # named like a Field attribute
    state = serializers.CharField()
    state_label = serializers.CharField(source="label")
    ready = serializers.BooleanField()
    selectable = serializers.BooleanField()
    fix_hint = serializers.CharField()
    disclosure = serializers.CharField()


class SelectionOutputSerializer(serializers.Serializer):
    engine = serializers.CharField()
    model = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # named like a Field attribute
    ready = serializers.BooleanField()
    state = serializers.CharField(source="readiness.state")
    state_label = serializers.CharField(source="readiness.label")
    fix_hint = serializers.CharField(source="readiness.fix_hint")


class EnginesOutputSerializer(serializers.Serializer):
    engines = ReadinessOutputSerializer(many=True)
    selection = SelectionOutputSerializer()
    can_write = serializers.BooleanField()
    write_refusal = serializers.CharField(allow_null=True)


class SelectionErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fix_hint = serializers.CharField()


def _engines_payload(request: Request) -> dict:
    refusal = control_refusal(request)
    return EnginesOutputSerializer(
        {
            "engines": all_engine_readiness(),
            "selection": selected_engine(),
            "can_write": refusal is None,
            "write_refusal": refusal,
        }
    ).data


class EngineListApi(APIView):
    @extend_schema(responses=EnginesOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(_engines_payload(request))


class EngineSelectionApi(APIView):
    throttle_scope = "control"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "EngineSelectionChange"

        engine = StrictCharField(max_length=32)
        model = StrictCharField(max_length=200, allow_blank=True, default="")
        allow_not_ready = StrictBooleanField(default=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: EnginesOutputSerializer,
            400: OpenApiResponse(SelectionErrorSerializer, description="Unknown or unsupported"),
            409: OpenApiResponse(SelectionErrorSerializer, description="Engine not ready"),
        },
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            engine_select(
                **data.validated_data,
                source=SelectionSource.API,
                actor=request.user.username,
                remote_addr=request.META.get("REMOTE_ADDR"),
            )
        except EngineSelectionError as error:
            code = (
                status.HTTP_409_CONFLICT
                if error.code == "engine_not_ready"
                else status.HTTP_400_BAD_REQUEST
            )
            body = {"code": error.code, "detail": error.message, "fix_hint": error.fix_hint}
            return Response(body, status=code)
        return Response(_engines_payload(request))
