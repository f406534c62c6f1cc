"""mAP@K on hand-made rankings whose value is known."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from trainer.evaluate import average_precision_at_k, mean_average_precision  # noqa: E402


def test_average_precision_known_values():
    assert average_precision_at_k(np.array([1, 0, 1, 0], bool)) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert average_precision_at_k(np.array([0, 0, 0], bool)) == 0.0
    assert average_precision_at_k(np.array([1, 1], bool)) == 1.0


def test_map_with_ties_broken_by_database_index():
    db = np.array([[0b0000_0000], [0b0000_0001], [0b0000_0000], [0b1111_1111]], np.uint8)
    db_labels = np.array([1, 0, 0, 1])
    query = np.array([[0b0000_0000]], np.uint8)
    # Ranking: index 0 (d 0), 2 (d 0), 1 (d 1), 3 (d 8): relevant = [1, 0, 0, 1].
    expected = (1 / 1 + 2 / 4) / 2
    assert mean_average_precision(query, np.array([1]), db, db_labels, top_k=4) == pytest.approx(expected)
    assert mean_average_precision(query, np.array([1]), db, db_labels, top_k=2) == pytest.approx(1.0)


def test_precision_recall_by_radius_on_a_hand_made_case():
    from trainer.evaluate import precision_recall_by_radius

    db = np.array([[0b0000_0000], [0b0000_0001], [0b0000_0000], [0b1111_1111]], np.uint8)
    curve = precision_recall_by_radius(np.array([[0]], np.uint8), np.array([1]), db, np.array([1, 0, 0, 1]), bits=8)
    assert curve["radius"] == list(range(9))
    assert curve["precision"] == pytest.approx([0.5] + [1 / 3] * 7 + [0.5], abs=1e-5)
    assert curve["recall"] == [0.5] * 8 + [1.0]


def test_cli_eval_writes_json_and_a_pr_curve_png(tmp_path, capsys):
    """A tiny CIFAR-shaped zip (2 classes × 610 real-photo crops, 32×32) through the shipped model."""
    import io
    import json
    import zipfile

    from PIL import Image

    from photohash_cli import main

    from ..conftest import REPO, extract_photos

    photos = sorted(extract_photos(tmp_path / "photos", limit=24))
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(tmp_path / "tiny.zip", "w") as zf:
        for label in ("a", "b"):
            sources = [Image.open(p).convert("RGB") for p in photos[:12]] if label == "a" else \
                [Image.open(p).convert("RGB").rotate(90, expand=True) for p in photos[12:24]]
            for i in range(610):
                img = sources[i % len(sources)]
                x, y = rng.integers(0, img.width - 200), rng.integers(0, img.height - 200)
                buf = io.BytesIO()
                img.crop((x, y, x + 200, y + 200)).resize((32, 32)).save(buf, "JPEG", quality=90)
                zf.writestr(f"cifar10/{label}/{i:04d}.jpg", buf.getvalue())
    model = REPO / "resources" / "models" / "phash64.onnx"
    code = main(["eval", "--dataset", "cifar10", "--data", str(tmp_path / "tiny.zip"), "--model", str(model),
                 "--report", str(tmp_path / "report"), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metric"] == "mAP@1000" and result["queries"] == 200 and result["database"] == 20
    assert 0.0 < result["value"] <= 1.0
    recall = result["pr_curve"]["recall"]
    assert recall == sorted(recall) and recall[-1] == 1.0
    saved = json.loads((tmp_path / "report" / "cifar10-phash64.json").read_text())
    assert saved["value"] == result["value"]
    assert (tmp_path / "report" / "cifar10-phash64-pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
