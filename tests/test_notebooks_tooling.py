"""The notebook tooling (n2n_lib.lab.notebooks) and the skeleton every committed notebook must follow.

The real notebooks are executed by nbval (``pytest notebooks/``); here they are only read, and the runner is exercised
on a three-cell notebook written in the test.
"""

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from n2n_lib.lab import notebooks as tooling
from n2n_lib.lab.notebooks import clean_metadata, main, notebook_paths, refresh, run_all
from n2n_lib.paths import checkpoints_dir, figures_dir, project_root, results_dir

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOKS = notebook_paths()
RUN_KEYS = ("execution", "papermill", "ExecuteTime")  # per-cell records of one particular run


def _tiny_notebook(path: Path) -> Path:
    """Imports, a parameters cell, the validation cell, and a cell that prints: the skeleton in miniature."""
    nb = new_notebook(
        cells=[
            new_code_cell("from n2n_lib.params import check_int, check_profile"),
            new_code_cell('PROFILE = "quick"  # run profile\nSIZE = 3  # a count', metadata={"tags": ["parameters"]}),
            new_code_cell('check_profile(PROFILE)\ncheck_int("SIZE", SIZE, minimum=1)'),
            new_code_cell('print(f"{PROFILE}:{SIZE * 2}")'),
        ]
    )
    nb.metadata.update(KERNEL_METADATA)
    nbformat.write(nb, path)
    return path


KERNEL_METADATA = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_notebook_paths_are_the_numbered_notebooks_in_reading_order(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("10_last.ipynb", "02_second.ipynb", "01_first.ipynb", "scratch.ipynb", "3_unpadded.ipynb", "01_x.py"):
        (folder / name).write_text("{}")
    monkeypatch.setattr(tooling, "project_root", lambda: tmp_path)
    assert [p.name for p in notebook_paths()] == ["01_first.ipynb", "02_second.ipynb", "10_last.ipynb"]


def test_the_lab_starts_with_the_data_and_architecture_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert names[:2] == ["01_data_preparation.ipynb", "02_architecture.ipynb"]
    numbers = [int(name[:2]) for name in names]
    assert numbers == sorted(set(numbers)), f"notebook numbers must be unique: {names}"


def test_clean_metadata_strips_run_records_and_keeps_content():
    nb = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]}), new_markdown_cell("# Title")])
    nb.metadata.update(
        kernelspec={"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        language_info={"name": "python", "version": "3.11.7"},
        papermill={"duration": 12.5, "start_time": "2026-01-01T00:00:00"},
        widgets={"application/vnd.jupyter.widget-state+json": {}},
    )
    code = nb.cells[0]
    code.metadata.update(
        execution={"iopub.execute_input": "2026-01-01T00:00:00Z"},
        papermill={"duration": 0.1, "status": "completed"},
        ExecuteTime={"end_time": "2026-01-01T00:00:01"},
    )
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]

    clean_metadata(nb)

    assert "papermill" not in nb.metadata and "widgets" not in nb.metadata
    assert nb.metadata.language_info == {"name": "python"}
    assert nb.metadata.kernelspec.name == "python3"
    assert dict(code.metadata) == {"tags": ["parameters"]}
    assert code.outputs[0].text == "1\n" and code.source == "x = 1"
    nbformat.validate(nb)


