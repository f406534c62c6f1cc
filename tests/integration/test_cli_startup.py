"""Commands that only read the catalog start at once (issue 26): ``stats``, ``dupes``, ``search`` of a photo the
catalog has and ``undo`` import neither ONNX (Runtime) nor the RAW and video decoders, torch or Qt. Each runs in a
fresh Python, as from the shell, on a catalog of real photos; what it imported is read from its ``sys.modules``.
A search that must encode its photo still loads the model, and finds what the catalog's own code finds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.catalog import Catalog
from engine.catalog_models import catalog_model
from engine.model import HashModel, default_model_path, resolve_model_name
from photohash_cli import main

from ..conftest import REPO

# What a command that does not hash must not import: about 0.2 to 1 s of start-up each, before any work.
NOT_AT_START = ("onnxruntime", "onnx", "torch", "PySide6", "av", "rawpy")

# Runs one command in this fresh interpreter, then prints (last line) which of the modules it imported.
PROBE = """
import json, sys
from photohash_cli import main
code = main(sys.argv[2:])
sys.stdout.flush()
print("\\nIMPORTED " + json.dumps({"code": code, "modules": [m for m in json.loads(sys.argv[1]) if m in sys.modules]}))
"""


def run_fresh(*args) -> tuple[int, list[str], str]:
    """(exit code, the NOT_AT_START modules it imported, its stdout) of ``photohash-cli ARGS`` in a new process."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(NOT_AT_START), *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    out, _, last = done.stdout.rstrip("\n").rpartition("\n")
    assert last.startswith("IMPORTED "), done.stderr
    result = json.loads(last.removeprefix("IMPORTED "))
    return result["code"], result["modules"], out


@pytest.fixture
def scanned(tmp_path, library, capsys):
    catalog = tmp_path / "c.sqlite"
    assert main(["scan", "--catalog", str(catalog), "--workers", "2", str(library.root)]) == 0
    capsys.readouterr()
    return catalog, library


def test_commands_that_read_the_catalog_load_no_model(scanned):
    catalog, library = scanned
    for args in (["stats"], ["dupes"], ["dupes", "--no-verify", "--json"], ["dupes", "--similar"],
                 ["search", library.originals[1]], ["undo"], ["trash"]):
        code, imported, out = run_fresh(*args, "--catalog", catalog)
        assert code == 0, (args, out)
        assert imported == [], f"photohash-cli {args[0]} imported {imported}"
    code, imported, out = run_fresh("dupes", "--catalog", catalog, "--json")
    assert code == 0 and imported == [] and len(json.loads(out)["groups"]) >= 4  # it did its work


def test_search_by_the_stored_code_finds_what_encoding_finds(scanned, tmp_path):
    """A photo the catalog has is searched by its stored code (no model loaded); a copy of it elsewhere, and the same
    file once changed on disk, are encoded: the same photos at the same distances."""
    catalog, library = scanned
    photo = library.originals[1]
    code, imported, out = run_fresh("search", "--catalog", catalog, "--json", "-k", 8, photo)
    assert code == 0 and "onnxruntime" not in imported
    stored = json.loads(out)["results"]
    assert stored[0] == {**stored[0], "path": str(photo), "distance": 0}

    outside = tmp_path / "not in the catalog.jpg"
    outside.write_bytes(photo.read_bytes())
    code, imported, out = run_fresh("search", "--catalog", catalog, "--json", "-k", 8, outside)
    assert code == 0 and "onnxruntime" in imported  # encoded: the model was loaded
    assert "onnx" not in imported  # but not parsed again: the catalog knows it (HashModel.load's ``checked``)
    assert json.loads(out)["results"] == stored

    os.utime(photo, ns=(photo.stat().st_atime_ns, photo.stat().st_mtime_ns + 10**9))  # changed since the scan
    code, imported, out = run_fresh("search", "--catalog", catalog, "--json", "-k", 8, photo)
    assert code == 0 and "onnxruntime" in imported  # not trusted: encoded again
    assert json.loads(out)["results"] == stored


def test_a_scan_with_a_model_the_catalog_knows_does_not_parse_it_again(scanned, tmp_path):
    catalog, _ = scanned
    (tmp_path / "empty").mkdir()
    code, imported, out = run_fresh("scan", "--catalog", catalog, "--json", tmp_path / "empty")
    assert code == 0 and json.loads(out)["found"] == 0
    assert "onnxruntime" in imported and "onnx" not in imported


def test_the_catalogs_model_is_the_models_own(scanned):
    """What the catalog keeps of a model (key and metadata) is what reading the model itself gives; a model the
    catalog never saw is read from its file."""
    catalog, _ = scanned
    with Catalog(catalog, write=False) as opened:
        assert catalog_model(opened, default_model_path()) == HashModel.inspect(default_model_path())
        unseen = resolve_model_name("phash64")
        assert opened.model_by_key(HashModel.inspect(unseen).model_key) is None
        assert catalog_model(opened, unseen) == HashModel.inspect(unseen)
