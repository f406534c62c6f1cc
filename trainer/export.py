"""Export the hash encoder (backbone + hash head, outputs the pre-sign codes) to ONNX for the engine.

The file carries the metadata contract of DESIGN.md section 3, has a dynamic batch axis, and is
checked right after export: ONNX Runtime and torch run the same real photos, and the fraction of
identical bits must be at least 99.9 %. The engine's own loader must accept the file.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from engine.model import (FORMAT_VERSION, GATED_FORMAT_VERSION, SIMILAR_FORMAT_VERSION, UPRIGHT_FORMAT_VERSION,
                          HashModel, ModelInfo, prepare)

from .backbones import IMAGENET_MEAN, IMAGENET_STD, Backbone
from .errors import TrainerError
from .perceptual import LOW, PerceptualHash, code_gates

MIN_BIT_AGREEMENT = 0.999


class HashEncoder(nn.Module):
    """images [N, 3, H, W] (normalised) -> pre-sign codes [N, bits] in (-1, 1), and with an ``upright``
    head (trainer.orientation) also the quarter-turn logits [N, 4] of the engine's optional ``turn`` output, and
    with a ``similar`` method (WCH, NSH: trained for "photos like this one") its pre-sign codes, the engine's
    ``similar`` output (format version 4). One backbone pass feeds every head.

    With ``perceptual`` (trainer.perceptual), the code is pHash's 64 bits followed by the learned bits written
    ``learned_weight`` times: the engine's one Hamming distance then weighs the learned bits that many times
    (see :func:`with_perceptual`)."""

    def __init__(self, backbone: Backbone, method: nn.Module, upright: nn.Module | None = None,
                 perceptual: nn.Module | None = None, learned_weight: int = 1, similar: nn.Module | None = None):
        super().__init__()
        self.backbone, self.method, self.upright = backbone, method, upright
        self.perceptual, self.learned_weight = perceptual, learned_weight
        self.similar = similar

    def forward(self, images: torch.Tensor):
        pooled, tokens = self.backbone(images)
        codes = self.method.encode(self._features(self.method, pooled, tokens))
        if self.perceptual is not None:
            codes = torch.cat([self.perceptual(images)] + [codes] * self.learned_weight, dim=1)
        out = [codes]
        if self.upright is not None:
            out.append(self.upright(tokens))
        if self.similar is not None:
            out.append(self.similar.encode(self._features(self.similar, pooled, tokens)))
        return out[0] if len(out) == 1 else tuple(out)

    def _features(self, head: nn.Module, pooled: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """What ``head`` encodes. A token head (WCH) maps the tokens linearly, then takes their mean: on a CNN, whose
        pooled feature is the tokens' mean, the pooled feature as one token gives the same code for a 49th of the
        work (the whole grid would add a quarter to MobileNetV2's cost per photo)."""
        if not head.needs_tokens:
            return pooled
        return pooled[:, None] if self.backbone.spec.pooled_is_mean else tokens

    @property
    def outputs(self) -> list[str]:
        return ["codes"] + ["turn"] * (self.upright is not None) + ["similar"] * (self.similar is not None)


@dataclass(frozen=True)
class Parity:
    max_abs_diff: float
    bit_agreement: float
    photos: int
    turn_agreement: float | None = None  # models with a ``turn`` output: share of photos given the same turn
    similar_bit_agreement: float | None = None  # models with a ``similar`` output: share of its bits alike


def model_info(method_name: str, backbone: str, bits: int, trained_on: str, image_size: int = 224,
               resize: str = "center-crop") -> ModelInfo:
    """Metadata of an exported model. The radii are provisional (about 10 % and 25 % of the bits) until
    calibrated on the near-duplicate benchmark."""
    return ModelInfo(
        bits=bits, input_size=image_size, mean=IMAGENET_MEAN, std=IMAGENET_STD, resize=resize,
        interpolation="bilinear", method=method_name, backbone=backbone, trained_on=trained_on,
        created=date.today().isoformat(), format_version=FORMAT_VERSION, **_provisional_radii(bits),
    )


def _provisional_radii(bits: int) -> dict[str, int]:
    return {"radius_duplicate": max(1, round(bits * 0.1)), "radius_similar": max(2, round(bits * 0.25))}


def with_upright(info: ModelInfo, confidence: float) -> ModelInfo:
    """The metadata of a model that also has the ``turn`` output (format version 2)."""
    return replace(info, upright_confidence=confidence,
                   format_version=SIMILAR_FORMAT_VERSION if info.similar_bits else
                   GATED_FORMAT_VERSION if info.gates else UPRIGHT_FORMAT_VERSION)


def with_similar(info: ModelInfo, method: str, bits: int, radius: int | None = None) -> ModelInfo:
    """The metadata of a model that also has a similarity code (format version 4) of ``bits`` learned with
    ``method``; its radius is provisional (a quarter of its bits) until calibrated."""
    return replace(info, similar_bits=bits, similar_method=method, format_version=SIMILAR_FORMAT_VERSION,
                   similar_radius=_provisional_radii(bits)["radius_similar"] if radius is None else radius)


def with_perceptual(info: ModelInfo, learned_weight: int, gate: int) -> ModelInfo:
    """The metadata of a model whose code is pHash (64 bits) then the learned code ``learned_weight`` times
    (format version 3): a pair is a duplicate when pHash or the learned code's first copy is within ``gate``
    and the whole code within the duplicate radius (engine.index). The radii are provisional for the longer code
    until calibrated."""
    bits = LOW * LOW + info.bits * learned_weight
    return replace(info, bits=bits, method=f"phash + {info.method} x{learned_weight}", **_provisional_radii(bits),
                   backbone=f"dct32 + {info.backbone}",
                   format_version=SIMILAR_FORMAT_VERSION if info.similar_bits else GATED_FORMAT_VERSION,
                   gates=code_gates(info.bits, gate))


def trained_encoder(result, info: ModelInfo, learned_weight: int = 0) -> HashEncoder:
    """The encoder of a trained result (trainer.config.FitResult): its learned code alone, or with ``learned_weight``
    beside pHash (``info`` from :func:`with_perceptual`); with the which-way-up head and the similarity code's head
    where they were learned."""
    upright = result.upright.head if result.upright is not None else None
    perceptual = PerceptualHash(info.mean, info.std) if learned_weight else None
    return HashEncoder(result.backbone, result.method, upright, perceptual, learned_weight or 1, result.similar)


def rebuilt_encoder(model_path: str | os.PathLike[str], backbone: Backbone) -> tuple[HashEncoder, ModelInfo]:
    """An exported recipe model (pHash beside a baseline head, with or without which-way-up) rebuilt in torch from its
    ONNX file, where the heads keep their names (``method.*``, ``upright.*``, ``similar.*``), on the frozen
    ``backbone`` it was trained on. So a similarity head can be added to a shipped model, or its duplicate head
    retrained, without training again what it has; the caller checks the rebuilt model's codes against the file's."""
    from onnx import numpy_helper

    from .methods import METHODS
    from .orientation import UprightHead

    info = HashModel.load(model_path, device="cpu").info
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(str(model_path)).graph.initializer}
    heads = {part: {k.split(".", 1)[1]: v for k, v in weights.items() if k.startswith(part + ".")}
             for part in ("method", "upright", "similar")}
    if "head.2.weight" not in heads["method"] or not info.gates:
        raise TrainerError(f"{model_path}: not a model of the recipe (pHash beside a baseline head); train it instead")
    bits = heads["method"]["head.2.weight"].shape[0]
    method = METHODS["baseline"](dim=backbone.dim, bits=bits)
    method.load_state_dict(heads["method"])
    upright = None
    if info.upright_confidence:
        upright = UprightHead(backbone.dim, round(heads["upright"]["pool"].shape[1] ** 0.5))
        upright.load_state_dict(heads["upright"])
    similar = _rebuilt_similar(info, heads["similar"], weights, backbone.dim) if info.similar_bits else None
    encoder = HashEncoder(backbone, method.eval(), upright, PerceptualHash(info.mean, info.std),
                          (info.bits - LOW * LOW) // bits, similar)
    return encoder, info


def _rebuilt_similar(info: ModelInfo, named: dict, weights: dict, dim: int) -> nn.Module:
    """The similarity head (WCH, NSH) from its initializers. The exporter folds a linear layer applied to tokens
    into a MatMul by its transposed weight under a generated name: WCH's adapter is the graph's one D×D such matrix."""
    from .methods import METHODS

    head = METHODS[info.similar_method](dim=dim, bits=info.similar_bits)
    if hasattr(head, "adapter") and "adapter.weight" not in named:
        square = [w for k, w in weights.items() if k.startswith("onnx::MatMul") and tuple(w.shape) == (dim, dim)]
        if len(square) != 1:
            raise TrainerError(f"cannot find the similarity head's adapter in the model ({len(square)} candidates)")
        named = {**named, "adapter.weight": square[0].T.contiguous()}
    missing, unexpected = head.load_state_dict(named, strict=False)
    needed = [k for k in missing if not k.startswith("latent_head")]  # NSH's latent head only trains
    if needed or unexpected:
        raise TrainerError(f"the similarity head does not fit {info.similar_method} ({(needed + unexpected)[0]})")
    return head.eval()


def export_onnx(encoder: HashEncoder, info: ModelInfo, out: str | os.PathLike[str],
                check_images: list | None = None) -> Parity | None:
    """Write the ONNX file with its metadata; when ``check_images`` (PIL RGB images) are given, run the parity check."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        encoder = encoder.eval().cpu()
        with warnings.catch_warnings():  # the TorchScript exporter is deprecated but gives plain, portable graphs
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                encoder, torch.zeros(1, 3, info.input_size, info.input_size), str(tmp), input_names=["images"],
                output_names=encoder.outputs, dynamic_axes={name: {0: "batch"} for name in ["images", *encoder.outputs]},
                opset_version=17, dynamo=False,
            )
        model = _save_with_metadata(onnx.load(str(tmp)), info, out)
    except OSError as exc:
        raise TrainerError(f"cannot write the model to {out}: {exc.strerror or exc}") from None
    if not check_images:
        return None
    parity = check_parity(encoder, model, check_images)
    if parity.bit_agreement < MIN_BIT_AGREEMENT:
        raise TrainerError(
            f"exported model {out} disagrees with torch on {1 - parity.bit_agreement:.3%} of bits "
            f"(max output difference {parity.max_abs_diff:.2e}); it was not accepted"
        )
    if parity.similar_bit_agreement is not None and parity.similar_bit_agreement < MIN_BIT_AGREEMENT:
        raise TrainerError(
            f"exported model {out} disagrees with torch on {1 - parity.similar_bit_agreement:.3%} of its similarity "
            f"code's bits; it was not accepted")
    if parity.turn_agreement is not None and parity.turn_agreement < 1:
        raise TrainerError(f"exported model {out} turns {1 - parity.turn_agreement:.0%} of the check photos "
                           "otherwise than torch does; it was not accepted")
    return parity


def relabel(src: str | os.PathLike[str], info: ModelInfo, out: str | os.PathLike[str]) -> None:
    """``src`` (written by :func:`export_onnx`) written again to ``out`` with ``info``'s metadata: the same graph,
    without tracing the network again (the trainer sets the radius after it has checked the exported model)."""
    out = Path(out)
    try:
        proto = onnx.load(str(src))
        del proto.metadata_props[:]
        _save_with_metadata(proto, info, out)
    except OSError as exc:
        raise TrainerError(f"cannot write the model to {out}: {exc.strerror or exc}") from None


def _save_with_metadata(proto, info: ModelInfo, out: Path) -> HashModel:
    """Write ``proto`` with ``info``'s metadata atomically to ``out``; the engine must accept the file."""
    tmp = out.with_name(out.name + ".tmp")
    for key, value in info.to_metadata().items():
        proto.metadata_props.add(key=key, value=value)
    onnx.save(proto, str(tmp))
    os.replace(tmp, out)
    return HashModel.load(out, device="cpu")


def to_batch(pixels: np.ndarray, info: ModelInfo) -> torch.Tensor:
    """The engine's prepared pixels (uint8 [N, H, W, 3]) normalised as the model's metadata says, as torch sees them."""
    mean = np.asarray(info.mean, np.float32) * 255
    std = np.asarray(info.std, np.float32) * 255
    return torch.from_numpy(((pixels.astype(np.float32) - mean) / std).transpose(0, 3, 1, 2).copy())


def check_parity(encoder: HashEncoder, model: HashModel, images: list) -> Parity:
    """Same photos, same preprocessing (the engine's), through ONNX Runtime and through torch."""
    pixels = np.stack([prepare(img, model.info) for img in images])
    ours, turn, similar = model.outputs(pixels)
    with torch.no_grad():
        reference = encoder.eval()(to_batch(pixels, model.info))
    theirs = dict(zip(encoder.outputs, reference if isinstance(reference, tuple) else (reference,)))
    turn_agreement = similar_agreement = None
    if turn is not None:  # the engine must turn back the same photos, the same way, as torch
        turn_agreement = float(np.mean(model.quarter_turns(turn) ==
                                       model.quarter_turns(theirs["turn"].softmax(1).numpy())))
    if similar is not None:
        similar_agreement = float(np.mean((similar > 0) == (theirs["similar"].numpy() > 0)))
    codes = theirs["codes"].numpy()
    return Parity(float(np.abs(ours - codes).max()), float(np.mean((ours > 0) == (codes > 0))), len(images),
                  turn_agreement, similar_agreement)
