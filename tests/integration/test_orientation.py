"""Which way up (trainer.orientation): the pooling, the confidence rule, and a head learned on real photos
that exports as the model's ``turn`` output with the engine and torch agreeing."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the trainer needs the [train] extra")

from engine.model import HashModel  # noqa: E402
from trainer.backbones import Backbone  # noqa: E402
from trainer.data import UnlabeledPhotos, eval_transform  # noqa: E402
from trainer.export import HashEncoder, export_onnx, model_info, with_upright  # noqa: E402
from trainer.methods import METHODS  # noqa: E402
from trainer.orientation import choose_confidence, fit_upright, pool_matrix  # noqa: E402

from ..conftest import SHARED, require  # noqa: E402

WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"


@pytest.mark.parametrize("side", [7, 14, 4])
def test_pool_matrix_is_adaptive_average_pooling(side):
    tokens = torch.randn(2, side * side, 5)
    grid = tokens.transpose(1, 2).reshape(2, 5, side, side)
    expected = torch.nn.functional.adaptive_avg_pool2d(grid, 3).flatten(2).transpose(1, 2)
    assert torch.allclose(pool_matrix(side) @ tokens, expected, atol=1e-6)


def test_confidence_is_the_lowest_that_turns_few_upright_photos():
    # 100 photos at 4 turns. Upright images: 97 are sure they are upright, 3 wrongly say "turn 1" with
    # softmax 0.70, 0.80 and 0.90. Turned images: right with softmax 0.6 (half of them) or 0.95.
    turns = np.tile(np.arange(4), 100)
    probs = np.zeros((400, 4))
    for i, k in enumerate(turns):
        probs[i, k] = 0.95 if k == 0 or i % 8 >= 4 else 0.6
        probs[i, (k + 1) % 4] = 1 - probs[i, k]
    for i, sure in zip((0, 4, 8), (0.7, 0.8, 0.9)):
        probs[i] = [1 - sure, sure, 0, 0]
    confidence, measured = choose_confidence(probs, turns)
    # 0.70 would turn 3 % of upright images, 0.71 turns 2 % (at most MAX_WRONGLY_TURNED)
    assert confidence == pytest.approx(0.71)
    assert measured["upright_turned"] == 0.02 and measured["turned_righted"] == 0.5
    assert measured["photos"] == 100 and measured["accuracy"] == pytest.approx(397 / 400, abs=1e-4)


def test_learned_head_exports_as_the_turn_output(tmp_path, photos_dir, monkeypatch):
    from PIL import Image

    from trainer import orientation

    monkeypatch.setattr(orientation, "MIN_PHOTOS", 20)  # 24 photos stand for a library of thousands
    monkeypatch.setattr(orientation, "MAX_PHOTOS", 22)  # a big library is sampled
    backbone = Backbone("mobilenet_v2", require(WEIGHTS)).eval()
    info = model_info("baseline", "mobilenet_v2", 16, "test", resize="squash")
    paths = [str(p) for p in sorted(photos_dir.iterdir())]
    events = []
    upright = fit_upright(UnlabeledPhotos(paths, eval_transform()), backbone, info, device=torch.device("cpu"),
                          work_dir=tmp_path, progress=events.append)
    assert len(paths) > 22 and events[-1]["event"] == "upright" and events[-1]["done"] == events[-1]["total"] == 22
    assert 0.5 <= upright.confidence <= 0.99 and upright.skipped == []
    assert set(upright.held_out) == {"photos", "accuracy", "upright_turned", "turned_righted"}
    assert upright.held_out["photos"] == round(22 * 0.2)

    torch.manual_seed(0)
    encoder = HashEncoder(backbone, METHODS["baseline"](dim=backbone.dim, bits=16), upright.head)
    info = with_upright(info, upright.confidence)
    sample = [Image.open(p).convert("RGB") for p in paths[:8]]
    parity = export_onnx(encoder, info, tmp_path / "turns.onnx", sample)
    assert parity.bit_agreement >= 0.999 and parity.turn_agreement == 1.0
    model = HashModel.load(tmp_path / "turns.onnx")
    assert model.info.upright_confidence == upright.confidence and model.info.format_version == 2

    # the engine's verdicts are the head's: an image it is sure is turned is encoded turned back
    pixels = np.stack([np.asarray(img.resize((224, 224), Image.BILINEAR, reducing_gap=None)) for img in sample])
    pixels = np.concatenate([pixels, np.rot90(pixels, 1, axes=(1, 2)), np.rot90(pixels, 2, axes=(1, 2))])
    raw, probs, _ = model.outputs(pixels)
    sure = (probs.argmax(axis=1) != 0) & (probs.max(axis=1) >= upright.confidence)
    turned_back = np.stack([np.rot90(p, -k, axes=(0, 1)) for p, k in zip(pixels, probs.argmax(axis=1))])
    expected = np.where(sure[:, None], model.outputs(np.ascontiguousarray(turned_back))[0], raw)
    assert sure.any()  # the check below compares something
    assert np.array_equal(model.encode_raw(pixels), expected)


def test_too_few_readable_photos_learn_nothing(tmp_path, photos_dir, monkeypatch):
    from trainer import orientation

    monkeypatch.setattr(orientation, "MIN_PHOTOS", 20)
    backbone = Backbone("mobilenet_v2", require(WEIGHTS)).eval()
    info = model_info("baseline", "mobilenet_v2", 16, "test", resize="squash")
    good = [str(p) for p in sorted(photos_dir.iterdir())]
    assert fit_upright(UnlabeledPhotos(good[:19], eval_transform()), backbone, info, device=torch.device("cpu"),
                       work_dir=tmp_path) is None  # too few listed: nothing is read
    broken = []
    for k in range(3):
        broken.append(tmp_path / f"broken-{k}.jpg")
        broken[-1].write_bytes(b"not a photo")
    listed = good[:18] + [str(b) for b in broken]
    assert fit_upright(UnlabeledPhotos(listed, eval_transform()), backbone, info, device=torch.device("cpu"),
                       work_dir=tmp_path) is None  # 21 listed, 18 readable


def test_a_head_that_turns_too_many_upright_photos_gets_no_confidence():
    turns = np.tile(np.arange(4), 100)
    probs = np.full((400, 4), 0.0)
    probs[np.arange(400), (turns + 1) % 4] = 1.0  # always sure, always wrong
    confidence, measured = choose_confidence(probs, turns)
    assert confidence is None and measured["upright_turned"] == 1.0
