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
from n2n_lib.tune_results import _scores, compare_with_report, denoising_trials, matched_pairs

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


NOISY_LOSS = 0.0078  # the noisy validation patches' MSE (21.1 dB)
FAST = [(0.02, 0.3), (0.05, 0.2), (0.01, 0.4)]  # high lr, low momentum
SLOW = [(0.002857, 0.9), (0.0025, 0.96), (0.002, 0.88)]  # low lr, high momentum: the same lr / (1 - momentum)


def _search(psnr_of, anchors=FAST + SLOW, time_of=lambda t: 10.0, stop=None):
    """Trials at every anchor × activation × BN (PSNR from `psnr_of(trial)`), and their curves: 3 epochs each, the
    PSNR rising by 0.1 dB per epoch to the trial's best; `stop` maps a trial number to the epochs it ran."""
    rows, curves = [], []
    for lr, momentum in anchors:
        for activation in ("ReLU", "LeakyReLU"):
            for bn in ("off", "on"):
                trial = {"trial": len(rows), "activation": activation, "BN": bn, "learning rate": lr}
                trial |= {"momentum": momentum, "status": "ok", "epochs": 3}
                if stop and trial["trial"] in stop:
                    trial |= {"status": "stopped early", "epochs": stop[trial["trial"]]}
                best = psnr_of(trial)
                curve = [best - 0.1 * (3 - epoch) for epoch in range(1, trial["epochs"] + 1)]
                curves += [{"trial": trial["trial"], "epoch": e, "psnr": p} for e, p in enumerate(curve, start=1)]
                trial |= {"psnr": max(curve), "loss": 10 ** (-max(curve) / 10), "time (s)": time_of(trial)}
                rows.append(trial)
    return pd.DataFrame(rows), pd.DataFrame(curves)


def _jitter(trial) -> float:
    return [0.03, -0.02, 0.01, -0.04, 0.02, 0.0, -0.01][trial["trial"] % 7]  # seed-like scatter, ±0.04 dB


def test_conclusions_follow_matched_trials():
    # ReLU 0.5 dB better; BN 0.3 dB worse and 1.5× slower; the two lr/momentum regimes equally good
    def psnr_of(t):
        return 22.0 + 0.5 * (t["activation"] == "ReLU") - 0.3 * (t["BN"] == "on") + _jitter(t)

    trials, curves = _search(psnr_of, time_of=lambda t: 15.0 if t["BN"] == "on" else 10.0)
    table = compare_with_report(trials, curves, NOISY_LOSS)
    assert table["verdict"].tolist() == ["does not confirm", "confirms", "confirms"]
    assert "ReLU is better by 0.50 dB" in table["ours"][0] and "matched trials" in table["ours"][0]
    assert table["ours"][1].startswith("1.50× the time per epoch; BN on")
    assert "indistinguishable at this budget" in table["ours"][2]

    # the opposite numbers flip each verdict: LeakyReLU better, BN faster and better, low lr + high momentum better
    def psnr_of(t):
        slow = t["momentum"] >= 0.5
        return 22.0 - 0.5 * (t["activation"] == "ReLU") + 0.3 * (t["BN"] == "on") + 0.4 * slow + _jitter(t)

    trials, curves = _search(psnr_of)
    table = compare_with_report(trials, curves, NOISY_LOSS)
    assert table["verdict"].tolist() == ["confirms", "does not confirm", "does not confirm"]


def test_no_verdict_when_most_trials_do_not_denoise():
    trials, curves = _search(lambda t: 21.5 if t["trial"] < 11 else 20.0)  # 11 of 24 trials beat 21.1 dB
    table = compare_with_report(trials, curves, NOISY_LOSS)
    assert table["verdict"].tolist() == ["inconclusive at this budget"] * 3
    assert table["ours"][0].startswith("11 of 24 trials beat the noisy input (loss 0.0078); a verdict needs half")
    assert len(denoising_trials(trials, NOISY_LOSS)) == 11


def test_confounded_settings_give_no_verdict():
    # every ReLU trial at a high learning rate, every LeakyReLU one at a low rate: nothing to match
    trials, curves = _search(lambda t: 22.0 + _jitter(t))
    keep = (trials["activation"] == "ReLU") == (trials["learning rate"] >= 0.01)
    table = compare_with_report(trials[keep], curves, NOISY_LOSS)
    assert table["verdict"][0] == "inconclusive at this budget"
    assert table["ours"][0].startswith("0 matched pair(s) of ReLU and LeakyReLU trials")


def test_pairs_are_one_to_one_and_compared_over_the_epochs_both_ran():
    trials, curves = _search(lambda t: 22.0 + _jitter(t), anchors=FAST, stop={0: 1, 2: 1, 4: 1})
    relu, leaky = trials[trials["activation"] == "ReLU"], trials[trials["activation"] == "LeakyReLU"]
    pairs = matched_pairs(relu, leaky, claim=1)
    assert len(pairs) == 6 and len({i for i, _ in pairs}) == len({j for _, j in pairs}) == 6
    assert all(trials.at[i, "BN"] == trials.at[j, "BN"] for i, j in pairs)  # the claim's other setting is held equal
    a, b = _scores(trials, curves, pairs)
    first = pairs.index((0, 2))  # trial 0 ran one epoch, so its partner is scored on its first epoch as well
    assert b[first] == pytest.approx(22.0 + _jitter({"trial": 2}) - 0.2)


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
    from n2n_lib.ray_cluster import connect, shutdown

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

    from n2n_lib.ray_cluster import connect, shutdown

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
