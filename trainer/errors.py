"""Errors of the trainer a user may see: one line, saying what to do."""

from engine.errors import PhotoHashError


class TrainerError(PhotoHashError):
    """Training cannot start or go on (bad weights file, no usable photos, unwritable output)."""
