"""Every lease holder (conductor, dream run, scheduler check) is named one way."""

import os
import socket

from dreams.models import ConductorLease, DreamRun, SchedulerHeartbeat
from dreams.processes import HOLDER_MAX_LENGTH, holder_is_dead_here, holder_name


def test_a_holder_names_host_and_pid_and_fits_every_holder_column(monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: "h" * 300)
    holder = holder_name()
    host, pid, nonce = holder.split(":")
    assert host == "h" * 80 and pid == str(os.getpid()) and len(nonce) == 8
    assert len(holder) <= HOLDER_MAX_LENGTH
    for model in (ConductorLease, DreamRun, SchedulerHeartbeat):
        assert model._meta.get_field("holder").max_length == HOLDER_MAX_LENGTH


def test_two_holders_of_one_process_differ_and_neither_is_dead_here():
    first, second = holder_name(), holder_name()
    assert first != second
    assert not holder_is_dead_here(first)
