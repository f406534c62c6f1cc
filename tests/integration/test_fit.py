"""A tiny real training run on CPU: cache, train, interrupt, resume, export, and the engine uses the model."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from engine import codes  # noqa: E402
from engine.catalog import Catalog  # noqa: E402
from engine.model import HashModel, prepare  # noqa: E402
from engine.scan import scan  # noqa: E402
from engine.search import encode_file  # noqa: E402
from trainer.config import FitConfig  # noqa: E402
from trainer.data import UnlabeledPhotos, eval_transform  # noqa: E402
from trainer.errors import TrainerError  # noqa: E402
from trainer.export import HashEncoder, export_onnx, model_info, to_batch, with_similar  # noqa: E402
from trainer.feature_cache import CACHE  # noqa: E402
from trainer.fit import fit_frozen, train_on_cache  # noqa: E402

from ..conftest import WEIGHTS, require  # noqa: E402

TINY = dict(bits=16, epochs=3, views=2, batch_size=8, image_size=96)


def photos(folder):
    return UnlabeledPhotos.from_folder(folder, eval_transform(96))


@pytest.mark.parametrize("method", ["wch", "nsh", "baseline"])
def test_interrupted_and_resumed_run_matches_an_uninterrupted_one(tmp_path, photos_dir, method):
    weights = require(WEIGHTS)
    config = FitConfig(method=method, **TINY)
    whole = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "a")
    assert not whole.cancelled and len(whole.losses) == 3 and all(map(torch.isfinite, torch.tensor(whole.losses)))

    events = []

    def interrupt_once(event):
        events.append(event)
        if event.get("event") == "step" and event["epoch"] == 2 and event["step"] == 1:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would

    part = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", progress=interrupt_once)
    assert part.cancelled and (tmp_path / "b" / "checkpoint.pt").exists()
    rest = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", progress=events.append)
    assert any(e.get("event") == "resumed" for e in events)
    assert rest.losses == pytest.approx(whole.losses, rel=1e-4), "resuming must continue the same run"


def test_a_cancel_event_stops_a_run_in_a_worker_thread_and_it_resumes(tmp_path, photos_dir):
    """A retrain session trains in a worker thread, where no signal handler can be installed: setting the
    event stops it as Ctrl-C does (checkpoint saved, cancelled), and the next run resumes the same run."""
    weights = require(WEIGHTS)
    config = FitConfig(method="baseline", **TINY)
    whole = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "a")
    cancel = threading.Event()

    def cancel_at_first_step(event):
        if event.get("event") == "step":
            cancel.set()

    def in_a_thread(**kwargs):
        out = {}

        def run():
            try:
                out["result"] = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b",
                                           **kwargs)
            except BaseException as exc:  # noqa: BLE001 -- re-raised in the test's thread
                out["error"] = exc

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
        if "error" in out:
            raise out["error"]
        return out["result"]

    part = in_a_thread(progress=cancel_at_first_step, cancel=cancel)
    assert part.cancelled and len(part.losses) == 0 and (tmp_path / "b" / "checkpoint.pt").exists()
    events = []
    rest = in_a_thread(progress=events.append, cancel=threading.Event())
    assert {"event": "resumed", "epoch": 0, "step": 1} in events and not rest.cancelled
    assert rest.losses == pytest.approx(whole.losses, rel=1e-4), "resuming must continue the same run"


def test_the_similarity_head_trains_second_on_the_same_cache_and_resumes_where_it_stopped(tmp_path, photos_dir):
    """The recipe's two heads in one run: the duplicate head, then the similarity code's (WCH), on the same cached
    views when they are the same; stopped during the second, the next run keeps the first and resumes the second."""
    from dataclasses import replace

    weights = require(WEIGHTS)
    config = FitConfig(method="baseline", **TINY)
    similar = replace(config, method="wch")
    whole = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "a", similar=similar)
    assert whole.similar is not None and not whole.cancelled
    cancel, events = threading.Event(), []

    def stop_in_the_similar_head(event):
        events.append(event)
        if event.get("event") == "step" and event.get("code") == "similar" and event["epoch"] == 2:
            cancel.set()

    part = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", similar=similar,
                      progress=stop_in_the_similar_head, cancel=cancel)
    assert part.cancelled and (tmp_path / "b" / "similar-checkpoint.pt").exists()
    assert [e["event"] for e in events].count("cache") >= 1
    events.clear()
    rest = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", similar=similar,
                      progress=events.append)
    assert not any(e["event"] == "cache" for e in events), "the views are read once"
    assert {"event": "resumed", "epoch": 1, "step": 1, "code": "similar"} in events
    assert rest.losses == pytest.approx(whole.losses, rel=1e-4)
    tokens = torch.randn(5, 4, 1280)
    with torch.no_grad():
        assert torch.equal(rest.similar.encode(tokens) > 0, whole.similar.encode(tokens) > 0)
    assert not (tmp_path / "b" / "similar-features.pt").exists()  # the same views: one cache
    # views of its own (WCH's MoCo-style crops beside the recipe's edits): read into a cache of their own, once
    events.clear()
    own = fit_frozen(photos(photos_dir), config, weights=weights, work_dir=tmp_path / "b", progress=events.append,
                     similar=replace(similar, views=4, augment="standard"))
    assert own.similar is not None and (tmp_path / "b" / "similar-features.pt").exists()
    assert {e.get("code") for e in events if e["event"] == "cache"} == {"similar"}


def test_a_run_cancelled_mid_epoch_resumes_on_fewer_photos(tmp_path, photos_dir):
    """Photos gone between Cancel and Resume (a rescan; a new held-out fifth): the cache is rebuilt, and the epoch
    that was cut restarts over the photos there are now (its old order indexed past the new cache's end)."""
    weights = require(WEIGHTS)
    config = FitConfig(method="baseline", **TINY)

    def interrupt_once(event):
        if event.get("event") == "step" and event["epoch"] == 2 and event["step"] == 1:
            os.kill(os.getpid(), signal.SIGINT)

    every = photos(photos_dir)
    part = fit_frozen(every, config, weights=weights, work_dir=tmp_path, progress=interrupt_once)
    assert part.cancelled
    fewer = UnlabeledPhotos(every.paths[:-8], eval_transform(96))
    rest = fit_frozen(fewer, config, weights=weights, work_dir=tmp_path)
    assert not rest.cancelled and rest.photos == 16 and len(rest.losses) == 3


def test_heads_trained_on_a_saved_cache_equal_the_fit_that_made_it(tmp_path, photos_dir):
    """bench_selection.py compares recipes on the bench's view caches through train_on_cache: it must train
    exactly what fit_frozen trains on the same views."""
    config = FitConfig(method="baseline", **TINY)
    whole = fit_frozen(photos(photos_dir), config, weights=require(WEIGHTS), work_dir=tmp_path / "a")
    cache = torch.load(tmp_path / "a" / CACHE, weights_only=True)
    again = train_on_cache(cache, config, tmp_path / "b")
    pooled = cache["pooled"][:, 0].float()
    with torch.no_grad():
        assert torch.equal(again.encode(pooled), whole.method.encode(pooled))


def test_export_parity_and_the_engine_scans_with_the_model(tmp_path, photos_dir):
    from PIL import Image

    result = fit_frozen(photos(photos_dir), FitConfig(method="wch", **TINY), weights=require(WEIGHTS),
                        work_dir=tmp_path / "work")
    info = model_info("wch", "mobilenet_v2", 16, "24 test photos", image_size=96)
    out = tmp_path / "model" / "mine.onnx"
    images = [Image.open(p).convert("RGB") for p in sorted(photos_dir.iterdir())[:8]]
    parity = export_onnx(HashEncoder(result.backbone, result.method), info, out, images)
    assert parity.bit_agreement >= 0.999 and parity.max_abs_diff < 1e-3
    model = HashModel.load(out)
    assert model.info.method == "wch" and model.info.bits == 16
    with Catalog(tmp_path / "c.sqlite") as catalog:
        summary = list(scan(catalog, [photos_dir], model, workers=0))[-1]
    assert summary.hashed == len(list(photos_dir.iterdir()))
    first = sorted(photos_dir.iterdir())[0]
    small = tmp_path / "small.jpg"
    Image.open(first).resize((300, 200)).save(small, quality=70)
    assert codes.hamming(encode_file(model, first), encode_file(model, small)[None])[0] <= 4


def test_a_duplicate_and_a_similarity_head_export_as_one_model(tmp_path, photos_dir):
    """Issue 23: the copy head and a WCH head on one backbone become one ONNX model (format version 4) whose two
    outputs agree with torch; the engine scans both codes from one pass."""
    from PIL import Image

    from engine.catalog_models import model_row_id, similar_row_id

    weights = require(WEIGHTS)
    duplicate = fit_frozen(photos(photos_dir), FitConfig(method="baseline", **TINY), weights=weights,
                           work_dir=tmp_path / "duplicate")
    similar = fit_frozen(photos(photos_dir), FitConfig(method="wch", **{**TINY, "bits": 32}), weights=weights,
                         work_dir=tmp_path / "similar")
    info = with_similar(model_info("baseline", "mobilenet_v2", 16, "24 test photos", image_size=96), "wch", 32)
    images = [Image.open(p).convert("RGB") for p in sorted(photos_dir.iterdir())[:8]]
    out = tmp_path / "both.onnx"
    encoder = HashEncoder(duplicate.backbone, duplicate.method, similar=similar.method)
    parity = export_onnx(encoder, info, out, images)
    assert parity.bit_agreement >= 0.999 and parity.similar_bit_agreement >= 0.999
    # the WCH head gets MobileNetV2's pooled feature as one token: the code of its whole grid, for less work
    batch = torch.randn(3, 3, 96, 96)
    with torch.no_grad():
        _, tokens = encoder.backbone.eval()(batch)
        assert torch.allclose(encoder(batch)[1], similar.method.eval().encode(tokens), atol=1e-5)
    model = HashModel.load(out)
    assert (model.info.format_version, model.info.similar_bits, model.info.similar_method) == (4, 32, "wch")
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [photos_dir], model, workers=0))
        ids, dup_codes = catalog.codes(model_row_id(catalog, model))
        similar_ids, sim_codes = catalog.codes(similar_row_id(catalog, model))
    assert len(ids) == len(list(photos_dir.iterdir())) and list(similar_ids) == list(ids)
    assert dup_codes.shape[1] == 2 and sim_codes.shape[1] == 4
    first = sorted(photos_dir.iterdir())[0]
    assert np.array_equal(encode_file(model, first), encode_file(HashModel.load(out), first))  # deterministic
    with torch.no_grad():  # the similarity code is the WCH head's, not the copy head's
        pixels = np.stack([prepare(Image.open(first).convert("RGB"), model.info)])
        pooled, tokens = duplicate.backbone(to_batch(pixels, model.info))
        expected = codes.pack(similar.method.encode(tokens if similar.method.needs_tokens else pooled).numpy())
    assert codes.hamming(model.encode_both(pixels)[1][0], expected)[0] <= 1


