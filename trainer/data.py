"""Training and evaluation data: the user's unlabeled photos, two-view augmentations, labeled zips.

Unlabeled photos come from a folder (found by the engine's walk) or from the catalog (exactly the
files the last scan hashed, so "Retrain on my library" trains on what was scanned). They are
decoded with the engine's robust loader: a bad file is skipped with its one-line reason, never a
crash. Labeled sets for evaluation (CIFAR-10, Imagenette) are read straight from their zips.
"""

from __future__ import annotations

import csv
import io
import os
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import tv_tensors
from torchvision.transforms import v2 as T

from engine.catalog import Catalog
from engine.errors import FileError
from engine.images import FileEntry, decode_image, is_video, read_image, walk

from .backbones import IMAGENET_MEAN, IMAGENET_STD
from .edits import random_edit
from .errors import TrainerError

# Decode photos at least this large; the augmentations crop and resize to the model's input.
DECODE_SIDE = 256


def view_transform(size: int = 224) -> Callable:
    """One random view, MoCo v2 style: WCH's official set (DESIGN.md 8.1) and NSH's known-good
    MoCo-v2 set are the same list, so both methods use this one transform, drawn twice per photo:

    RandomResizedCrop(size, scale 0.2-1) · ColorJitter(0.4, 0.4, 0.4, 0.1) with p 0.8 ·
    grayscale p 0.2 · Gaussian blur σ ∈ [0.1, 2] with p 0.5 · horizontal flip · ImageNet normalisation.
    """
    return T.Compose([
        T.ToImage(),
        T.RandomResizedCrop(size, scale=(0.2, 1.0), antialias=True),
        T.RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([GaussianBlur(kernel_size=23, sigma=(0.1, 2.0))], p=0.5),
        T.RandomHorizontalFlip(),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def _on_pixels(image: torch.Tensor, change: Callable[[np.ndarray], np.ndarray]) -> torch.Tensor:
    """``change`` applied to a uint8 [3, H, W] image as an OpenCV [H, W, 3] array; the result keeps the input's type."""
    pixels = np.ascontiguousarray(image.permute(1, 2, 0).numpy())
    return tv_tensors.wrap(torch.from_numpy(change(pixels)).permute(2, 0, 1), like=image)


class ColorJitter(T.ColorJitter):
    """torchvision's, drawn as torchvision draws it, with the hue shifted by OpenCV on uint8 pixels: torchvision's
    float HSV round trip took 8 of the 20 ms a MoCo view costs (docs/benchmark.md, "Retrain on my library")."""

    def transform(self, inpt, params: dict):
        hue = params["hue_factor"]
        for fn_id in params["fn_idx"]:
            if fn_id == 3 and hue is not None:
                inpt = _on_pixels(inpt, lambda rgb: _shift_hue(rgb, hue))
            else:
                inpt = super().transform(inpt, {**params, "fn_idx": [fn_id], "hue_factor": None})
        return inpt


def _shift_hue(rgb: np.ndarray, factor: float) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL)  # hue in 0-255, a full turn
    hsv[..., 0] += np.uint8(round(factor * 256) % 256)  # wraps around, as a hue does
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)


class GaussianBlur(T.GaussianBlur):
    """torchvision's (the same kernel, the same σ draw) run by OpenCV on uint8 pixels: torchvision's took 18 ms a
    224-px view, OpenCV's well under one."""

    def transform(self, inpt, params: dict):
        side = self.kernel_size
        return _on_pixels(inpt, lambda rgb: cv2.GaussianBlur(rgb, tuple(side), params["sigma"][0],
                                                             sigmaY=params["sigma"][1],
                                                             borderType=cv2.BORDER_REFLECT_101))


class RandomTurn:
    """A lossless quarter turn (0, 90, 180 or 270 degrees, uniformly), as a viewer's "rotate" writes."""

    def __call__(self, image):
        return T.functional.rotate(image, 90 * int(torch.randint(4, ()))) if torch.rand(()) < 0.75 else image


