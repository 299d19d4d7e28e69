# n2n-lab: `make run` runs the lab on the embedded data, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= quick

.PHONY: setup run report notebooks test lint format clean

setup: $(STAMP)

# Reinstall only when the requirements or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# The main job: every notebook, in order, headless (executed copies in runs/$(PROFILE)/). PROFILE=full for GPU budgets.
# Notebook 03 trains Noise2Noise on the embedded pairs and prints its PSNR on data/eval; the report sums it all up.
run: setup
	$(PY) -m n2n_lib.notebooks run --profile $(PROFILE)
	$(PY) -m n2n_lib.report --profile $(PROFILE)

# The HTML lab report (runs/$(PROFILE)/lab_report.html) from what the executed notebooks wrote.
report: setup
	$(PY) -m n2n_lib.report --profile $(PROFILE)

# Re-execute the committed notebooks in place (quick profile) after changing them or the library they call.
notebooks: setup
	$(PY) -m n2n_lib.notebooks refresh

test: setup lint
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf runs .pytest_cache .ruff_cache data/embedded
