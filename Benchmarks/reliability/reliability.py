"""The service when things go wrong, each part printing its figures and failing on a broken
promise: slow clients (slowhttptest slowloris, slow body, slow read) while real pairs are
matched; overload (4x the capacity of /v1/match); SIGTERM with requests in flight while the
server runs as PID 1 of its own PID namespace; and memory over many mixed requests.

Usage: reliability.py --dpcl BINARY --shared SHARED [--short]
--short: the CI version (fewer sockets, shorter runs, fewer requests).
"""
import argparse
import collections
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ADMIN = "reliability-admin"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"reliability: FAILED: {message}", flush=True)


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """dpcl serve on a free port with the repository's config (and the default model)."""

    def __init__(self, dpcl, config, pid1=False):
        self.data = tempfile.mkdtemp(prefix="dpcl-reliability-")
        command = [dpcl, "serve", "--port", "0", "--data-dir", self.data, "--config", config]
        if pid1:
            command = ["unshare", "-fp", "--mount-proc"] + command
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        env=dict(os.environ, DPCL_ADMIN_TOKEN=ADMIN, DPCL_SUBMISSION_QUOTA="0"))
        line = self.process.stdout.readline()
        if "listening on" not in line:
            sys.exit(f"reliability: the server did not start: {line!r}")
        self.port = int(line.split()[-1])
        # As PID 1 the server is unshare's child; signals and memory are the server's own.
        self.pid = self.process.pid
        if pid1:
            for _ in range(100):
                children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
                if children:
                    self.pid = int(children[0])
                    break
                time.sleep(0.05)
        deadline = time.time() + 180
        while request(self.port, "GET", "/readyz")[0] != 200:
            if time.time() > deadline:
                sys.exit("reliability: the server did not become ready")
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        shutil.rmtree(self.data, ignore_errors=True)


def request(port, method, path, body=None, headers=None, timeout=60):
    """(status, headers, seconds); status 0 on a connection error, -1 on a timeout."""
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, dict(response.getheaders()), time.perf_counter() - started
    except TimeoutError:
        return -1, {}, time.perf_counter() - started
    except OSError:
        return 0, {}, time.perf_counter() - started


def pair_request(shared):
    """The multipart body of a real dev pair (coco-person-dev, the skier onto a crowd); the
    servers run without the feature cache, so every request computes both images."""
    folder = os.path.join(shared, "data", "coco-person-dev")
    split = json.load(open(os.path.join(folder, "pairs.json")))
    pair = split["pairs"][2]
    files = {image["id"]: os.path.join(folder, image["file"]) for image in split["images"]}
    keypoints = next(c["keypoints"] for c in split["categories"] if c["name"] == pair["category"])
    instances = [{k: v for k, v in i.items() if k in ("id", "keypoints", "segmentation")} for i in split["instances"]
                 if i["image"] == pair["source"] and i["category"] == pair["category"]]
    annotations = json.dumps({"category": pair["category"], "keypoints": keypoints, "instances": instances}).encode()
    boundary = uuid.uuid4().hex
    body = b""
    for name, content_type, data in [("source", "image/jpeg", open(files[pair["source"]], "rb").read()),
                                     ("target", "image/jpeg", open(files[pair["target"]], "rb").read()),
                                     ("annotations", "application/json", annotations)]:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
                 f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def slow_clients(dpcl, config, pair, short):
    sockets, seconds = (200, 12) if short else (1000, 40)
    server = Server(dpcl, config)
    try:
        for mode, flags in [("slowloris", ["-H"]), ("slow body", ["-B", "-s", "65536"]), ("slow read", ["-X", "-w", "16", "-y", "32", "-n", "5", "-z", "16", "-k", "3"])]:
            path = "/openapi.yaml" if mode == "slow read" else "/v1/match"
            attack = subprocess.Popen(["slowhttptest", "-c", str(sockets), "-r", "500", "-l", str(seconds), "-i", "5", "-p", "3",
                                       "-u", f"http://127.0.0.1:{server.port}{path}"] + (["-t", "POST"] if mode == "slow body" else []) + flags,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)  # let the sockets open
            statuses, latencies = collections.Counter(), []
            open_connections = []
            while attack.poll() is None:
                status, _, elapsed = request(server.port, "POST", "/v1/match", pair[0], pair[1], timeout=60)
                statuses[status] += 1
                latencies.append(elapsed)
                open_connections.append(len(os.listdir(f"/proc/{server.pid}/fd")))
            print(f"reliability: slow clients, {mode}, {sockets} sockets for {seconds} s: real pairs {dict(statuses)}, "
                  f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                  f"most descriptors open {max(open_connections, default=0)}", flush=True)
            check(set(statuses) == {200}, f"{mode}: every real pair answered 200 ({dict(statuses)})")
    finally:
        server.stop()


