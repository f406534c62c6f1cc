"""``stats`` and ``models``: what the catalog holds, and which hash model it uses."""

from __future__ import annotations

import os
from pathlib import Path

from engine.catalog_models import active_model_path, model_rows, register_model_rows, set_active_model
from engine.errors import ModelError, printable
from engine.model import (HashModel, ModelFile, default_model_path, file_key, probe_model, resolve_model_name,
                          shipped_models)
from engine.units import human_bytes

from .common import open_catalog, print_json, print_table


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
        models = model_rows(catalog)
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


def _model_dict(model: HashModel | ModelFile) -> dict:
    return {"path": str(model.path), "model_key": model.model_key, "metadata": model.info.to_metadata()}


def _key_of(path: Path, keys: dict[Path, str | None]) -> str | None:
    """A model file's content key (:func:`file_key`: hashing, not parsing, keeps ``models list`` fast), or None
    when it is gone or not a regular file. A model with external data has a longer key: it then matches no row and
    is recognised by its path."""
    path = path.resolve()
    if path not in keys:
        try:
            keys[path] = file_key(path)
        except (ModelError, OSError):
            keys[path] = None
    return keys[path]


def run_list(args) -> int:
    """The catalog's models and the shipped ones, each once: a model is its content (the catalog's key), so the
    shipped model that the app bundle and a pip install both scanned, from two paths, is one model."""
    with open_catalog(args) as catalog:
        active_path = active_model_path(catalog)
        counts = catalog.code_counts()
        rows = [{"path": m.path, "key": m.model_key, "bits": m.bits, "codes": counts.get(m.id, 0),
                 "method": m.metadata.get("photohash.method", "")} for m in model_rows(catalog)]
    keys: dict[Path, str | None] = {}
    by_key = {r["key"]: r for r in rows}
    for path in reversed(shipped_models()):  # shipped models are choices even before they hashed anything
        row = by_key.get(_key_of(path, keys))
        if row is None:
            found = HashModel.inspect(path)
            rows.insert(0, {"path": str(path), "key": found.model_key, "bits": found.info.bits, "codes": 0,
                            "method": found.info.method})
        elif not os.path.exists(row["path"]):  # scanned from another install's copy: name the one that is here
            row["path"] = str(path)
    active_key = _key_of(active_path, keys)
    default_key = _key_of(default_model_path(), keys)
    by_content = any(r["key"] == active_key for r in rows)
    for r in rows:
        # by content; by path when no row has the active file's content (it is gone, or has external data)
        r["active"] = r["key"] == active_key if by_content else Path(r["path"]).resolve() == active_path.resolve()
        r["default"] = r["key"] == default_key
    if args.json:
        print_json([{k: r[k] for k in ("path", "bits", "codes", "method", "active", "default")} for r in rows])
        return 0
    print_table(
        ["", "bits", "codes", "method", "path"],
        [("*" if r["active"] else "", r["bits"], r["codes"], r["method"], r["path"]) for r in rows],
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
    # refuses a bad model before it becomes active: the file checks, then one test batch in a child process under
    # a memory bound and a time limit (a model that needs 160 GB or never ends is refused here, not mid-scan)
    model = probe_model(path)
    with open_catalog(args) as catalog:
        register_model_rows(catalog, model)
        set_active_model(catalog, None if args.model == "default" else model.path)
    if args.json:
        print_json(_model_dict(model))
    else:
        print(f"active model: {model.path} ({model.info.method}, {model.info.bits} bits); run 'scan' to hash the library with it")
    return 0