def test_bad_inputs_give_one_clear_error(tmp_path, photos_dir):
    weights = require(WEIGHTS)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for i in range(5):
        (corrupt / f"{i}.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(200))
    with pytest.raises(TrainerError, match="only 0 of 5 photos could be read"):
        fit_frozen(photos(corrupt), FitConfig(method="baseline", **TINY), weights=weights, work_dir=tmp_path / "w")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    with pytest.raises(TrainerError, match="not a PyTorch weights file"):
        fit_frozen(photos(photos_dir), FitConfig(**TINY), weights=junk, work_dir=tmp_path / "w")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TrainerError, match="cannot write to"):
        fit_frozen(photos(photos_dir), FitConfig(**TINY), weights=weights, work_dir=blocker / "sub")
    with pytest.raises(TrainerError, match="bits must be 16, 32, 64 or 128"):
        fit_frozen(photos(photos_dir), FitConfig(bits=20), weights=weights, work_dir=tmp_path / "w")


def test_cli_train_emits_json_progress_and_a_model_the_cli_uses(tmp_path, photos_dir, capsys, monkeypatch):
    import json

    from photohash_cli import main
    from trainer import orientation

    monkeypatch.setattr(orientation, "MIN_PHOTOS", 20)  # 24 photos stand for a library of thousands

    out = tmp_path / "mine.onnx"
    code = main(["train", "--method", "nsh", "--bits", "16", "--images", str(photos_dir), "--weights",
                 str(require(WEIGHTS)), "--epochs", "2", "--batch-size", "8", "--views", "2", "--work-dir",
                 str(tmp_path / "work"), "--progress", "json", "--out", str(out)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    kinds = {e["event"] for e in lines}
    assert {"cache", "step", "epoch", "upright", "done"} <= kinds
    assert 0.5 <= lines[-1]["upright"]["confidence"] <= 0.99 and lines[-1]["upright"]["photos"] >= 4
    assert HashModel.load(out).info.upright_confidence == lines[-1]["upright"]["confidence"]
    step = next(e for e in lines if e["event"] == "step")
    assert {"epoch", "epochs", "step", "steps", "loss", "rate", "eta_s"} <= set(step)
    assert lines[-1]["model"] == str(out) and lines[-1]["parity_bit_agreement"] >= 0.999
    catalog = tmp_path / "c.sqlite"
    assert main(["scan", "--catalog", str(catalog), "--model", str(out), str(photos_dir)]) == 0
    capsys.readouterr()
    assert main(["dupes", "--catalog", str(catalog), "--model", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == str(out) and result["radius"] == 2


def test_cli_fits_whitening_in_closed_form_on_edit_views(tmp_path, photos_dir, capsys):
    """The shipped model's method end to end: edit views cached, one closed-form fit (no epochs, no
    checkpoint), exported, and a resized copy stays within a few bits of its photo."""
    import json

    from PIL import Image

    from photohash_cli import main

    out = tmp_path / "white.onnx"
    code = main(["train", "--method", "whitening", "--bits", "16", "--augment", "edits", "--views", "4", "--images",
                 str(photos_dir), "--weights", str(require(WEIGHTS)), "--work-dir", str(tmp_path / "work"),
                 "--progress", "json", "--no-upright", "--out", str(out)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert {e["event"] for e in lines} >= {"cache", "fit", "done"} and not any(e["event"] == "step" for e in lines)
    assert lines[-1]["final_loss"] is None and lines[-1]["parity_bit_agreement"] >= 0.999
    assert not (tmp_path / "work" / "checkpoint.pt").exists()
    model = HashModel.load(out)
    assert model.info.method == "whitening" and model.info.resize == "squash"
    assert model.info.upright_confidence == 0 and lines[-1]["upright"] is None  # --no-upright
    first = sorted(photos_dir.iterdir())[0]
    small = tmp_path / "small.jpg"
    Image.open(first).resize((300, 200)).save(small, quality=80)
    assert codes.hamming(encode_file(model, first), encode_file(model, small)[None])[0] <= 4


def test_tanh_codes_become_the_sign_as_training_ends(tmp_path, photos_dir):
    """The baseline's slope: tanh(β·z/2) codes whose β the trainer raises to ``slope`` by the last step; with
    a steep end the loss is the straight-through sign's, at the start it is not."""
    from trainer.methods.baseline import Baseline

    torch.manual_seed(0)
    x1, x2 = torch.randn(16, 32), torch.randn(16, 32)
    plain = Baseline(32, 16, tau=0.05)
    steep = Baseline(32, 16, tau=0.05, slope=1e6)
    steep.load_state_dict(plain.state_dict())
    steep.progress = 1.0
    assert steep.loss(x1, x2).item() == pytest.approx(plain.loss(x1, x2).item(), rel=1e-4)
    steep.progress = 0.0
    assert abs(steep.loss(x1, x2).item() - plain.loss(x1, x2).item()) > 1e-3
    result = fit_frozen(photos(photos_dir), FitConfig(method="baseline", slope=10, **TINY), weights=require(WEIGHTS),
                        work_dir=tmp_path)
    assert result.method.progress > 0.5, "the trainer must tell the method how far training is"
    for bad in (dict(method="wch", slope=10.0), dict(method="baseline", slope=0.5)):
        with pytest.raises(TrainerError, match="slope"):
            FitConfig(**bad).check()
    # checkpoints saved before the setting existed have no "slope" in their key, and must still resume
    assert "slope" not in FitConfig().resume_key() and FitConfig(slope=10.0).resume_key()["slope"] == 10.0


def test_whitening_is_refused_where_it_cannot_apply(tmp_path, photos_dir):
    with pytest.raises(TrainerError, match="closed form on a frozen backbone"):
        FitConfig(method="whitening", mode="finetune").check()
    with pytest.raises(TrainerError, match="no temperature"):
        FitConfig(method="whitening", tau=0.05).check()


def test_the_shipped_model_rebuilt_from_its_file_gives_its_two_codes(tmp_path, photos_dir):
    """``rebuilt_encoder`` brings back every head of the shipped model, the WCH similarity head included (its adapter
    folded into a MatMul by the exporter): re-exported, both codes equal the file's. So retraining the duplicate head
    for a release keeps the shipped similarity code as it is (bench_quality.py --ship)."""
    from PIL import Image

    from engine.model import default_model_path
    from trainer.backbones import Backbone
    from trainer.export import rebuilt_encoder

    shipped = default_model_path()
    encoder, info = rebuilt_encoder(shipped, Backbone("mobilenet_v2", require(WEIGHTS)))
    assert info.similar_bits and encoder.similar is not None
    images = [Image.open(p).convert("RGB") for p in sorted(photos_dir.iterdir())[:8]]
    out = tmp_path / "rebuilt.onnx"
    parity = export_onnx(encoder, info, out, images[:4])
    assert parity.bit_agreement == 1.0 and parity.similar_bit_agreement == 1.0
    before, after = HashModel.load(shipped).encode_images_both(images), HashModel.load(out).encode_images_both(images)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
