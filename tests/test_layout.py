"""The house rules of dal_tf's layout (docs/design.md): commands at the top, subpackages by
subject below them, imports running one way, nothing below the commands reading FLAGS, and
library files of a few hundred lines at most."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "dal_tf"
COMMANDS = {"train", "evaluate", "export", "match", "identities", "calibrate", "score_identities"}
# Lowest first: a subpackage may import its own modules and those of lower ranks, never higher.
RANKS = {"utils": 0, "config": 1, "neighbours": 1, "datasets": 2, "networks": 2, "tracking": 3, "association": 3,
         "runs": 4, "deploy": 5, "evaluation": 6, "training": 7, "people": 7}
MAX_LINES = 300


def library_modules(root=PACKAGE):
    return sorted(p for p in root.rglob("*.py") if p.parent != root)


def dal_tf_imports(path: pathlib.Path) -> set[str]:
    """The first component under dal_tf of every dal_tf module that path imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dal_tf":
            names = node.module.split(".")[1:2] or [alias.name for alias in node.names]
            found.update(names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("dal_tf."))
    return found


def test_the_top_level_holds_only_the_commands():
    assert {p.stem for p in PACKAGE.glob("*.py")} == COMMANDS | {"__init__"}
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(RANKS)


def upward_imports(root=PACKAGE) -> list[str]:
    upward = []
    for path in library_modules(root):
        package = path.relative_to(root).parts[0]
        for target in sorted(dal_tf_imports(path) - {package, "__version__"}):
            if target in COMMANDS or RANKS[target] >= RANKS[package]:
                upward.append(f"{path.relative_to(root)} imports dal_tf.{target}")
    return upward


def test_imports_run_one_way():
    assert not upward_imports(), upward_imports()


def test_nothing_below_the_commands_reads_flags():
    # config/command_line.py is the commands' shared part: it defines their flags and runs their main().
    readers = [str(p.relative_to(PACKAGE)) for p in library_modules()
               if p.name != "command_line.py" and "FLAGS" in {getattr(n, "attr", getattr(n, "id", None))
                                                                for n in ast.walk(ast.parse(p.read_text()))}]
    assert not readers, readers


def test_library_files_are_a_few_hundred_lines_at_most():
    long = {str(p.relative_to(PACKAGE)): n for p in library_modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_an_upward_import_is_caught(tmp_path):
    (tmp_path / "networks").mkdir()
    (tmp_path / "networks" / "upward.py").write_text(
        "from dal_tf.training import loop\nfrom dal_tf import evaluate\nimport dal_tf.utils.errors\n")
    assert upward_imports(tmp_path) == ["networks/upward.py imports dal_tf.evaluate",
                                        "networks/upward.py imports dal_tf.training"]
