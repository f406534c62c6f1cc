"""Backbones load local weights only, give pooled and grid features, and refuse bad weight files clearly."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from trainer.backbones import Backbone  # noqa: E402
from trainer.errors import TrainerError  # noqa: E402

from ..conftest import WEIGHTS, require  # noqa: E402



@pytest.fixture(scope="module")
def mobilenet():
    return Backbone("mobilenet_v2", require(WEIGHTS)).eval()


def test_mobilenet_features_and_imagenet_sense(mobilenet, photos_dir):
    from PIL import Image
    from torchvision.transforms import v2 as T

    tf = T.Compose([T.ToImage(), T.Resize(256), T.CenterCrop(224), T.ToDtype(torch.float32, scale=True),
                    T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    paths = sorted(photos_dir.iterdir())[:3]
    img = Image.open(paths[0]).convert("RGB")
    batch = torch.stack([tf(img), tf(img.transpose(Image.FLIP_LEFT_RIGHT)), tf(Image.open(paths[1]).convert("RGB"))])
    with torch.no_grad():
        pooled, tokens = mobilenet(batch)
        logits = mobilenet.model(batch)
    assert pooled.shape == (3, 1280) and tokens.shape == (3, 49, 1280)
    assert torch.allclose(tokens.mean(dim=1), pooled, atol=1e-5)
    cos = torch.nn.functional.cosine_similarity
    assert cos(pooled[0], pooled[1], dim=0) > cos(pooled[0], pooled[2], dim=0)  # a mirror is closer than another photo
    assert logits.softmax(1).max() > 0.05  # the ImageNet head is alive: weights really loaded


def test_other_backbones_give_grids_with_random_weights(tmp_path):
    import torchvision

    for name, builder, shape in (("resnet50", torchvision.models.resnet50, (2, 49, 2048)),):
        path = tmp_path / f"{name}.pth"
        torch.save(builder(weights=None).state_dict(), path)
        pooled, tokens = Backbone(name, path).eval()(torch.zeros(2, 3, 224, 224))
        assert tokens.shape == shape and pooled.shape == (2, shape[2])


def test_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    with pytest.raises(TrainerError, match=r"no pretrained weights for mobilenet_v2: pass --weights PATH, or put "
                                           r"mobilenet_v2-b0353104.pth in .*\(nothing is downloaded\)"):
        Backbone("mobilenet_v2")
    with pytest.raises(TrainerError, match="weights file .*missing.pth: not found"):
        Backbone("mobilenet_v2", tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(TrainerError, match="not a PyTorch weights file"):
        Backbone("mobilenet_v2", junk)
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv.weight": torch.zeros(3, 3)}, wrong)
    with pytest.raises(TrainerError, match="does not fit mobilenet_v2"):
        Backbone("mobilenet_v2", wrong)
    with pytest.raises(TrainerError, match="unknown backbone 'vgg'"):
        Backbone("vgg", wrong)
