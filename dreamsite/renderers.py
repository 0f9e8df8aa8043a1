"""JSON answers that never fail on stored text: a row written before text hygiene (a lone
surrogate cannot be encoded as UTF-8) is sent with that character escaped, not a 500."""

from typing import Any

from rest_framework.renderers import JSONRenderer


class DefensiveJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(JSONRenderer):
    ensure_ascii = True
