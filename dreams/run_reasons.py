"""What each dream run reason says, in one place.

`RunReason`'s label names what happened ("Not enough new moments"): lists, filters, the
API's `reason_label` and health use it as it is. `NEXT_STEPS` says what the operator can do
about it, and `run_reason_copy` joins the two for the dashboard, the admin and the
commands. A run's own detail (sanitized facts: counts, the engine's fix hint) follows.
"""

from dreams.models import RunReason, RunStatus

WRITTEN_COPY = "A new dream was written."

NEXT_STEPS: dict[str, str] = {
    RunReason.NOT_CONFIGURED: "Finish the setup wizard at /setup/ to start dreaming.",
    RunReason.DISABLED: "Turn it on in setup or the admin.",
    RunReason.NOT_DUE: "The next dream comes with the schedule.",
    RunReason.NO_MATERIAL: "Let the mind gather more (sessions, or the perceptor), then try again.",
    RunReason.ALREADY_RUNNING: "Its result shows here when it finishes.",
    RunReason.ENGINE_NOT_READY: "Follow the engine's fix hint, then try again.",
    RunReason.TIMEOUT: "Try again, or raise the time limit in the dream settings.",
    RunReason.INVALID_OUTPUT: "Try again, or choose another engine.",
    RunReason.ENGINE_ERROR: "Check it with `python manage.py engines probe`, then try again.",
    RunReason.LEASE_EXPIRED: "Generate the dream again.",
    RunReason.INTERRUPTED: "Generate the dream again.",
    RunReason.HOLDER_DIED: "Generate the dream again.",
}


def run_reason_copy(reason: str) -> str:
    """What happened and what to do next, as one or two sentences."""
    return f"{RunReason(reason).label}. {NEXT_STEPS[reason]}"


# A finished run's outcome, by reason (or by status, for a written one).
OUTCOME_COPY: dict[str, str] = {
    RunStatus.WRITTEN: WRITTEN_COPY,
    **{reason: run_reason_copy(reason) for reason in RunReason},
}
