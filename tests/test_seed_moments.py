import pytest
from django.core.management import call_command

from dreams.models import MindMoment
from dreams.services.seeding import moments_seed
from dreams.sigils import parse_sigil
from tests.factories import make_moment

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    return list(
        MindMoment.objects.order_by("cycle").values_list(
            "cycle", "text", "sigil_phrase", "sigil_code", "valence", "arousal", "visual_percepts"
        )
    )


def test_same_seed_gives_the_same_moments():
    moments_seed(count=50, seed=7)
    first = _snapshot()
    MindMoment.objects.all().delete()
    moments_seed(count=50, seed=7)
    assert _snapshot() == first
    MindMoment.objects.all().delete()
    moments_seed(count=50, seed=8)
    assert _snapshot() != first


def test_seeded_moments_are_varied_and_valid():
    moments_seed(count=200, seed=1)
    moments = list(MindMoment.objects.all())
    assert len({m.sigil_code for m in moments}) == 200
    assert all(parse_sigil(m.sigil_code) == m.sigil_commands for m in moments[:20])
    assert all(m.has_sigil for m in moments)
    quadrants = {(m.valence >= 0, m.arousal >= 0) for m in moments}
    assert len(quadrants) == 4
    assert any(m.visual_percepts for m in moments)
    assert any(m.audio_percepts for m in moments)
    assert any(not m.visual_percepts and not m.audio_percepts for m in moments)


def test_seeding_continues_the_global_cycle():
    make_moment(cycle=41)
    moments_seed(count=3, seed=0)
    assert list(MindMoment.objects.order_by("cycle").values_list("cycle", flat=True)) == [
        41,
        42,
        43,
        44,
    ]


def test_command_with_if_empty_leaves_existing_history_alone(capsys):
    make_moment(cycle=1)
    call_command("seed_moments", "--count", "5", "--if-empty")
    assert MindMoment.objects.count() == 1
    call_command("seed_moments", "--count", "5", "--seed", "3")
    assert MindMoment.objects.count() == 6
    assert "Seeded 5 mind moments" in capsys.readouterr().out


def test_worker_processes_make_the_same_moments_as_one_process():
    moments_seed(count=30, seed=5, batch_size=10, workers=1)
    alone = [row[1:] for row in _snapshot()]
    MindMoment.objects.all().delete()
    moments_seed(count=30, seed=5, batch_size=10, workers=2)
    assert [row[1:] for row in _snapshot()] == alone
