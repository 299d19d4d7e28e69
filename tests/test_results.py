"""The results contract (n2n_lib.results): one dataclass per file in results/, written and read through it."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from n2n_lib.errors import InputError
from n2n_lib.evaluate import evaluate_set, noisy_eval_set
from n2n_lib.result_files import ResultMissing
from n2n_lib.results import (
    ALL,
    Baselines,
    DataSummary,
    Evaluation,
    NoiseTypeResult,
    NoiseTypes,
    PretrainedEval,
    Training,
    TuningTable,
    TwinEvaluation,
)

COMMITTED = Path(__file__).resolve().parents[1] / "results"


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.FILE)
def test_committed_results_read_back_and_write_the_same_bytes(cls, tmp_path):
    """The readers accept what the notebooks wrote before the contract, and the writers keep the format to the byte."""
    result = cls.read(COMMITTED)
    assert result.write(tmp_path).read_bytes() == (COMMITTED / cls.FILE).read_bytes()


def test_every_file_in_results_has_a_dataclass():
    committed = {path.name for path in COMMITTED.iterdir() if path.suffix in (".json", ".csv")}
    assert committed == {cls.FILE for cls in ALL}


def test_csv_columns_are_the_producers_columns():
    from n2n_lib import baselines, tune

    assert list(Baselines.COLUMNS) == list(baselines.COLUMNS)
    assert list(TuningTable.COLUMNS) == tune.TABLE_COLUMNS


def test_evaluate_set_output_is_an_evaluation_with_ssim(tmp_path):
    """What notebooks 03 and 05 pass on (`Evaluation(**evaluate_folder(...))`), SSIM keys included."""
    images = {name: torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for name in ("a", "b")}
    scores = evaluate_set(lambda noisy: noisy.clamp(0, 1), noisy_eval_set(images, "gaussian:25", seed=0))
    twin = TwinEvaluation(checkpoint="checkpoints/n2c_gaussian.pt", **scores)
    pretrained = PretrainedEval(
        checkpoint="checkpoints/n2n_gaussian.pt", noise="gaussian:25", seed=0, **scores, twin=twin
    )
    back = PretrainedEval.read(pretrained.write(tmp_path).parent)
    assert back == pretrained and back.mean_ssim == scores["mean_ssim"] and back.twin.mean_psnr == scores["mean_psnr"]
    assert Evaluation(**scores).mean_noisy_ssim == scores["mean_noisy_ssim"]


def test_optional_keys_are_left_out_when_none(tmp_path):
    """Pairs without clean patches (an EPFL folder) have no train_* statistics: the keys are absent, not null."""
    summary = DataSummary(
        source="epfl:data/epfl",
        noise=None,
        noise_label=None,
        seed=0,
        folder="data/epfl",
        n_train=1000,
        n_val=100,
        patch_shape=[3, 32, 32],
        dtype="uint8",
        files_mb={"train_data.pkl": 6.1},
        sigma_from_pairs=24.9,
        val_mean=0.3,
        val_sigma=24.8,
        val_noisy_psnr_db=20.3,
    )
    written = json.loads(summary.write(tmp_path).read_text())
    assert written["noise"] is None and "train_a_mean" not in written
    assert DataSummary.read(tmp_path) == summary


def test_failed_trials_are_written_as_failed_and_read_back_as_nan(tmp_path):
    table = pd.DataFrame(
        [[0.0125297, "LeakyReLU", "off", 0.0100327, 0.661589, 12.3732], [math.nan, "ReLU", "on", 0.0912, 0.2, 1.5]],
        columns=list(TuningTable.COLUMNS),
    )
    path = TuningTable(table).write(tmp_path)
    assert path.read_text().splitlines()[2].startswith("failed,ReLU,on,")
    back = TuningTable.read(tmp_path)
    assert math.isnan(back.table["loss"][1]) and back.rows()[1]["loss"] == "failed"


def test_missing_file_names_the_notebook_to_run(tmp_path):
    with pytest.raises(
        ResultMissing, match=r"training\.json does not exist: notebook 03 has not been run.*03_training"
    ):
        Training.read(tmp_path)
    assert Training.read_if_present(tmp_path) is None


def test_a_renamed_key_fails_loudly_naming_file_key_and_fix(tmp_path):
    data = json.loads((COMMITTED / "training.json").read_text())
    data["evaluation"]["N2N"]["mean_psnr_db"] = data["evaluation"]["N2N"].pop("mean_psnr")
    (tmp_path / "training.json").write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        Training.read_if_present(tmp_path)  # a file that exists but does not match is never skipped
    message = str(error.value)
    assert "training.json" in message and "'evaluation.N2N.mean_psnr' is missing" in message
    assert "'evaluation.N2N.mean_psnr_db' found instead: renamed?" in message
    assert "run notebook 03 (notebooks/03_training.ipynb" in message


def test_an_unexpected_key_or_a_wrong_type_fails(tmp_path):
    data = json.loads((COMMITTED / "noise_types.json").read_text())
    data["gaussian"]["gain"] = 6.25
    (tmp_path / "noise_types.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"unexpected key\(s\) 'gaussian\.gain'.*notebook 05"):
        NoiseTypes.read(tmp_path)
    data["gaussian"].pop("gain")
    data["gaussian"]["psnr"] = "26.64"
    (tmp_path / "noise_types.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"gaussian\.psnr holds str '26\.64', not int or float"):
        NoiseTypes.read(tmp_path)
    (tmp_path / "noise_types.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        NoiseTypes.read(tmp_path)


def test_a_wrong_value_is_refused_when_written_and_nothing_is_written(tmp_path):
    entry = NoiseTypeResult(spec="gaussian:25", label="Gaussian σ=25", loss="l2", noisy_psnr=20.39, psnr=np.int64(26))
    with pytest.raises(InputError, match=r"NoiseTypes cannot be written.*gaussian\.psnr holds int64"):
        NoiseTypes(kinds={"gaussian": entry}).write(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_renamed_or_non_numeric_column_fails_loudly(tmp_path):
    text = (COMMITTED / "baselines.csv").read_text(encoding="utf-8")
    (tmp_path / "baselines.csv").write_text(text.replace("method,PSNR,", "method,psnr_db,"), encoding="utf-8")
    with pytest.raises(InputError, match=r"baselines\.csv.*missing \['PSNR'\], unexpected \['psnr_db'\].*notebook 05"):
        Baselines.read(tmp_path)
    (tmp_path / "baselines.csv").write_text(text.replace("CBM3D,32.21", "CBM3D,n/a"), encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'PSNR' holds str values, not float"):
        Baselines.read(tmp_path)
    table = Baselines.read(COMMITTED).table.rename(columns={"SSIM": "ssim"})
    with pytest.raises(InputError, match=r"Baselines cannot be written.*missing \['SSIM'\]"):
        Baselines(table).write(tmp_path)
