"""Trainer data: unlabeled photos (bad files skipped with reasons), two views, labeled zips and splits."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from engine.catalog import Catalog  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import scan  # noqa: E402
from trainer.data import (  # noqa: E402
    ColorJitter, GaussianBlur, Skipped, TwoViews, UnlabeledPhotos, ZipImages, cifar10_split, collate, eval_transform, imagenette_split,
    view_transform,
)
from trainer.errors import TrainerError  # noqa: E402

from torchvision.transforms import v2 as T  # noqa: E402

from ..conftest import CIFAR_ZIP, IMAGENETTE_ZIP, require  # noqa: E402


def test_folder_of_photos_with_a_bad_file(tmp_path, photos_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    good = sorted(photos_dir.iterdir())[:3]
    for p in good:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "broken.jpg").write_bytes(good[0].read_bytes()[:500])
    data = UnlabeledPhotos.from_folder(folder, TwoViews(view_transform(64)))
    assert len(data) == 4
    indices, (v1, v2), skipped = collate([data[i] for i in range(len(data))])
    assert v1.shape == (3, 3, 64, 64) and v2.shape == v1.shape
    assert not torch.equal(v1, v2), "the two views must be drawn independently"
    assert [s.path for s in skipped] == [str(folder / "broken.jpg")]
    assert isinstance(skipped[0], Skipped) and "truncated" in skipped[0].reason


def test_from_catalog_uses_what_was_scanned(tmp_path, library):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [library.root], HashModel.load(default_model_path()), workers=0))
        data = UnlabeledPhotos.from_catalog(catalog, eval_transform(64))
    assert sorted(data.paths) == sorted(str(p) for p in library.photos)  # the broken file is left out


@pytest.mark.parametrize("ours, theirs", [
    (lambda: ColorJitter(0.4, 0.4, 0.4, 0.1), lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1)),
    (lambda: GaussianBlur(23, (0.1, 2.0)), lambda: T.GaussianBlur(23, (0.1, 2.0))),
], ids=["jitter", "blur"])
def test_fast_view_operations_draw_and_change_as_torchvision_does(photos_dir, ours, theirs):
    """The OpenCV hue shift and blur stand in for torchvision's in the MoCo views: the same draws from torch's
    generator, and pixels within a grey level of torchvision's on real photos."""
    from engine.images import read_image

    mine, reference, changed = ours(), theirs(), 0
    for i, path in enumerate(sorted(photos_dir.iterdir())[:8]):
        image = T.Resize(160)(T.ToImage()(read_image(path, min_side=256).image))
        torch.manual_seed(i)
        a = mine(image)
        torch.manual_seed(i)
        b = reference(image)
        assert type(a) is type(b) and a.dtype == torch.uint8 and a.shape == b.shape
        assert (a.int() - b.int()).abs().float().mean() < 1.0, path.name
        changed += not torch.equal(a, image)
    assert changed >= 4, "the operation must change the photos (a blur of σ near 0.1 may not)"


def test_clear_errors_for_empty_and_missing_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainerError, match="no photos found"):
        UnlabeledPhotos.from_folder(tmp_path / "empty", eval_transform())
    with pytest.raises(TrainerError, match="not a folder"):
        UnlabeledPhotos.from_folder(tmp_path / "nope", eval_transform())
    with Catalog(tmp_path / "c.sqlite") as catalog, pytest.raises(TrainerError, match="scan a folder first"):
        UnlabeledPhotos.from_catalog(catalog, eval_transform())


def test_cifar10_protocol_split():
    split = cifar10_split(require(CIFAR_ZIP), seed=0)
    assert (len(split.query), len(split.train), len(split.database)) == (1000, 5000, 54000)
    assert not set(split.query) & set(split.database) and not set(split.train) & set(split.database)
    per_class = [sum(split.labels[i] == c for i in split.query) for c in range(10)]
    assert per_class == [100] * 10
    assert cifar10_split(CIFAR_ZIP, seed=0).query == split.query != cifar10_split(CIFAR_ZIP, seed=1).query
    images = ZipImages(CIFAR_ZIP, [split.members[i] for i in split.query[:2]],
                       [split.labels[i] for i in split.query[:2]], eval_transform(32))
    x, y = images[0]
    assert x.shape == (3, 32, 32) and y == split.labels[split.query[0]]


def test_imagenette_split():
    split = imagenette_split(require(IMAGENETTE_ZIP), seed=0)
    assert (len(split.query), len(split.train)) == (1000, 5000)
    assert len(split.database) == len(split.members) - 1000
    assert all(split.members[i].split("/")[1] == "val" for i in split.query)
    assert split.classes[0] == "tench"
