"""``dupes``, ``trash`` and ``undo``: list duplicate groups, move the extra copies to the trash, put them back."""

from __future__ import annotations

import csv
import sys

from ..duplicates import KEEPER_RULES, Group, model_groups
from ..errors import UsageError
from ..trash import trash_files, undo
from .common import human_bytes, load_model, open_catalog, print_json


def _group_options(p) -> None:
    p.add_argument("--radius", type=int, default=None, help="Hamming radius (default: the model's duplicate radius)")
    p.add_argument(
        "--similar", action="store_true", help="use the model's wider 'similar' radius instead of 'duplicate'"
    )
    p.add_argument(
        "--reference", action="append", default=[], metavar="FOLDER",
        help="a folder whose photos are never suggested for removal (repeatable)",
    )
    p.add_argument(
        "--keep-rules", default=",".join(KEEPER_RULES), metavar="RULES",
        help=f"ordered rules that pick the copy to keep (default: {','.join(KEEPER_RULES)})",
    )
    p.add_argument("--model", metavar="MODEL.onnx", help="hash model (default: the active model)")


def register(sub, common) -> None:
    p = sub.add_parser("dupes", parents=[common], help="list groups of duplicate photos")
    _group_options(p)
    p.add_argument("--csv", action="store_true", help="print one CSV row per file")
    p.set_defaults(run=run_dupes)

    p = sub.add_parser("trash", parents=[common], help="move the extra copies of each group to the system trash")
    _group_options(p)
    p.add_argument("--yes", action="store_true", help="really move the files (default: only show what would move)")
    p.set_defaults(run=run_trash)

    p = sub.add_parser("undo", parents=[common], help="put back the files of the last trash command")
    p.add_argument("--batch", type=int, default=None, help="which trash batch to restore (default: the last)")
    p.add_argument("--yes", action="store_true", help="really restore (default: only show what would come back)")
    p.set_defaults(run=run_undo)


def _groups(args, catalog) -> tuple[list[Group], object, int]:
    model = load_model(catalog, args.model)
    if args.radius is not None and args.similar:
        raise UsageError("give either --radius or --similar, not both")
    radius = args.radius
    if radius is None:
        radius = model.info.radius_similar if args.similar else model.info.radius_duplicate
    rules = tuple(r.strip() for r in args.keep_rules.split(",") if r.strip())
    groups = model_groups(catalog, model, radius, reference_folders=args.reference, keeper_rules=rules)
    return groups, model, radius


def _member_dict(m) -> dict:
    f = m.file
    return {
        "path": f.path,
        "distance": m.distance,
        "keep": m.keep,
        "protected": m.protected,
        "exact": m.exact,
        "size": f.size,
        "width": f.width,
        "height": f.height,
        "format": f.format,
        "captured_at": f.captured_at,
        "content_hash": f.content_hash,
    }


def run_dupes(args) -> int:
    with open_catalog(args) as catalog:
        groups, model, radius = _groups(args, catalog)
    if args.json:
        print_json(
            {
                "model": str(model.path),
                "model_key": model.model_key,
                "radius": radius,
                "groups": [
                    {"kind": g.kind, "bytes_freed": g.bytes_freed, "files": [_member_dict(m) for m in g.members]}
                    for g in groups
                ],
            }
        )
    elif args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["group", "path", "distance", "keep", "protected", "exact", "size", "width", "height",
                         "format", "captured_at"])
        for n, g in enumerate(groups, 1):
            for m in g.members:
                d = _member_dict(m)
                writer.writerow([n] + [d[k] for k in ("path", "distance", "keep", "protected", "exact", "size",
                                                      "width", "height", "format", "captured_at")])
    else:
        _print_groups(groups, radius)
    return 0


def _print_groups(groups: list[Group], radius: int) -> None:
    for n, g in enumerate(groups, 1):
        print(f"Group {n}: {len(g.members)} photos, {g.kind}, frees {human_bytes(g.bytes_freed)}")
        for m in g.members:
            f = m.file
            action = "keep " if m.keep else ("ref  " if m.protected else "trash")
            dims = f"{f.width or '?'}×{f.height or '?'}"
            same = "same bytes" if m.exact and not m.keep else ""
            print(
                f"  {action} d={m.distance:<3} {dims:>11} {human_bytes(f.size):>9}  "
                f"{(f.captured_at or '')[:10]:10}  {same:10}  {f.path}"
            )
    freed = sum(g.bytes_freed for g in groups)
    extra = sum(len(g.removable) for g in groups)
    print(f"{len(groups)} groups within radius {radius}; {extra} extra copies, {human_bytes(freed)} to free")


def run_trash(args) -> int:
    with open_catalog(args) as catalog:
        groups, _, radius = _groups(args, catalog)
        paths = [m.file.path for g in groups for m in g.removable]
        freed = sum(g.bytes_freed for g in groups)
        if not args.yes:
            if args.json:
                print_json({"dry_run": True, "radius": radius, "would_move": paths, "bytes": freed})
            else:
                for p in paths:
                    print(f"would move to trash: {p}")
                print(f"{len(paths)} files ({human_bytes(freed)}) would go to the trash; add --yes to move them")
            return 0
        result = trash_files(catalog, paths, groups=groups)
    return _report(args, result, verb="moved to the trash", hint=f"undo with: photohash-cli undo --batch {result.batch} --yes")


def run_undo(args) -> int:
    with open_catalog(args) as catalog:
        if not args.yes:
            entries = catalog.journal(args.batch, only_pending=True)
            if args.batch is None and entries:
                entries = [e for e in entries if e.batch == entries[0].batch]
            if args.json:
                print_json({"dry_run": True, "would_restore": [e.original_path for e in entries]})
            else:
                for e in entries:
                    print(f"would restore: {e.original_path}")
                print(f"{len(entries)} files would be restored; add --yes to restore them")
            return 0
        result = undo(catalog, args.batch)
    return _report(args, result, verb="restored", hint=None)


def _report(args, result, verb: str, hint: str | None) -> int:
    if args.json:
        print_json(
            {
                "batch": result.batch,
                "done": result.moved,
                "failed": [{"path": p, "reason": r} for p, r in result.failed],
            }
        )
    else:
        for path, reason in result.failed:
            print(f"not {verb}: {path}: {reason}", file=sys.stderr)
        print(f"{len(result.moved)} files {verb}, {len(result.failed)} refused")
        if hint and result.moved:
            print(hint)
    return 1 if result.failed and not result.moved else 0
