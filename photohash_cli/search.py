"""``photohash-cli search IMAGE``: the photos most like a given one, by the model's similarity code (or, with
``--duplicates``, its copies, by the duplicate code)."""

from __future__ import annotations

import os

from engine.errors import printable
from engine.search import search
from engine.units import human_bytes

from .common import known_model, open_catalog, print_json, print_table


def register(sub, common) -> None:
    p = sub.add_parser("search", parents=[common], help="find the photos most similar to an image")
    p.add_argument("image", metavar="IMAGE", help="the example photo (need not be in the catalog)")
    p.add_argument("-k", type=int, default=20, help="how many results (default 20)")
    within = p.add_mutually_exclusive_group()
    within.add_argument("--radius", type=int, default=None, help="only results within this Hamming distance")
    within.add_argument("--similar", action="store_true",
                        help="only results within the model's calibrated 'similar' radius (same subject or scene)")
    within.add_argument("--duplicates", action="store_true",
                        help="copies of this photo: by the duplicate code, within its calibrated 'duplicate' radius")
    p.add_argument("--model", metavar="MODEL.onnx", help="hash model (default: the active model)")
    p.set_defaults(run=run)


def run(args) -> int:
    query = os.path.abspath(args.image)
    with open_catalog(args, write=False) as catalog:
        model = known_model(catalog, args.model)  # loaded only if the photo must be encoded (engine.search)
        info = model.info
        code = "duplicate" if args.duplicates else "similar"
        radius = args.radius
        if args.similar:  # a model without a similarity code calibrated "similar" on its one code
            radius = info.similar_radius if info.similar_bits else info.radius_similar
        elif args.duplicates:
            radius = info.radius_duplicate
        hits = search(catalog, model, query, k=args.k, radius=radius, code=code)
    if args.json:
        print_json(
            {
                "query": query,
                "model": str(model.path),
                "code": code if info.similar_bits else "one",  # "one": the model's one code answers both
                "bits": info.similar_bits if code == "similar" and info.similar_bits else info.bits,
                "radius": radius,
                "results": [
                    {
                        "path": h.file.path,
                        "distance": h.distance,
                        "width": h.file.width,
                        "height": h.file.height,
                        "size": h.file.size,
                        "captured_at": h.file.captured_at,
                    }
                    for h in hits
                ],
            }
        )
        return 0
    if not hits:
        print("no similar photos in the catalog")
        return 0
    print_table(
        ["distance", "size", "pixels", "path"],
        [(h.distance, human_bytes(h.file.size), f"{h.file.width}×{h.file.height}", printable(h.file.path)) for h in hits],
        right=(0, 1),
    )
    return 0
