"""Issue 20's input cases: FIFOs and devices where a photo is expected, decode workers that outlive a killed scan, a
newline in a file name, a JPEG header that lies about its size, and JPEG bytes behind a non-image name. Each case
runs the real engine (the CLI in its own process where the failure was a hang or a leak) and failed before its fix,
except the newline case (fixed by printable() in engine/errors.py before this file was written) and the flat-JPEG
cases, which guard the size floor against refusing real photos."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from engine.catalog import Catalog
from engine.errors import FileError
from engine.images import read_image, read_regular_file, walk
from engine.model import HashModel, default_model_path
from engine.scan import decode_for_model, scan

from ..conftest import REPO, extract_photos
from ..integration.test_crash_safety import committed_codes

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


def cli(*args, timeout: float = 120, memory_limit: int | None = None) -> subprocess.CompletedProcess:
    """The real CLI in its own process; a hang shows as TimeoutExpired (the child is killed), not a stuck suite.
    ``memory_limit`` caps its address space, so a runaway read fails inside it instead of exhausting the machine."""

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    cmd = [sys.executable, "-m", "photohash_cli", *[os.fsdecode(a) for a in args]]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=timeout,
                          preexec_fn=cap if memory_limit else None)


def stderr_lines(err: bytes) -> list[str]:
    text = err.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    return text.splitlines()


@pytest.fixture(scope="module")
def model():
    return HashModel.load(default_model_path())


@pytest.fixture
def catalog_with_codes(tmp_path, model) -> Path:
    """A catalog holding codes for two real photos, so that ``search`` gets as far as reading its query."""
    path = tmp_path / "c.sqlite"
    with Catalog(path) as catalog:
        events = list(scan(catalog, extract_photos(tmp_path / "lib", limit=2), model, workers=0))
    assert events[-1].hashed == 2
    return path


# -- 1. FIFOs and devices: open only regular files, with a size bound ------------------------------------------------

@needs_fifo
@pytest.mark.timeout(90)
def test_search_refuses_a_fifo_at_once(tmp_path, catalog_with_codes):
    fifo = tmp_path / "query.jpg"
    os.mkfifo(fifo)
    done = cli("search", fifo, "--catalog", catalog_with_codes, timeout=60)  # it used to wait for a writer forever
    assert done.returncode == 1
    assert stderr_lines(done.stderr) == [f"photohash-cli: error: {fifo}: not a regular file (a FIFO)"]


@pytest.mark.timeout(90)
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_search_refuses_a_link_to_a_device(tmp_path, catalog_with_codes):
    link = tmp_path / "zero.jpg"
    link.symlink_to("/dev/zero")
    # It used to read /dev/zero until MemoryError: 4 GiB of address space keeps that from eating the machine.
    done = cli("search", link, "--catalog", catalog_with_codes, timeout=60, memory_limit=4 << 30)
    assert done.returncode == 1
    assert stderr_lines(done.stderr) == [f"photohash-cli: error: {link}: not a regular file (a device)"]


@needs_fifo
@pytest.mark.timeout(90)
def test_a_scan_given_fifos_as_roots_reports_them_and_hashes_the_rest(tmp_path):
    photos = tmp_path / "photos"
    extract_photos(photos, limit=2)
    named, bare = tmp_path / "pipe.jpg", tmp_path / "pipe"  # an image name is opened; another name is sniffed
    os.mkfifo(named)
    os.mkfifo(bare)
    done = cli("scan", named, bare, photos, "--catalog", tmp_path / "c.sqlite", "--workers", "0", "--json",
               timeout=60)
    assert done.returncode == 1, done.stderr  # a root that cannot be read is an error; the rest was still done
    summary = json.loads(done.stdout)
    assert summary["hashed"] == 2
    assert {(f["path"], f["reason"]) for f in summary["failures"]} == {
        (str(named), "not a regular file (a FIFO)"), (str(bare), "not a regular file (a FIFO)")}
    for fifo in (named, bare):
        assert sum(f"skipped {fifo}:" in line for line in stderr_lines(done.stderr)) == 1


@needs_fifo
@pytest.mark.timeout(90)
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_scan_of_a_folder_with_a_fifo_and_devices_finishes(tmp_path):
    folder = tmp_path / "photos"
    extract_photos(folder, limit=2)
    os.mkfifo(folder / "pipe.jpg")
    os.mkfifo(folder / "pipe")
    (folder / "zero.jpg").symlink_to("/dev/zero")
    (folder / "gone.jpg").symlink_to(folder / "nowhere.jpg")
    done = cli("scan", folder, "--catalog", tmp_path / "c.sqlite", "--workers", "2", "--json", timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["hashed"] == 2
    reasons = {Path(f["path"]).name: f["reason"] for f in summary["failures"]}
    # The FIFO without an image name is skipped silently; the others are each reported with their own reason.
    assert reasons == {"pipe.jpg": "not a regular file (a FIFO)", "zero.jpg": "not a regular file (a device)",
                       "gone.jpg": "broken symbolic link"}
    assert len(stderr_lines(done.stderr)) == 3


@needs_fifo
@pytest.mark.timeout(30)
def test_a_file_swapped_for_a_fifo_after_the_walk_is_refused_not_waited_on(tmp_path, model):
    """The walk saw a regular file; by decode time it is a FIFO. The worker's read must not block."""
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    assert decode_for_model(str(fifo), model.info) == "not a regular file (a FIFO)"


