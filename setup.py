"""The part of the build that pyproject.toml cannot say: the repository's top-level
``templates/`` ships inside the wheel as ``dreamsite/templates`` (a data-only package),
where ``dreamsite.settings`` finds it when the site runs from an installed wheel."""

from setuptools import find_namespace_packages, find_packages, setup

PACKAGES = ["dreamsite", "dreams", "engines", "setup_wizard"]
# Folders of templates and static files, listed as the (data-only) packages setuptools
# takes them for, so that it ships them without warning that they are left out.
DATA_PACKAGES = [
    "dreamsite.templates",
    *(f"dreamsite.templates.{name}" for name in find_namespace_packages(where="templates")),
    *find_namespace_packages(include=["dreams.static", "dreams.static.*"]),
]

setup(
    packages=[*find_packages(include=[f"{name}*" for name in PACKAGES]), *DATA_PACKAGES],
    package_dir={"dreamsite.templates": "templates"},
)
