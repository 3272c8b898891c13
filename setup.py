"""The build step pyproject.toml cannot express: ship the default themes and word lists.

`themes/`, `policies/wordlists/`, `.github/` and `requirements/` stay at the top of the
repository, where a school (and this repository's own content and CI) edits and uses them;
the wheel carries a copy of each inside the package, at `pipeline/default_files/`, where `pipeline.defaults` finds them when wxpub runs
outside this checkout. Everything else about the build is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
SHIPPED = ("themes", "policies/wordlists", ".github", "requirements")  # repository folders copied as they are
TARGET = Path("pipeline", "default_files")  # must match pipeline/defaults.py


class BuildWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        for folder in SHIPPED:
            source = HERE / folder
            target = Path(self.build_lib, TARGET, folder)
            if target.exists():
                shutil.rmtree(target)
            # the files Git would commit: no editor backups or caches
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*~", ".*"))


setup(cmdclass={"build_py": BuildWithDefaults})
