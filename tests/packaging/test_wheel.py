"""The package a user installs: build the wheel, install it into a fresh venv, use it from outside the tree.

The editable install of `make run` and `make test` finds modules through the source folders, so it cannot
show a module or a data file that the wheel leaves out; this test can. It builds the wheel once per session
(pip, with the project's own build backend), installs it with its dependencies into a new virtualenv, and
runs everything from a temporary folder where no source file is importable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
#: The import package of each top-level source folder (pyproject.toml's package-dir).
FOLDERS = {"newswire": "newswire", "schemas": "newswire.schemas", "producers": "newswire.producers",
           "processors": "newswire.processors", "gateway": "newswire.gateway"}


def source_modules() -> list[str]:
    """Every module of the source tree, by the name it is imported as once installed."""
    names = []
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if "__pycache__" in parts or any(p.startswith(".") for p in parts):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and parts[0] in FOLDERS and folder == "newswire":
                continue  # a folder mapped to its own package is listed under that package
            names.append(".".join((package, *parts)))
    return names


def source_data_files() -> list[str]:
    """Every non-Python file the packages carry at run time, as its path inside the wheel."""
    wanted = []
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*")):
            rel = path.relative_to(ROOT / folder)
            if (path.is_dir() or path.suffix in (".py", ".pyc", ".so", ".c") or "__pycache__" in rel.parts
                    or rel.parts[0] == "standards" or (folder == "newswire" and rel.parts[0] in FOLDERS)):
                continue
            wanted.append("/".join((*package.split("."), *rel.parts)))
    return wanted


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the tree without build leftovers (setuptools would reuse a stale
    build/ folder and hide a package the configuration leaves out)."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.so", ".newswire", ".*_cache"))
    # as the Docker image does: the C write loop required (CI machines have gcc), so a break in it fails here
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(source)],
                           check=True, timeout=TIMEOUT * 20, cwd=out, capture_output=True, text=True,
                           env={**os.environ, "NEWSWIRE_BUILD_EXTENSION": "yes"})
    (out / "build.log").write_text(built.stdout + built.stderr)
    (built,) = out.glob("newswire-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin folder of a new virtualenv with the wheel and its dependencies installed."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, timeout=TIMEOUT * 40, cwd=env_dir)
    yield env_dir / "bin"


def _run(bin_dir: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / argv[0]), *argv[1:]], capture_output=True, text=True,
                          timeout=TIMEOUT * 4, cwd=cwd, check=False)


def test_the_build_declares_everything_it_packages(wheel: Path) -> None:
    """setuptools has nothing to warn about: no data folder taken for an undeclared package, no deprecated field."""
    log = (wheel.parent / "build.log").read_text()
    assert "BuildBackendWarning" not in log and "SetuptoolsDeprecationWarning" not in log, [
        line for line in log.splitlines() if "Warning" in line]


def test_the_wheel_holds_every_module_and_data_file(wheel: Path) -> None:
    """Each module of the source tree and each data file (schemas, pages, the Kafka pom) is in the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {n[:-3].replace("/", ".").removesuffix(".__init__") for n in names if n.endswith(".py")}
    assert sorted(set(source_modules()) - modules) == []
    assert sorted(set(source_data_files()) - names) == []


def test_every_command_answers_help_from_outside_the_tree(installed: Path, tmp_path: Path) -> None:
    """`newswire --help` and each command's --help work from the installed package alone."""
    top = _run(installed, "newswire", "--help", cwd=tmp_path)
    assert top.returncode == 0, top.stderr
    commands = ["up", "publish", "watch", "ingest", "processor", "gateway", "broker", "tail", "topics"]
    assert all(name in top.stdout for name in commands)
    for name in commands:
        answer = _run(installed, "newswire", name, "--help", cwd=tmp_path)
        assert answer.returncode == 0 and "usage: newswire" in answer.stdout, (name, answer.stderr)
    broker = _run(installed, "newswire", "broker", "--help", cwd=tmp_path)
    assert "Apache Kafka 4." in broker.stdout  # read from the packaged pom.xml


def test_every_module_imports_from_the_installed_package(installed: Path, tmp_path: Path) -> None:
    """Each module imports from site-packages (not from the source tree), and the packaged data is readable."""
    script = ("import importlib, importlib.resources as r, sys\n"
              f"for name in {source_modules()!r}:\n"
              "    module = importlib.import_module(name)\n"
              "    assert 'site-packages' in (module.__file__ or ''), (name, module.__file__)\n"
              "assert r.files('newswire.kafka').joinpath('pom.xml').is_file()\n"
              "assert r.files('newswire.gateway').joinpath('static/index.html').is_file()\n"
              "from newswire.gateway.fanout import NATIVE\n"
              "assert NATIVE, 'the C write loop built with NEWSWIRE_BUILD_EXTENSION=yes does not load'\n")
    done = _run(installed, "python", "-c", script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
