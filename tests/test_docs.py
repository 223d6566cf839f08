"""The README and the documentation pages hold together: every relative link reaches a file and,
where it names one, a heading; every `python -m` they show names a module that exists; and the
version the package, the commands and the changelog give is pyproject.toml's."""

import importlib.util
import os
import re
import tomllib

import pytest
from conftest import REPO, run_module

import dal_tf

PAGES = ["README.md", "CHANGELOG.md"] + [os.path.join("docs", name) for name in sorted(os.listdir(
    os.path.join(REPO, "docs"))) if name.endswith(".md")]
LINK = re.compile(r"\]\(([^)\s]+)\)")
MODULE = re.compile(r"python -m ([A-Za-z_][\w.]*)")


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: str) -> set[str]:
    with open(path) as handle:
        text = re.sub(r"```.*?```", "", handle.read(), flags=re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def broken_links(page: str, root: str = REPO) -> list[str]:
    with open(os.path.join(root, page)) as handle:
        text = prose(handle.read())
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(root, os.path.dirname(page), path)) if path else \
            os.path.join(root, page)
        if not os.path.exists(resolved) or (anchor and anchor not in anchors(resolved)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    assert not broken_links(page), broken_links(page)


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Its part\n")
    (tmp_path / "README.md").write_text("[ok](docs/a.md#its-part) [no file](docs/b.md) [no part](docs/a.md#other) "
                                        "`[code](x.md)` [web](https://example.org)\n")
    assert broken_links("README.md", str(tmp_path)) == ["docs/b.md", "docs/a.md#other"]


@pytest.mark.parametrize("page", PAGES)
def test_every_python_m_names_a_module_that_exists(page):
    with open(os.path.join(REPO, page)) as handle:
        modules = set(MODULE.findall(handle.read()))
    missing = sorted(m for m in modules if m.split(".")[0] in ("dal_tf", "data_prep", "experiments")
                     and importlib.util.find_spec(m) is None)
    assert not missing, missing


def test_the_version_is_pyprojects():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    assert dal_tf.__version__ == version
    with open(os.path.join(REPO, "CHANGELOG.md")) as handle:
        assert f"\n## {version} " in handle.read()


@pytest.mark.slow
@pytest.mark.parametrize("module", ["dal_tf.export", "data_prep.prepare"])
def test_version_flag_needs_no_other_flag(module):
    result = run_module(module, ["--version"])
    assert result.returncode == 0 and result.stdout.strip() == f"{module} (dal_tf) {dal_tf.__version__}", result