def test_cli_refuses_a_bad_profile_or_a_missing_notebook_before_running_anything(tmp_path, capsys):
    assert main(["run", "--profile", "fast", "--out", str(tmp_path)]) == 2
    assert "PROFILE='fast'" in capsys.readouterr().err
    assert main(["refresh", str(tmp_path / "99_missing.ipynb")]) == 2
    assert "99_missing.ipynb does not exist" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("not a notebook")
    assert main(["run", str(tmp_path / "notes.txt")]) == 2
    assert "is not a notebook" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [tmp_path / "notes.txt"]  # nothing was executed or written


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_follows_the_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.kernelspec.language == "python"
    assert "version" not in nb.metadata.get("language_info", {}), "refresh strips the Python version"
    assert not {"papermill", "widgets"} & set(nb.metadata), "committed notebooks carry no run records"

    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(rf"# {path.name[:2]} · \S", first.source), first.source[:40]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert "## Summary" in headings and "## Exercises" in headings

    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not set(RUN_KEYS) & set(cell.metadata), f"run metadata left in cell: {cell.source[:60]!r}"
        assert "injected-parameters" not in cell.metadata.get("tags", []), "a papermill output was committed"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"committed with an error: {errors[0].ename if errors else ''} in {cell.source[:60]!r}"
    assert all(c.execution_count is not None for c in code), "refresh the notebook: some cells were never run"
    for cell in code:  # nbval markers are tags; trained numbers are never compared digit by digit
        tags = set(cell.metadata.get("tags", []))
        assert "NBVAL_" not in cell.source, f"an nbval comment marker instead of a tag: {cell.source[:60]!r}"
        assert len(tags & {"nbval-check-output", "nbval-ignore-output", "nbval-skip"}) <= 1
        if re.search(r"\b(fit|run_search|run_baselines)\(", cell.source):
            assert "nbval-check-output" not in tags, f"a cell that trains is compared: {cell.source[:60]!r}"
        if re.search(r"^expect\(|\n\s*expect\(", cell.source):
            assert "nbval-check-output" in tags, f"a band check that nbval does not compare: {cell.source[:60]!r}"

    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"exactly one cell must be tagged 'parameters', found {len(tagged)}"
    params = code[tagged[0]].source
    assignments = ast.parse(params).body
    assert assignments and all(isinstance(s, ast.Assign) and len(s.targets) == 1 for s in assignments)
    tokens = tokenize.generate_tokens(io.StringIO(params).readline)
    commented = {t.start[0] for t in tokens if t.type == tokenize.COMMENT}  # line numbers with a comment
    values = {}
    for statement in assignments:
        name = statement.targets[0].id
        assert name.isupper(), f"parameter {name} must be UPPER_CASE"
        values[name] = ast.literal_eval(statement.value)  # plain values, not calls
        assert statement.lineno in commented, f"parameter {name} needs a trailing comment (papermill shows it)"
    assert values.get("PROFILE") == "quick"
    assert "check_profile(PROFILE)" in code[tagged[0] + 1].source, "the cell after parameters validates them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_lists_every_parameter_with_its_comment(path):
    import papermill

    inferred = papermill.inspect_notebook(str(path))
    assert "PROFILE" in inferred
    for name, info in inferred.items():
        assert info["help"].strip(), f"papermill --help-notebook shows no help for {name}"


@pytest.mark.slow
def test_bad_parameter_stops_in_the_validation_cell(tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(_tiny_notebook(tmp_path / "tiny.ipynb")),
            str(out),
            parameters={"PROFILE": "fast"},
            kernel_name="python3",
            cwd=str(tmp_path),
            progress_bar=False,
        )
    assert caught.value.ename == "InputError"
    assert "PROFILE='fast' is not allowed; use one of 'quick', 'full'" in caught.value.evalue
    executed = [c for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(executed) if any(o.output_type == "error" for o in c.outputs)]
    assert [executed[i].source.splitlines()[0] for i in failed] == ["check_profile(PROFILE)"]
    assert executed[-1].execution_count is None, "nothing after the validation cell ran"


@pytest.mark.slow
def test_run_and_refresh_execute_a_notebook(tmp_path):
    tiny = _tiny_notebook(tmp_path / "01_tiny.ipynb")
    nb = nbformat.read(tiny, as_version=4)
    nb.metadata["papermill"] = {"duration": 1.0}
    nb.cells[3].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    nbformat.write(nb, tiny)

    (copy,) = run_all("full", out_dir=tmp_path / "runs", parameters={"SIZE": 5}, paths=[tiny])
    assert _stdout(nbformat.read(copy, as_version=4).cells[-1]) == "full:10\n"  # PROFILE and SIZE were injected

    refresh([tiny])  # in place, default parameters
    refreshed = nbformat.read(tiny, as_version=4)
    assert _stdout(refreshed.cells[-1]) == "quick:6\n"
    assert "papermill" not in refreshed.metadata
    assert all(not set(RUN_KEYS) & set(c.metadata) for c in refreshed.cells)
    assert refreshed.metadata.kernelspec.name == "python3"


