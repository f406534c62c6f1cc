"""``stats`` and ``models``: what the catalog holds, and which hash model it uses."""

from __future__ import annotations

from pathlib import Path

from ..errors import printable

from ..model import HashModel, default_model_path, resolve_model_name, shipped_models
from .common import ACTIVE_MODEL_SETTING, active_model_path, human_bytes, open_catalog, print_json, print_table


def register(sub, common) -> None:
    p = sub.add_parser("stats", parents=[common], help="what the catalog holds")
    p.add_argument("--errors", action="store_true", help="also list every file that could not be read, with why")
    p.set_defaults(run=run_stats)

    p = sub.add_parser("models", parents=[common], help="list hash models, show one, or choose the active one")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", help="list (default), show or use")
    p.set_defaults(run=run_list)
    q = msub.add_parser("list", parents=[common], help="models known to the catalog (default action)")
    q.set_defaults(run=run_list)
    q = msub.add_parser("show", parents=[common], help="a model's metadata")
    q.add_argument("model", nargs="?", metavar="MODEL.onnx", help="default: the active model")
    q.set_defaults(run=run_show)
    q = msub.add_parser("use", parents=[common], help="make a model the active one (it is checked first)")
    q.add_argument("model", metavar="MODEL.onnx|default|NAME",
                   help="a model file, 'default', or a shipped model's name (see 'models list', e.g. phash64)")
    q.set_defaults(run=run_use)


def run_stats(args) -> int:
    with open_catalog(args, write=False) as catalog:
        stats = catalog.stats()
        counts = catalog.code_counts()
        models = catalog.models()
        errors = catalog.errors() if args.errors else []
        active = str(active_model_path(catalog))
        path = str(catalog.path)
        read_only = catalog.read_only
    per_model = [{"path": m.path, "model_key": m.model_key, "bits": m.bits, "codes": counts.get(m.id, 0)} for m in models]
    if args.json:
        out = {"catalog": path, **stats, "active_model": active, "models": per_model}
        if args.errors:
            out["error_list"] = [{"path": p, "reason": r} for p, r in errors]
        print_json(out)
        return 0
    print(f"catalog        {printable(path)}{' (read-only)' if read_only else ''}")
    print(f"photos         {stats['present']} on disk ({human_bytes(stats['bytes'])}), {stats['missing']} missing")
    print(f"unreadable     {stats['errors']}")
    print(f"active model   {active}")
    for m in per_model:
        print(f"codes          {m['codes']} from {m['path']} ({m['bits']} bits)")
    for p, r in errors:
        print(f"  {printable(p)}: {r}")
    return 0


def _model_dict(model: HashModel) -> dict:
    return {"path": str(model.path), "model_key": model.model_key, "metadata": model.info.to_metadata()}


def run_list(args) -> int:
    with open_catalog(args) as catalog:
        active = active_model_path(catalog).resolve()
        counts = catalog.code_counts()
        rows = [(m.path, m.bits, counts.get(m.id, 0), m.metadata.get("photohash.method", "")) for m in catalog.models()]
    default = str(default_model_path())
    known = {r[0] for r in rows}
    for path in reversed(shipped_models()):  # shipped models are choices even before they hashed anything
        if str(path) not in known:
            info = HashModel.load(path, device="cpu").info
            rows.insert(0, (str(path), info.bits, 0, info.method))
    if args.json:
        print_json(
            [
                {"path": p, "bits": b, "codes": c, "method": meth, "active": Path(p).resolve() == active,
                 "default": p == default}
                for p, b, c, meth in rows
            ]
        )
        return 0
    print_table(
        ["", "bits", "codes", "method", "path"],
        [("*" if Path(p).resolve() == active else "", b, c, meth, p) for p, b, c, meth in rows],
        right=(1, 2),
    )
    return 0


def run_show(args) -> int:
    with open_catalog(args) as catalog:
        model = HashModel.load(resolve_model_name(args.model) if args.model else active_model_path(catalog))
    if args.json:
        print_json(_model_dict(model))
        return 0
    print(f"path        {model.path}")
    print(f"model key   {model.model_key}")
    print(f"providers   {', '.join(model.providers)}")
    for key, value in sorted(model.info.to_metadata().items()):
        print(f"{key:<32}{value}")
    return 0


def run_use(args) -> int:
    path = resolve_model_name(args.model)
    model = HashModel.load(path)  # refuses a bad model before it becomes active
    with open_catalog(args) as catalog:
        catalog.register_model(model.model_key, str(model.path), model.info.bits, model.info.to_metadata())
        catalog.set_setting(ACTIVE_MODEL_SETTING, None if args.model == "default" else str(model.path))
    if args.json:
        print_json(_model_dict(model))
    else:
        print(f"active model: {model.path} ({model.info.method}, {model.info.bits} bits); run 'scan' to hash the library with it")
    return 0
