"""Near-duplicate videos (engine.videos): what hashing a video costs, what it finds, how grouping scales. Prints its
figures.

- Cost: CPU seconds (process time: every thread, FFmpeg's and ONNX Runtime's) per minute of video, median of
  --runs with each run beside it, for a made clip of --seconds (30 fps, --size, six shots of a pan and zoom over a
  shared photo, opening on 1 s of black and a fade) in two encodings: a converter's (x264's default of a keyframe
  every 250 frames) and a camera's (a keyframe a second). For each: sampling the frames alone (sample_frames), the
  whole signature (sampling and the model), and the peers measured in the same run: decoding every frame of the
  clip (what a sampler that reads a clip through costs at least), and every frame but those no other is predicted
  from (what the sampler skips).
- Long videos: the same for a clip of --long-seconds at 320x180 (small, so it is quick to make), in both
  encodings: frames decoded against all of them, and sample_frames against decoding every frame.
- Matching: the clip's copies (two bitrates, two sizes, the camera's encoding, a 20-s cut) and two other clips
  that also open on black, each compared with the clip (the verdict and the reason in words), then video_groups
  over all of them.
- Grouping: video_groups over --videos made-up signatures (codes of random walks, one video in ten copied), with
  the shipped model's radius and gates.

Clips are made in a temporary folder (tests/clips.py) and deleted after.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import av  # noqa: E402
import numpy as np  # noqa: E402

from engine import videos as V  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from tests.clips import VIDEO_CODEC, panning, reencode, shared_photo, trim, with_opening, write_clip  # noqa: E402

FPS = 30


def long_clip(out: Path, photos: list[int], seconds: float, size: tuple[int, int],
              keyframe_every: int | None = None) -> Path:
    """Shots of an equal length, one per photo, the first fading in after 1 s of black."""
    shot = seconds / len(photos)

    def frames():
        for k, index in enumerate(photos):
            moving = panning(shared_photo(index), shot - (1.0 if k == 0 else 0.0), FPS, size)
            yield from (with_opening(list(moving), FPS, black_s=1.0, fade_s=1.0) if k == 0 else moving)

    return write_clip(frames(), out, FPS, keyframe_every=keyframe_every)


def cpu(fn, *args) -> tuple[float, object]:
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def decode_everything(path: Path, skip: str = "DEFAULT") -> int:
    """Frames decoded reading the clip through; ``skip="NONREF"``: as the sampler decodes, without the frames no
    other is predicted from."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = skip
        return sum(1 for _ in container.decode(stream))


def per_minute(runs: list[float], seconds: float) -> str:
    scaled = [r * 60.0 / seconds for r in runs]
    return f"{statistics.median(scaled):6.2f} s  (runs: {', '.join(f'{r:.2f}' for r in scaled)})"


def cost(clips: dict[str, Path], model: HashModel, runs: int) -> None:
    print("\nCost, CPU seconds per minute of video (median of runs):")
    for name, path in clips.items():
        frames = V.sample_frames(path)
        total = decode_everything(path)
        print(f"  {name}: {frames.duration:.0f} s, {total} frames; {len(frames.times)} sampled frames kept "
              f"({frames.skipped} skipped), {frames.decoded} frames decoded to get them")
        sampling = [cpu(V.sample_frames, path)[0] for _ in range(runs)]
        signature = [cpu(V.video_signature, path, model)[0] for _ in range(runs)]
        everything = [cpu(decode_everything, path)[0] for _ in range(runs)]
        referenced = [cpu(decode_everything, path, "NONREF")[0] for _ in range(runs)]
        print(f"    sample_frames                          {per_minute(sampling, frames.duration)}")
        print(f"    video_signature (sampling + model)     {per_minute(signature, frames.duration)}")
        print(f"    peer: decode every frame               {per_minute(everything, frames.duration)}")
        print(f"    peer: decode every referenced frame    {per_minute(referenced, frames.duration)}  "
              f"({decode_everything(path, 'NONREF')} frames)")


def long_videos(folder: Path, seconds: float, runs: int) -> None:
    shots = list(range(2, 2 + max(1, round(seconds / 10))))
    print(f"\nLong videos: {seconds:.0f} s at 320x180, {len(shots)} shots")
    for name, every in (("converter's encoding", None), ("camera's encoding", FPS)):
        path = long_clip(folder / f"long-{every}.mp4", shots, seconds, (320, 180), keyframe_every=every)
        frames = V.sample_frames(path)
        total = decode_everything(path)
        sampling = [cpu(V.sample_frames, path)[0] for _ in range(runs)]
        everything = [cpu(decode_everything, path)[0] for _ in range(runs)]
        print(f"  {name}: {len(frames.times)} sampled frames kept, {frames.decoded} of {total} frames decoded")
        print(f"    sample_frames                          {per_minute(sampling, frames.duration)}")
        print(f"    peer: decode every frame               {per_minute(everything, frames.duration)}")


