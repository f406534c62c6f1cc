"""Hash models: an ONNX file whose metadata says how to feed it, run by ONNX Runtime.

The contract (DESIGN.md section 3): input ``images`` float32 [N, 3, H, W] (RGB, resized and
normalised as the metadata says), output ``codes`` float32 [N, bits] whose sign is the bit. The
metadata is read once into a frozen :class:`ModelInfo` and checked on load; a model that breaks
the contract is refused with one line saying what is wrong, never run with guessed settings.

A model may also say which way up a photo is (format version 2): an optional output ``turn``
float32 [N, 4], the logits of "this image is the upright photo turned k quarter turns counter-clockwise"
(k = 0..3), with the metadata ``photohash.upright_confidence``. Where the softmax is at least that
sure of a turn, the engine encodes the image turned back, so a copy that a viewer's "rotate" button
wrote gets its original's code (frozen CNN features are not rotation invariant). The output, the
metadata and the version come together or not at all.

A model's code may be several codes side by side (format version 3), e.g. a perceptual hash and a learned
hash, each good at other edits. ``photohash.gates`` (JSON [[first bit, end bit, radius], ...]) then says
that two photos are duplicates only when one part is within its own radius and the whole code within the
duplicate radius: that keeps the all-pairs join fast at the whole code's large radius, and its precision is
calibrated with the gates (engine.index).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from . import codes
from .errors import ModelError, UsageError
from .index import check_gates

FORMAT_VERSION = 1  # codes only
# A model with the ``turn`` output is version 2, so that a PhotoHash that predates it refuses the model rather
# than ignore the output (it would give turned photos other codes under the same model key).
UPRIGHT_FORMAT_VERSION = 2
# A model with gates is version 3 (with or without ``turn``): a PhotoHash that predates gates would group pairs
# that fail them at the model's duplicate radius.
GATED_FORMAT_VERSION = 3
PREFIX = "photohash."
RESIZE_RULES = ("squash", "center-crop")
INTERPOLATIONS = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
}
DEFAULT_MODEL = "photohash192.onnx"  # pHash + the learned code (README: it beats pHash overall)


@dataclass(frozen=True)
class ModelInfo:
    """Everything the engine needs to know about a model, parsed and checked once."""

    bits: int
    input_size: int  # square input, H = W
    mean: tuple[float, float, float]  # applied to pixels scaled to [0, 1]
    std: tuple[float, float, float]
    resize: str  # "squash": to input_size² ignoring aspect; "center-crop": shorter side, then centre crop
    interpolation: str
    method: str
    backbone: str
    trained_on: str
    created: str
    radius_duplicate: int  # Hamming radius for "same photo"
    radius_similar: int  # Hamming radius for "similar photo"
    format_version: int = FORMAT_VERSION
    upright_confidence: float = 0.0  # 0: the model has no ``turn`` output; else the softmax needed to turn a photo back
    gates: tuple[tuple[int, int, int], ...] = ()  # duplicates need one part within its radius (format version 3)

    def to_metadata(self) -> dict[str, str]:
        """The ``photohash.*`` metadata_props that describe this model (exporters write these)."""
        out = {}
        for key, value in asdict(self).items():
            if key in ("upright_confidence", "gates") and not value:
                continue  # optional: written only by models that have the ``turn`` output, or gates
            name = PREFIX + key.replace("radius_", "radius.")
            out[name] = json.dumps([list(v) if isinstance(v, tuple) else v for v in value]) if isinstance(value, tuple) \
                else str(value)
        return out

    @classmethod
    def from_metadata(cls, props: dict[str, str], path: str | os.PathLike[str] = "<model>") -> ModelInfo:
        def get(key: str) -> str:
            name = PREFIX + key.replace("radius_", "radius.")
            if name not in props:
                raise ModelError(path, f"metadata '{name}' is missing (not a PhotoHash model, or exported without it)")
            return props[name]

        def integer(key: str) -> int:
            try:
                return int(get(key))
            except ValueError:
                raise ModelError(path, f"metadata '{PREFIX}{key}' must be an integer, got {get(key)!r}") from None

        def triple(key: str) -> tuple[float, float, float]:
            try:
                values = tuple(float(v) for v in json.loads(get(key)))
            except (ValueError, TypeError):
                values = ()
            if len(values) != 3:
                raise ModelError(path, f"metadata '{PREFIX}{key}' must be a list of 3 numbers, got {get(key)!r}")
            return values

        def confidence() -> float:
            name = PREFIX + "upright_confidence"
            try:
                return float(props.get(name, "0"))
            except ValueError:
                raise ModelError(path, f"metadata '{name}' must be a number, got {props[name]!r}") from None

        def gates() -> tuple[tuple[int, int, int], ...]:
            name = PREFIX + "gates"
            try:
                value = json.loads(props.get(name, "[]"))
            except ValueError:
                value = None
            if not isinstance(value, list) or not all(
                    isinstance(g, list) and len(g) == 3 and all(type(x) is int for x in g) for g in value):
                raise ModelError(path, f"metadata '{name}' must be a list of [first bit, end bit, radius] integers, "
                                       f"got {props[name]!r}")
            return tuple(tuple(g) for g in value)

        version = integer("format_version")
        known = (FORMAT_VERSION, UPRIGHT_FORMAT_VERSION, GATED_FORMAT_VERSION)
        if version not in known:
            raise ModelError(path, f"model format version {version} is not supported (this PhotoHash reads "
                                   f"{', '.join(map(str, known))})")
        info = cls(
            bits=integer("bits"),
            input_size=integer("input_size"),
            mean=triple("mean"),
            std=triple("std"),
            resize=get("resize"),
            interpolation=get("interpolation"),
            method=get("method"),
            backbone=get("backbone"),
            trained_on=get("trained_on"),
            created=get("created"),
            radius_duplicate=integer("radius_duplicate"),
            radius_similar=integer("radius_similar"),
            format_version=version,
            upright_confidence=confidence(),
            gates=gates(),
        )
        info.check(path)
        return info

    def gates_for(self, radius: int) -> tuple[tuple[int, int, int], ...]:
        """The gates a duplicate search at ``radius`` applies: the model's, up to the duplicate radius they were
        calibrated with; none above it (towards "similar"), so a wider radius never finds fewer pairs."""
        return self.gates if radius <= self.radius_duplicate else ()

    def check(self, path: str | os.PathLike[str] = "<model>") -> None:
        """Refuse values that cannot be right, naming the first one found."""
        if self.bits <= 0 or self.bits % 8 or self.bits > 4096:
            raise ModelError(path, f"bits must be a positive multiple of 8, got {self.bits}")
        if not 8 <= self.input_size <= 4096:
            raise ModelError(path, f"input_size must be between 8 and 4096, got {self.input_size}")
        if any(s <= 0 for s in self.std):
            raise ModelError(path, f"std values must be positive, got {list(self.std)}")
        if self.resize not in RESIZE_RULES:
            raise ModelError(path, f"unknown resize rule {self.resize!r} (known: {', '.join(RESIZE_RULES)})")
        if self.interpolation not in INTERPOLATIONS:
            raise ModelError(
                path, f"unknown interpolation {self.interpolation!r} (known: {', '.join(INTERPOLATIONS)})"
            )
        for name, radius in (("duplicate", self.radius_duplicate), ("similar", self.radius_similar)):
            if not 0 <= radius <= self.bits:
                raise ModelError(path, f"radius.{name} must be between 0 and {self.bits}, got {radius}")
        if not 0 <= self.upright_confidence <= 1:
            raise ModelError(path, f"upright_confidence must be between 0 and 1, got {self.upright_confidence}")
        if self.format_version != GATED_FORMAT_VERSION and (
                (self.format_version == UPRIGHT_FORMAT_VERSION) != (self.upright_confidence > 0)):
            raise ModelError(path, f"format version {self.format_version} does not fit upright_confidence "
                                   f"{self.upright_confidence} (version {UPRIGHT_FORMAT_VERSION} is for models that tell turns)")
        if (self.format_version == GATED_FORMAT_VERSION) != bool(self.gates):
            raise ModelError(path, f"format version {self.format_version} does not fit gates {[list(g) for g in self.gates]} "
                                   f"(version {GATED_FORMAT_VERSION} is for models with gates)")
        try:
            check_gates(self.gates, self.bits)
        except UsageError as exc:
            raise ModelError(path, str(exc)) from None
        if self.radius_duplicate > self.radius_similar:
            raise ModelError(
                path, f"radius.duplicate ({self.radius_duplicate}) is larger than radius.similar ({self.radius_similar})"
            )


def prepare(image: Image.Image, info: ModelInfo) -> np.ndarray:
    """An RGB image to the model's input pixels, uint8 [H, W, 3]. Runs in the decode workers."""
    size = info.input_size
    resample = INTERPOLATIONS[info.interpolation]
    if image.mode != "RGB":
        image = image.convert("RGB")
    if info.resize == "squash":
        image = image.resize((size, size), resample, reducing_gap=None)
    else:
        w, h = image.size
        scale = size / min(w, h)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        image = image.resize((nw, nh), resample)
        left, top = (nw - size) // 2, (nh - size) // 2
        image = image.crop((left, top, left + size, top + size))
    return np.asarray(image, dtype=np.uint8)


