"""``photohash-cli scan PATH...``: bring the catalog up to date, with a progress bar."""

from __future__ import annotations

import os
import sys

from engine.errors import UsageError, printable

from .common import load_model, open_catalog, print_json


def register(sub, common) -> None:
    p = sub.add_parser("scan", parents=[common], help="scan folders of photos into the catalog")
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders or files to scan")
    p.add_argument("--model", metavar="MODEL.onnx", help="hash model to use (default: the active model)")
    p.add_argument("--workers", type=int, default=None, help="decoding processes (default: one per CPU core)")
    p.add_argument("--batch-size", type=int, default=32, help="photos encoded and committed together (default 32)")
    p.add_argument("--include-hidden", action="store_true", help="also scan hidden and system folders")
    p.add_argument("--no-videos", dest="videos", action="store_false",
                   help="leave videos out (they are found by name and their frames sampled: slower than photos)")
    p.add_argument("--retry-errors", action="store_true", help="read again files that failed before")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="hash on a Ray cluster (pip install 'photohash[cluster]'): its address (auto, HOST:PORT), or "
                        "none for the default (RAY_ADDRESS, a cluster started here, or a local one); put it after "
                        "the folders. The folders must be at the same path on every node; --workers counts "
                        "hashing actors")
    p.set_defaults(run=run)


def run(args) -> int:
    # the scan pipeline (PyAV for videos, the worker pool) and the bar are imported by the command that uses them,
    # not by every command's start-up
    from tqdm import tqdm

    from engine.scan import ScanFailure, ScanProgress, ScanSummary, scan

    scanner = scan
    if args.ray is not None:  # the cluster extra is checked before anything else is done
        from functools import partial

        if os.path.isdir(args.ray):  # `scan --ray /photos`: argparse took the folder as the address
            raise UsageError(f"--ray took {printable(args.ray)} as the cluster's address: put the folders first, "
                             "or give the address (--ray auto)")

        from engine.cluster import import_ray, scan_ray

        import_ray()
        scanner = partial(scan_ray, address=args.ray or None)
    roots = {os.path.abspath(p) for p in args.paths}
    with open_catalog(args) as catalog:
        model = load_model(catalog, args.model)
        bar = tqdm(total=0, unit="photo", desc="Scanning", file=sys.stderr, disable=None, dynamic_ncols=True)
        summary = None
        try:
            for event in scanner(
                catalog, args.paths, model,
                workers=args.workers, batch_size=args.batch_size, include_hidden=args.include_hidden, retry_errors=args.retry_errors,
                videos=args.videos,
            ):
                if isinstance(event, ScanProgress):
                    if event.phase == "walking":
                        bar.set_description(f"Finding photos ({event.found})")
                    elif event.phase == "starting":
                        bar.set_description("Starting Ray")
                    else:
                        bar.set_description("Hashing")
                        bar.total = event.total
                        bar.n = event.done
                        bar.set_postfix_str(f"{event.skipped} unchanged, {event.failed} failed", refresh=False)
                        bar.refresh()
                elif isinstance(event, ScanFailure):
                    bar.write(f"skipped {event}", file=sys.stderr)
                elif isinstance(event, ScanSummary):
                    summary = event
        finally:
            bar.close()
    if args.json:
        print_json(
            {
                "model": str(model.path),
                "model_key": model.model_key,
                "found": summary.found,
                "hashed": summary.hashed,
                "unchanged": summary.skipped,
                "failed": summary.failed,
                "missing": summary.missing,
                "returned": summary.returned,
                "seconds": round(summary.seconds, 3),
                "failures": [{"path": f.path, "reason": f.reason} for f in summary.failures],
            }
        )
    else:
        rate = summary.hashed / summary.seconds if summary.seconds else 0.0
        print(
            f"{summary.found} photos found in {summary.seconds:.1f} s: {summary.hashed} hashed ({rate:.1f}/s), "
            f"{summary.skipped} unchanged, {summary.failed} failed, {summary.missing} no longer on disk"
        )
    unreadable_roots = [f for f in summary.failures if f.path in roots]
    for failure in unreadable_roots:
        print(f"photohash-cli: error: {failure}", file=sys.stderr)
    return 1 if unreadable_roots else 0
