"""Near-duplicate videos (issue 25, part 6): re-encodes, resized copies and trims of a clip are found, clips that
only share a black opening, a fade or a title card are not, a broken video is one line, a photo is never a video.

Every clip is made here from the shared photos (tests/clips.py: a pan and zoom over one photo, encoded with PyAV's
FFmpeg) and hashed with the shipped model, as a scan would."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from engine.errors import FileError
from engine.model import HashModel, default_model_path
from engine.videos import VideoSignature, compare_videos, sample_frames, same_video, video_groups, video_signature

from ..clips import (
    make_clip,
    pan_and_zoom,
    reencode,
    shared_photo,
    trim,
    with_intro,
    write_clip,
    write_sound_only,
)
from ..conftest import PHOTOS_ZIP, extract_photos, require

FPS = 12
ORIGINAL_PHOTO, OTHER_PHOTOS = 3, (11, 27, 40)


@pytest.fixture(scope="module")
def model() -> HashModel:
    return HashModel.load(default_model_path())


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A 6-s clip as a phone app exports it: 1 s of black, then a pan and zoom fading in over its first second."""
    require(PHOTOS_ZIP)
    return make_clip(ORIGINAL_PHOTO, tmp_path_factory.mktemp("clips") / "original.mp4", seconds=5.0, fps=FPS,
                     black_s=1.0, fade_s=1.0)


def duplicate_search(model):
    radius = model.info.radius_duplicate
    return radius, model.info.gates_for(radius)


def test_reencoded_and_resized_copies_are_one_group(original, model, tmp_path):
    copies = [reencode(original, tmp_path / "low-bitrate.mp4", bit_rate=80_000),
              reencode(original, tmp_path / "high-bitrate.mp4", bit_rate=1_000_000),
              reencode(original, tmp_path / "larger.mp4", size=(480, 360)),
              reencode(original, tmp_path / "smaller.mp4", size=(240, 180), bit_rate=150_000)]
    other = make_clip(OTHER_PHOTOS[0], tmp_path / "other.mp4", seconds=5.0, fps=FPS, black_s=1.0, fade_s=1.0)
    signatures = [video_signature(p, model) for p in [original, *copies, other]]
    radius, gates = duplicate_search(model)

    groups = video_groups(signatures, radius, gates)

    assert [sorted(g) for g in groups] == [sorted(map(str, [original, *copies]))]
    by_name = {s.path: s for s in signatures}
    assert compare_videos(by_name[str(original)], by_name[str(copies[0])], radius, gates).reason == "re-encoded copy"
    resized = compare_videos(by_name[str(original)], by_name[str(copies[3])], radius, gates)
    assert resized.reason == "resized copy: 320×240 and 240×180"
    assert resized.matched == resized.frames  # every frame with content found, in order


def test_trims_are_found_and_two_trims_that_do_not_overlap_are_not_chained(original, model, tmp_path):
    early = trim(original, tmp_path / "early.mp4", 1.5, 3.5)
    late = trim(original, tmp_path / "late.mp4", 4.0, 6.0)
    signatures = [video_signature(p, model) for p in (early, late, original)]
    radius, gates = duplicate_search(model)

    late_in_original = compare_videos(signatures[2], signatures[1], radius, gates)
    assert late_in_original.same, late_in_original
    assert late_in_original.reason.startswith("trimmed: 2.0 s of 6.0 s in common, from ")
    assert abs(late_in_original.offset - 4.0) < 0.5
    assert not same_video(signatures[0], signatures[1], radius, gates)  # each is in the original, not in the other
    # one group around the original, each trim a copy of it; never trim to trim
    assert video_groups(signatures, radius, gates) == [[str(original), str(early), str(late)]]
    assert video_groups(signatures[:2], radius, gates) == []


def test_a_chain_of_copies_is_cut_where_a_member_is_no_copy_of_the_first():
    """A ~ B ~ C ~ D, each a little further from A (hand-made codes: a chain this precise cannot be filmed): a
    group is the first video and its own copies, never the whole chain."""
    rng = np.random.default_rng(25)
    times = np.arange(8, dtype=np.float64) + 0.5
    codes = np.unpackbits(rng.integers(0, 256, (8, 24), dtype=np.uint8), axis=1)
    chain = []
    for name in "ABCD":
        chain.append(VideoSignature(name, 8.0, 320, 240, 1.0, times, np.packbits(codes, axis=1)))
        codes = codes.copy()
        codes[:, rng.permutation(192)[:30]] ^= 1  # 30 bits further each step: A to C is 60 bits
    radius = 37

    assert [same_video(chain[0], other, radius) for other in chain[1:]] == [True, False, False]
    assert video_groups(chain, radius) == [["B", "A", "C"]]  # D is a copy of C only, and C is in B's group


