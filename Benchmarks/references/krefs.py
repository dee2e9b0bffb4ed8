"""Drives Benchmarks/references.sh: on every dev split with at least 3 images, each image in turn
is the target and every choice of k = 1, 2, ... of the other images is its reference set
(POST /v1/propose, inline references); the pair matcher (POST /v1/match) runs on the same
(reference, target) pairs. Each answer is scored by `dpcl eval` through a derived misc-pairs/v1
file whose pairs are (reference image, target) for every reference of every set, so a set's
groups are exactly those of its k pairs. Prints the table (macro over splits of each split's
overall F1@0.10 and mPCK@0.10) for the foreground prior learnt from all references and from the
best one."""
import argparse
import base64
import itertools
import json
import os
import statistics
import subprocess
import time
import urllib.request

SPLIT_KEYS = ("format", "name", "categories", "images", "instances")


def serve(dpcl, model_config, work, tag):
    data = os.path.join(work, f"data-{tag}")
    os.makedirs(data, exist_ok=True)
    out = open(os.path.join(work, f"serve-{tag}.out"), "w")
    process = subprocess.Popen([dpcl, "serve", "--port", "0", "--data-dir", data, "--config", "Config/server.yaml",
                                "--model-config", model_config], stdout=out, stderr=subprocess.STDOUT)
    for _ in range(1200):
        time.sleep(0.25)
        text = open(out.name).read()
        port = next((line.split()[-1] for line in text.splitlines() if "listening on" in line), None)
        if port:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz").status == 200:
                    return process, port
            except OSError:
                pass
    process.kill()
    raise SystemExit(f"references: the server did not become ready:\n{open(out.name).read()}")


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.load(answer)


class Split:
    def __init__(self, folder):
        self.folder = folder
        self.doc = json.load(open(os.path.join(folder, "pairs.json")))
        self.category = self.doc["categories"][0]
        self.images = [image["id"] for image in self.doc["images"]]
        self.files = {image["id"]: os.path.join(folder, image["file"]) for image in self.doc["images"]}
        self.b64 = {i: base64.b64encode(open(f, "rb").read()).decode() for i, f in self.files.items()}

    def annotations(self, image):
        keep = ("id", "keypoints", "segmentation", "bbox")
        return {"category": self.category["name"], "keypoints": self.category["keypoints"],
                "instances": [{k: v for k, v in inst.items() if k in keep}
                              for inst in self.doc["instances"] if inst["image"] == image]}

    def source_ids(self, image):
        return {inst["id"] for inst in self.doc["instances"] if inst["image"] == image}


def evaluate(dpcl, work, split, name, pairs, entries):
    """Overall (f1, mpck) at 0.10 of `entries` on a derived split holding `pairs`."""
    truth = {key: split.doc[key] for key in SPLIT_KEYS}
    truth["name"] = name
    truth["pairs"] = [{"id": pid, "category": split.category["name"], "source": s, "target": t} for pid, s, t in pairs]
    gt, pred = os.path.join(work, f"{name}-gt.json"), os.path.join(work, f"{name}-pred.json")
    json.dump(truth, open(gt, "w"))
    json.dump({"format": "misc-predictions/v1", "benchmark": name, "method": "references", "pairs": entries}, open(pred, "w"))
    scores = json.loads(subprocess.run([dpcl, "eval", "--json", gt, pred], check=True, capture_output=True, text=True).stdout)
    alpha = scores["overall"]["alphas"]["0.10"]
    return alpha["f1"], alpha["mpck"]


def entry(pair_id, answer, sources):
    return {"pair": pair_id, "matches": [m for m in answer["matches"] if m["source_instance"] in sources],
            "instances": [{k: v for k, v in inst.items() if k in ("id", "score", "segmentation")} for inst in answer["instances"]]}