def overload(dpcl, config, pair, short):
    seconds = 15 if short else 60
    server = Server(dpcl, config)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/v1/models")
        limits = json.load(connection.getresponse())["models"][0]["limits"]
        capacity = limits["workers"] + limits["queue_capacity"]
        clients = 4 * capacity
        stop = time.time() + seconds
        statuses, missing_retry, lock = collections.Counter(), [0], threading.Lock()
        health, peak = [], [rss_mb(server.pid)]

        def client():
            while time.time() < stop:
                status, headers, _ = request(server.port, "POST", "/v1/match", pair[0], pair[1], timeout=120)
                with lock:
                    statuses[status] += 1
                    if status == 503 and "Retry-After" not in headers:
                        missing_retry[0] += 1
                if status == 503:
                    time.sleep(0.1)

        def watcher():
            while time.time() < stop:
                health.append(request(server.port, "GET", "/healthz", timeout=5)[2])
                peak[0] = max(peak[0], rss_mb(server.pid))
                time.sleep(0.2)

        threads = [threading.Thread(target=client) for _ in range(clients)] + [threading.Thread(target=watcher)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"reliability: overload, {clients} clients (4 x capacity {capacity}) for {seconds} s: answers {dict(statuses)}, "
              f"/healthz max {max(health) * 1000:.0f} ms (p50 {percentile(health, 0.5) * 1000:.1f} ms), peak RSS {peak[0]:.0f} MB", flush=True)
        check(set(statuses) <= {200, 503}, f"overload: only 200 and 503 ({dict(statuses)}; 0 = connection error, -1 = client timeout)")
        check(statuses[200] > 0, "overload: pairs were still matched")
        check(missing_retry[0] == 0, f"overload: {missing_retry[0]} 503s without Retry-After")
        check(max(health) < 1.0, f"overload: /healthz took {max(health):.2f} s")
    finally:
        server.stop()


def configs(repository_config):
    """The repository's server config with the feature cache off (the same pair again must
    cost what a new one does), and a copy that keeps accepting with readiness 503 for 2 s
    after SIGTERM, as behind a load balancer."""
    folder = tempfile.mkdtemp(prefix="dpcl-reliability-config-")
    text = open(repository_config).read()
    model_line = next(line for line in text.splitlines() if line.strip().startswith("model_config:"))
    model_path = os.path.join(os.path.dirname(os.path.abspath(repository_config)), model_line.split(":", 1)[1].split("#")[0].strip())
    model = json.load(open(model_path))
    model["matcher"]["feature_cache_mb"] = 0
    json.dump(model, open(os.path.join(folder, "model.json"), "w"))
    text = text.replace(model_line, "  model_config: model.json")
    open(os.path.join(folder, "server.yaml"), "w").write(text)
    open(os.path.join(folder, "delayed.yaml"), "w").write(text.replace("shutdown_delay_seconds: 0", "shutdown_delay_seconds: 2"))
    return os.path.join(folder, "server.yaml"), os.path.join(folder, "delayed.yaml")