def default_model_path() -> Path:
    """The model shipped in ``resources/models``."""
    try:
        from importlib.resources import files

        candidate = Path(str(files("resources") / "models" / DEFAULT_MODEL))
        if candidate.exists():
            return candidate
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "resources" / "models" / DEFAULT_MODEL


def shipped_models() -> list[Path]:
    """Every model shipped in ``resources/models``: the default and the alternatives (pHash)."""
    return sorted(default_model_path().parent.glob("*.onnx"))


def resolve_model_name(name: str) -> Path:
    """A path, ``default``, or a shipped model's name (``phash64``) to a model file."""
    if name == "default":
        return default_model_path()
    for path in shipped_models():
        if name in (path.stem, path.name):
            return path
    return Path(name).resolve()


def _cuda_usable() -> bool:
    """True when a CUDA driver is present; asking ORT for CUDA without one only prints errors."""
    names = {"linux": ["libcuda.so.1"], "win32": ["nvcuda.dll"]}.get(sys.platform, [])
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def choose_providers(device: str = "auto") -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    wants_cuda = device in ("auto", "cuda") and "CUDAExecutionProvider" in available and _cuda_usable()
    if device == "cuda" and not wants_cuda:
        raise ModelError("<device>", "CUDA was asked for, but no usable CUDA GPU and runtime were found")
    return (["CUDAExecutionProvider"] if wants_cuda else []) + ["CPUExecutionProvider"]