def test_different_clips_that_open_on_black_and_fade_in_are_apart(model, tmp_path):
    clips = [make_clip(i, tmp_path / f"black-opening-{i}.mp4", seconds=3.0, fps=FPS, black_s=2.0, fade_s=1.0)
             for i in OTHER_PHOTOS[:2]]
    frames = sample_frames(clips[0])
    assert frames.skipped >= 4 and min(frames.times) >= 2.0  # nothing of the black is kept
    signatures = [video_signature(p, model) for p in clips]
    radius, gates = duplicate_search(model)

    match = compare_videos(*signatures, radius, gates)

    assert not match.same and match.matched == 0, match  # black frames would all be alike (distance 0)
    assert match.reason.startswith("different videos")
    assert video_groups(signatures, radius, gates) == []


def test_a_shared_title_card_at_the_opening_counts_once(model, tmp_path):
    card = shared_photo(60)
    clips = []
    for i in OTHER_PHOTOS[1:]:
        frames = with_intro(pan_and_zoom(shared_photo(i), 3.0, FPS, (320, 240)), card, 2.0, FPS)
        clips.append(write_clip(frames, tmp_path / f"intro-{i}.mp4", FPS))
    sampled = sample_frames(clips[0])
    assert sum(t < 2.0 for t in sampled.times) == 1  # the card once, not once per sample
    signatures = [video_signature(p, model) for p in clips]
    radius, gates = duplicate_search(model)

    match = compare_videos(*signatures, radius, gates)

    assert match.matched <= 1 and not match.same, match
    assert video_groups(signatures, radius, gates) == []


def test_two_edits_that_share_one_shot_are_not_copies(model, tmp_path):
    """Frames alike, in order, at one offset, but only a third of the clip: two films that open on the same shot."""
    shot = pan_and_zoom(shared_photo(ORIGINAL_PHOTO), 2.0, FPS, (320, 240))
    edits = [write_clip(shot + pan_and_zoom(shared_photo(i), 4.0, FPS, (320, 240)), tmp_path / f"edit-{i}.mp4", FPS)
             for i in OTHER_PHOTOS[:2]]
    signatures = [video_signature(p, model) for p in edits]
    radius, gates = duplicate_search(model)

    match = compare_videos(*signatures, radius, gates)

    assert match.matched >= 3 and not match.same, match  # the shared shot is found, and is not enough
    assert video_groups(signatures, radius, gates) == []


def test_the_same_shots_in_another_order_are_not_a_copy(model, tmp_path):
    """Every frame of one has a frame alike in the other, but in the other order: an alignment, not a bag of frames."""
    shots = [pan_and_zoom(shared_photo(i), 2.0, FPS, (320, 240)) for i in (ORIGINAL_PHOTO, *OTHER_PHOTOS)]
    forward = write_clip([f for shot in shots for f in shot], tmp_path / "forward.mp4", FPS)
    backward = write_clip([f for shot in reversed(shots) for f in shot], tmp_path / "backward.mp4", FPS)
    signatures = [video_signature(p, model) for p in (forward, backward)]
    radius, gates = duplicate_search(model)

    match = compare_videos(*signatures, radius, gates)

    assert match.matched <= match.frames // 2 and not match.same, match
    assert video_groups(signatures, radius, gates) == []


def test_a_phone_portrait_clip_is_turned_as_its_display_matrix_says(model, tmp_path):
    upright = pan_and_zoom(shared_photo(ORIGINAL_PHOTO), 3.0, FPS, (240, 320))
    sideways = [f.rotate(-90, expand=True) for f in upright]  # stored turned clockwise, as a phone's sensor reads
    phone = write_clip(sideways, tmp_path / "phone.mp4", FPS, rotation=90)
    converted = write_clip(upright, tmp_path / "converted.mp4", FPS, bit_rate=300_000)  # the turn put into pixels
    signatures = [video_signature(p, model) for p in (phone, converted)]

    assert [(s.width, s.height) for s in signatures] == [(240, 320), (240, 320)]
    assert same_video(*signatures, *duplicate_search(model))


def truncated(src, out):
    data = src.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


