"""Fine-tune mode on the CPU: the whole network trains, resumes at the exact step, and runs under
torchrun with DistributedDataParallel (2 processes, gloo) giving the single-process loss curve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from trainer.config import FitConfig  # noqa: E402
from trainer.data import UnlabeledPhotos, eval_transform  # noqa: E402
from trainer.finetune import fit_finetune  # noqa: E402

from ..conftest import REPO, WEIGHTS, require  # noqa: E402

TINY = dict(mode="finetune", bits=16, epochs=2, batch_size=8, image_size=64)


def photos(folder):
    return UnlabeledPhotos.from_folder(folder, eval_transform(64))


def test_backbone_trains_and_an_interrupted_run_resumes_at_the_same_step(tmp_path, photos_dir):
    weights = require(WEIGHTS)
    config = FitConfig(method="baseline", **TINY)
    whole = fit_finetune(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "a")
    assert not whole.cancelled and len(whole.losses) == 2
    from trainer.backbones import Backbone

    before = Backbone("mobilenet_v2", weights).state_dict()
    after = whole.backbone.state_dict()
    changed = [k for k in before if k.endswith("weight") and not torch.equal(before[k], after[k].cpu())]
    assert changed, "fine-tuning must change the backbone's weights"
    assert all(torch.equal(before[k], after[k].cpu()) for k in before if "running_" in k), "BatchNorm stays frozen"

    def interrupt(event):
        if event.get("event") == "step" and event["epoch"] == 1 and event["step"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    part = fit_finetune(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", progress=interrupt)
    assert part.cancelled and (tmp_path / "b" / "checkpoint.pt").exists()
    events = []
    rest = fit_finetune(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", progress=events.append)
    assert {"event": "resumed", "epoch": 0, "step": 2} in events
    assert rest.losses == pytest.approx(whole.losses, rel=1e-4)


def _train(args: list[str], launcher: list[str], tmp_path, name: str) -> list[dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    out = tmp_path / f"{name}.onnx"
    proc = subprocess.run(
        [*launcher, "-m", "photohash_cli", "train", *args, "--work-dir", str(tmp_path / name), "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_torchrun_with_two_processes_matches_one_process(tmp_path, photos_dir):
    """Same global batches (each rank a contiguous share), same seeded views, features gathered
    across ranks: the per-step losses must agree up to floating-point summation order."""
    args = ["--mode", "finetune", "--method", "wch", "--bits", "16", "--images", str(photos_dir), "--weights",
            str(require(WEIGHTS)), "--epochs", "2", "--batch-size", "8", "--image-size", "64", "--workers", "0",
            "--device", "cpu", "--progress", "json"]
    single = _train(args, [sys.executable], tmp_path, "single")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    double = _train(args, torchrun, tmp_path, "ddp")

    def curve(events):
        return [e["loss"] for e in events if e["event"] == "step"]

    assert len(curve(single)) == len(curve(double)) == 2 * (24 // 8)
    assert curve(double) == pytest.approx(curve(single), rel=2e-3, abs=2e-3)
    assert curve(single)[-1] != curve(single)[0]
    done = [e for e in double if e["event"] == "done"]
    assert len(done) == 1, "rank 0 alone reports and exports"
    assert done[0]["parity_bit_agreement"] >= 0.999 and (tmp_path / "ddp.onnx").exists()