def matching(original: Path, others: dict[str, Path], model: HashModel) -> None:
    radius = model.info.radius_duplicate
    gates = model.info.gates_for(radius)
    base = V.video_signature(original, model)
    signatures = [base]
    print(f"\nMatching against {original.name} (radius {radius}, gates {[list(g) for g in gates]}):")
    for name, path in others.items():
        sig = V.video_signature(path, model)
        signatures.append(sig)
        match = V.compare_videos(base, sig, radius, gates)
        print(f"  {name:<34} {'COPY' if match.same else 'apart':<6} {match.matched:>2}/{match.frames:<2} frames  "
              f"{match.reason}")
    start = time.perf_counter()
    groups = V.video_groups(signatures, radius, gates)
    print(f"  video_groups: {len(groups)} group(s) in {time.perf_counter() - start:.3f} s")
    for group in groups:
        print("    " + ", ".join(Path(p).name for p in group))


def made_up_signatures(count: int, frames: int, bits: int, seed: int = 25) -> list[V.VideoSignature]:
    """Videos whose frames are a random walk in code space (10 bits a frame), one in ten with a copy (6 bits of
    each frame changed): the shape of a library's codes, without decoding thousands of videos."""
    rng = np.random.default_rng(seed)
    out = []
    times = np.arange(frames, dtype=np.float64) + 0.5
    for v in range(count):
        walk = np.empty((frames, bits), np.uint8)
        walk[0] = rng.integers(0, 2, bits)
        for k in range(1, frames):
            walk[k] = walk[k - 1]
            walk[k, rng.choice(bits, 10, replace=False)] ^= 1
        out.append(V.VideoSignature(f"v{v}", float(frames), 640, 360, 1.0, times, np.packbits(walk, axis=1)))
        if v % 10 == 0:
            copy = walk.copy()
            for k in range(frames):
                copy[k, rng.choice(bits, 6, replace=False)] ^= 1
            out.append(V.VideoSignature(f"v{v}-copy", float(frames), 320, 180, 1.0, times, np.packbits(copy, axis=1)))
    return out


def grouping(count: int, model: HashModel) -> None:
    radius = model.info.radius_duplicate
    gates = model.info.gates_for(radius)
    signatures = made_up_signatures(count, 30, model.info.bits)
    start = time.perf_counter()
    pairs = V.candidate_pairs(signatures, radius, gates)
    joined = time.perf_counter() - start
    start = time.perf_counter()
    groups = V.video_groups(signatures, radius, gates)
    took = time.perf_counter() - start
    copies = sum(1 for s in signatures if s.path.endswith("-copy"))
    found = sum(1 for g in groups if len(g) == 2 and g[1] == g[0] + "-copy")
    print(f"\nGrouping {len(signatures)} made-up videos of 30 frames ({copies} copied): candidate pairs "
          f"{len(pairs)} in {joined:.2f} s; video_groups {took:.2f} s in all; {found} of {copies} copies found, "
          f"{len(groups)} groups")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the made clip")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measure")
    parser.add_argument("--videos", type=int, default=3000, help="made-up videos to group (0: none)")
    parser.add_argument("--long-seconds", type=float, default=300.0, help="length of the long clip (0: none)")
    parser.add_argument("--size", default="640x360", help="frame size of the made clips, WxH (even numbers)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))

    print(f"bench_videos  {datetime.date.today()}  {platform.platform()}  processor {platform.processor() or '?'}  "
          f"{os.cpu_count()} CPUs  Python {platform.python_version()}  PyAV {av.__version__} "
          f"(FFmpeg {av.ffmpeg_version_info})  encoder {VIDEO_CODEC}")
    model = HashModel.load(default_model_path())
    with tempfile.TemporaryDirectory(prefix="photohash-bench-videos-") as tmp:
        folder = Path(tmp)
        made = time.perf_counter()
        original = long_clip(folder / "original.mp4", [3, 8, 15, 22, 31, 47], args.seconds, size)
        camera = long_clip(folder / "camera.mp4", [3, 8, 15, 22, 31, 47], args.seconds, size, keyframe_every=FPS)
        half = (size[0] // 4 * 2, size[1] // 4 * 2)
        larger = (size[0] * 3 // 4 * 2, size[1] * 3 // 4 * 2)
        cut_from, cut_to = 0.4 * args.seconds, 0.4 * args.seconds + min(20.0, 0.3 * args.seconds)
        others = {
            "camera encoding (keyframe a second)": camera,
            "re-encoded at 400 kbit/s": reencode(original, folder / "400k.mp4", bit_rate=400_000),
            "re-encoded at 2 Mbit/s": reencode(original, folder / "2M.mp4", bit_rate=2_000_000),
            "resized to half": reencode(original, folder / "half.mp4", size=half, bit_rate=300_000),
            "resized to 1.5 times": reencode(original, folder / "larger.mp4", size=larger),
            f"cut {cut_from:.0f}-{cut_to:.0f} s": trim(original, folder / "cut.mp4", cut_from, cut_to),
            "other clip opening on black (1)": long_clip(folder / "other-1.mp4", [50, 55, 60, 66, 70, 77], args.seconds, size),
            "other clip opening on black (2)": long_clip(folder / "other-2.mp4", [80, 84, 88, 92, 96, 100], args.seconds, size),
        }
        print(f"clips made in {time.perf_counter() - made:.0f} s")
        cost({"converter's encoding (x264 default keyframes)": original, "camera's encoding (keyframe a second)": camera},
             model, args.runs)
        matching(original, others, model)
        if args.long_seconds:
            long_videos(folder, args.long_seconds, args.runs)
    if args.videos:
        grouping(args.videos, model)


if __name__ == "__main__":
    main()
