"""pHash in the learned model's graph (trainer.perceptual) and a model whose code is pHash + the learned code."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from PIL import Image  # noqa: E402

from engine import codes  # noqa: E402
from engine.catalog import Catalog  # noqa: E402
from engine.duplicates import find_groups  # noqa: E402
from engine.images import read_image  # noqa: E402
from engine.model import GATED_FORMAT_VERSION, HashModel, prepare, resolve_model_name  # noqa: E402
from engine.catalog_models import model_row_id  # noqa: E402
from engine.scan import scan  # noqa: E402
from trainer.backbones import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from trainer.config import FitConfig  # noqa: E402
from trainer.data import UnlabeledPhotos, eval_transform  # noqa: E402
from trainer.export import HashEncoder, export_onnx, model_info, to_batch, with_perceptual  # noqa: E402
from trainer.fit import fit_frozen  # noqa: E402
from trainer.perceptual import PerceptualHash, dct_matrix  # noqa: E402

from ..conftest import WEIGHTS, require  # noqa: E402

PHASH = resolve_model_name("phash64")


def test_the_dct_basis_is_scipys():
    """The basis both pHash graphs use (the pHash model's builder imports it too), against an independent DCT-II."""
    scipy_fft = pytest.importorskip("scipy.fft", reason="scipy comes with imagehash ([dev])")
    np.testing.assert_allclose(2 * dct_matrix(32), scipy_fft.dct(np.eye(32), type=2, axis=0), atol=1e-12)


def reference_phash(small: np.ndarray) -> np.ndarray:
    """The mirror-canonical pHash of 32×32 RGB images [N, 32, 32, 3], written out in numpy: [N, 64] values."""
    grey = small.astype(np.float64) / 255 @ np.array([0.299, 0.587, 0.114])
    d = dct_matrix(32)[:8]
    out = []
    for g in grey:
        block = d @ g @ d.T
        if block[0, 1] < 0:
            block[:, 1::2] *= -1
        if block[1, 0] < 0:
            block[1::2, :] *= -1
        values = block.ravel()
        out.append(values - np.sort(values)[31:33].mean())
    return np.array(out)


def test_a_blown_up_32_px_image_gives_the_written_out_values():
    """A 32×32 image blown up 7× (nearest) is what the 7×7 box filter brings back, so the graph's values must be
    the written-out formula's; and its mirror images and half turn must give the same bits."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (6, 32, 32, 3)).astype(np.uint8)
    info = model_info("baseline", "mobilenet_v2", 64, "-", resize="squash")
    phash = PerceptualHash(info.mean, info.std)

    def ours(images):
        big = np.repeat(np.repeat(images, 7, axis=1), 7, axis=2)
        with torch.no_grad():
            return phash(to_batch(big, info)).numpy()

    np.testing.assert_allclose(ours(small), reference_phash(small), atol=1e-4)
    for mirrored in (small[:, :, ::-1], small[:, ::-1], small[:, ::-1, ::-1]):
        assert np.array_equal(codes.pack(ours(np.ascontiguousarray(mirrored))), codes.pack(ours(small)))


def test_on_photos_it_is_the_phash_of_one_mirror_image(photos_dir):
    """From the learned model's 224 px squashed input instead of a 32 px Lanczos one, each photo's bits agree
    with the shipped pHash model's for the mirror image it picks (98.8 % over the benchmark's 8,251 files
    before the mirror step); and a mirrored copy of a real photo gets the photo's bits."""
    from PIL import ImageOps

    info = model_info("baseline", "mobilenet_v2", 64, "-", resize="squash")
    phash_model, phash = HashModel.load(PHASH), PerceptualHash(info.mean, info.std)
    images = [read_image(p, min_side=224).image for p in sorted(photos_dir.iterdir())]

    def ours(batch):
        with torch.no_grad():
            return codes.pack(phash(to_batch(np.stack([prepare(i, info) for i in batch]), info)).numpy())

    mine = ours(images)
    variants = [phash_model.encode_images([f(i) for i in images])
                for f in (lambda i: i, ImageOps.mirror, ImageOps.flip, lambda i: i.rotate(180))]
    closest = np.min([[codes.hamming(a, b[None])[0] for a, b in zip(mine, v)] for v in variants], axis=0)
    assert 1 - closest.mean() / 64 >= 0.97, closest
    flipped = ours([ImageOps.mirror(i) for i in images])
    assert np.mean([codes.hamming(a, b[None])[0] for a, b in zip(mine, flipped)]) <= 1


def test_a_model_with_phash_beside_the_learned_code(tmp_path, photos_dir):
    """Trained, exported (parity checked), loaded with its gates; a scan groups an edited copy with its photo."""
    photos = UnlabeledPhotos.from_folder(photos_dir, eval_transform(96))
    config = FitConfig(method="baseline", bits=16, epochs=2, views=2, batch_size=8, image_size=96)
    result = fit_frozen(photos, config, weights=require(WEIGHTS), work_dir=tmp_path / "work")
    info = with_perceptual(model_info("baseline", "mobilenet_v2", 16, "24 test photos", image_size=96,
                                      resize="squash"), learned_weight=2, gate=4)
    assert (info.bits, info.gates, info.format_version) == (96, ((0, 64, 4), (64, 80, 4)), GATED_FORMAT_VERSION)
    encoder = HashEncoder(result.backbone, result.method, perceptual=PerceptualHash(IMAGENET_MEAN, IMAGENET_STD),
                          learned_weight=2)
    out = tmp_path / "combined.onnx"
    images = [Image.open(p).convert("RGB") for p in sorted(photos_dir.iterdir())[:8]]
    parity = export_onnx(encoder, info, out, images)
    assert parity.bit_agreement >= 0.999
    model = HashModel.load(out)
    assert model.info == info
    library = tmp_path / "library"
    library.mkdir()
    first = sorted(photos_dir.iterdir())[0]
    Image.open(first).save(library / "photo.jpg", quality=95)
    Image.open(first).resize((400, 300)).save(library / "small copy.jpg", quality=60)
    for p in sorted(photos_dir.iterdir())[1:6]:
        Image.open(p).save(library / p.name)
    packed = [codes.pack(model.outputs(np.stack([prepare(read_image(library / n, min_side=96).image, info)]))[0])[0]
              for n in ("photo.jpg", "small copy.jpg")]
    assert np.array_equal(packed[0][8:10], packed[0][10:12])  # the learned bits, written twice
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [library], model, workers=0))
        groups = find_groups(catalog, model_row_id(catalog, model), info.radius_duplicate, gates=info.gates)
    assert [sorted(m.file.path.rsplit("/", 1)[1] for m in g.members) for g in groups] == [["photo.jpg", "small copy.jpg"]]
