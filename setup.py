"""The part of the build that pyproject.toml cannot say: the repository's top-level
``templates/`` ships inside the wheel as ``dreamsite/templates`` (a data-only package),
where ``dreamsite.settings`` finds it when the site runs from an installed wheel."""

from setuptools import find_packages, setup

PACKAGES = ["dreamsite", "dreams", "engines", "setup_wizard"]

setup(
    packages=[
        *find_packages(include=[f"{name}*" for name in PACKAGES]),
        "dreamsite.templates",
    ],
    package_dir={"dreamsite.templates": "templates"},
)
