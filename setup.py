"""Package discovery for the one import package ``dataknobs_data``, whose root is this folder.

``pyproject.toml`` holds everything else. setuptools' own discovery cannot prefix the
folders it finds with ``dataknobs_data.``, so every folder with an ``__init__.py`` becomes
a subpackage here: a new ``adapters/<name>/`` is in the wheel without being listed.
"""

from setuptools import find_packages, setup

_NOT_SHIPPED = ["tests", "tests.*", "benchmarks", "benchmarks.*", "examples", "examples.*",
                "build", "build.*", "docs", "docs.*"]

setup(packages=["dataknobs_data",
                *(f"dataknobs_data.{name}" for name in find_packages(exclude=_NOT_SHIPPED))])
