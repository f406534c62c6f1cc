"""photohash-cli run in-process on real photos: output, JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os

import pytest

from engine.catalog import Catalog
from photohash_cli import build_parser, main
from engine.model import resolve_model_name


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scanned(tmp_path, library, capsys):
    catalog = tmp_path / "c.sqlite"
    code, out, err = cli(capsys, "scan", "--catalog", catalog, "--workers", 2, library.root)
    assert code == 0, err
    return catalog, library


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) >= {"scan", "dupes", "search", "trash", "undo", "stats", "models"}
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, p in sub.choices.items():
        assert helps[name], name
        assert all(a.help for a in p._actions if a.dest != "help"), name


def test_scan_prints_a_summary_and_reports_the_broken_file(tmp_path, library, capsys):
    code, out, err = cli(capsys, "scan", "--catalog", tmp_path / "c.sqlite", library.root)
    assert code == 0
    assert f"{len(library.photos) + 1} photos found" in out and "1 failed" in out
    assert f"skipped {library.broken}: " in err
    code, out, _ = cli(capsys, "scan", "--catalog", tmp_path / "c.sqlite", "--json", library.root)
    summary = json.loads(out)
    assert summary["unchanged"] == len(library.photos) + 1 and summary["hashed"] == 0


def test_dupes_json_shape(scanned, capsys):
    catalog, library = scanned
    code, out, _ = cli(capsys, "dupes", "--catalog", catalog, "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"model", "radius", "groups"}
    assert result["radius"] >= 0
    assert len(result["groups"]) >= 4  # three edited originals and the exact copy
    for group in result["groups"]:
        keeps = [f for f in group["files"] if f["keep"]]
        assert len(keeps) == 1
        for f in group["files"]:
            assert {"path", "distance", "keep"} <= set(f)
    paths = {f["path"] for g in result["groups"] for f in g["files"]}
    assert {str(p) for p in library.edits} <= paths


def test_dupes_table_and_csv(scanned, capsys):
    catalog, _ = scanned
    code, out, _ = cli(capsys, "dupes", "--catalog", catalog)
    assert code == 0 and "Group 1:" in out and "keep" in out and "extra copies" in out
    code, out, _ = cli(capsys, "dupes", "--catalog", catalog, "--csv")
    assert out.splitlines()[0].startswith("group,path,distance,keep")


def test_search_by_a_new_edit_finds_its_original_family_first(scanned, capsys, tmp_path):
    from PIL import Image

    catalog, library = scanned
    original = library.originals[1]
    family = {str(original)} | {str(c) for c, o in library.edits.items() if o == original}
    query = tmp_path / "outside the library.jpg"
    with Image.open(original) as img:
        img.convert("RGB").resize((img.width * 2 // 3, img.height * 2 // 3)).save(query, quality=60)
    code, out, _ = cli(capsys, "search", "--catalog", catalog, "--json", "-k", 5, query)
    assert code == 0
    results = json.loads(out)["results"]
    assert len(results) == 5
    assert [r["distance"] for r in results] == sorted(r["distance"] for r in results)
    assert {r["path"] for r in results[: len(family)]} == family
    code, out, _ = cli(capsys, "search", "--catalog", catalog, query)
    assert code == 0 and out.splitlines()[0].split() == ["distance", "size", "pixels", "path"]


def test_trash_is_a_dry_run_unless_yes_and_undo_restores(scanned, capsys):
    catalog, library = scanned
    before = {p: p.read_bytes() for p in library.photos}
    code, out, _ = cli(capsys, "trash", "--catalog", catalog)
    assert code == 0 and "add --yes" in out
    assert all(p.exists() for p in library.photos)

    code, out, err = cli(capsys, "trash", "--catalog", catalog, "--yes", "--json")
    assert code == 0, err
    moved = json.loads(out)["done"]
    assert moved and all(not os.path.exists(p) for p in moved)
    code, out, _ = cli(capsys, "undo", "--catalog", catalog)
    assert "add --yes" in out and all(not os.path.exists(p) for p in moved)
    code, out, err = cli(capsys, "undo", "--catalog", catalog, "--yes")
    assert code == 0, err
    assert {p: p.read_bytes() for p in library.photos} == before


def test_commands_take_a_shipped_model_by_name(tmp_path, library, capsys):
    """scan, dupes and search take a shipped model's name (``--model phash64``) as ``models use`` does (they took only paths)."""
    code, out, err = cli(capsys, "scan", "--catalog", tmp_path / "c.sqlite", "--model", "phash64", "--json",
                         library.root)
    assert code == 0, err
    assert json.loads(out)["model"] == str(resolve_model_name("phash64"))
    code, out, err = cli(capsys, "dupes", "--catalog", tmp_path / "c.sqlite", "--model", "phash64", "--json")
    assert code == 0 and json.loads(out)["model"] == str(resolve_model_name("phash64")), err


def test_stats_and_models(scanned, capsys):
    catalog, library = scanned
    code, out, _ = cli(capsys, "stats", "--catalog", catalog, "--json", "--errors")
    stats = json.loads(out)
    assert stats["present"] == len(library.photos) + 1 and stats["errors"] == 1
    assert stats["error_list"][0]["path"] == str(library.broken)
    code, out, _ = cli(capsys, "models", "--catalog", catalog, "--json")
    models = json.loads(out)
    assert any(m["active"] and m["codes"] == len(library.photos) for m in models)
    code, out, _ = cli(capsys, "models", "show", "--catalog", catalog)
    assert code == 0 and "photohash.bits" in out


def test_errors_are_one_line_with_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    code, out, err = cli(capsys, "models", "use", "--catalog", tmp_path / "c.sqlite", bad)
    assert code == 1 and err.count("\n") == 1 and str(bad) in err
    code, out, err = cli(capsys, "search", "--catalog", tmp_path / "c.sqlite", tmp_path / "missing.jpg")
    assert code in (1, 2) and err.count("\n") == 1
    code, out, err = cli(capsys, "dupes", "--catalog", tmp_path / "c.sqlite")
    assert code == 1 and "does not exist" in err and err.count("\n") == 1  # a mistyped catalog is not created
    Catalog(tmp_path / "c.sqlite").close()
    code, out, err = cli(capsys, "dupes", "--catalog", tmp_path / "c.sqlite")
    assert code == 1 and "run 'photohash-cli scan'" in err and err.count("\n") == 1  # no codes: not a usage error
    with pytest.raises(SystemExit) as exc:
        main(["dupes", "--no-such-flag"])
    assert exc.value.code == 2


def test_a_radius_out_of_range_is_a_usage_error(scanned, capsys):
    catalog, _ = scanned
    code, out, err = cli(capsys, "dupes", "--catalog", catalog, "--radius", "-3")
    assert code == 2 and err.count("\n") == 1 and "radius" in err