def duplicate_view_transform(size: int = 224) -> Callable:
    """Views of the *same photo* as a user's tools change it (the near-duplicate benchmark's edits):

    squash to size·8/7 (the engine's ``squash`` rule sees the whole photo, so a view must too) ·
    black or white borders p 0.2 · quarter turns p 0.75 · horizontal flip · RandomResizedCrop(scale
    0.35-1, ratio 3/4-4/3) · small rotation ±10° p 0.3 · ColorJitter(0.4, 0.4, 0.4, 0.05) p 0.8 ·
    grayscale p 0.2 · blur p 0.3 · JPEG quality 10-95 p 0.4 · noise p 0.2 · small erased patches (as a
    caption or a watermark) p 0.3 · ImageNet normalisation.

    Milder crops than ``view_transform`` (0.35, not 0.2: two views must still be the same photo),
    and the geometric edits the MoCo set lacks (turns, borders, tilts, recompression).
    """
    big = size * 8 // 7
    return T.Compose([
        T.ToImage(),
        T.Resize((big, big), antialias=True),
        T.RandomApply([T.RandomChoice([T.RandomZoomOut(fill=0, side_range=(1.0, 1.4), p=1.0),
                                       T.RandomZoomOut(fill=255, side_range=(1.0, 1.2), p=1.0)])], p=0.2),
        RandomTurn(),
        T.RandomHorizontalFlip(),
        T.RandomResizedCrop(size, scale=(0.35, 1.0), ratio=(3 / 4, 4 / 3), antialias=True),
        T.RandomApply([T.RandomRotation(10)], p=0.3),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.05)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([T.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0))], p=0.3),
        T.RandomApply([T.JPEG((10, 95))], p=0.4),
        T.ToDtype(torch.float32, scale=True),
        T.RandomApply([T.GaussianNoise(sigma=0.05)], p=0.2),
        T.RandomErasing(p=0.3, scale=(0.02, 0.08), value=1.0),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


class UserEdit:
    """The whole photo (p ``clean``) or ``trainer.edits.random_edit`` of it, squashed as the engine does."""

    def __init__(self, size: int, clean: float):
        self.size, self.clean = size, clean

    def __call__(self, image):
        if torch.rand(()) >= self.clean:
            image = random_edit(image, np.random.default_rng(int(torch.randint(2**62, ()))))
        return image.convert("RGB").resize((self.size, self.size), Image.BILINEAR, reducing_gap=None)