def shutdown_as_pid1(dpcl, delayed, pair):
    server = Server(dpcl, delayed, pid1=True)
    namespace_pid = [line.split()[-1] for line in open(f"/proc/{server.pid}/status") if line.startswith("NSpid:")][0]
    # A write to the leaderboard's database, so there is a WAL to fold in.
    status, _, _ = request(server.port, "POST", "/v1/teams", json.dumps({"name": "shutdown"}).encode(),
                           {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    check(status == 201, f"shutdown: a team could be created ({status})")
    wal = os.path.join(server.data, "leaderboard.sqlite-wal")
    results = []
    in_flight = [threading.Thread(target=lambda: results.append(request(server.port, "POST", "/v1/match", pair[0], pair[1], timeout=120)[0]))
                 for _ in range(4)]
    for thread in in_flight:
        thread.start()
    time.sleep(0.3)
    signalled = time.perf_counter()
    os.kill(server.pid, 15)
    not_ready = None
    while time.perf_counter() - signalled < 3:
        if request(server.port, "GET", "/readyz", timeout=1)[0] == 503:
            not_ready = time.perf_counter() - signalled
            break
        time.sleep(0.02)
    for thread in in_flight:
        thread.join()
    code = server.process.wait(timeout=60)
    wal_bytes = os.path.getsize(wal) if os.path.exists(wal) else 0
    print(f"reliability: SIGTERM to PID {server.pid} (PID {namespace_pid} in its namespace) with 4 pairs in flight: "
          f"readiness 503 after {not_ready * 1000 if not_ready is not None else float('nan'):.0f} ms, in-flight answers {results}, "
          f"exit {code}, WAL {wal_bytes} bytes after exit", flush=True)
    check(namespace_pid == "1", "shutdown: the server ran as PID 1")
    check(not_ready is not None and not_ready < 1.0, "shutdown: readiness turned 503 within 1 s")
    check(sorted(results) == [200] * 4, f"shutdown: every in-flight pair answered 200 ({results})")
    check(code == 0, f"shutdown: exit status {code}")
    check(wal_bytes == 0, "shutdown: the WAL was checkpointed")
    server.stop()


def memory(dpcl, config, pair, short):
    first, total = (100, 400) if short else (100, 1000)
    server = Server(dpcl, config)
    try:
        auth = {"Authorization": f"Bearer {ADMIN}"}
        mixed = [("POST", "/v1/match", pair[0], pair[1])] + [
            ("GET", path, None, auth) for path in ["/healthz", "/readyz", "/metrics", "/v1/models", "/v1/benchmarks", "/leaderboards",
                                                   "/openapi.yaml", "/", "/app.js", "/no-such-route", "/v1/teams"]]
        statuses = collections.Counter()
        rss_after = {}
        for index in range(total):
            method, path, body, headers = mixed[index % len(mixed)]
            statuses[request(server.port, method, path, body, headers)[0]] += 1
            if index + 1 in (first, total):
                rss_after[index + 1] = rss_mb(server.pid)
        growth = rss_after[total] / rss_after[first] - 1
        print(f"reliability: memory: RSS {rss_after[first]:.0f} MB after {first} mixed requests, {rss_after[total]:.0f} MB after {total} "
              f"({growth * 100:+.1f}%); answers {dict(statuses)}", flush=True)
        check(growth <= 0.10, f"memory: RSS grew {growth * 100:.1f}% from {first} to {total} requests")
        check(set(statuses) <= {200, 404}, f"memory: answers {dict(statuses)}")
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dpcl", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--config", default="Config/server.yaml")
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    pair = pair_request(args.shared)
    config, delayed = configs(args.config)
    started = time.time()
    slow_clients(args.dpcl, config, pair, args.short)
    overload(args.dpcl, config, pair, args.short)
    shutdown_as_pid1(args.dpcl, delayed, pair)
    memory(args.dpcl, config, pair, args.short)
    print(f"reliability: {'short' if args.short else 'full'} suite in {time.time() - started:.0f} s, "
          f"{len(failures)} failure{'s' if len(failures) != 1 else ''}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
