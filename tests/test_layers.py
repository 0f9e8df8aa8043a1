"""The layers hold: who may import what, read from the source (no import side effects)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_LAYER = ("dreams.apis", "engines.apis", "rest_framework.serializers", "rest_framework.views")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _sources(*patterns: str) -> list[Path]:
    return sorted(path for pattern in patterns for path in ROOT.glob(pattern))


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


@pytest.mark.parametrize(
    "path",
    _sources(
        "dreams/conductor/*.py",
        "dreams/admin.py",
        "dreams/management/commands/*.py",
        "engines/admin.py",
        "engines/management/commands/*.py",
        "dreams/services/*.py",
        "dreams/selectors/*.py",
        "dreams/realtime/*.py",
    ),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_the_conductor_admin_commands_services_and_selectors_never_import_the_api_layer(path):
    assert not {name for name in _imports(path) if _under(name, API_LAYER)}


@pytest.mark.parametrize(
    "path", _sources("engines/**/*.py"), ids=lambda path: str(path.relative_to(ROOT))
)
def test_engines_import_only_the_pure_libraries_of_dreams(path):
    pure = ("dreams.sigils", "dreams.emotion", "dreams.text")
    dreams = {name for name in _imports(path) if _under(name, ("dreams",))}
    assert {name for name in dreams if not _under(name, pure)} == set()


@pytest.mark.parametrize(
    "path",
    _sources("dreams/sigils/*.py", "dreams/emotion.py", "dreams/text.py"),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_the_pure_libraries_import_no_django(path):
    assert not {name for name in _imports(path) if _under(name, ("django", "rest_framework"))}


@pytest.mark.parametrize(
    "path", _sources("dreams/selectors/*.py"), ids=lambda path: str(path.relative_to(ROOT))
)
def test_selectors_never_call_services(path):
    assert not {name for name in _imports(path) if _under(name, ("dreams.services",))}