def file_key(path: str | os.PathLike[str]) -> str:
    """BLAKE2b-128 of a file's bytes: the catalog's key for a model, so switching never mixes codes."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class HashModel:
    """A loaded, validated hash model. ``encode`` turns prepared pixels into packed bit codes."""

    batch_size = 64

    def __init__(self, path: Path, info: ModelInfo, session, model_key: str):
        self.path = path
        self.info = info
        self.session = session
        self.model_key = model_key
        self.providers: list[str] = session.get_providers()

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str = "auto", threads: int = 0) -> HashModel:
        import onnx
        import onnxruntime as ort

        path = Path(path).resolve()
        if not path.is_file():
            raise ModelError(path, "file not found" if not path.exists() else "not a file")
        try:
            proto = onnx.load(str(path), load_external_data=False)
        except Exception as exc:  # protobuf raises assorted types on garbage  # noqa: BLE001
            raise ModelError(path, f"not a valid ONNX file ({type(exc).__name__})") from None
        props = {p.key: p.value for p in proto.metadata_props}
        info = ModelInfo.from_metadata(props, path)
        cls._check_graph(proto, info, path)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        try:
            session = ort.InferenceSession(
                proto.SerializeToString(), sess_options=options, providers=choose_providers(device)
            )
        except Exception as exc:  # ORT raises its own exception types  # noqa: BLE001
            raise ModelError(path, f"ONNX Runtime cannot run it ({str(exc).splitlines()[0][:160]})") from None
        return cls(path, info, session, file_key(path))

    @staticmethod
    def _check_graph(proto, info: ModelInfo, path: Path) -> None:
        graph = proto.graph
        initializers = {i.name for i in graph.initializer}
        inputs = [i for i in graph.input if i.name not in initializers]
        if [i.name for i in inputs] != ["images"]:
            raise ModelError(path, f"the model must have one input named 'images', found {[i.name for i in inputs]}")
        if "codes" not in [o.name for o in graph.output]:
            raise ModelError(path, f"the model must have an output named 'codes', found {[o.name for o in graph.output]}")

        def dims(value_info) -> list:
            return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]

        in_dims = dims(inputs[0])
        if len(in_dims) != 4 or in_dims[1] not in (3, None):
            raise ModelError(path, f"input 'images' must be [N, 3, H, W], found {in_dims}")
        for d in in_dims[2:]:
            if d is not None and d != info.input_size:
                raise ModelError(path, f"input is {in_dims[2]}×{in_dims[3]} but metadata says input_size {info.input_size}")
        out = next(o for o in graph.output if o.name == "codes")
        out_dims = dims(out)
        if len(out_dims) != 2:
            raise ModelError(path, f"output 'codes' must be [N, bits], found {out_dims}")
        if out_dims[1] is not None and out_dims[1] != info.bits:
            raise ModelError(path, f"output has {out_dims[1]} values per image but metadata says bits = {info.bits}")
        turn = next((o for o in graph.output if o.name == "turn"), None)
        if (turn is None) != (info.upright_confidence == 0):
            raise ModelError(path, "output 'turn' and metadata 'photohash.upright_confidence' must come together")
        if turn is not None and dims(turn)[1:] != [4]:
            raise ModelError(path, f"output 'turn' must be [N, 4], found {dims(turn)}")

    def outputs(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """uint8 [N, H, W, 3] from :func:`prepare` -> one pass of the model: float32 codes [N, bits], and
        the softmax over quarter turns [N, 4] when the model has a ``turn`` output (else None)."""
        batch = np.asarray(batch)
        mean = np.asarray(self.info.mean, dtype=np.float32) * 255.0
        inv_std = 1.0 / (np.asarray(self.info.std, dtype=np.float32) * 255.0)
        names = ["codes", "turn"] if self.info.upright_confidence else ["codes"]
        results: list[list[np.ndarray]] = [[] for _ in names]
        for start in range(0, len(batch), self.batch_size):
            chunk = (batch[start : start + self.batch_size].astype(np.float32) - mean) * inv_std
            chunk = np.ascontiguousarray(chunk.transpose(0, 3, 1, 2))
            for kept, result in zip(results, self.session.run(names, {"images": chunk})):
                kept.append(result)
        if not results[0]:
            return np.zeros((0, self.info.bits), dtype=np.float32), None
        out = np.concatenate(results[0])
        if out.shape[1] != self.info.bits:
            raise ModelError(self.path, f"model returned {out.shape[1]} values per image, metadata says {self.info.bits}")
        if len(names) == 1:
            return out, None
        logits = np.concatenate(results[1]).astype(np.float64)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        return out, (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)

    def encode_raw(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] from :func:`prepare` -> the float32 [N, bits] codes, of each image turned
        upright first where the model is sure it is turned (see the module docstring)."""
        batch = np.asarray(batch)
        out, turn = self.outputs(batch)
        if turn is None:
            return out
        quarter = self.quarter_turns(turn)
        turned = np.nonzero(quarter)[0]
        if len(turned):
            # turning the prepared pixels stands for preparing the turned-back photo: exact but for resampling
            # rounding with "squash", and a one-pixel shift with "center-crop" when the crop offset is odd
            upright = np.stack([np.rot90(batch[i], -quarter[i], axes=(0, 1)) for i in turned])
            out[turned] = self.outputs(np.ascontiguousarray(upright))[0]
        return out

    def quarter_turns(self, turn: np.ndarray) -> np.ndarray:
        """The softmax of the ``turn`` output [N, 4] -> the quarter turns the engine undoes (0: the image is
        encoded as it is, because it looks upright or the model is not sure enough)."""
        return np.where(turn.max(axis=1) >= self.info.upright_confidence, turn.argmax(axis=1), 0)

    def encode(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] -> packed codes uint8 [N, bits / 8] (bit = output > 0)."""
        return codes.pack(self.encode_raw(batch))

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.info.bits // 8), dtype=np.uint8)
        return self.encode(np.stack([prepare(img, self.info) for img in images]))
