"""Drives Benchmarks/match.sh: every dev pair through POST /v1/match with curl to each server (one per
backbone precision, in rotating order), uncached, with a cached source and with both images cached (the
rest of a pair: what does not shrink with the backbone), then the forward time up to
the matcher's layer (dpcl bench backbone) at every input size the services' answers name, at each
precision; prints a table per precision and the ratios. Each round does all of it, so that background
load and the machine's drift hit every precision and both measurements alike."""
import argparse
import glob
import json
import os
import statistics
import subprocess

from PIL import Image


def forward_ms(dpcl, width, height, layer, iterations, precision):
    out = subprocess.run([dpcl, "bench", "backbone", "--size", str(width), "--height", str(height), "--layer", str(layer),
                          "--iterations", str(iterations), "--warm-up", "2", "--precision", precision],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def unique_jpeg(path, work, tag):
    """The image as a JPEG (as the dev images are) with the tag's 12 bits drawn in its top
    left corner as black and white 4 × 4 squares: its decoded pixels differ from every other
    request's, so there is no cache hit (a changed pixel or two may not survive JPEG)."""
    image = Image.open(path).convert("RGB")
    for bit in range(12):
        image.paste((255, 255, 255) if tag >> bit & 1 else (0, 0, 0), (4 * bit, 0, 4 * bit + 4, 4))
    out = os.path.join(work, f"unique-{tag}.jpg")
    image.save(out, quality=95)
    return out


def post(port, source, target, annotations, answer):
    """Milliseconds of one POST /v1/match, and the input sizes (width, height) the service
    chose for the source and the target, from its answer."""
    out = subprocess.run(["curl", "-s", "-o", answer, "-w", "%{http_code} %{time_total}",
                          "-F", f"source=@{source}", "-F", f"target=@{target}",
                          "-F", f"annotations=@{annotations};type=application/json",
                          f"http://127.0.0.1:{port}/v1/match"], check=True, capture_output=True, text=True).stdout
    status, seconds = out.split()
    if status != "200":
        raise SystemExit(f"POST /v1/match answered {status}")
    body = json.load(open(answer))
    sizes = tuple((body[side]["input_width"], body[side]["input_height"]) for side in ("source", "target"))
    return float(seconds) * 1000, sizes


def main():
    parser = argparse.ArgumentParser()
    for name in ("shared", "dpcl", "work"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forwards", type=int, default=7)
    parser.add_argument("--summary", help="also write the medians per precision here as JSON")
    parser.add_argument("servers", nargs="+", metavar="PRECISION=PORT",
                        help="a server per backbone precision (fp32, bf16, int8, auto)")
    args = parser.parse_args()
    servers = dict(server.split("=", 1) for server in args.servers)

    layer = json.load(open("Config/models/dinov2-small.json"))["matcher"]["layer"]
    pairs = []
    for split_file in sorted(glob.glob(os.path.join(args.shared, "data", "*", "pairs.json"))):
        folder = os.path.dirname(split_file)
        split = json.load(open(split_file))
        images = {image["id"]: image for image in split["images"]}
        category = {c["name"]: c for c in split["categories"]}
        for pair in split["pairs"]:
            instances = [{k: v for k, v in i.items() if k in ("id", "keypoints", "segmentation", "bbox")}
                         for i in split["instances"] if i["image"] == pair["source"] and i["category"] == pair["category"]]
            annotations = os.path.join(args.work, f"{len(pairs)}.json")
            json.dump({"category": pair["category"], "keypoints": category[pair["category"]]["keypoints"],
                       "instances": instances}, open(annotations, "w"))
            source, target = images[pair["source"]], images[pair["target"]]
            pairs.append(dict(id=os.path.basename(folder) + "/" + pair["id"], annotations=annotations,
                              source=os.path.join(folder, source["file"]), target=os.path.join(folder, target["file"])))

    precisions = list(servers)
    forward = {p: {} for p in precisions}
    uncached = {p: {pair["id"]: [] for pair in pairs} for p in precisions}
    cached = {p: {pair["id"]: [] for pair in pairs} for p in precisions}
    rest = {p: {pair["id"]: [] for pair in pairs} for p in precisions}
    sizes = {}
    answer = os.path.join(args.work, "answer.json")
    tag = 0
    turn = 0
    for _ in range(args.rounds):
        for pair in pairs:
            turn += 1
            for precision in precisions[turn % len(precisions):] + precisions[:turn % len(precisions)]:
                port = servers[precision]
                # Uncached: a fresh source and a fresh target.
                tag += 1
                source = unique_jpeg(pair["source"], args.work, tag)
                tag += 1
                target = unique_jpeg(pair["target"], args.work, tag)
                milliseconds, sizes[pair["id"]] = post(port, source, target, pair["annotations"], answer)
                uncached[precision][pair["id"]].append(milliseconds)
                # Cached source: the same source again, a fresh target.
                tag += 1
                target = unique_jpeg(pair["target"], args.work, tag)
                cached[precision][pair["id"]].append(post(port, source, target, pair["annotations"], answer)[0])
                # Both cached: the same two images again.
                rest[precision][pair["id"]].append(post(port, source, target, pair["annotations"], answer)[0])
        # The forward at every input size the services used, timed in the same round.
        for size in sorted({s for both in sizes.values() for s in both}):
            for precision in precisions:
                forward[precision].setdefault(size, []).append(
                    forward_ms(args.dpcl, size[0], size[1], layer, args.forwards, precision))

    summary = {}
    for precision in precisions:
        forward_median = {size: statistics.median(times) for size, times in forward[precision].items()}
        rows, pair_ratio, cached_ratio = [], [], []
        for pair in pairs:
            source_size, target_size = sizes[pair["id"]]
            one = (forward_median[source_size] + forward_median[target_size]) / 2
            u, c = statistics.median(uncached[precision][pair["id"]]), statistics.median(cached[precision][pair["id"]])
            pair_ratio.append(u / one)
            cached_ratio.append(c / forward_median[target_size])
            rows.append((pair["id"], u, c, one))
        print(f"\n## precision {precision}\n")
        print(f"{'pair':40} {'uncached ms':>12} {'cached src ms':>14} {'forward ms':>11}")
        for pid, u, c, one in rows:
            print(f"{pid:40} {u:12.1f} {c:14.1f} {one:11.1f}")
        all_forwards = [t for times in forward[precision].values() for t in times]
        print()
        print("forward medians by input size: " + ", ".join(f"{w}x{h} {forward_median[(w, h)]:.1f} ms" for w, h in sorted(forward_median)))
        print(f"median pair time, uncached:      {statistics.median([r[1] for r in rows]):.1f} ms")
        print(f"median pair time, cached source: {statistics.median([r[2] for r in rows]):.1f} ms")
        rest_median = statistics.median([statistics.median(rest[precision][pair["id"]]) for pair in pairs])
        print(f"median pair time, both cached:   {rest_median:.1f} ms (the rest of a pair: decoding, matching, masks, HTTP)")
        print(f"median forward (all sizes):      {statistics.median(all_forwards):.1f} ms")
        print(f"median pair / forward, uncached:      {statistics.median(pair_ratio):.2f} (target <= 2.4)")
        print(f"median pair / forward, cached source: {statistics.median(cached_ratio):.2f} (target <= 1.3)")
        summary[precision] = {"pair_ms": statistics.median([r[1] for r in rows]),
                              "cached_ms": statistics.median([r[2] for r in rows]), "rest_ms": rest_median,
                              "forward_ms": statistics.median(all_forwards), "pair_ratio": statistics.median(pair_ratio)}
    if args.summary:
        json.dump(summary, open(args.summary, "w"))


if __name__ == "__main__":
    main()
