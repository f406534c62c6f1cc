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

A model may also carry a *similarity code* beside its duplicate code (format version 4): an output ``similar``
float32 [N, similar_bits] whose sign is the bit, learned for "photos like this one" (WCH or NSH) where the duplicate
code is learned for copies, with its own metadata ``photohash.similar_bits``, ``photohash.similar_method`` and
``photohash.similar_radius`` (the Hamming radius of "similar" on it). Both codes come from one pass of the network.
The output, its metadata and the version come together or not at all; a model without it answers both questions
with its one code, as before.

A model file is also checked as a file a stranger may have sent (issue 20): it must be a regular file of at
most :data:`MAX_MODEL_BYTES`, its external data (if any) regular files inside its own folder, its outputs
declared float32, and what ONNX Runtime returns is checked again at run time. ``models use`` also runs the
model once on a test batch in a child process under a memory bound and a time limit (:func:`probe_model`), so
a model that would exhaust memory or never finish is refused before it becomes the active one.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from . import codes
from .errors import FileError, ModelError, UsageError
from .images import open_regular_file, read_regular_file
from .index import check_gates

FORMAT_VERSION = 1  # codes only
# A model with the ``turn`` output is version 2, so that a PhotoHash that predates it refuses the model rather
# than ignore the output (it would give turned photos other codes under the same model key).
UPRIGHT_FORMAT_VERSION = 2
# A model with gates is version 3 (with or without ``turn``): a PhotoHash that predates gates would group pairs
# that fail them at the model's duplicate radius.
GATED_FORMAT_VERSION = 3
# A model with a similarity code is version 4 (with or without ``turn`` and gates): a PhotoHash that predates it would
# ignore the code the model is meant to be searched by.
SIMILAR_FORMAT_VERSION = 4
PREFIX = "photohash."
RESIZE_RULES = ("squash", "center-crop")
INTERPOLATIONS = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
}
DEFAULT_MODEL = "photohash192.onnx"  # pHash + the learned code (README: it beats pHash overall)
# A hash model is a small network: the shipped ones are 3 KB and 15 MB. The bound keeps a hostile or mistaken
# file (a disk image, /dev/zero behind a link) from being read into memory whole.
MAX_MODEL_BYTES = 2 << 30
# Square input sides a hash model may ask for: the shipped ones use 32 and 224, the trainer 64..224. 4096 would
# be 200 MB of float32 per photo.
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 16, 1024
# The float32 input of one ONNX Runtime call is at most this large: a model with a large input runs in smaller
# chunks (64 photos at 224², 5 at 1024²) instead of asking for a proportionally larger buffer.
MAX_RUN_INPUT_BYTES = 64 << 20
# ``models use`` runs a new model once in a child process with this much address space above what the engine
# itself maps, and this long to load it and encode the test batch: ample headroom for the shipped models both ways
# (docs/benchmark.md, "What the safety checks cost").
PROBE_MEMORY_BYTES = 4 << 30
PROBE_TIMEOUT_S = 60.0

log = logging.getLogger("photohash")