def test_read_regular_file_bounds_the_size(tmp_path):
    small = tmp_path / "a.jpg"
    small.write_bytes(b"x" * 3000)
    assert read_regular_file(small, limit=3000) == b"x" * 3000
    with pytest.raises(FileError) as info:
        read_regular_file(small, limit=2048)
    assert info.value.path == str(small)
    assert info.value.reason == "too large (3,000 bytes; the limit is 2,048)"
    with pytest.raises(FileError, match="folder"):
        read_regular_file(tmp_path)
    with pytest.raises(FileError, match="no such file"):
        read_regular_file(tmp_path / "missing.jpg")


# -- 2. decode workers die with the scan that started them -----------------------------------------------------------

def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of a live process from /proc, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name may hold spaces and parentheses
    return int(fields[1]), fields[0], int(fields[19])


def _children(pid: int) -> dict[int, int]:
    """The live children of ``pid``: pid -> start time (so a reused pid is not mistaken for a survivor)."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st and st[0] == pid and st[1] != "Z":
                found[int(name)] = st[2]
    return found


def _alive(pid: int, started: int) -> bool:
    st = _proc_stat(pid)
    return st is not None and st[1] != "Z" and st[2] == started


@pytest.mark.timeout(180)
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the workers through /proc")
def test_decode_workers_exit_when_the_scan_is_killed(tmp_path):
    library = tmp_path / "lib"
    extract_photos(library, limit=60)
    catalog_path = tmp_path / "c.sqlite"
    cmd = [sys.executable, "-m", "photohash_cli", "scan", "--catalog", str(catalog_path), "--workers", "2",
           "--batch-size", "4", str(library)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while committed_codes(catalog_path) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        children = _children(proc.pid)
        assert proc.poll() is None, "the scan ended before it could be killed: nothing was tested"
        assert len(children) >= 2, f"expected the decode workers among the scan's children, found {children}"
        os.kill(proc.pid, signal.SIGKILL)  # only the scan: its workers are left to notice by themselves
        proc.wait()
        deadline = time.monotonic() + 15
        while any(_alive(pid, started) for pid, started in children.items()) and time.monotonic() < deadline:
            time.sleep(0.2)
        survivors = [pid for pid, started in children.items() if _alive(pid, started)]
        assert not survivors, f"still alive 15 s after the scan was killed: {survivors}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def test_background_workers_still_run_at_a_lower_priority_and_watch_their_parent(tmp_path, model):
    """The start-up code that now watches the parent keeps the background scan's nice-ing."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from engine.file_pool import _worker_start

    if not hasattr(os, "nice"):
        pytest.skip("os.nice is POSIX")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_worker_start,
                             initargs=(os.getpid(), True)) as pool:
        assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + 10)
        assert pool.submit(os.getppid).result() == os.getpid()


