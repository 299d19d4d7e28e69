"""Cross-references between the notebooks: every "notebook NN" names a notebook that exists, and a sentence saying
notebook NN reads, uses, compares or trains something names what that notebook's cells really mention."""

import re
from pathlib import Path

import nbformat
import pytest

from n2n_lib.lab.notebooks import notebook_paths

NOTEBOOKS = {path.name[:2]: path for path in notebook_paths()}
NUMBERS = r"\d\d(?:(?:, | and |–|-| or )\d\d)*"
REFERENCE = re.compile(rf"\b[Nn]otebooks? ({NUMBERS})")
CLAIM = re.compile(rf"\b[Nn]otebooks? ({NUMBERS})(?:'s)? (?:reads?|uses?|compares?|trains?)\b")
NAME = re.compile(r"`([A-Za-z_][\w./]*)`")  # a backticked identifier or path


def _numbers(text: str) -> list[str]:
    """ "03-05" → 03, 04, 05; "04 and 05" → 04, 05."""
    out = []
    for part in re.split(r", | and | or ", text):
        ends = re.split(r"–|-", part)
        out += [f"{n:02d}" for n in range(int(ends[0]), int(ends[-1]) + 1)]
    return out


def _sentences(path) -> list[str]:
    """Markdown sentences and code comments of a notebook, one line each."""
    out = []
    for cell in nbformat.read(path, as_version=4).cells:
        text = cell.source if cell.cell_type == "markdown" else "\n".join(re.findall(r"#(.*)", cell.source))
        out += re.split(r"(?<=[.:;])\s+", " ".join(text.split()))
    return out


def _source(number: str) -> str:
    return "\n".join(cell.source for cell in nbformat.read(NOTEBOOKS[number], as_version=4).cells)


@pytest.mark.parametrize("path", list(NOTEBOOKS.values()), ids=list(NOTEBOOKS))
def test_every_notebook_reference_names_a_notebook_that_exists(path):
    for sentence in _sentences(path):
        for found in REFERENCE.findall(sentence):
            missing = [n for n in _numbers(found) if n not in NOTEBOOKS]
            assert not missing, f"{path.name}: {sentence!r} refers to notebook(s) {missing}, which do not exist"


@pytest.mark.parametrize("path", list(NOTEBOOKS.values()), ids=list(NOTEBOOKS))
def test_what_a_notebook_is_said_to_read_or_use_appears_in_it(path):
    for sentence in _sentences(path):
        for found in CLAIM.findall(sentence):
            for number in _numbers(found):
                source = _source(number)
                for name in NAME.findall(sentence):
                    token = name.rstrip("/").split("/")[-1]
                    assert token in source, f"{path.name}: {sentence!r}, but notebook {number} never mentions {token}"


def test_the_checks_catch_a_wrong_reference():
    wrong = "`default_loss` pairs them with L0 and L1 (notebook 04 compares them)."
    [found] = CLAIM.findall(wrong)
    assert _numbers(found) == ["04"] and "default_loss" not in _source("04")
    assert _numbers("03-05") == ["03", "04", "05"] and _numbers("04 and 05") == ["04", "05"]


REPO = Path(__file__).resolve().parents[1]  # the checkout (the tests' project_root is a scratch folder)


def _readme_modules(folder: str) -> set[str]:
    """The backticked module names in README's "What is where" row of `folder` (e.g. "n2n_lib/")."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith(f"| `{folder}` |")]
    return set(re.findall(r"`(\w+)`", row.split("|")[2]))


@pytest.mark.parametrize("package", ["n2n_lib", "n2n_lib/lab"])
def test_readme_lists_exactly_the_modules_of_each_package(package):
    """Every module of the package is named in its README row, and every name there is a module (or a module of one of
    its sub-packages, which the row may list too)."""
    folder = REPO / package
    modules = {p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")}
    subpackages = {p for p in folder.iterdir() if (p / "__init__.py").is_file() and p.name != "lab"}
    modules |= {p.name for p in subpackages}  # n2n_lib/lab has a README row of its own
    inner = {m.stem for p in subpackages for m in p.glob("*.py") if m.stem not in ("__init__", "__main__")}
    listed = _readme_modules(f"{package}/")
    assert modules <= listed, f"README's {package}/ row misses {sorted(modules - listed)}"
    unknown = listed - modules - inner
    assert not unknown, f"README's {package}/ row names what is not there: {sorted(unknown)}"
