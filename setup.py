"""Package discovery for the one import package ``dataknobs_data``, whose root is this folder.

``pyproject.toml`` holds everything else. setuptools' own discovery cannot prefix the
folders it finds with ``dataknobs_data.``, so every folder with an ``__init__.py`` becomes
a subpackage here: a new ``adapters/<name>/`` is in the wheel without being listed. This
file itself lies in the package's folder and is left out of it.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

_NOT_SHIPPED = ["tests", "tests.*", "benchmarks", "benchmarks.*", "examples", "examples.*",
                "build", "build.*", "docs", "docs.*"]


class _BuildPy(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        found = super().find_package_modules(package, package_dir)
        return [m for m in found if (m[0], m[1]) != ("dataknobs_data", "setup")]


setup(packages=["dataknobs_data",
                *(f"dataknobs_data.{name}" for name in find_packages(exclude=_NOT_SHIPPED))],
      cmdclass={"build_py": _BuildPy})
