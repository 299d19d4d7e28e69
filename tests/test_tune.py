"""Hyperparameter search (n2n_lib.tune): the report's table, failed trials, a real Ray cluster reached by address."""

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from n2n_lib.errors import InputError
from n2n_lib.result_files import ResultMissing
from n2n_lib.results import TuningTable
from n2n_lib.tune import LR_RANGE, MOMENTUM_RANGE, TABLE_COLUMNS, SearchConfig, describe_search_space, run_search
from n2n_lib.tune_results import compare_with_report

RAY = Path(sys.executable).with_name("ray")  # the venv's ray command


def _trials(rows: list[tuple]) -> pd.DataFrame:
    """A hand-made `SearchResult.trials`: rows of (status, loss, activation, BN, lr, momentum, time, epochs)."""
    cols = ["status", "loss", "activation", "BN", "learning rate", "momentum", "time (s)", "epochs"]
    return pd.DataFrame(rows, columns=cols)


def test_search_space_is_the_reports():
    assert describe_search_space() == [
        "activation: one of ['leaky_relu', 'relu']",
        "batch_norm: one of [False, True]",
        "lr: log-uniform in [0.0001, 0.1]",
        "momentum: uniform in [0.1, 0.9]",
    ]


def test_conclusions_follow_the_numbers():
    # ReLU clearly better, BN 1.5× slower and worse, high lr + low momentum as good as low lr + high momentum
    trials = _trials(
        [
            ("ok", 0.010, "ReLU", "off", 0.05, 0.2, 10.0, 2),
            ("ok", 0.011, "ReLU", "on", 0.002, 0.8, 15.0, 2),
            ("ok", 0.020, "LeakyReLU", "off", 0.03, 0.3, 10.0, 2),
            ("stopped early", 0.030, "LeakyReLU", "on", 0.0005, 0.7, 7.5, 1),
            ("failed", math.nan, "LeakyReLU", "off", 0.09, 0.2, 0.0, 0),
        ]
    )
    verdicts = compare_with_report(trials)["verdict"].tolist()
    assert verdicts == ["does not confirm", "confirms", "confirms"]
    ours = compare_with_report(trials)["ours"].tolist()
    assert "1.50× the time per epoch" in ours[1]

    # ReLU no better; BN faster and better; high lr + low momentum much worse
    trials = _trials(
        [
            ("ok", 0.020, "ReLU", "off", 0.05, 0.2, 10.0, 1),
            ("ok", 0.021, "ReLU", "off", 0.06, 0.3, 10.0, 1),
            ("ok", 0.010, "LeakyReLU", "on", 0.002, 0.8, 5.0, 1),
            ("ok", 0.012, "LeakyReLU", "on", 0.001, 0.6, 5.0, 1),
        ]
    )
    assert compare_with_report(trials)["verdict"].tolist() == ["confirms", "does not confirm", "does not confirm"]

    # too few completed trials on one side: no verdict
    one_relu = trials.iloc[[0, 2, 3]]
    assert compare_with_report(one_relu)["verdict"].tolist()[0] == "inconclusive at this budget"


def test_table_file_writes_failed_and_reads_back(tmp_path):
    table = _trials(
        [("ok", 0.0123, "ReLU", "on", 0.01, 0.5, 3.2, 2), ("failed", math.nan, "ReLU", "off", 5.0, 0.9, 0.0, 0)]
    )
    path = TuningTable(table[TABLE_COLUMNS]).write(tmp_path)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(TABLE_COLUMNS)  # exactly the report's columns
    assert lines[2].startswith("failed,ReLU,off,5,0.9")
    back = TuningTable.read(tmp_path).table
    assert math.isnan(back["loss"][1]) and back["loss"][0] == pytest.approx(0.0123)
    with pytest.raises(ResultMissing, match="notebook 04"):
        TuningTable.read(tmp_path / "missing")


def test_bad_settings_and_missing_data_are_refused(tmp_path):
    with pytest.raises(InputError, match="num_samples"):
        run_search(tmp_path, SearchConfig(num_samples=0))
    with pytest.raises(InputError, match="gpus_per_trial"):
        run_search(tmp_path, SearchConfig(gpus_per_trial=-1))
    with pytest.raises(InputError, match="not prepared"):
        run_search(tmp_path / "nowhere", SearchConfig())


@pytest.fixture(scope="class")
def local_ray():
    """One local Ray with 2 CPUs for a class of tests (starting it costs about 10 s)."""
    from n2n_lib.tune import connect, shutdown

    info = connect(num_cpus=2)
    assert info["mode"] == "local" and info["cpus"] == 2
    yield info
    shutdown()


