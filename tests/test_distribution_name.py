"""The distribution is `dbinit-schema`: the name `dbinit` on the public package
index belongs to an unrelated project, so no shipped file may install it.

The command and the import package stay `dbinit`. Every shipped text file
(`git ls-files`) is scanned for install lines: `pip install`, `uv add`,
`poetry add`, `pipx install`, requirements files, `additional_dependencies`,
pyproject dependency lists, and requirement specs such as `NAME[extra]`,
`NAME>=1`, `NAME @ URL` anywhere in the text. No document names a release tag:
none exists yet.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml

import dbinit
from tests.conftest import REPO

DIST = "dbinit-schema"
BARE = "dbinit"  # someone else's distribution on the package index
THIS_FILE = Path(__file__).resolve().relative_to(REPO).as_posix()

_INSTALLERS = re.compile(
    r"\b(?:pip3?\s+install|pip\s+download|uv\s+pip\s+install|uv\s+add|poetry\s+add|pipx\s+install)\b(.*)"
)
_REQUIREMENT = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:@\s*\S+|[<>=!~]=?\s*[\w.*]+.*|;.*)?"
)
_EXTRAS = "|".join(("fastapi", "postgres", "test", "bench"))
_SPECS = [
    # NAME[extras] anywhere (a requirement table, a comment, a message)
    re.compile(rf"(?<![\w./-]){BARE}\s*\[\s*(?:{_EXTRAS})[^\]]*\]", re.IGNORECASE),
    # NAME>=1.0, NAME==0.1.0, NAME~=0.1
    re.compile(rf"(?<![\w./-]){BARE}\s*(?:==|>=|<=|~=|!=)\s*\d", re.IGNORECASE),
    # NAME @ git+https://…, NAME @ file://…
    re.compile(rf"(?<![\w./-]){BARE}\s*@\s*(?:git\+|https?:|file:)", re.IGNORECASE),
    # a requirements table whose first cell is the bare name: | `NAME` | a SQLite database |
    re.compile(rf"^\s*\|\s*`{BARE}`\s*\|"),
]
_TAGS = [
    re.compile(r"@v\d+\.\d+(?:\.\d+)?\b"),  # git+https://…@v0.1.0
    re.compile(r"^\s*rev:\s*['\"]?v?\d+\.\d+", re.MULTILINE),  # pre-commit rev: v0.1.0
    re.compile(r"YOUR-ORG", re.IGNORECASE),  # a placeholder URL made to look real
]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names_bare(requirement: str) -> bool:
    """`requirement` (one pip argument or requirements line) installs `dbinit`."""
    text = requirement.strip().strip("'\"")
    if not text or text.startswith(("-", "#", ".", "/", "~")) or "://" in text.split("@")[0]:
        return False
    match = _REQUIREMENT.fullmatch(text)
    return bool(match) and _normal(match.group(1)) == BARE


def problems_in(path: str, text: str) -> list[str]:
    """Every place in one file that would install (or document installing) `dbinit`."""
    found: list[str] = []
    name = Path(path).name
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{path}:{number}: {line.strip()[:120]}"
        command = _INSTALLERS.search(line)
        if command:
            try:
                words = shlex.split(command.group(1), comments=True)
            except ValueError:
                words = command.group(1).split()
            for word in words:
                if word in ("&&", "||", ";", "|"):
                    break
                if _names_bare(word.rstrip(");`")):
                    found.append(where)
        if any(spec.search(line) for spec in _SPECS):
            found.append(where)
        if re.fullmatch(r".*requirements.*\.(?:txt|in)", name) and _names_bare(line.split("#")[0]):
            found.append(where)
        if re.search(r"\badditional_dependencies\b", line):
            listed = line.split(":", 1)[1].strip()
            listed = listed[1:-1] if listed.startswith("[") and listed.endswith("]") else listed
            items = re.split(r",(?![^\[]*\])", listed)
            if any(_names_bare(item) for item in items):
                found.append(where)
    if name == "pyproject.toml":
        project = tomllib.loads(text).get("project", {})
        lists = [
            project.get("dependencies", []),
            *project.get("optional-dependencies", {}).values(),
        ]
        for requirement in (r for deps in lists for r in deps):
            if _names_bare(requirement):
                found.append(f"{path}: [project] dependency {requirement!r}")
    if name.endswith((".yaml", ".yml")):
        for hook_deps in _yaml_values(text, "additional_dependencies"):
            for requirement in hook_deps if isinstance(hook_deps, list) else []:
                if isinstance(requirement, str) and _names_bare(requirement):
                    found.append(f"{path}: additional_dependencies {requirement!r}")
    return list(dict.fromkeys(found))


def _yaml_values(text: str, key: str) -> list[object]:
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    out: list[object] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key:
                    out.append(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for doc in docs:
        walk(doc)
    return out


def shipped_text_files() -> list[tuple[str, str]]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    out = []
    for path in sorted(p for p in listed.split("\0") if p and p != THIS_FILE):
        try:
            out.append((path, (REPO / path).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
    return out


@pytest.mark.parametrize(
    "line",
    [
        f"pip install {BARE}",
        f'pip install "{BARE}[postgres]"',
        f"python -m pip install -U {BARE}>=0.1",
        f"uv add {BARE}[fastapi]",
        f"poetry add {BARE}",
        f"pipx install {BARE}",
        f"INSTALL_HINT = \"pip install '{BARE}[postgres]'\"",
        f"| `{BARE}[fastapi]` | the FastAPI helpers |",
        f"  {BARE}[fastapi,postgres] @ git+https://example.org/x.git",
        f"        additional_dependencies: [{BARE}]",
        f"| `{BARE}` | a SQLite database |",
    ],
)
def test_the_scanner_catches_the_bare_name(line: str) -> None:
    assert problems_in("docs/x.md", line), line


@pytest.mark.parametrize(
    "line",
    [
        "pip install -e '.[test]'",
        f"pip install {DIST}",
        f'pip install "{DIST}[postgres]"',
        f"pip install ./dist/{DIST.replace('-', '_')}-0.2.0-py3-none-any.whl",
        f"pip install /path/to/{BARE}",
        f"{BARE} init && {BARE} validate",
        f"from {BARE}.fastapi import ready_lifespan",
        f"uv add {DIST}[fastapi]",
    ],
)
def test_the_scanner_accepts_the_new_name_and_commands(line: str) -> None:
    assert problems_in("docs/x.md", line) == []


def test_requirements_files_and_pyproject_are_scanned() -> None:
    assert problems_in("app/requirements.txt", f"{BARE}\nuvicorn\n")
    assert problems_in("app/requirements-dev.txt", f"{BARE} ; python_version>'3'\n")
    assert not problems_in("app/requirements.txt", f"{DIST}\n")
    pyproject = f'[project]\nname = "app"\ndependencies = ["{BARE}"]\n'
    assert problems_in("pyproject.toml", pyproject)
    hooks = (
        f"repos:\n- repo: local\n  hooks:\n  - id: x\n    additional_dependencies:\n    - {BARE}\n"
    )
    assert problems_in(".pre-commit-config.yaml", hooks)


def test_no_shipped_file_installs_the_bare_name() -> None:
    files = shipped_text_files()
    assert len(files) > 50  # the scan sees the repository
    problems = [p for path, text in files for p in problems_in(path, text)]
    assert problems == [], "\n".join(problems)


def test_no_shipped_file_names_a_release_tag_or_a_placeholder_url() -> None:
    problems = [
        f"{path}: {m.group(0)!r}"
        for path, text in shipped_text_files()
        for tag in _TAGS
        for m in tag.finditer(text)
    ]
    assert problems == [], "\n".join(problems)


def test_the_distribution_name_and_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == DIST
    assert project["version"] == "0.2.0"
    assert dbinit.__version__ == "0.2.0"
    assert metadata.version(DIST) == dbinit.__version__  # as installed (pip install -e .)
    scripts = project["scripts"]
    assert scripts == {"dbinit": "dbinit.entry:main"}  # the command keeps its name


def test_the_pre_commit_hook_installs_this_repository() -> None:
    """`language: python` installs the hook's own repository: no extra dependency
    may pull the other project's `dbinit` in."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        assert hook["language"] == "python"
        for requirement in hook.get("additional_dependencies", []):
            assert not _names_bare(requirement), requirement
