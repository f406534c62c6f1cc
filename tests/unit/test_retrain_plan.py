"""The torch-free contract of a retrain (engine.retrain), which the trainer follows and both faces read: the recipe
and the methods' settings, the hold-out rule, the request the app hands to the trainer's child process."""

from __future__ import annotations

import pytest

from engine.errors import PhotoHashError
from engine.retrain import (MAX_HELD_OUT, RECIPE, RECIPE_SETTINGS, RetrainRequest, estimate, held_out_count, hold_out,
                            model_stem, training_settings)
from photohash_cli import build_parser
from photohash_cli.train import request


def test_hold_out_is_a_seeded_fifth_at_most_300_and_none_for_a_tiny_library():
    paths = [f"/lib/{i:05d}.jpg" for i in range(1000)]
    training, held = hold_out(paths, seed=3)
    assert len(held) == 200 and len(training) == 800 and set(training) | set(held) == set(paths)
    assert not set(training) & set(held)
    assert hold_out(list(reversed(paths)), seed=3)[1] == held  # the same photos, the same split
    assert hold_out(paths, seed=4)[1] != held
    assert len(hold_out([f"/{i}.jpg" for i in range(10_000)])[1]) == MAX_HELD_OUT
    assert hold_out(paths[:49]) == (paths[:49], [])  # 9 held-out photos would say nothing
    for photos in (4, 49, 50, 51, 999, 1500, 1501, 20_000):  # what the Retrain dialog's estimate counts
        assert held_out_count(photos) == len(hold_out([f"/p/{i}.jpg" for i in range(photos)])[1]), photos


def _settings(*argv: str) -> dict:
    """The settings ``photohash-cli train`` asks the trainer for."""
    return request(build_parser().parse_args(["train", "--images", "/lib", "--out", "m.onnx", *argv])).settings()


def test_the_recipe_is_the_default_and_the_command_line_overrides_it():
    recipe_settings = {"method": "baseline", "bits": 64, "augment": "edits", "views": 8, "tau": 0.05,
                       "batch_size": 512, "epochs": 60}
    assert RECIPE_SETTINGS == recipe_settings and _settings() == recipe_settings
    assert _settings("--epochs", "3", "--views", "2") == {**recipe_settings, "epochs": 3, "views": 2}
    assert _settings("--method", "wch") == {"method": "wch", "bits": 64, "epochs": 30, "batch_size": 64, "views": 4,
                                            "augment": "standard", "tau": None}  # what it always was
    assert _settings("--method", "nsh", "--bits", "16", "--tau", "0.2")["tau"] == 0.2
    assert _settings("--bits", "64") == recipe_settings
    with pytest.raises(PhotoHashError, match="learns 64 bits beside pHash; use --method wch, nsh or baseline"):
        _settings("--bits", "32")
    with pytest.raises(TypeError, match="not a training setting: lr"):
        training_settings("wch", lr=0.1)


def test_a_request_crosses_to_the_trainer_as_json_and_refuses_what_it_does_not_know():
    wanted = RetrainRequest(out="/m/wch32.onnx", method="wch", bits=32, catalog="/c.sqlite", epochs=5,
                            augment="duplicates", weights="/w.pth")
    assert RetrainRequest.from_json(wanted.to_json()) == wanted
    assert wanted.settings()["augment"] == "duplicates" and wanted.settings()["epochs"] == 5
    with pytest.raises(PhotoHashError, match="does not know the setting.*colour"):
        RetrainRequest.from_json('{"out": "/m.onnx", "colour": "red"}')
    with pytest.raises(PhotoHashError, match="not a retrain request"):
        RetrainRequest.from_json("[1, 2]")
    with pytest.raises(PhotoHashError, match="not a retrain request"):
        RetrainRequest.from_json("{out:")


def test_names_and_the_estimate_follow_the_recipe():
    assert model_stem(RECIPE, 64) == "photohash192" and model_stem("wch", 32) == "wch32"
    # the recipe reads more views but trains a small head: at its own epochs it takes less time than WCH at its
    # own (docs/benchmark.md: 426 s against 566 s for 5,000 photos)
    recipe_s = estimate(5000, "cpu", RECIPE_SETTINGS["epochs"], RECIPE)
    wch_s = estimate(5000, "cpu", 30, "wch")
    assert 300 < recipe_s < wch_s < 900
    assert estimate(5000, "cuda", 30, "wch") < wch_s
    assert estimate(40, "cpu", 30, "wch") < estimate(400, "cpu", 30, "wch")


def test_the_recipe_learns_a_wch_similarity_code_unless_told_otherwise():
    """The recipe's second code: WCH by default, NSH or none on request; a method alone has one code."""
    def similar(*argv: str):
        return request(build_parser().parse_args(["train", "--images", "/lib", "--out", "m.onnx", *argv])).similar()

    assert similar() == "wch" and similar("--similar-method", "nsh") == "nsh"
    assert similar("--similar-method", "none") is None and similar("--method", "wch") is None
    with pytest.raises(PhotoHashError, match="wch alone has one code for both questions"):
        similar("--method", "wch", "--similar-method", "nsh")
    with pytest.raises(PhotoHashError, match="with --mode finetune, add --similar-method none"):
        similar("--mode", "finetune")
    assert similar("--mode", "finetune", "--similar-method", "none") is None
    with pytest.raises(PhotoHashError, match="learned with wch or nsh .or none., not 'sift'"):
        RetrainRequest(out="/m.onnx", similar_method="sift").similar()
    wanted = RetrainRequest(out="/m.onnx", similar_method="nsh")
    assert RetrainRequest.from_json(wanted.to_json()).similar() == "nsh"
    # the similarity code trains as a method alone does, on views already read: more time, never less
    assert estimate(5000, "cpu", 60, RECIPE) < estimate(5000, "cpu", 60, RECIPE, similar=True)
