"""The hashing methods by name: each is an nn.Module with ``loss(view1, view2)`` and ``encode(features)``.

``needs_tokens`` says whether a method takes the backbone's patch grid [n, N, D] (WCH) or the
pooled vector [n, D] (NSH, baseline).
"""

from .baseline import Baseline
from .nsh import NSH
from .wch import WCH

METHODS = {"wch": WCH, "nsh": NSH, "baseline": Baseline}

__all__ = ["METHODS", "WCH", "NSH", "Baseline"]