class Outputs(NamedTuple):
    """One pass of a model over a batch (float32): its codes, its quarter-turn softmax and its similarity code, the
    last two None when the model has no such output."""

    codes: np.ndarray
    turn: np.ndarray | None
    similar: np.ndarray | None


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
    similar_bits: int = 0  # 0: no similarity code; else the width of the ``similar`` output (format version 4)
    similar_method: str = ""  # how the similarity code was learned ("wch", "nsh")
    similar_radius: int = 0  # Hamming radius for "similar photo" on the similarity code

    def to_metadata(self) -> dict[str, str]:
        """The ``photohash.*`` metadata_props that describe this model (exporters write these)."""
        out = {}
        for key, value in asdict(self).items():
            if key in ("upright_confidence", "gates", "similar_bits", "similar_method", "similar_radius") and not value:
                continue  # optional: written only by models that have the ``turn`` output, gates or a similarity code
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

        def optional_integer(key: str) -> int:
            return integer(key) if PREFIX + key in props else 0

        version = integer("format_version")
        known = (FORMAT_VERSION, UPRIGHT_FORMAT_VERSION, GATED_FORMAT_VERSION, SIMILAR_FORMAT_VERSION)
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
            similar_bits=optional_integer("similar_bits"),
            similar_method=props.get(PREFIX + "similar_method", ""),
            similar_radius=optional_integer("similar_radius"),
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
        if not MIN_INPUT_SIZE <= self.input_size <= MAX_INPUT_SIZE:
            raise ModelError(path, f"input_size must be between {MIN_INPUT_SIZE} and {MAX_INPUT_SIZE}, "
                                   f"got {self.input_size}")
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
        if self.format_version not in (GATED_FORMAT_VERSION, SIMILAR_FORMAT_VERSION) and (
                (self.format_version == UPRIGHT_FORMAT_VERSION) != (self.upright_confidence > 0)):
            raise ModelError(path, f"format version {self.format_version} does not fit upright_confidence "
                                   f"{self.upright_confidence} (version {UPRIGHT_FORMAT_VERSION} is for models that tell turns)")
        if self.format_version != SIMILAR_FORMAT_VERSION and (self.format_version == GATED_FORMAT_VERSION) != bool(self.gates):
            raise ModelError(path, f"format version {self.format_version} does not fit gates {[list(g) for g in self.gates]} "
                                   f"(version {GATED_FORMAT_VERSION} is for models with gates)")
        try:
            check_gates(self.gates, self.bits)
        except UsageError as exc:
            raise ModelError(path, str(exc)) from None
        if (self.format_version == SIMILAR_FORMAT_VERSION) != (self.similar_bits > 0):
            raise ModelError(path, f"format version {self.format_version} does not fit similar_bits {self.similar_bits} "
                                   f"(version {SIMILAR_FORMAT_VERSION} is for models with a similarity code)")
        if self.similar_bits:
            if self.similar_bits % 8 or self.similar_bits > 4096:
                raise ModelError(path, f"similar_bits must be a positive multiple of 8, got {self.similar_bits}")
            if not 0 <= self.similar_radius <= self.similar_bits:
                raise ModelError(path, f"similar_radius must be between 0 and {self.similar_bits}, "
                                       f"got {self.similar_radius}")
            if not self.similar_method:
                raise ModelError(path, "similar_method must name how the similarity code was learned")
        elif self.similar_method or self.similar_radius:
            raise ModelError(path, "similar_method and similar_radius need similar_bits")
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
    """BLAKE2b-128 of a file's bytes: the catalog's key for a model, so switching never mixes codes. Refuses
    (ModelError) what is not a regular file: hashing a FIFO or /dev/zero would never end."""
    digest = hashlib.blake2b(digest_size=16)
    with _open_regular(Path(path), "the file", Path(path)) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _gib(n: int) -> str:
    """A size for a message: 4 GiB, 149 GiB, 16 MiB."""
    return f"{n / (1 << 30):.3g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.3g} MiB"


def _open_regular(path: Path, what: str, model: Path):
    """:func:`engine.images.open_regular_file` (a FIFO or a device swapped in after a check neither blocks nor reads
    for ever), with the reason said of the model."""
    try:
        return open_regular_file(path)
    except FileError as exc:
        raise ModelError(model, f"{what}: {exc.reason}") from None