def test_refresh_keeps_finished_progress_bars_not_empty_widgets(tmp_path):
    path = tmp_path / "01_bar.ipynb"
    lines = ["from tqdm.auto import tqdm", "bar = tqdm(range(3), desc='epochs')", "for _ in bar:"]
    code = "\n".join([*lines, "    bar.set_postfix(loss=0.5)"])
    nbformat.write(new_notebook(cells=[new_code_cell(code)], metadata=KERNEL_METADATA), path)
    refresh([path])
    (output,) = nbformat.read(path, as_version=4).cells[0].outputs
    assert list(output["data"]) == ["text/plain"]  # no widget left to render without its (stripped) state
    text = output["data"]["text/plain"]
    assert re.fullmatch(r"epochs: 100%\|█{10}\| 3/3 \[.*loss=0\.5\]", text), text


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_committed_notebooks_show_no_empty_progress_bars(path):
    """A tqdm bar saved before it finished reads "0%" forever in JupyterLab; refresh freezes bars at their end."""
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "")
            assert not re.search(r"\s0%\|", text), f"{path.name} cell {number}: an empty progress bar: {text!r}"


def test_test_session_writes_into_a_scratch_root_not_the_checkout():
    scratch = project_root()
    assert os.environ["N2N_LAB_ROOT"] and scratch != ROOT  # set by conftest.py for every test and notebook kernel
    assert (scratch / "data" / "eval").resolve() == (ROOT / "data" / "eval").resolve()  # committed inputs are linked
    assert (scratch / "checkpoints" / "n2n_gaussian.pt").is_file()
    assert results_dir() == scratch / "results" and figures_dir() == scratch / "figures"


def test_n2n_lab_root_overrides_the_project_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("N2N_LAB_ROOT", str(tmp_path))
    assert project_root() == tmp_path.resolve() and checkpoints_dir() == tmp_path.resolve() / "checkpoints"
    monkeypatch.delenv("N2N_LAB_ROOT")
    assert project_root(ROOT / "notebooks") == ROOT  # without it: the folder holding pyproject.toml and n2n_lib/


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_full_profile_passes_the_validation_cell(path, tmp_path):
    """`make run PROFILE=full` must not stop at the first cell: run every code cell up to and including the validation
    cell with PROFILE = "full" (the long training after it is for a GPU, not for the test suite)."""
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    tagged = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    cells = [c.source for c in code[: tagged + 2]]
    cells[tagged] += '\nPROFILE = "full"'  # what papermill's injected-parameters cell does
    script = tmp_path / "head.py"
    script.write_text("\n\n".join(cells) + '\nprint("validated", PROFILE)\n')
    done = subprocess.run([sys.executable, str(script)], cwd=path.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.rstrip().endswith("validated full")


MARKDOWN_WORDS = 5500  # all notebooks' prose: 9,208 words before the clean-up, 5,382 after; keep it short


def _markdown(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


def test_prose_stays_short_and_asides_stay_folded():
    words = {path.stem: sum(len(text.split()) for text in _markdown(path)) for path in notebook_paths()}
    assert sum(words.values()) <= MARKDOWN_WORDS, f"markdown words per notebook: {words}"
    for path in notebook_paths():
        notes = [text for text in _markdown(path) if "<summary>Under the hood" in text]
        assert notes, f"{path.name}: engineering asides belong in a collapsed 'Under the hood' note"
        for text in notes:  # a <details> block that is never closed swallows the rest of the notebook
            assert text.count("<details>") == text.count("</details>") == text.count("<summary>"), text[:80]
