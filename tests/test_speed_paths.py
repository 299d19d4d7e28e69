"""The speed settings of training and inference change how fast, never what: precision choice, threads, the cached
inference copy and the `Trainer.step` that `fit` and the throughput benchmark share."""

import os

import pytest
import torch

from n2n_lib.checkpoint import load_model
from n2n_lib.errors import InputError
from n2n_lib.hardware import available_cpus, configure_cpu_threads, native_bf16_cpu, use_bf16
from n2n_lib.inference import denoise
from n2n_lib.metrics import psnr
from n2n_lib.model import UNetConfig
from n2n_lib.pairs import load_pairs
from n2n_lib.train import TrainConfig, Trainer

CPU = torch.device("cpu")


def test_precision_choice_follows_the_hardware():
    assert use_bf16("bf16", CPU) and not use_bf16("fp32", CPU)
    assert use_bf16("auto", CPU) == native_bf16_cpu()  # emulated bf16 is slower than fp32: keep fp32 there
    assert use_bf16("auto", torch.device("cuda")) and not use_bf16("fp32", torch.device("cuda"))
    assert not use_bf16("auto", torch.device("mps"))


def test_thread_count_is_capped_at_the_cores_this_process_may_use(monkeypatch):
    n = available_cpus()
    assert 1 <= n <= (os.cpu_count() or 1)
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        torch.set_num_threads(n + 3)  # what torch picks on a container that shows the host's cores
        assert configure_cpu_threads() == n == torch.get_num_threads()
        monkeypatch.setenv("OMP_NUM_THREADS", str(n + 3))  # an explicit user choice is kept
        torch.set_num_threads(n + 3)
        assert configure_cpu_threads() == n + 3
    finally:
        torch.set_num_threads(before)


def test_compile_flag_must_be_a_boolean():
    with pytest.raises(InputError, match="compile"):
        TrainConfig(compile="yes").validate()


def test_trainer_step_learns_a_fixed_batch(tiny_data_dir):
    data = load_pairs(tiny_data_dir)
    trainer = Trainer(data, UNetConfig.preset("small"), TrainConfig(epochs=1, batch_size=16, lr=2e-3, device="cpu"))
    idx = trainer.epoch_order()[0]  # (16,) sample indices on the device
    assert idx.shape == (16,) and trainer.epoch_order().shape == (trainer.steps, 16)
    first = trainer.step(idx, 0.0)
    assert first.dim() == 0 and first.requires_grad is False
    losses = [trainer.step(idx, 0.0).item() for _ in range(15)]
    assert losses[-1] < first.item()  # noisy targets change every call, so compare ends, not every step


@pytest.fixture(scope="module")
def model_and_image(tiny_checkpoint):
    model, _ = load_model(tiny_checkpoint)
    noisy = torch.rand(3, 40, 56, generator=torch.Generator().manual_seed(0))
    return model, noisy


def test_fp32_denoise_is_exactly_the_model_and_leaves_it_untouched(model_and_image):
    model, noisy = model_and_image
    out = denoise(model, noisy, precision="fp32")
    with torch.no_grad():
        direct = model(noisy[None]).clamp(0, 1)[0]
    assert out.shape == noisy.shape and torch.equal(out, direct)
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_bf16_denoise_is_close_to_fp32(model_and_image):
    model, noisy = model_and_image
    fp32, bf16 = denoise(model, noisy, precision="fp32"), denoise(model, noisy, precision="bf16")
    assert not torch.equal(fp32, bf16)  # really computed in bf16
    assert psnr(bf16, fp32).item() > 40  # differences far below what an eye or the PSNR tables notice
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the model itself was not converted


def test_cached_inference_copy_follows_weight_changes(model_and_image):
    model, noisy = model_and_image
    before = denoise(model, noisy, precision="bf16")
    assert torch.equal(before, denoise(model, noisy, precision="bf16"))  # same weights: same cached copy
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        with torch.no_grad():
            last = [p for p in model.parameters() if p.dim() == 4][-1]
            last.mul_(0.5)  # an in-place update, as an optimizer step makes
        assert not torch.equal(before, denoise(model, noisy, precision="bf16"))
    finally:
        model.load_state_dict(saved)
    assert torch.equal(before, denoise(model, noisy, precision="bf16"))


def test_unknown_precision_is_refused(model_and_image):
    model, noisy = model_and_image
    with pytest.raises(InputError, match="precision 'fp16'.*auto, fp32, bf16"):
        denoise(model, noisy, precision="fp16")
