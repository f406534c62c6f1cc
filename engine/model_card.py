"""A model's card (the JSON file beside its ONNX file) and the title a person reads for the model.

Shipped models carry a card with a title; a model retrained by the app or the CLI has none, and is named for what it
was trained on and when."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path


def read_card(path: str | os.PathLike[str]) -> dict:
    """The model card beside the ONNX file, or ``{}`` when there is none (or it cannot be read)."""
    try:
        card = json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def model_title(path: str | os.PathLike[str], trained_on: str = "") -> str:
    """What the app calls a model: its card's title; a retrained model (trained on a user's photos, no card) by its
    date; else its file's name."""
    path = Path(path)
    title = read_card(path).get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    if "PhotoHash catalog" in trained_on or trained_on.startswith("photos in "):
        try:
            day = datetime.date.fromtimestamp(path.stat().st_mtime)
        except OSError:
            return f"Trained on your photos ({path.stem})"
        return f"Trained on your photos, {day:%-d %b %Y}"
    return path.stem
