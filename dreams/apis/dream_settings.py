"""The API over the dream settings: read by anyone, changed under the control rule."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from dreams.models import Cadence, DreamSettings, MomentKind
from dreams.replay import ReplayMode
from dreams.selectors.dream_settings import dream_settings_summary
from dreams.services.dream_settings import dream_settings_change
from dreamsite.input import (
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictFloatField,
    StrictInputSerializer,
    StrictIntegerField,
)


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
        phase_percepts_weight = StrictIntegerField(required=False)
        phase_spool_weight = StrictIntegerField(required=False)
        phase_sigilin_weight = StrictIntegerField(required=False)
        phase_sigilhold_weight = StrictIntegerField(required=False)
        phase_sigilout_weight = StrictIntegerField(required=False)
        phase_reset_weight = StrictIntegerField(required=False)
        replay_mode = serializers.ChoiceField(choices=ReplayMode.choices, required=False)
        # The theme's bounds: null does not restrict.
        theme_valence_min = StrictFloatField(required=False, allow_null=True)
        theme_valence_max = StrictFloatField(required=False, allow_null=True)
        theme_arousal_min = StrictFloatField(required=False, allow_null=True)
        theme_arousal_max = StrictFloatField(required=False, allow_null=True)
        theme_since = StrictDateTimeField(required=False, allow_null=True)
        theme_until = StrictDateTimeField(required=False, allow_null=True)
        theme_kind = serializers.ChoiceField(
            choices=MomentKind.choices, required=False, allow_blank=True
        )
        theme_thread = StrictCharField(
            required=False, allow_blank=True, max_length=80, help_text="a continuity thread's key"
        )
        sequence_length = StrictIntegerField(required=False)
        salience_intensity = StrictFloatField(required=False)
        salience_recency = StrictFloatField(required=False)
        salience_rarity = StrictFloatField(required=False)
        salience_half_life_hours = StrictIntegerField(required=False)
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
        phase_percepts_weight = serializers.IntegerField()
        phase_spool_weight = serializers.IntegerField()
        phase_sigilin_weight = serializers.IntegerField()
        phase_sigilhold_weight = serializers.IntegerField()
        phase_sigilout_weight = serializers.IntegerField()
        phase_reset_weight = serializers.IntegerField()
        phase_timeline_in_force = serializers.DictField(
            child=serializers.DictField(child=serializers.IntegerField()),
            help_text="Each loop's display phases, in order, with their lengths in ms.",
        )
        replay_mode = serializers.CharField()
        replay_label = serializers.CharField(help_text="the replay mode in a few words")
        replay_parameters = serializers.CharField(
            help_text="the replay mode's parameters in words, as the dashboard shows them"
        )
        theme_valence_min = serializers.FloatField(allow_null=True)
        theme_valence_max = serializers.FloatField(allow_null=True)
        theme_arousal_min = serializers.FloatField(allow_null=True)
        theme_arousal_max = serializers.FloatField(allow_null=True)
        theme_since = serializers.DateTimeField(allow_null=True)
        theme_until = serializers.DateTimeField(allow_null=True)
        theme_kind = serializers.CharField(allow_blank=True)
        theme_thread = serializers.CharField(allow_blank=True)
        sequence_length = serializers.IntegerField()
        salience_intensity = serializers.FloatField()
        salience_recency = serializers.FloatField()
        salience_rarity = serializers.FloatField()
        salience_half_life_hours = serializers.IntegerField()
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
            # A rule across fields (the phase weights) is the model's: DRF's key for it.
            errors = {
                api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name: messages
                for name, messages in error.message_dict.items()
            }
            raise serializers.ValidationError(errors) from None
        return Response(self.OutputSerializer(dream_settings_summary(row)).data)
