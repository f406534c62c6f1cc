"""Data files shipped with PhotoHash: the default hash models (``models/``) and icons (``icons/``)."""