@pytest.mark.slow
@pytest.mark.usefixtures("local_ray")
class TestLocalSearch:
    """Two tiny searches on one local Ray."""

    def test_tiny_search_gives_the_reports_table(self, tiny_data_dir, tmp_path):
        home_results = Path.home() / "ray_results"
        had_home_results = home_results.exists()
        config = SearchConfig(num_samples=3, epochs=2, max_batches=2, asha=False, storage=str(tmp_path / "runs"))
        result = run_search(tiny_data_dir, config)

        table = result.table()
        assert list(table.columns) == TABLE_COLUMNS
        assert len(table) == 3 and (result.trials["status"] == "ok").all()
        assert table["loss"].is_monotonic_increasing and table["loss"].between(0, 0.5).all()
        assert table["learning rate"].between(*LR_RANGE).all() and table["momentum"].between(*MOMENTUM_RANGE).all()
        assert set(table["activation"]) <= {"LeakyReLU", "ReLU"} and set(table["BN"]) <= {"on", "off"}
        assert (table["time (s)"] > 0).all()
        # every trial reported validation loss and PSNR after each of its 2 epochs; the table keeps the best loss
        assert len(result.curves) == 6 and result.curves["psnr"].between(5, 40).all()
        best = result.curves.groupby("trial")["loss"].min()
        assert result.trials.set_index("trial")["loss"].to_dict() == pytest.approx(best.to_dict())
        # results go where asked, never to ~/ray_results
        assert any((tmp_path / "runs").rglob("result.json"))
        assert home_results.exists() == had_home_results

    def test_failing_trials_are_recorded_and_the_search_completes(self, tiny_data_dir, tmp_path):
        diverging = {"activation": "leaky_relu", "batch_norm": False, "lr": 1000.0, "momentum": 0.9}
        raising = {"activation": "relu", "batch_norm": True, "lr": 0.01, "momentum": 1.5}  # SGD refuses momentum ≥ 1
        config = SearchConfig(
            num_samples=3,
            epochs=1,
            max_batches=2,
            storage=str(tmp_path / "runs"),
            points_to_evaluate=[diverging, raising],
        )
        result = run_search(tiny_data_dir, config)

        trials = result.trials.set_index("learning rate")
        assert trials.loc[1000.0, "status"] == "failed" and "diverged" in trials.loc[1000.0, "error"]
        assert trials.loc[0.01, "status"] == "failed" and "momentum" in trials.loc[0.01, "error"]
        assert (result.trials["status"] == "ok").sum() == 1  # the third, sampled trial ran to its end
        table = result.table()
        assert table["loss"].iloc[0] > 0 and table["loss"].iloc[1:].isna().all()  # failed trials sort last
        csv = TuningTable(table).write(tmp_path).read_text()
        assert csv.count("\nfailed,") == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_head(head: subprocess.Popen) -> list:
    """Kill the `ray start --block` process and every process under it (ours only, by pid); returns survivors."""
    import psutil

    try:
        procs = [psutil.Process(head.pid), *psutil.Process(head.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)  # a throwaway cluster: no need for Ray's 30 s drain
    head.wait(timeout=30)
    _, alive = psutil.wait_procs(procs, timeout=30)
    return alive


@pytest.mark.slow
def test_search_runs_on_a_ray_cluster_reached_by_address(tiny_data_dir, tmp_path, monkeypatch):
    import ray

    from n2n_lib.tune import connect, shutdown

    if ray.is_initialized():
        ray.shutdown()
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="n2n-ray-", dir="/tmp"))  # short: Ray's socket paths must stay < 107 chars
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    log = (tmp_path / "head.log").open("w")
    head = subprocess.Popen(
        [RAY, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false", f"--dashboard-agent-listen-port={_free_port()}", f"--temp-dir={temp}",
         "--disable-usage-stats"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in (tmp_path / "head.log").read_text():
            assert head.poll() is None, f"ray start failed:\n{(tmp_path / 'head.log').read_text()[-2000:]}"
            assert time.monotonic() < deadline, "ray start did not finish within 120 s"
            time.sleep(0.5)

        monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")  # what the README tells cluster users to set
        info = connect()
        assert info == {"mode": "cluster", "address": f"127.0.0.1:{port}", "nodes": 1, "cpus": 2.0, "gpus": 0.0}
        config = SearchConfig(num_samples=2, epochs=1, max_batches=2, storage=str(tmp_path / "runs"))
        result = run_search(tiny_data_dir, config)
        shutdown()
        assert (result.trials["status"] == "ok").all() and len(result.table()) == 2
        assert any((temp / "session_latest" / "logs").glob("worker-*"))  # the trials ran in the cluster's workers
    finally:
        shutdown()
        log.close()
        survivors = _stop_head(head)
        shutil.rmtree(temp, ignore_errors=True)
    assert not survivors, f"Ray processes left running: {survivors}"