# -- 3. a newline in a file name -------------------------------------------------------------------------------------

def test_a_broken_file_named_with_a_newline_is_one_stderr_line(tmp_path):
    folder = tmp_path / "photos"
    photo = extract_photos(folder, limit=1)[0]
    (folder / "bad\nname.jpg").write_bytes(photo.read_bytes()[:2000])
    done = cli("scan", folder, "--catalog", tmp_path / "c.sqlite", "--workers", "0")
    assert done.returncode == 0, done.stderr
    lines = stderr_lines(done.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"skipped {folder}/bad\\nname.jpg: truncated or corrupt image data"), lines


# -- 4. a JPEG header that claims more pixels than the file can hold --------------------------------------------------

def _patched_jpeg(photo: Path, width: int, height: int) -> tuple[bytes, bytes]:
    """A small real JPEG, and the same bytes with the size in its SOF0 header replaced (the EOI marker kept)."""
    img = Image.open(photo).convert("RGB")
    img.thumbnail((320, 320))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    real = buf.getvalue()
    sof = real.index(b"\xff\xc0")
    patched = bytearray(real)
    patched[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    assert patched.endswith(b"\xff\xd9")
    return real, bytes(patched)


def test_a_jpeg_whose_header_claims_too_many_pixels_is_refused(tmp_path, photos_dir):
    real, patched = _patched_jpeg(sorted(photos_dir.iterdir())[0], 12000, 12000)
    (tmp_path / "real.jpg").write_bytes(real)
    (tmp_path / "liar.jpg").write_bytes(patched)
    assert read_image(tmp_path / "real.jpg", min_side=224).width <= 320
    with pytest.raises(FileError) as info:
        read_image(tmp_path / "liar.jpg", min_side=224)  # it used to decode, then win the "resolution" keeper rule
    assert info.value.reason == "truncated or corrupt image data (header claims 12000×12000, too few bytes for that)"


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"subsampling": 0}, {"optimize": True}])
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_the_flattest_real_jpegs_still_decode(tmp_path, mode, options):
    """A single-colour picture is the fewest bytes a real JPEG of its size can take: the bound must let it through."""
    flat = tmp_path / "flat.jpg"
    Image.new(mode, (4000, 3000), 128 if mode == "L" else (120, 130, 140)).save(flat, "JPEG", quality=5, **options)
    decoded = read_image(flat, min_side=224)
    assert (decoded.width, decoded.height) == (4000, 3000)


# -- 5. JPEG bytes behind a name that is usually not an image ----------------------------------------------------------

def test_image_bytes_behind_a_non_image_name_are_found_and_raw_names_go_to_libraw(tmp_path, photos_dir):
    data = sorted(photos_dir.iterdir())[0].read_bytes()
    (tmp_path / "renamed.svg").write_bytes(data)
    (tmp_path / "renamed.txt").write_bytes(data)
    (tmp_path / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "camera.cr2").write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + data)  # a TIFF-based RAW's head
    (tmp_path / "camera.nef").write_bytes(data)
    found = sorted(Path(e.path).name for e in walk([tmp_path]))
    assert found == ["camera.cr2", "camera.nef", "renamed.svg", "renamed.txt"]
    assert read_image(tmp_path / "renamed.svg").format == "JPEG"
    for name in ("camera.cr2", "camera.nef"):  # not RAW inside: LibRaw's refusal in one line, never Pillow's TIFF
        with pytest.raises(FileError, match=rf"{name}: not a RAW photo LibRaw can read") as caught:
            read_image(tmp_path / name)
        assert "\n" not in str(caught.value)


def test_reading_a_photo_asks_for_its_size_not_the_limit(tmp_path):
    """read_regular_file read ``limit + 1`` bytes at once, which asks for 2 GiB up front for every photo: a scan's
    worker under a memory bound failed on a 1 KB file."""
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(1000))
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from engine.images import read_regular_file\n"
            "print(len(read_regular_file(sys.argv[1])))\n")
    done = subprocess.run([sys.executable, "-c", code, str(photo)], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1003"