def run_mode(port, splits, dpcl, work, tag):
    """Per split: {k: {"matches": (f1, mpck), "proposals": (f1, mpck), "sets": n}} and the pair
    matcher's (f1, mpck) on the same pairs."""
    results = {}
    for split in splits:
        name = split.doc["name"]
        by_k = {}
        pair_answers = {}
        for target in split.images:
            for reference in split.images:
                if reference != target:
                    pair_answers[(reference, target)] = post(port, "/v1/match", {
                        "source": split.b64[reference], "target": split.b64[target], "annotations": split.annotations(reference)})
        baseline_pairs = [(f"{r}>{t}", r, t) for (r, t) in pair_answers]
        baseline = evaluate(dpcl, work, split, f"{tag}-{name}-pair", baseline_pairs,
                            [entry(pid, pair_answers[(r, t)], split.source_ids(r)) for pid, r, t in baseline_pairs])
        same_at_one = True
        for k in range(1, len(split.images)):
            pairs, every, proposed = [], [], []
            sets = 0
            for target in split.images:
                others = [i for i in split.images if i != target]
                for chosen in itertools.combinations(others, k):
                    sets += 1
                    body = {"target": split.b64[target],
                            "references": [{"image": split.b64[r], "annotations": split.annotations(r)} for r in chosen]}
                    all_matches = post(port, "/v1/propose?matches=all", body)
                    proposals = post(port, "/v1/propose", body)
                    for r in chosen:
                        pid = f"{target}<{'+'.join(chosen)}|{r}"
                        pairs.append((pid, r, target))
                        every.append(entry(pid, all_matches, split.source_ids(r)))
                        proposed.append(entry(pid, proposals, split.source_ids(r)))
                        if k == 1:
                            expected = entry(pid, pair_answers[(r, target)], split.source_ids(r))
                            same_at_one &= expected["matches"] == every[-1]["matches"]
            by_k[k] = {"sets": sets,
                       "matches": evaluate(dpcl, work, split, f"{tag}-{name}-k{k}", pairs, every),
                       "proposals": evaluate(dpcl, work, split, f"{tag}-{name}-k{k}-proposals", pairs, proposed)}
        results[name] = {"pair": baseline, "k": by_k, "same_at_one": same_at_one}
        print(f"{tag} {name}: pair {baseline}, " + ", ".join(f"k={k} {v['matches']} / {v['proposals']}" for k, v in by_k.items()),
              flush=True)
    return results


def macro(values):
    return statistics.mean(values)


def table(results_by_mode):
    lines = ["| references k | reference sets | foreground from | F1@0.10 | mPCK@0.10 | proposals F1@0.10 | proposals mPCK@0.10 | pair matcher F1@0.10 | pair matcher mPCK@0.10 | splits |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for mode, results in results_by_mode.items():
        max_k = max(max(r["k"]) for r in results.values())
        for k in range(1, max_k + 1):
            having = [r for r in results.values() if k in r["k"]]
            cells = [macro([r["k"][k][kind][i] for r in having]) for kind in ("matches", "proposals") for i in (0, 1)]
            base = [macro([r["pair"][i] for r in having]) for i in (0, 1)]
            sets = sum(r["k"][k]["sets"] for r in having)
            lines.append(f"| {k} | {sets} | {mode} | " + " | ".join(f"{v:.3f}" for v in cells + base) + f" | {len(having)} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", required=True)
    parser.add_argument("--dpcl", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--model-config", default="Config/models/dinov2-small.json")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    data = os.path.join(args.shared, "data")
    splits = []
    for name in sorted(os.listdir(data)):
        if os.path.exists(os.path.join(data, name, "pairs.json")):
            split = Split(os.path.join(data, name))
            if len(split.images) >= 3:
                splits.append(split)
    base = json.load(open(args.model_config))
    results_by_mode = {}
    for mode in ("all", "best"):
        config = dict(base)
        config["matcher"] = dict(base["matcher"], references={"foreground": mode})
        path = os.path.join(args.work, f"model-{mode}.json")
        json.dump(config, open(path, "w"))
        process, port = serve(args.dpcl, path, args.work, mode)
        try:
            results_by_mode[mode] = run_mode(port, splits, args.dpcl, args.work, mode)
        finally:
            process.terminate()
            process.wait()
    print(f"splits: {', '.join(s.doc['name'] for s in splits)}; every choice of k references per target")
    for mode, results in results_by_mode.items():
        print(f"k = 1 equals the pair matcher match for match ({mode}): {all(r['same_at_one'] for r in results.values())}")
    print(table(results_by_mode))
    if args.out:
        json.dump(results_by_mode, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
