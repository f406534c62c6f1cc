"""``dupes``, ``trash`` and ``undo``: list duplicate groups, move the extra copies to the trash, put them back."""

from __future__ import annotations

import csv
import io
import os
import shlex
import sys
from dataclasses import asdict

from engine.duplicates import (STRICTNESS, Group, candidate_search, model_groups, similar_groups, verified_groups,
                               video_duplicates)
from engine.keepers import KEEPER_RULES
from engine.errors import UsageError, printable
from engine.bulk import carry_pair
from engine.keeper_metadata import carry_preview, sidecar_for
from engine.stacks import StacksOnDisk
from engine.trash import trash_files, undo
from engine.units import human_bytes

from .common import counting_bar, known_model, open_catalog, print_json


def _group_options(p) -> None:
    p.add_argument("--radius", type=int, default=None, help="Hamming radius (default: the model's duplicate radius)")
    p.add_argument(
        "--similar", action="store_true",
        help="photos like each other, for browsing: by the model's similarity code where it has one, else by its "
             "code at the wider 'similar' radius"
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
    p.add_argument("--videos", action="store_true",
                   help="videos instead of photos: re-encoded, resized and trimmed copies, found by frames sampled "
                        "across each clip (a photo is never grouped with a video)")
    p.add_argument("--no-verify", action="store_true",
                   help="group by the hash alone, as before verification (faster; look-alikes may be called copies)")
    p.add_argument("--strictness", choices=STRICTNESS, default="normal",
                   help="what counts as a copy: 'strict', the whole photo the same way up (resized, re-saved or "
                        "recoloured, not cropped, turned, flipped or re-exposed); 'normal' (default), also those; "
                        "'loose', looks further for heavily edited copies (about 3x the pairs to check). Every copy "
                        "is checked pixel by pixel")


def plural(n: int, word: str, many: str | None = None) -> str:
    """The count with its noun: 1 group, 2 groups."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def register(sub, common) -> None:
    p = sub.add_parser("dupes", parents=[common], help="list groups of duplicate photos")
    _group_options(p)
    p.add_argument("--series", action="store_true",
                   help="list series instead: the same scene a moment apart (bursts, re-takes), never trashed")
    p.add_argument("--csv", action="store_true", help="print one CSV row per file")
    p.set_defaults(run=run_dupes)

    p = sub.add_parser("trash", parents=[common], help="move the extra copies of each group to the system trash")
    _group_options(p)
    p.add_argument("--yes", action="store_true", help="really move the files (default: only show what would move)")
    p.add_argument(
        "--trash-similar", action="store_true",
        help="with --similar or a --radius above the model's duplicate radius: also move the photos that are only "
             "similar to the one kept (never without this flag)",
    )
    p.add_argument(
        "--no-carry-metadata", dest="carry", action="store_false",
        help="do not keep what a copy knows and the photo kept lacks (capture date, GPS, camera, keywords, rating, "
             "title) in the kept photo's .xmp sidecar (kept by default; undone with the batch)",
    )
    p.set_defaults(run=run_trash)

    p = sub.add_parser("undo", parents=[common], help="put back the files of the last trash command")
    p.add_argument("--batch", type=int, default=None, help="which trash batch to restore (default: the last)")
    p.add_argument("--yes", action="store_true", help="really restore (default: only show what would come back)")
    p.set_defaults(run=run_undo)


def _hash_only(args) -> bool:
    return args.no_verify or args.radius is not None or args.similar


def _groups(args, catalog) -> tuple[list[Group], object, int]:
    """The groups a command shows: verified copies (or series), unless a radius, --similar or --no-verify asks for
    the hash's own groups. Codes are read, never made: the model is not loaded (``known_model``)."""
    model = known_model(catalog, args.model)
    if args.radius is not None and args.similar:
        raise UsageError("give either --radius or --similar, not both")
    series = getattr(args, "series", False)
    hash_only = _hash_only(args)
    if series and hash_only:
        raise UsageError("--series comes from verification: leave out --radius, --similar and --no-verify")
    if hash_only and args.strictness != "normal":
        raise UsageError("--strictness is about verified copies: leave out --radius, --similar and --no-verify")
    radius = args.radius
    if radius is None:
        radius = model.info.radius_similar if args.similar else model.info.radius_duplicate
    rules = tuple(r.strip() for r in args.keep_rules.split(",") if r.strip())
    if args.videos:
        if hash_only or series or args.strictness != "normal":
            raise UsageError("--videos finds copies of videos by their frames: leave out --radius, --similar, "
                             "--no-verify, --series and --strictness")
        return video_duplicates(catalog, model, reference_folders=args.reference, keeper_rules=rules), model, radius
    if args.similar:  # photos like each other: by the model's similarity code where it has one
        radius = model.info.similar_radius if model.info.similar_bits else radius
        return similar_groups(catalog, model, radius, reference_folders=args.reference, keeper_rules=rules), model, radius
    if hash_only:
        return model_groups(catalog, model, radius, reference_folders=args.reference, keeper_rules=rules), model, radius
    from engine.verification import Verifier  # OpenCV: loaded only to verify

    with counting_bar("Verifying candidate pairs (photos read)", "photo") as progress:
        verifier = Verifier(catalog, progress=progress)
        groups = verified_groups(catalog, model, reference_folders=args.reference, keeper_rules=rules,
                                 verifier=verifier, series=series, strictness=args.strictness)
    return groups, model, candidate_search(model.info, strictness=args.strictness)[0]


def _action(m) -> str:
    """What a member's line starts with: what happens to it, or why nothing does."""
    return ("keep" if m.keep else "ref" if m.protected else "unread" if m.unchecked else
            "shot" if m.similar and m.verdict is not None else "similar" if m.similar else "trash")  # verified: a series


def _member_dict(m) -> dict:
    f = m.file
    return {
        "path": f.path,
        "distance": m.distance,
        "keep": m.keep,
        "protected": m.protected,
        "exact": m.exact,
        "similar": m.similar,
        "unchecked": m.unchecked,
        "action": _action(m),
        "size": f.size,
        "width": f.width,
        "height": f.height,
        "format": f.format,
        "captured_at": f.captured_at,
        "content_hash": f.content_hash,
        "reason": m.reason,
        "stack": [s.path for s in m.stack],
        "verdict": None if m.verdict is None else {**asdict(m.verdict), "via": m.via or None},
    }


def run_dupes(args) -> int:
    with open_catalog(args, write=False) as catalog:  # only reads: a mistyped --catalog is not created
        groups, model, radius = _groups(args, catalog)
    if args.json:
        print_json(
            {
                "model": str(model.path),
                "model_key": model.model_key,
                "radius": radius,
                "verified": not _hash_only(args),
                "groups": [
                    {"kind": g.kind, "bytes_freed": g.bytes_freed, "keeper_rule": g.keeper_rule,
                     "decided_by": g.decided_by, "files": [_member_dict(m) for m in g.members]}
                    for g in groups
                ],
            }
        )
    elif args.csv:
        columns = ("path", "distance", "keep", "protected", "exact", "similar", "size", "width", "height", "format",
                   "captured_at")
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(["group", *columns, "decided_by"])
        for n, g in enumerate(groups, 1):
            for m in g.members:
                d = _member_dict(m)
                writer.writerow([n, *(d[k] for k in columns), g.decided_by if m.keep else ""])
        _write_real(out.getvalue())
    else:
        _print_groups(groups, radius, verified=not _hash_only(args), series=getattr(args, "series", False),
                      videos=args.videos)
    return 0


def _write_real(text: str) -> None:
    """Text whose paths keep their real bytes (a name that is not UTF-8 is written as it is on disk)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    else:
        buffer.write(text.encode("utf-8", "surrogateescape"))
        buffer.flush()


def _print_groups(groups: list[Group], radius: int, verified: bool, series: bool = False, videos: bool = False
                  ) -> None:
    for n, g in enumerate(groups, 1):
        print(f"Group {n}: {plural(len(g.members), 'photo')}, {g.kind}, frees {human_bytes(g.bytes_freed)}; "
              f"kept: {g.decided_by or 'the only candidate'}")
        reasons = [m.reason for m in g.members]
        width = max(10, *(len(r) for r in reasons))  # the path stays last: it may hold spaces
        for m, why in zip(g.members, reasons):
            f = m.file
            dims = f"{f.width or '?'}×{f.height or '?'}"
            print(
                f"  {_action(m):7} d={m.distance:<3} {dims:>11} {human_bytes(f.size):>9}  "
                f"{(f.captured_at or '')[:10]:10}  {why:{width}}  {printable(f.path)}{_with(m.stack)}"
            )
    freed = sum(g.bytes_freed for g in groups)
    extra = sum(len(g.removable) for g in groups)
    similar = sum(len(g.similar) for g in groups)
    if series:
        print(f"{plural(len(groups), 'series', 'series')} of shots taken moments apart (candidates within radius "
              f"{radius}); nothing in them is marked for the trash")
        return
    where = ("of videos whose frames match, in order" if videos else
             f"of verified copies (candidates within radius {radius})" if verified else f"within radius {radius}")
    line = f"{plural(len(groups), 'group')} {where}; {plural(extra, 'extra copy', 'extra copies')}"
    if similar:
        line += f" and {plural(similar, 'similar photo')} (never marked for the trash)"
    print(f"{line}, {human_bytes(freed)} to free")


def _with(stack) -> str:
    """The other files that go with a photo, after its path: " (with IMG_1.CR2, IMG_1.xmp)"."""
    names = [printable(os.path.basename(getattr(f, "path", f))) for f in stack]
    return f" (with {', '.join(names)})" if names else ""


def run_trash(args) -> int:
    with open_catalog(args, write=args.yes, create=False) as catalog:
        groups, model, radius = _groups(args, catalog)
        wide = args.similar or (_hash_only(args) and radius > model.info.radius_duplicate)
        if wide and not args.trash_similar:
            what = ("--similar groups photos by the model's similarity code: like each other, not copies"
                    if args.similar and model.info.similar_bits else
                    f"radius {radius} is above the model's duplicate radius {model.info.radius_duplicate}, where photos "
                    f"may be only similar, not copies")
            raise UsageError(f"{what}; add --trash-similar to move those too")
        paths = [m.file.path for g in groups for m in g.removable]
        if args.trash_similar:
            paths += [m.file.path for g in groups for m in g.similar]
        chosen = set(paths)
        freed = sum(m.bytes for g in groups for m in g.members if m.file.path in chosen)
        pairs = [carry_pair(g, g.keeper.file.id, [m.file.id for m in g.members if m.file.path in chosen])
                 for g in groups] if args.carry else []
        carry = [pair for pair in pairs if pair]
        if not args.yes:
            on_disk = StacksOnDisk(catalog)
            going = {p: on_disk.of(p).paths for p in paths}  # each photo with what moves with it
            kept = [(keeper, sidecar_for(keeper), fields) for keeper, copies in carry
                    if (fields := carry_preview(keeper, copies))]
            if args.json:
                print_json({"dry_run": True, "radius": radius, "would_move": [q for p in paths for q in going[p]],
                            "bytes": freed, "would_carry": [{"keeper": k, "sidecar": s, "what": f.words()}
                                                            for k, s, f in kept]})
            else:
                for p in paths:
                    print(f"would move to trash: {printable(p)}{_with(q for q in going[p] if q != p)}")
                for keeper, sidecar, fields in kept:
                    print(f"would keep in {printable(os.path.basename(sidecar))}: {fields.words()}")
                print(f"{plural(sum(map(len, going.values())), 'file')} ({human_bytes(freed)}) would go to the trash; "
                      f"add --yes to move them")
            return 0
        result = trash_files(catalog, paths, groups=groups, carry=carry)
    # the undo must reach the same catalog, from any folder: the one given, absolute and shell-quoted
    where = f" --catalog {shlex.quote(os.path.abspath(args.catalog))}" if args.catalog else ""
    return _report(args, result, verb="moved to the trash",
                   hint=f"undo with: photohash-cli undo{where} --batch {result.batch} --yes")


def run_undo(args) -> int:
    with open_catalog(args, write=args.yes, create=False) as catalog:
        if not args.yes:
            entries = catalog.journal(args.batch, only_pending=True)
            if args.batch is None and entries:
                entries = [e for e in entries if e.batch == entries[0].batch]
            if args.json:
                print_json({"dry_run": True, "would_restore": [e.original_path for e in entries]})
            else:
                for e in entries:
                    print(f"would restore: {printable(e.original_path)}")
                print(f"{plural(len(entries), 'file')} would be restored; add --yes to restore them")
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
                "carried": [{"keeper": c.keeper, "sidecar": c.sidecar, "what": c.words()} for c in result.carried],
            }
        )
    else:
        for path, reason in result.failed:
            print(f"not {verb}: {printable(path)}: {reason}", file=sys.stderr)
        for made in result.carried:
            print(f"kept in {printable(os.path.basename(made.sidecar))}: {made.words()}")
        print(f"{plural(len(result.moved), 'file')} {verb}, {len(result.failed)} refused")
        if hint and result.moved:
            print(hint)
    return 1 if result.failed and not result.moved else 0
