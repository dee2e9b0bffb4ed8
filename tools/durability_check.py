#!/usr/bin/env python3
"""The leaderboard's durability under SIGKILL: 20 rounds of a server killed at a random
moment while a client streams submissions (each with its own Idempotency-Key, some keys
sent twice). After each restart: every submission answered 202 is there and is scored,
`PRAGMA integrity_check` is ok, no Idempotency-Key has two rows, and a replayed key answers
its first id. Prints the acknowledged / lost tally; exits 1 on any loss or fault.

Usage: durability_check.py DPCL_BINARY SPLIT_FOLDER [--rounds 20] [--seed 1]
"""
import argparse
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ADMIN = "durability-admin-token"


def predictions(truth_path, shift):
    """The ground truth as predictions (every labelled source keypoint on every target
    instance that shows it), moved `shift` pixels: a valid, distinct file per shift."""
    truth = json.load(open(truth_path))
    instances = truth["instances"]
    pairs = []
    for pair in truth["pairs"]:
        of = lambda image: [i for i in instances if i["image"] == image and i["category"] == pair["category"]]
        matches = []
        for source in of(pair["source"]):
            for k, (_, _, v) in enumerate(source["keypoints"]):
                if v <= 0:
                    continue
                for target in of(pair["target"]):
                    x, y, tv = target["keypoints"][k]
                    if tv > 0:
                        matches.append({"source_instance": source["id"], "keypoint": k, "x": x + shift, "y": y,
                                        "score": 1.0, "target_instance": target["id"]})
        pairs.append({"pair": pair["id"], "matches": matches})
    return json.dumps({"format": "misc-predictions/v1", "benchmark": truth["name"], "method": f"shift {shift}",
                       "pairs": pairs}).encode()


class Server:
    def __init__(self, dpcl, data):
        env = dict(os.environ, DPCL_ADMIN_TOKEN=ADMIN, DPCL_SUBMISSION_QUOTA="0")
        self.out = tempfile.TemporaryFile()
        self.process = subprocess.Popen([dpcl, "serve", "--port", "0", "--data-dir", data, "--model-config", "none"],
                                        stdout=subprocess.PIPE, stderr=self.out, env=env, text=True)
        line = self.process.stdout.readline()
        if "listening on" not in line:
            sys.exit(f"durability: the server did not start: {line}")
        self.port = int(line.split()[-1])
        for _ in range(200):
            if self.request("GET", "/readyz")[0] == 200:
                return
            time.sleep(0.05)
        sys.exit("durability: the server did not become ready")

    def request(self, method, path, body=None, headers=None, timeout=30):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        except OSError:
            return 0, b"", {}

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dpcl")
    parser.add_argument("split")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    truth = os.path.join(args.split, "pairs.json")
    data = tempfile.mkdtemp(prefix="dpcl-durability-")
    subprocess.run([args.dpcl, "leaderboard", "add-benchmark", truth, "--allow-leak", "--data-dir", data], check=True, capture_output=True)
    token = subprocess.run([args.dpcl, "leaderboard", "create-team", "durability", "--data-dir", data],
                           check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    benchmark = json.load(open(truth))["name"]
    files = [predictions(truth, shift) for shift in range(8)]
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    acknowledged = {}  # key -> id
    lost_keys = set()
    attempted = 0
    faults = []
    for round_number in range(args.rounds):
        server = Server(args.dpcl, data)
        stop = threading.Event()

        def client():
            nonlocal attempted
            n = 0
            while not stop.is_set():
                replay = acknowledged and rng.random() < 0.2
                key = rng.choice(list(acknowledged)) if replay else f"r{round_number}-{n}"
                n += 1
                attempted += 0 if replay else 1
                # A key always carries the same file, as a client retrying would send it.
                body = files[sum(key.encode()) % len(files)]
                status, answer, _ = server.request("POST", f"/v1/benchmarks/{benchmark}/submissions", body,
                                                   dict(auth, **{"Idempotency-Key": key}))
                if status == 0:
                    break  # the server was killed under this request
                if status == 202:
                    got = json.loads(answer)["id"]
                    if key in acknowledged and acknowledged[key] != got:
                        faults.append(f"key {key} answered {got}, first {acknowledged[key]}")
                    acknowledged.setdefault(key, got)
                # A steady stream rather than a flood: kills land before, during and after
                # requests alike, and the tally stays quick to score.
                time.sleep(0.01)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(rng.uniform(0.2, 1.0))
        server.kill()
        stop.set()
        thread.join()

        # Restart: everything acknowledged is there; the file is sound; keys are unique.
        server = Server(args.dpcl, data)
        database = sqlite3.connect(os.path.join(data, "leaderboard.sqlite"))
        integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
        duplicates = database.execute(
            "SELECT idempotency_key FROM submission WHERE idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1").fetchall()
        stored = dict(database.execute("SELECT idempotency_key, id FROM submission WHERE idempotency_key IS NOT NULL").fetchall())
        database.close()
        if integrity != "ok":
            faults.append(f"round {round_number}: integrity_check says {integrity}")
        if duplicates:
            faults.append(f"round {round_number}: keys with two rows: {duplicates}")
        # Every acknowledged key has its row, under the id the 202 named; the round's new
        # ones are also read back through the API.
        lost = [key for key, id in acknowledged.items() if stored.get(key) != id]
        lost += [key for key, id in acknowledged.items() if key.startswith(f"r{round_number}-")
                 and server.request("GET", f"/v1/submissions/{id}", headers=auth)[0] != 200]
        lost_keys.update(lost)
        if lost:
            faults.append(f"round {round_number}: acknowledged but missing: {lost}")
        print(f"durability: round {round_number + 1}/{args.rounds}: {len(acknowledged)} acknowledged so far, "
              f"{len(lost)} lost, integrity {integrity}", flush=True)
        server.kill()

    # A last life: every acknowledged submission gets scored.
    server = Server(args.dpcl, data)
    deadline = time.time() + 600
    pending = dict(acknowledged)
    while pending and time.time() < deadline:
        for key, id in list(pending.items()):
            status, answer, _ = server.request("GET", f"/v1/submissions/{id}", headers=auth)
            if status == 200 and json.loads(answer)["status"] in ("done", "failed"):
                if json.loads(answer)["status"] != "done":
                    faults.append(f"submission {id} failed: {json.loads(answer)['error']}")
                del pending[key]
        time.sleep(0.2)
    server.kill()
    if pending:
        faults.append(f"{len(pending)} acknowledged submissions were not scored in time")
    scored = len(acknowledged) - len(pending)
    print(f"durability: {args.rounds} rounds killed with SIGKILL; {attempted} submissions sent, "
          f"{len(acknowledged)} acknowledged (202), {len(lost_keys)} of them lost, {scored} scored")
    for fault in faults[:10]:
        print(f"durability: FAULT: {fault}")
    subprocess.run(["rm", "-rf", data])
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
