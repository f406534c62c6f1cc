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
