# n2n-lab: `make run` runs the lab on the embedded data, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= quick

.PHONY: setup run report notebooks test test-numerics photos pretrained lint format clean

setup: $(STAMP)

# Reinstall only when the requirements or the package metadata change.
# -qq: pip prints errors only; each step prints one line of its own.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || { echo "setup: creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "setup: upgrading pip"; $(PY) -m pip install -qq --upgrade pip
	@echo "setup: installing requirements.txt into $(VENV) (about 2 minutes the first time)"
	@$(PY) -m pip install -qq -r requirements.txt
	@echo "setup: installing n2n_lib (editable)"; $(PY) -m pip install -qq --no-deps -e .
	@touch $(STAMP)

# The main job: every notebook, in order, headless (executed copies in runs/$(PROFILE)/). PROFILE=full for GPU budgets.
# Notebook 03 trains Noise2Noise on the embedded pairs and prints its PSNR on data/eval; the report sums it all up.
run: setup
	$(PY) -m n2n_lib.lab.notebooks run --profile $(PROFILE)
	$(PY) -m n2n_lib.lab.report --profile $(PROFILE)

# The HTML lab report (runs/$(PROFILE)/lab_report.html) from what the executed notebooks wrote.
report: setup
	$(PY) -m n2n_lib.lab.report --profile $(PROFILE)

# Re-execute the committed notebooks in place (quick profile) after changing them or the library they call, then
# rewrite README's reproduction table from the results they wrote (and results/full/, a kept full-profile run).
notebooks: setup
	$(PY) -m n2n_lib.lab.notebooks refresh
	$(PY) -m n2n_lib.lab.report.readme

test: setup lint
	$(PY) -m pytest

# The notebooks under nbval once per numerics configuration a student's CPU may have, each on one thread (so it also
# differs from make test's two): bf16 as here; fp32; bf16 without AMX (AVX512-BF16 only, like AMD EPYC); an AVX2-only
# CPU (fp32, as precision "auto" picks there). Every trained number must stay inside its band (n2n_lib/lab/expected.py)
# in each. 15-25 minutes per configuration on a 2-core Xeon; N2N_LAB_EXPECT_LOG=FILE collects the numbers.
NUMERICS := "" "N2N_LAB_PRECISION=fp32" "ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16" \
	"ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 N2N_LAB_PRECISION=fp32"
test-numerics: setup
	@for config in $(NUMERICS); do echo "test-numerics: OMP_NUM_THREADS=1 $$config"; \
		env OMP_NUM_THREADS=1 $$config $(PY) -m pytest notebooks -q -p no:cacheprovider || exit 1; done

# The offline training-photo collection (data/README.md) and the shipped models trained on it (checkpoints/README.md).
photos: setup
	@test -f data/photos/manifest.csv || $(PY) -m n2n_lib.lab.photo_collection --out data/photos

# Every shipped model, one after the other (hours on a CPU); rerunning resumes where a stopped run left off.
PRETRAINED = n2n_gaussian n2c_gaussian n2n_poisson n2n_bernoulli n2n_impulse n2n_text
pretrained: photos
	@for name in $(PRETRAINED); do \
		$(PY) -m n2n_lib.lab.pretrained train $$name && $(PY) -m n2n_lib.lab.pretrained ship $$name || exit 1; done

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf runs .pytest_cache .ruff_cache data/embedded