def edit_view_transform(size: int = 224, clean: float = 0.25) -> Callable:
    """Views of the same photo as the engine would see a user's copy of it: the whole photo, squashed
    (what ``prepare`` does with the ``squash`` rule), either untouched or after one to three random
    edits of the benchmark's kinds (``random_edit``: crops, tilts, quarter turns, flips, colour, blur,
    noise, text, borders, app windows, JPEG). A pair of views is then an original and its copy, or two
    copies, rather than two random crops: the engine never crops, so training should not either."""
    return T.Compose([
        UserEdit(size, clean),
        T.ToImage(),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


VIEW_TRANSFORMS = {"standard": view_transform, "duplicates": duplicate_view_transform, "edits": edit_view_transform}
# The engine's resize rule (engine.model.prepare) that matches each set of training views.
RESIZE_RULES = {"standard": "center-crop", "duplicates": "squash", "edits": "squash"}


def eval_transform(size: int = 224) -> Callable:
    """Deterministic: resize the shorter side to size·8/7, centre crop, normalise (torchvision's ImageNet recipe)."""
    return T.Compose([
        T.ToImage(),
        T.Resize(size * 8 // 7, antialias=True),
        T.CenterCrop(size),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


class TwoViews:
    """The same random view transform applied twice, independently (as lightly's SimCLR transform)."""

    def __init__(self, transform: Callable):
        self.transform = transform

    def __call__(self, image) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(image), self.transform(image)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class UnlabeledPhotos(Dataset):
    """Photos without labels. Item i is ``(i, transform(image))``, or ``(i, Skipped)`` for a bad file."""

    def __init__(self, paths: Sequence[str], transform: Callable):
        if not paths:
            raise TrainerError("no photos to train on")
        self.paths = list(paths)
        self.transform = transform

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str], transform: Callable, *, include_hidden: bool = False):
        folder = Path(folder)
        if not folder.is_dir():
            raise TrainerError(f"{folder}: not a folder")
        paths = [e.path for e in walk([folder], include_hidden=include_hidden, videos=False)
                 if isinstance(e, FileEntry)]
        if not paths:
            raise TrainerError(f"{folder}: no photos found (JPEG, PNG, WebP, HEIC, TIFF, BMP or GIF)")
        return cls(paths, transform)

    @classmethod
    def from_catalog(cls, catalog: Catalog, transform: Callable):
        """The photos the catalog knows as present and readable (what the last scan hashed; not its videos)."""
        paths = [f.path for f in catalog.all_files() if f.error is None and not is_video(f.path)]
        if not paths:
            raise TrainerError(f"the catalog {catalog.path} has no readable photos; scan a folder first")
        return cls(paths, transform)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        path = self.paths[index]
        try:
            image = read_image(path, min_side=DECODE_SIDE).image
        except FileError as exc:
            return index, Skipped(path, exc.reason)
        return index, self.transform(image)


def collate(batch):
    """Stack the good items; return (indices, stacked transform outputs, skipped files)."""
    good = [(i, x) for i, x in batch if not isinstance(x, Skipped)]
    skipped = [x for _, x in batch if isinstance(x, Skipped)]
    if not good:
        return torch.empty(0, dtype=torch.long), None, skipped
    indices = torch.tensor([i for i, _ in good])
    first = good[0][1]
    if isinstance(first, tuple):
        data = tuple(torch.stack([x[k] for _, x in good]) for k in range(len(first)))
    else:
        data = torch.stack([x for _, x in good])
    return indices, data, skipped


# -- labeled sets for evaluation -------------------------------------------------------------------


class ZipImages(Dataset):
    """Labeled images read from a zip without extracting. Item i is ``(transform(image), label)``."""

    def __init__(self, zip_path: str | os.PathLike[str], members: Sequence[str], labels: Sequence[int],
                 transform: Callable):
        self.zip_path = Path(zip_path)
        self.members = list(members)
        self.labels = list(labels)
        self.transform = transform
        self._zip: zipfile.ZipFile | None = None
        self._pid: int | None = None

    def _open(self) -> zipfile.ZipFile:
        if self._zip is None or self._pid != os.getpid():  # one handle per DataLoader worker process
            self._zip = zipfile.ZipFile(self.zip_path)
            self._pid = os.getpid()
        return self._zip

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, index: int):
        name = self.members[index]
        decoded = decode_image(self._open().read(name), f"{self.zip_path}:{name}")
        return self.transform(decoded.image), self.labels[index]

    def __getstate__(self):
        return {**self.__dict__, "_zip": None, "_pid": None}


@dataclass(frozen=True)
class RetrievalSplit:
    """Indices into one list of (member, label): query, database and the unlabeled training set."""

    members: list[str]
    labels: list[int]
    classes: list[str]
    query: list[int]
    database: list[int]
    train: list[int]


def _members(zip_path: Path, prefix: str, suffixes: tuple[str, ...]) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return sorted(n for n in zf.namelist() if n.startswith(prefix) and n.lower().endswith(suffixes))


def cifar10_split(zip_path: str | os.PathLike[str], seed: int = 0) -> RetrievalSplit:
    """DESIGN.md 8.4: merge the 60,000 images; per class, with a fixed seed, 100 queries, 500 training
    images, and the rest as database (training images excluded)."""
    zip_path = Path(zip_path)
    members = _members(zip_path, "", (".jpg", ".jpeg", ".png"))
    classes = sorted({m.split("/")[-2] for m in members})
    labels = [classes.index(m.split("/")[-2]) for m in members]
    rng = random.Random(seed)
    query, train, database = [], [], []
    for c in range(len(classes)):
        idx = [i for i, label in enumerate(labels) if label == c]
        rng.shuffle(idx)
        query += idx[:100]
        train += idx[100:600]
        database += idx[600:]
    return RetrievalSplit(members, labels, classes, sorted(query), sorted(database), sorted(train))


def originals_halves(zip_path: str | os.PathLike[str], seed: int = 0) -> dict[str, list[str]]:
    """The shared free photos' JPEG members, shuffled (fixed seed) and halved: "calibration" (radii, int8 calibration,
    choices of recipe) and "test" (every figure reported), so nothing is tuned on the photos it is measured on."""
    with zipfile.ZipFile(zip_path) as zf:
        names = sorted(n for n in zf.namelist() if n.lower().endswith(".jpg"))
    random.Random(seed).shuffle(names)
    half = (len(names) + 1) // 2
    return {"calibration": sorted(names[:half]), "test": sorted(names[half:])}


def imagenette_split(zip_path: str | os.PathLike[str], seed: int = 0) -> RetrievalSplit:
    """Queries: 100 per class from val (fixed seed); database: the rest of val plus train; train: the
    5,000 train images."""
    zip_path = Path(zip_path)
    members = _members(zip_path, "imagenette/", (".jpeg", ".jpg"))
    with zipfile.ZipFile(zip_path) as zf:
        rows = list(csv.reader(io.TextIOWrapper(zf.open("imagenette/classes.csv"), "utf-8")))
    names = {r[0]: r[1] for r in rows if len(r) >= 2}
    wnids = sorted({m.split("/")[-2] for m in members})
    classes = [names.get(w, w) for w in wnids]
    labels = [wnids.index(m.split("/")[-2]) for m in members]
    rng = random.Random(seed)
    query = []
    for c in range(len(wnids)):
        val = [i for i, m in enumerate(members) if labels[i] == c and m.split("/")[1] == "val"]
        rng.shuffle(val)
        query += val[:100]
    chosen = set(query)
    train = [i for i, m in enumerate(members) if m.split("/")[1] == "train"]
    database = [i for i in range(len(members)) if i not in chosen]
    return RetrievalSplit(members, labels, classes, sorted(query), database, train)
