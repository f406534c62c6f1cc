"""``python -m trainer.download``: fetch a backbone's ImageNet weights into torchvision's own cache
(``torch.hub.get_dir()/checkpoints``, the file name torchvision's weights enum gives), with torch.hub's own
downloader, when the user asks for it (the Retrain dialog's Download button). Training itself never downloads.

Prints JSON lines on stdout: ``{"event": "download", "done", "total"}`` while it runs, then ``{"event": "done",
"path", "bytes"}``; a failure is ``{"event": "error", "message"}`` there, the same line on stderr, and exit code 1.
``PHOTOHASH_WEIGHTS_URL`` (or ``--url``) replaces torchvision's address: the tests serve a file on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

URL_ENV = "PHOTOHASH_WEIGHTS_URL"
TIMEOUT_S = 30  # a network that stops answering ends the download with a line, never a hang


def official_url(backbone: str = "mobilenet_v2") -> str:
    """torchvision's own address for the backbone's ImageNet weights (its weights enum)."""
    import torchvision

    from .backbones import SPECS

    enum_name, member = SPECS[backbone].weights_enum.split(".")
    return getattr(getattr(torchvision.models, enum_name), member).url


def weights_url(backbone: str = "mobilenet_v2") -> str:
    return os.environ.get(URL_ENV) or official_url(backbone)


def _emit(event: dict) -> None:
    print(json.dumps(event), flush=True)


class _Progress:
    """The part of tqdm's interface torch.hub's downloader uses, reporting as JSON lines (at most 5 a second)."""

    def __init__(self, total=None, disable=False, **_):
        self.total, self.done, self.sent, self.last = total, 0, None, 0.0

    def _send(self) -> None:
        if self.done != self.sent:
            self.sent, self.last = self.done, time.monotonic()
            _emit({"event": "download", "done": self.done, "total": self.total})

    def update(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self.last >= 0.2:
            self._send()

    def __enter__(self):
        self._send()
        return self

    def __exit__(self, *_):
        self._send()

    def close(self) -> None:
        pass


@contextmanager
def _json_progress():
    import torch.hub

    before = getattr(torch.hub, "tqdm", None)
    torch.hub.tqdm = _Progress  # torch.hub looks its progress bar up by this name at each download
    try:
        yield
    finally:
        torch.hub.tqdm = before


def _reason(exc: BaseException, url: str, target: Path) -> str:
    if isinstance(exc, HTTPError):
        return f"cannot download {url}: HTTP {exc.code} {exc.reason}"
    if isinstance(exc, URLError):
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        return f"cannot download {url}: {reason} (is this computer offline?)"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"cannot download {url}: no answer for {TIMEOUT_S} s (is this computer offline?)"
    if isinstance(exc, RuntimeError) and "hash" in str(exc):
        return f"the file downloaded from {url} is damaged (its checksum does not match): try again"
    if isinstance(exc, OSError):
        return f"cannot write {exc.filename or target}: {exc.strerror or exc}"
    return str(exc)


def download(backbone: str = "mobilenet_v2", url: str | None = None) -> Path:
    """The weights file in torchvision's cache, downloaded unless it is there; checked to be a state dict (a
    damaged or wrong file is removed). Raises with a one-line message."""
    import torch.hub

    from .backbones import SPECS, cached_weights_path, load_state_dict
    from .errors import TrainerError

    target = cached_weights_path(SPECS[backbone])
    if target.is_file():
        return target
    url = url or weights_url(backbone)
    found = torch.hub.HASH_REGEX.search(os.path.basename(urlparse(url).path))  # torchvision's names end -<sha256[:8]>
    socket.setdefaulttimeout(TIMEOUT_S)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _json_progress():
            torch.hub.download_url_to_file(url, str(target), found.group(1) if found else None, progress=True)
    except (OSError, RuntimeError) as exc:  # URLError and timeouts are OSErrors
        raise TrainerError(_reason(exc, url, target)) from None
    try:
        load_state_dict(target)
    except TrainerError:
        target.unlink(missing_ok=True)
        raise TrainerError(f"the file downloaded from {url} holds no PyTorch weights") from None
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.download", description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--url", help=f"download from here instead (default: ${URL_ENV}, or torchvision's address)")
    args = parser.parse_args(argv)
    # Close and Cancel stop this process: let torch.hub's downloader remove its partial file on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    from .errors import TrainerError

    try:
        path = download(args.backbone, args.url)
    except (TrainerError, KeyboardInterrupt) as exc:
        line = str(exc) if isinstance(exc, TrainerError) else "download cancelled"
        _emit({"event": "error", "message": line})
        print(f"photohash: {line}", file=sys.stderr)
        return 1
    _emit({"event": "done", "path": str(path), "bytes": path.stat().st_size})
    return 0


if __name__ == "__main__":
    sys.exit(main())