BROKEN = {
    "truncated": (lambda clip, tmp: truncated(clip, tmp / "cut.mp4"), "not a video, or damaged"),
    "truncated web video": (lambda clip, tmp: truncated(
        write_clip(pan_and_zoom(shared_photo(5), 4.0, FPS, (320, 240)), tmp / "web.mp4", FPS, faststart=True),
        tmp / "cut-web.mp4"), "cut short or damaged: frames stop at"),
    "text": (lambda clip, tmp: (tmp / "notes.mp4").write_text("not a video\n" * 50) and tmp / "notes.mp4",
             "not a video, or damaged"),
    "empty": (lambda clip, tmp: (tmp / "empty.mp4").write_bytes(b"") or tmp / "empty.mp4", "empty file (0 bytes)"),
    "sound only": (lambda clip, tmp: write_sound_only(tmp / "memo.mp4"), "no video stream"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_video_raises_file_error_with_a_one_line_reason(kind, original, model, tmp_path):
    make, expected = BROKEN[kind]
    path = make(original, tmp_path)
    with pytest.raises(FileError) as caught:
        video_signature(path, model)
    error = caught.value
    assert error.path == str(path)
    assert error.reason.startswith(expected), error.reason
    assert "\n" not in str(error) and path.name not in error.reason  # one line; the caller names the file
    assert str(error) == f"{path}: {error.reason}"


def test_a_photo_is_never_a_video(model, tmp_path):
    photo = extract_photos(tmp_path / "photos", limit=ORIGINAL_PHOTO + 1)[ORIGINAL_PHOTO]
    renamed = shutil.copy(photo, tmp_path / "holiday.mp4")  # a photo under a video's name is still a photo
    moving = pan_and_zoom(shared_photo(ORIGINAL_PHOTO), 1.0, FPS, (160, 120))
    gif = tmp_path / "animated.mp4"  # PhotoHash reads a GIF as a photo, animated or not
    moving[0].save(gif, "GIF", save_all=True, append_images=moving[1:], duration=1000 // FPS)
    for path in (photo, renamed, gif):
        with pytest.raises(FileError, match="an image, not a video"):
            sample_frames(path)
    # a slideshow clip that shows just that photo, and its copy: grouped with each other, never with the photo
    still = [shared_photo(ORIGINAL_PHOTO).resize((320, 240))] * (3 * FPS)
    slideshow = write_clip(still, tmp_path / "slideshow.mp4", FPS)
    copy = reencode(slideshow, tmp_path / "slideshow-copy.mp4", bit_rate=200_000)
    signatures = [video_signature(p, model) for p in (slideshow, copy)]
    groups = video_groups(signatures, *duplicate_search(model))
    assert [sorted(g) for g in groups] == [sorted([str(slideshow), str(copy)])]


# -- through a scan: videos in the catalog, grouped apart from photos -------------------------------------------------

def test_a_scan_hashes_videos_and_groups_their_copies_apart_from_photos(tmp_path, capsys):
    from engine.catalog import Catalog
    from engine.duplicates import verified_groups, video_duplicates
    from engine.scan import scan
    from photohash_cli import main

    library = tmp_path / "library"
    (library / "phone").mkdir(parents=True)
    make_clip(0, library / "phone" / "VID_0001.mp4", seconds=4.0, black_s=1.0, fade_s=0.5)
    reencode(library / "phone" / "VID_0001.mp4", library / "VID_0001-small.mp4", size=(160, 120))
    make_clip(1, library / "phone" / "VID_0002.mp4", seconds=4.0, black_s=1.0, fade_s=0.5)  # another, on black
    extract_photos(library / "photos", limit=2)  # photos, one of them the scene of VID_0001: never with a video
    shared_photo(0).save(library / "photos" / "scene.jpg")
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        events = list(scan(catalog, [library], model, workers=2))
        assert events[-1].failed == 0 and events[-1].hashed == 6
        (group,) = video_duplicates(catalog, model)
        assert [m.file.path for m in group.members] == [str(library / "phone/VID_0001.mp4"),
                                                        str(library / "VID_0001-small.mp4")]
        assert group.kind == "video" and group.members[1].reason == "resized copy: 320×240 and 160×120"
        assert [m.file.path for m in group.removable] == [str(library / "VID_0001-small.mp4")]
        assert all(not m.file.path.endswith(".mp4") for g in verified_groups(catalog, model) for m in g.members)
        again = list(scan(catalog, [library], model, workers=0))[-1]
        assert (again.skipped, again.hashed) == (6, 0)  # a video's frame codes count as its code: not read again
    catalog_path = str(tmp_path / "c.sqlite")
    capsys.readouterr()
    assert main(["dupes", "--catalog", catalog_path, "--videos", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)["groups"]
    assert listed["kind"] == "video" and len(listed["files"]) == 2
    assert main(["trash", "--catalog", catalog_path, "--videos", "--yes"]) == 0
    assert not (library / "VID_0001-small.mp4").exists()
    assert main(["undo", "--catalog", catalog_path, "--yes"]) == 0
    assert (library / "VID_0001-small.mp4").exists()


def test_a_live_photos_video_goes_with_its_still_and_is_never_grouped_as_a_video(tmp_path):
    from engine.catalog import Catalog
    from engine.duplicates import verified_groups, video_duplicates
    from engine.scan import scan
    from engine.trash import trash_files, undo

    library = tmp_path / "library"
    (library / "iphone").mkdir(parents=True)
    shared_photo(0).save(library / "iphone" / "IMG_0007.JPG")
    make_clip(0, library / "iphone" / "IMG_0007.MOV", seconds=3.0)  # the Live Photo's few seconds
    reencode(library / "iphone" / "IMG_0007.MOV", library / "IMG_0007-shared.mov", size=(160, 120))
    shared_photo(0).reduce(2).save(library / "IMG_0007-small.jpg")
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [library], model, workers=0))
        assert video_duplicates(catalog, model) == []  # the Live Photo's video is its still's, not a video's copy
        (group,) = verified_groups(catalog, model)
        assert group.keeper.file.path == str(library / "iphone/IMG_0007.JPG")
        moved = trash_files(catalog, [group.keeper.file.path], groups=[group]).moved  # the user keeps the small one
        assert moved == [str(library / "iphone/IMG_0007.JPG"), str(library / "iphone/IMG_0007.MOV")]
        assert undo(catalog).failed == [] and (library / "iphone/IMG_0007.MOV").exists()
