"""The hashing methods by name: each is an nn.Module with ``loss(view1, view2)`` and ``encode(features)``,
or, when ``closed_form`` is set (whitening), ``fit(views)`` once instead of a loss.

``needs_tokens`` says whether a method takes the backbone's patch grid [n, N, D] (WCH) or the
pooled vector [n, D] (NSH, baseline).
"""

from .baseline import Baseline
from .nsh import NSH
from .wch import WCH
from .whitening import Whitening

METHODS = {"wch": WCH, "nsh": NSH, "baseline": Baseline, "whitening": Whitening}

__all__ = ["METHODS", "WCH", "NSH", "Baseline", "Whitening"]
