"""What the screens show of a file (engine.previews): a video's poster is its first frame with content, past a black
opening and its fade; its strip is frames across the whole clip; a photo's thumbnail is as before; a file that is
not a video is one line. Clips are made here from the shared photos (tests/clips.py)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import FileError
from engine.previews import STRIP_GAP, frame_strip, poster, thumbnail

from ..clips import decoded, make_clip
from ..conftest import PHOTOS_ZIP, extract_photos, require


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """4 s of a pan and zoom after 1 s of black and a fade in over half a second, 320×240."""
    require(PHOTOS_ZIP)
    return make_clip(0, tmp_path_factory.mktemp("clips") / "VID_0001.mp4", seconds=4.0, black_s=1.0, fade_s=0.5)


def test_a_videos_thumbnail_is_its_first_frame_with_content_past_the_black_and_the_fade(clip):
    frames = list(decoded(clip))
    faded_in = np.asarray(frames[round(1.6 * 12)], dtype=np.float32)  # the first frames once the fade is over

    thumb = thumbnail(clip, 160)

    assert thumb.size == (160, 120) and thumb.mode == "RGB"
    seen = np.asarray(thumb, dtype=np.float32)
    assert seen.mean() > 0.85 * faded_in.mean() and seen.std() > 20, (seen.mean(), faded_in.mean())
    assert poster(clip).size == (320, 240)  # the frame itself, sized by the caller


def test_a_strip_is_frames_across_the_clip_side_by_side(clip):
    strip = frame_strip(clip, 4, 100)

    assert strip.size == (4 * 100 + 3 * STRIP_GAP, 75) and strip.mode == "RGB"
    pixels = np.asarray(strip, dtype=np.float32)
    frames = [pixels[:, i * (100 + STRIP_GAP):i * (100 + STRIP_GAP) + 100] for i in range(4)]
    assert all(f.mean() > 40 and f.std() > 20 for f in frames), [f.mean() for f in frames]  # none of the black
    gaps = [pixels[:, i * (100 + STRIP_GAP) - STRIP_GAP:i * (100 + STRIP_GAP)] for i in range(1, 4)]
    assert all(g.max() == 0 for g in gaps)
    # across the clip: the pan moves, so the first and the last frame differ
    assert np.abs(frames[0] - frames[-1]).mean() > 10


def test_a_photos_thumbnail_and_a_broken_video(tmp_path):
    photo = extract_photos(tmp_path, limit=1)[0]
    assert max(thumbnail(photo, 128).size) == 128
    fake = tmp_path / "VID_0002.mp4"
    fake.write_bytes(photo.read_bytes()[:5000])  # a JPEG's start under a video's name
    with pytest.raises(FileError) as caught:
        thumbnail(fake, 128)
    assert caught.value.path == str(fake)