def _graph_tensors(graph) -> Iterator:
    """Every TensorProto a graph stores, subgraphs (If, Loop, Scan bodies) included: each may name external data."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield from (sparse.values, sparse.indices)
    yield from _node_tensors(graph.node)


def _node_tensors(nodes) -> Iterator:
    for node in nodes:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("sparse_tensor"):
                yield from (attr.sparse_tensor.values, attr.sparse_tensor.indices)
            for sparse in attr.sparse_tensors:
                yield from (sparse.values, sparse.indices)
            if attr.HasField("g"):
                yield from _graph_tensors(attr.g)
            for sub in attr.graphs:
                yield from _graph_tensors(sub)


def _external_data(proto, path: Path) -> list[tuple[str, Path]]:
    """The external data files a model names, each checked to be a regular file inside the model's own folder:
    a model may not make ONNX Runtime read /etc/passwd, a file beside a link out of the folder, or a FIFO."""
    from onnx import TensorProto

    folder = path.parent
    found: dict[str, Path] = {}
    tensors = list(_graph_tensors(proto.graph))
    for function in proto.functions:
        tensors.extend(_node_tensors(function.node))
    for tensor in tensors:
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        if location in found:
            continue
        shown = json.dumps(location)
        if not location or "\0" in location:
            raise ModelError(path, f"tensor {tensor.name!r} has external data without a valid location")
        if os.path.isabs(location) or location.startswith(("/", "\\")) or os.path.splitdrive(location)[0]:
            raise ModelError(path, f"external data {shown} is an absolute path; it must be a file in the model's "
                                   f"folder")
        target = (folder / location).resolve()
        if target == folder or not target.is_relative_to(folder):
            raise ModelError(path, f"external data {shown} is outside the model's folder {folder}")
        if not target.exists():
            raise ModelError(path, f"external data {shown} is missing")
        if not target.is_file():
            raise ModelError(path, f"external data {shown} is not a regular file")
        found[location] = target
    total = sum(target.stat().st_size for target in set(found.values()))
    if total > MAX_MODEL_BYTES:
        raise ModelError(path, f"external data is larger than {_gib(MAX_MODEL_BYTES)}, more than a hash model needs")
    return sorted(found.items())


def _model_key(data: bytes, external: list[tuple[str, Path]], path: Path) -> str:
    """The model's key: :func:`file_key` of the .onnx file, and for a model with external data the data files'
    names and bytes too, so that new weights beside the same graph never share the old codes."""
    digest = hashlib.blake2b(data, digest_size=16)
    for location, target in external:
        digest.update(b"\0" + location.encode("utf-8", "surrogateescape") + b"\0")
        with _open_regular(target, f"external data {json.dumps(location)}", path) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _type_name(value_info) -> str:
    """The declared element type of a graph input or output, as numpy spells it (float32, int64, ...)."""
    from onnx import TensorProto

    kind = value_info.type.WhichOneof("value")
    if kind != "tensor_type":
        return kind or "undeclared"
    name = TensorProto.DataType.Name(value_info.type.tensor_type.elem_type).lower()
    return {"float": "float32", "double": "float64", "undefined": "undeclared"}.get(name, name)


def _ort_reason(exc: BaseException) -> str:
    """ONNX Runtime's error as one short line: its first line without the status prefix and source locations."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    text = re.sub(r"\S*onnxruntime_src/\S+ .*?\) ", "", text)
    text = re.sub(r"^Non-zero status code returned while running (\w+) node\. Name:'[^']*' Status Message: ",
                  r"\1 node: ", text)
    return text[:200]


@dataclass(frozen=True)
class ModelFile:
    """A model file that passed every check that does not run it: its resolved path, metadata and key."""

    path: Path
    info: ModelInfo
    model_key: str
    external: tuple[str, ...] = ()  # external data locations, relative to the model's folder


