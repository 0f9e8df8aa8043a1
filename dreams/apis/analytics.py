"""The read API over resurfacing: which moments the dream loop brings back, how many it
never has, and replays over time by replay mode."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreams.replay import ReplayMode
from dreams.selectors import resurfacing


def _whole_number(low: int, high: int, default: int, what: str) -> serializers.IntegerField:
    said = f"Give a whole number from {low} to {high} ({what}); {default} if left out."
    return serializers.IntegerField(
        min_value=low,
        max_value=high,
        default=default,
        help_text=what,
        error_messages={
            key: said for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )


class ResurfacingInputSerializer(serializers.Serializer):
    days = _whole_number(1, 365, resurfacing.DAYS, "UTC days of replays, up to today")
    top = _whole_number(1, 100, resurfacing.TOP, "how many of the most replayed moments")


class TopMomentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField()
    sigil_phrase = serializers.CharField()
    replays = serializers.IntegerField()
    citations = serializers.IntegerField()
    last_resurfaced_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url", help_text="the moment's page")


class DayReplaysSerializer(serializers.Serializer):
    day = serializers.DateField()
    mode = serializers.ChoiceField(choices=ReplayMode.choices)
    replays = serializers.IntegerField()


class ResurfacingOutputSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    since = serializers.DateField(help_text="the first UTC day of replays_by_day and by_mode")
    top_moments = TopMomentSerializer(
        many=True, help_text="by replays, then citations; only moments replayed at least once"
    )
    never_replayed_share = serializers.FloatField(
        allow_null=True,
        help_text="of the moments with a sigil, the share never replayed (null with none)",
    )
    moment_count = serializers.IntegerField(help_text="moments with a sigil")
    never_replayed_count = serializers.IntegerField()
    replays_by_day = DayReplaysSerializer(many=True, help_text="days and modes with replays")
    by_mode = serializers.DictField(
        child=serializers.IntegerField(), help_text="every mode's replays over these days"
    )


class ResurfacingApi(APIView):
    @extend_schema(parameters=[ResurfacingInputSerializer], responses=ResurfacingOutputSerializer)
    def get(self, request: Request) -> Response:
        query = ResurfacingInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days, top = query.validated_data["days"], query.validated_data["top"]
        counts = resurfacing.sigil_moment_counts()
        over_time = resurfacing.replays_over_time(days=days)
        payload = {
            "days": days,
            "since": over_time.first,
            "top_moments": resurfacing.top_moments(limit=top),
            "never_replayed_share": counts.never_replayed_share,
            "moment_count": counts.with_sigil,
            "never_replayed_count": counts.never_replayed,
            "replays_by_day": over_time.days,
            "by_mode": over_time.by_mode,
        }
        return Response(ResurfacingOutputSerializer(payload).data)
