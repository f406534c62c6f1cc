"""Stacks: a RAW and its JPEG of one shot, a Live Photo's still and video, a photo's sidecars (engine.stacks)."""

from __future__ import annotations

from engine.stacks import Stack, find_stacks

SHOT = "2024-06-01T10:00:01"


def test_a_raw_and_its_jpeg_of_one_shot_are_a_stack_led_by_the_jpeg_with_their_sidecars():
    photos = {"/p/IMG_1.CR2": SHOT, "/p/IMG_1.JPG": SHOT, "/p/IMG_2.jpg": None}
    names = {"/p": ["IMG_1.CR2", "IMG_1.JPG", "IMG_1.CR2.xmp", "IMG_1.xmp", "IMG_2.jpg", "IMG_2.aae", "notes.txt"]}
    stacks = find_stacks(photos, names)
    one = stacks["/p/IMG_1.CR2"]
    assert one is stacks["/p/IMG_1.JPG"]
    assert one == Stack("/p/IMG_1.JPG", ("/p/IMG_1.JPG", "/p/IMG_1.CR2"), ("/p/IMG_1.CR2.xmp", "/p/IMG_1.xmp"))
    # a photo alone but for its sidecar still moves with it
    assert stacks["/p/IMG_2.jpg"] == Stack("/p/IMG_2.jpg", ("/p/IMG_2.jpg",), ("/p/IMG_2.aae",))
    assert one.paths == ("/p/IMG_1.JPG", "/p/IMG_1.CR2", "/p/IMG_1.CR2.xmp", "/p/IMG_1.xmp")


def test_a_shared_name_taken_at_two_moments_is_two_shots_and_other_folders_are_apart():
    photos = {"/p/IMG_1.NEF": SHOT, "/p/IMG_1.JPG": "2019-01-01T08:00:00", "/q/IMG_1.JPG": SHOT,
              "/r/IMG_5.NEF": None, "/r/IMG_5.jpg": SHOT}
    stacks = find_stacks(photos, {"/p": [], "/q": [], "/r": []})
    assert "/p/IMG_1.NEF" not in stacks and "/p/IMG_1.JPG" not in stacks and "/q/IMG_1.JPG" not in stacks
    assert stacks["/r/IMG_5.NEF"].photos == ("/r/IMG_5.jpg", "/r/IMG_5.NEF")  # one says when, the other not: one


def test_a_live_photo_is_its_still_and_its_video_and_a_raw_alone_keeps_its_name():
    photos = {"/i/IMG_7.HEIC": SHOT, "/i/DSC_9.ARW": SHOT}
    stacks = find_stacks(photos, {"/i": ["IMG_7.HEIC", "IMG_7.MOV", "DSC_9.ARW", "DSC_9.MOV", "IMG_77.MOV"]})
    assert stacks["/i/IMG_7.HEIC"] == Stack("/i/IMG_7.HEIC", ("/i/IMG_7.HEIC",), ("/i/IMG_7.MOV",))
    assert "/i/DSC_9.ARW" not in stacks  # a camera's clip of the same number is not the RAW's


def test_photos_of_one_name_without_one_raw_are_not_a_stack_and_a_name_they_share_is_nobodys():
    photos = {"/p/IMG_3.jpg": SHOT, "/p/IMG_3.png": SHOT, "/p/IMG_4.CR2": SHOT, "/p/IMG_4.dng": SHOT}
    names = {"/p": ["IMG_3.jpg", "IMG_3.png", "IMG_3.xmp", "IMG_3.png.xmp", "IMG_4.CR2", "IMG_4.dng"]}
    stacks = find_stacks(photos, names)
    # a PNG saved from the JPEG, a DNG converted from the RAW: copies to be found, not one shot
    assert "/p/IMG_3.jpg" not in stacks and "/p/IMG_4.CR2" not in stacks and "/p/IMG_4.dng" not in stacks
    # IMG_3.xmp may be either's: it moves with neither; the PNG's own sidecar goes with it
    assert stacks["/p/IMG_3.png"] == Stack("/p/IMG_3.png", ("/p/IMG_3.png",), ("/p/IMG_3.png.xmp",))
    assert find_stacks(photos, names, companions=False) == {}


def test_the_live_photo_videos_are_the_ones_find_stacks_takes_for_companions():
    from engine.stacks import live_photo_videos

    paths = ["/i/IMG_7.HEIC", "/i/IMG_7.MOV", "/i/DSC_9.ARW", "/i/DSC_9.MOV", "/i/IMG_77.MOV", "/i/VID_1.mp4"]
    assert live_photo_videos(paths) == {"/i/IMG_7.MOV"}
    stacks = find_stacks({p: SHOT for p in paths}, {"/i": [p.rsplit("/", 1)[1] for p in paths]})
    assert {c for s in stacks.values() for c in s.companions} == {"/i/IMG_7.MOV"}