class HashModel:
    """A loaded, validated hash model. ``encode`` turns prepared pixels into packed bit codes."""

    batch_size = 64  # photos per ONNX Runtime call, fewer for a large input (MAX_RUN_INPUT_BYTES)

    def __init__(self, path: Path, info: ModelInfo, session, model_key: str):
        self.path = path
        self.info = info
        self.session = session
        self.model_key = model_key
        self.providers: list[str] = session.get_providers()
        self.batch_size = max(1, min(type(self).batch_size, MAX_RUN_INPUT_BYTES // (3 * info.input_size ** 2 * 4)))

    @classmethod
    def inspect(cls, path: str | os.PathLike[str]) -> ModelFile:
        """Read and check a model file without running it: a regular file of at most MAX_MODEL_BYTES, valid
        ONNX, PhotoHash metadata, the graph's inputs and outputs, and external data inside its folder."""
        return cls._read(path)[0]

    @classmethod
    def _read(cls, path: str | os.PathLike[str]):
        import onnx

        path = Path(path).resolve()
        if not path.is_file():  # also refuses FIFOs and devices (/dev/zero) before any open
            raise ModelError(path, "file not found" if not path.exists() else "not a file")
        if path.stat().st_size > MAX_MODEL_BYTES:  # said of a model before anything is read
            raise ModelError(path, f"the file is larger than {_gib(MAX_MODEL_BYTES)}, more than a hash model needs")
        try:
            data = read_regular_file(path, MAX_MODEL_BYTES)
        except FileError as exc:
            raise ModelError(path, f"the file: {exc.reason}") from None
        try:
            proto = onnx.load_model_from_string(data)
        except Exception as exc:  # protobuf raises assorted types on garbage  # noqa: BLE001
            raise ModelError(path, f"not a valid ONNX file ({type(exc).__name__})") from None
        props = {p.key: p.value for p in proto.metadata_props}
        info = ModelInfo.from_metadata(props, path)
        cls._check_graph(proto, info, path)
        external = _external_data(proto, path)
        found = ModelFile(path, info, _model_key(data, external, path), tuple(loc for loc, _ in external))
        return found, data

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str = "auto", threads: int = 0,
             checked: ModelFile | None = None) -> HashModel:
        """The model at ``path``, read, checked and run by ONNX Runtime. ``checked``: the same file as checked before
        (:meth:`inspect`, or its key and metadata as a catalog kept them: engine.catalog_models.catalog_model); while
        the file's bytes still have its key they are not parsed with ONNX again (about 0.5 s before the first photo),
        and what ONNX Runtime returns is checked all the same (:meth:`_run`)."""
        import onnxruntime as ort

        data = None
        if checked is not None and not checked.external:
            try:
                data = read_regular_file(checked.path, MAX_MODEL_BYTES)
            except FileError:
                data = None
            if data is not None and _model_key(data, [], checked.path) != checked.model_key:
                data = None  # changed since: read and checked in full
        found, data = (checked, data) if data is not None else cls._read(path)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        # idle ORT threads sleep instead of spinning: in a scan the decode workers share the cores (docs/benchmark.md)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            # with external data ONNX Runtime needs the model's path to find it (checked above); without, it gets
            # the very bytes that were checked and hashed
            source = str(found.path) if found.external else data
            session = ort.InferenceSession(source, sess_options=options, providers=choose_providers(device))
        except Exception as exc:  # ORT raises its own exception types  # noqa: BLE001
            raise ModelError(found.path, f"ONNX Runtime cannot run it ({_ort_reason(exc)})") from None
        return cls(found.path, found.info, session, found.model_key)

    @staticmethod
    def _check_graph(proto, info: ModelInfo, path: Path) -> None:
        graph = proto.graph
        initializers = {i.name for i in graph.initializer}
        inputs = [i for i in graph.input if i.name not in initializers]
        if [i.name for i in inputs] != ["images"]:
            raise ModelError(path, f"the model must have one input named 'images', found {[i.name for i in inputs]}")
        if "codes" not in [o.name for o in graph.output]:
            raise ModelError(path, f"the model must have an output named 'codes', found {[o.name for o in graph.output]}")
        # the contract's types: anything else fails later (a string output stops a scan with a TypeError) or
        # silently means something else (int64 or bool codes have no sign to threshold at 0)
        for value in [inputs[0]] + [o for o in graph.output if o.name in ("codes", "turn", "similar")]:
            kind = "input" if value is inputs[0] else "output"
            if _type_name(value) != "float32":
                raise ModelError(path, f"{kind} {value.name!r} must be float32, found {_type_name(value)}")

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
        similar = next((o for o in graph.output if o.name == "similar"), None)
        if (similar is None) != (info.similar_bits == 0):
            raise ModelError(path, "output 'similar' and metadata 'photohash.similar_bits' must come together")
        if similar is not None and (len(dims(similar)) != 2 or dims(similar)[1] not in (info.similar_bits, None)):
            raise ModelError(path, f"output 'similar' must be [N, {info.similar_bits}] (similar_bits), "
                                   f"found {dims(similar)}")

    def _run(self, names: list[str], chunk: np.ndarray) -> list[np.ndarray]:
        """One ONNX Runtime call, its results checked against the contract: what a graph declares is not always
        what it returns, and NaN codes would have no sign."""
        import onnxruntime as ort

        options = ort.RunOptions()
        options.log_severity_level = 4  # a failure is raised as one line below, not also logged to stderr
        try:
            results = self.session.run(names, {"images": chunk}, options)
        except Exception as exc:  # ORT's own types, MemoryError  # noqa: BLE001
            raise ModelError(self.path, f"ONNX Runtime failed running it ({_ort_reason(exc)})") from None
        for name, result in zip(names, results):
            width = self._widths[name]
            if not isinstance(result, np.ndarray) or result.dtype != np.float32:
                found = result.dtype if isinstance(result, np.ndarray) else type(result).__name__
                raise ModelError(self.path, f"output {name!r} returned {found}, not float32")
            if result.ndim != 2 or result.shape[0] != len(chunk):
                raise ModelError(self.path, f"output {name!r} returned shape {list(result.shape)} for "
                                            f"{len(chunk)} images, not [{len(chunk)}, {width}]")
            if result.shape[1] != width:
                if name == "codes":
                    raise ModelError(self.path, f"model returned {result.shape[1]} values per image, "
                                                f"metadata says {self.info.bits}")
                raise ModelError(self.path, f"output {name!r} returned {result.shape[1]} values per image, not {width}")
            if not np.isfinite(result).all():
                raise ModelError(self.path, f"output {name!r} returned NaN or infinite values")
        return results

    @property
    def _widths(self) -> dict[str, int]:
        """Values per image of each output the contract knows."""
        return {"codes": self.info.bits, "turn": 4, "similar": self.info.similar_bits}

    def outputs(self, batch: np.ndarray) -> Outputs:
        """uint8 [N, H, W, 3] from :func:`prepare` -> one pass of the model: float32 codes [N, bits], the softmax
        over quarter turns [N, 4] when the model has a ``turn`` output, and the similarity code [N, similar_bits]
        when it has a ``similar`` output (else None)."""
        batch = np.asarray(batch)
        mean = np.asarray(self.info.mean, dtype=np.float32) * 255.0
        inv_std = 1.0 / (np.asarray(self.info.std, dtype=np.float32) * 255.0)
        names = ["codes"] + ["turn"] * bool(self.info.upright_confidence) + ["similar"] * bool(self.info.similar_bits)
        results: dict[str, list[np.ndarray]] = {name: [] for name in names}
        for start in range(0, len(batch), self.batch_size):
            chunk = (batch[start : start + self.batch_size].astype(np.float32) - mean) * inv_std
            chunk = np.ascontiguousarray(chunk.transpose(0, 3, 1, 2))
            for name, result in zip(names, self._run(names, chunk)):
                results[name].append(result)
        joined = {name: np.concatenate(parts) if parts else np.zeros((0, self._widths[name]), np.float32)
                  for name, parts in results.items()}
        turn = None
        if "turn" in joined:
            logits = joined["turn"].astype(np.float64)
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            turn = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
        return Outputs(joined["codes"], turn, joined.get("similar"))

    def upright_outputs(self, batch: np.ndarray) -> Outputs:
        """:meth:`outputs` of each image turned upright first where the model is sure it is turned (see the module
        docstring); ``turn`` is the first pass's."""
        batch = np.asarray(batch)
        out = self.outputs(batch)
        if out.turn is None:
            return out
        quarter = self.quarter_turns(out.turn)
        turned = np.nonzero(quarter)[0]
        if len(turned):
            # turning the prepared pixels stands for preparing the turned-back photo: exact but for resampling
            # rounding with "squash", and a one-pixel shift with "center-crop" when the crop offset is odd
            upright = self.outputs(np.ascontiguousarray(np.stack([np.rot90(batch[i], -quarter[i], axes=(0, 1))
                                                                  for i in turned])))
            out.codes[turned] = upright.codes
            if out.similar is not None:
                out.similar[turned] = upright.similar
        return out

    def encode_raw(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] from :func:`prepare` -> the float32 [N, bits] codes, of each image turned
        upright first where the model is sure it is turned."""
        return self.upright_outputs(batch).codes

    def encode_both(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """uint8 [N, H, W, 3] -> the packed duplicate codes, and the packed similarity codes (None: the model has
        none, and its one code answers both questions)."""
        out = self.upright_outputs(batch)
        return codes.pack(out.codes), None if out.similar is None else codes.pack(out.similar)

    def quarter_turns(self, turn: np.ndarray) -> np.ndarray:
        """The softmax of the ``turn`` output [N, 4] -> the quarter turns the engine undoes (0: the image is
        encoded as it is, because it looks upright or the model is not sure enough)."""
        return np.where(turn.max(axis=1) >= self.info.upright_confidence, turn.argmax(axis=1), 0)

    def encode(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] -> packed codes uint8 [N, bits / 8] (bit = output > 0)."""
        return codes.pack(self.encode_raw(batch))

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self.encode_images_both(images)[0]

    def encode_images_both(self, images: Sequence[Image.Image]) -> tuple[np.ndarray, np.ndarray | None]:
        """PIL images -> :meth:`encode_both` of them, each prepared as the model's metadata says."""
        if not images:
            return (np.zeros((0, self.info.bits // 8), dtype=np.uint8),
                    np.zeros((0, self.info.similar_bits // 8), dtype=np.uint8) if self.info.similar_bits else None)
        return self.encode_both(np.stack([prepare(img, self.info) for img in images]))


# -- the probe: run a new model once, in a child process with bounded memory and time -----------------------------

def probe_images() -> list[Image.Image]:
    """Photo-like test images (smooth light, edges, texture, landscape and portrait), made here, so the probe
    needs no file and runs the same in a bundle."""
    from PIL import ImageDraw, ImageFilter

    rng = np.random.default_rng(20)
    out = []
    for w, h in ((640, 480), (480, 640), (800, 533), (512, 512)):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        sky = np.stack([90 + 120 * y / h, 120 + 80 * x / w, 200 - 90 * y / h], axis=-1)
        img = Image.fromarray(np.clip(sky + rng.normal(0, 12, sky.shape), 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(img)
        for _ in range(6):
            x0, y0 = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 60))
            box = (x0, y0, x0 + int(rng.integers(40, w // 2)), y0 + int(rng.integers(40, h // 2)))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
        out.append(img.filter(ImageFilter.GaussianBlur(1.5)))
    return out


def _address_space() -> tuple[int, int]:
    """(size, peak) of this process's address space in bytes; (0, 0) where /proc does not say (not Linux)."""
    try:
        with open("/proc/self/status") as fh:
            fields = dict(line.split(":", 1) for line in fh if ":" in line)
        return int(fields["VmSize"].split()[0]) * 1024, int(fields["VmPeak"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return 0, 0


def _probe_child(path: str, memory: int, conn) -> None:
    """The probe's child: cap the address space at what the engine maps plus ``memory``, load the model, encode the
    test images, send ("ok", model key, bytes used above the engine) or ("error", one-line reason, None)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)  # a crash's "terminate called..." must not reach the CLI's one-line stderr
    except OSError:
        pass
    try:
        import onnx  # noqa: F401  (mapped before the bound: the engine's own size, not the model's)
        import onnxruntime  # noqa: F401

        images = probe_images()
        base, _ = _address_space()
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (base + memory, base + memory))
        except (ImportError, ValueError, OSError, AttributeError):
            pass  # no RLIMIT_AS here (Windows, some macOS): the time limit still holds
        model = HashModel.load(path, device="cpu", threads=1)  # one thread: no per-thread arenas in the bound
        model.encode_images(images)
        conn.send(("ok", model.model_key, _address_space()[1] - base))
    except MemoryError:
        conn.send(("error", f"ran out of memory under the {_gib(memory)} bound", None))
    except ModelError as exc:
        if "bad_alloc" in exc.reason or "Failed to allocate" in exc.reason:
            asked = re.search(r"requested buffer of size (\d+)", exc.reason)
            detail = f" (it asked for {_gib(int(asked.group(1)))} at once)" if asked else ""
            conn.send(("error", f"ran out of memory under the {_gib(memory)} bound{detail}", None))
        else:
            conn.send(("error", exc.reason, None))
    except Exception as exc:  # anything else the model makes the engine raise  # noqa: BLE001
        conn.send(("error", f"failed on a test batch ({type(exc).__name__}: {_ort_reason(exc)})", None))
    finally:
        conn.close()


def probe_model(path: str | os.PathLike[str], *, memory: int = PROBE_MEMORY_BYTES,
                timeout: float = PROBE_TIMEOUT_S) -> ModelFile:
    """Check a model as :meth:`HashModel.inspect` does, then load it and encode :func:`probe_images` in a child
    process whose address space is bounded (``memory`` above the engine's own) and which is stopped after
    ``timeout`` seconds. A model that fails, runs out of memory, crashes the child or does not finish is refused
    with a one-line ModelError, so that ``models use`` never makes active a model that would take the scan (or the
    machine) down. The child is a "spawn" process: the same in a PyInstaller bundle (multiprocessing.freeze_support)
    and safe from a process with threads (the desktop app)."""
    import multiprocessing

    found = HashModel.inspect(path)
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_probe_child, args=(str(found.path), memory, writer), daemon=True,
                            name="photohash-model-probe")
    child.start()
    writer.close()  # the child holds the only writer: its death ends the pipe (EOFError below)
    message = None
    try:
        if reader.poll(timeout):
            try:
                message = reader.recv()
            except (EOFError, OSError):
                message = None
        else:
            child.kill()  # still loading or encoding: a model that never ends is refused, not waited for
            raise ModelError(found.path, f"did not load and encode its test images within {timeout:g} s")
    finally:
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
        reader.close()
    seconds = time.monotonic() - started
    if message is None:
        code = child.exitcode
        if code is not None and code < 0:
            import signal

            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if -code == getattr(signal, "SIGKILL", 9):
                raise ModelError(found.path, f"was killed while running a test batch ({name}): it likely ran out "
                                             f"of memory under the {_gib(memory)} bound")
            raise ModelError(found.path, f"crashed ONNX Runtime on a test batch ({name}; it may have run out of "
                                         f"memory under the {_gib(memory)} bound)")
        raise ModelError(found.path, f"the test batch ended without an answer (exit code {code})")
    status, detail, used = message
    if status != "ok":
        raise ModelError(found.path, detail)
    if detail != found.model_key:
        raise ModelError(found.path, "the file changed while it was being checked; try again")
    log.debug("model %s passed the probe in %.2f s, %.0f MiB above the engine", found.path, seconds,
              (used or 0) / (1 << 20))
    return found
