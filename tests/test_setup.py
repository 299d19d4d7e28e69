"""Set-up files agree with each other: environment.yml, requirements.txt, pyproject.toml, README, Makefile, CI."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _requirements() -> dict[str, str]:
    reqs = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?(.*)", line).groups()
            reqs[name.lower()] = spec.strip()
    return reqs


def test_every_requirement_has_a_lower_bound_a_real_user_can_install():
    reqs = _requirements()
    assert {"torch", "torchvision", "jupyterlab", "papermill", "nbval", "ray", "hyperopt", "bm3d"} <= set(reqs)
    for name, spec in reqs.items():
        assert spec.startswith(">="), f"{name} should have a >= lower bound, not {spec!r}"
        assert "==" not in spec, f"{name} is pinned; use a range"


def test_environment_yml_installs_requirements_txt_on_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    # nothing but python and pip comes from conda, so requirements.txt is the one list of packages
    assert sorted(conda) == ["pip", "python=3.11"]
    assert "-r requirements.txt" in pip


def test_pyproject_dependencies_agree_with_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = _requirements()
    for dep in project["dependencies"]:
        name, spec = re.match(r"([A-Za-z0-9_.\-]+)(.*)", dep).groups()
        assert reqs.get(name.lower()) == spec.strip(), f"{name}: pyproject {spec!r} vs requirements {reqs.get(name)!r}"


def test_readme_starts_with_the_two_commands_and_ci_runs_make_test():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.S).group(1).split()
    assert first_block[:4] == ["make", "run", "make", "test"]
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: setup", makefile, re.M) and re.search(r"^test: setup", makefile, re.M)
