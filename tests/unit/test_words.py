"""What a person reads instead of bits: how alike two codes are in per cent, and a model by its title."""

from __future__ import annotations

import json
import os

from engine.model import resolve_model_name
from engine.model_card import model_title, read_card
from engine.units import alike_percent


def test_alike_percent_runs_from_the_same_code_to_chance():
    assert alike_percent(0, 192) == 100
    assert alike_percent(96, 192) == 0  # half the bits differ: what two unrelated photos' codes do
    assert alike_percent(150, 192) == 0  # never below 0
    assert alike_percent(37, 192) == 61 and alike_percent(4, 64) == 88
    assert [alike_percent(d, 64) for d in range(33)] == sorted((alike_percent(d, 64) for d in range(33)), reverse=True)
    assert alike_percent(-1, 64) == alike_percent(3, 0) == 0  # no code to compare


def test_models_are_named_by_their_cards_title(tmp_path):
    shipped = resolve_model_name("default")
    assert model_title(shipped) == json.loads(shipped.with_suffix(".json").read_text())["title"] == "PhotoHash standard"
    assert model_title(resolve_model_name("phash64")).startswith("Classic perceptual hash")
    retrained = tmp_path / "retrained.onnx"
    retrained.write_bytes(b"")
    os.utime(retrained, (1_779_969_600, 1_779_969_600))  # 2026-05-28, noon UTC
    assert model_title(retrained, "photos of a PhotoHash catalog; duplicate radius checked on 300 held-out photos") \
        == "Trained on your photos, 28 May 2026"
    assert model_title(retrained) == "retrained"  # no card, nothing known of it: its file's name
    retrained.with_suffix(".json").write_text("[not a card]")
    assert read_card(retrained) == {} and model_title(retrained) == "retrained"
