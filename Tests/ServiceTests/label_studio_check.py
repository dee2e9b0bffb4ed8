"""Drives a real Label Studio (its own venv, scripts/setup-label-studio) against the running
service as its ML backend, for Tests/ServiceTests/LabelStudioTests.swift: starts it headless
on a loopback port with a temporary data directory (no analytics, no version check, a token
set at start; the migrated empty database is kept as a template so later starts take seconds),
creates a keypoint project, imports the dev split's images as tasks, connects the service,
labels one task through the API (the webhook brings it to the service), asks Label Studio
for predictions on the other tasks and checks what it stored against POST /v1/propose on the
same images (keypoints in percent, grouped by parentID). A logged-in headless Chromium takes
a screenshot of a predicted task in Label Studio's own page; deleting the annotation then
empties the reference set. A second project with BrushLabels does the same with the truth's
masks painted as brushes, and checks that each predicted brush (decoded by Label Studio's
converter) is the proposal's mask. Prints one line
per step; exit 1 with the reason on the first failure."""
import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
from pycocotools import mask as coco_mask

USER, PASSWORD, TOKEN = "annotator@example.com", "dpcl-pass-12345", "d" * 40


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def request(method, url, body=None, headers=None, raw=False, timeout=120):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=timeout) as answer:
            content = answer.read()
            return answer.status, content if raw else (json.loads(content) if content else None)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


class LabelStudio:
    def __init__(self, venv, port, data, documents):
        self.base = f"http://127.0.0.1:{port}"
        self.command = [os.path.join(venv, "bin", "label-studio"), "start", "--no-browser", "--internal-host", "127.0.0.1",
                        "--port", str(port), "--data-dir", data, "--username", USER, "--password", PASSWORD,
                        "--user-token", TOKEN, "--enable-legacy-api-token"]
        self.env = dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=data, LABEL_STUDIO_HOST=self.base,
                        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true", LOCAL_FILES_SERVING_ENABLED="true",
                        LOCAL_FILES_DOCUMENT_ROOT=documents, ML_BLOCK_LOCAL_IP="false", SSRF_PROTECTION_ENABLED="false",
                        COLLECT_ANALYTICS="false", LATEST_VERSION_CHECK="0", SENTRY_DSN="", FRONTEND_SENTRY_DSN="")
        self.data = data
        self.process = None

    def start(self, log):
        self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                fail(f"label-studio exited {self.process.returncode}; see {log.name}")
            try:
                if request("GET", self.base + "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        fail("label-studio did not answer /health in 180 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def api(self, method, path, body=None, headers=None):
        return request(method, self.base + path, body, dict(headers or {}, Authorization=f"Token {TOKEN}"))


def label_config(keypoints, instances="RectangleLabels"):
    labels = "".join(f'<Label value="{name}"/>' for name in keypoints)
    return ('<View><Image name="image" value="$image"/>'
            f'<{instances} name="person" toName="image"><Label value="person"/></{instances}>'
            f'<KeyPointLabels name="keypoints" toName="image">{labels}</KeyPointLabels></View>')


# Label Studio's converter, in its own venv: row-major 0/1 masks to brush RLEs and back.
BRUSH = """import json, sys
import numpy as np
from label_studio_sdk.converter.brush import decode_rle, encode_rle
job = json.load(sys.stdin)
if job["op"] == "encode":
    out = [[int(b) for b in encode_rle(np.repeat(np.array(m, dtype=np.uint8) * 255, 4))] for m in job["masks"]]
else:
    out = [(np.reshape(decode_rle(r), [job["height"], job["width"], 4])[:, :, 3] > 0).astype(int).ravel().tolist()
           for r in job["rles"]]
json.dump(out, sys.stdout)"""


def brush(venv, job):
    done = subprocess.run([os.path.join(venv, "bin", "python"), "-c", BRUSH], input=json.dumps(job).encode(), capture_output=True)
    if done.returncode != 0:
        fail(f"the converter's brush codec: {done.stderr.decode()[-500:]}")
    return json.loads(done.stdout)


def coco_pixels(segmentation):
    """A COCO RLE as a row-major 0/1 array."""
    rle = dict(segmentation, counts=segmentation["counts"].encode()) if isinstance(segmentation["counts"], str) else segmentation
    return coco_mask.decode(rle).astype(int)


def annotation_result(instances, keypoints, width, height, brushes=None):
    """The split's truth of one image as Label Studio regions: a rectangle (or the given brush
    RLE) per instance and its labelled keypoints as children."""
    result = []
    for n, instance in enumerate(instances):
        x, y, w, h = instance["bbox"]
        region = f"r{n}"
        common = {"id": region, "from_name": "person", "to_name": "image", "original_width": width,
                  "original_height": height, "image_rotation": 0}
        if brushes:
            result.append(dict(common, type="brushlabels", value={"format": "rle", "rle": brushes[n], "brushlabels": ["person"]}))
        else:
            result.append(dict(common, type="rectanglelabels",
                               value={"x": x / width * 100, "y": y / height * 100, "width": w / width * 100,
                                      "height": h / height * 100, "rotation": 0, "rectanglelabels": ["person"]}))
        for k, (px, py, v) in enumerate(instance["keypoints"]):
            if v > 0:
                result.append({"id": f"{region}k{k}", "from_name": "keypoints", "to_name": "image", "type": "keypointlabels",
                               "original_width": width, "original_height": height, "image_rotation": 0, "parentID": region,
                               "value": {"x": px / width * 100, "y": py / height * 100, "width": 0.5,
                                         "keypointlabels": [keypoints[k]]}})
    return result


def grouped(result):
    """Keypoints of Label Studio results by parentID: {parent: {name: (x%, y%)}}."""
    groups = {}
    for item in result:
        if item.get("type") == "keypointlabels":
            groups.setdefault(item.get("parentID"), {})[item["value"]["keypointlabels"][0]] = (item["value"]["x"], item["value"]["y"])
    return groups


def screenshot(base, project, task, path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(base + "/user/login/")
        driver.find_element(By.NAME, "email").send_keys(USER)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
        time.sleep(2)
        driver.get(f"{base}/projects/{project}/data?task={task}")
        # The labelling view draws the image and the prediction's regions.
        deadline = time.time() + 30
        while time.time() < deadline and not driver.find_elements(By.CSS_SELECTOR, "canvas, img[alt], .lsf-main-view"):
            time.sleep(0.5)
        time.sleep(4)
        driver.save_screenshot(path)
    finally:
        driver.quit()


def check_project(studio, args, split, keypoints, images, instances):
    """One project whose instances are the given tag, from its creation to its annotation's deletion."""
    status, project = studio.api("POST", "/api/projects", {"title": f"dpcl proposals ({instances})",
                                                          "label_config": label_config(keypoints, instances)})
    if status != 201:
        fail(f"project not created: {status} {project}")
    pid = project["id"]
    boundary = "dpclboundary"
    parts = []
    for n, name in enumerate(sorted(images)):
        content = open(os.path.join(args.split, images[name]["file"]), "rb").read()
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file{n}\"; filename=\"{name}\"\r\n"
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + content + b"\r\n")
    status, imported = studio.api("POST", f"/api/projects/{pid}/import", b"".join(parts) + f"--{boundary}--\r\n".encode(),
                                  {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    if status != 201:
        fail(f"import refused: {status} {imported}")
    status, listed = studio.api("GET", f"/api/tasks?project={pid}&page_size=100")
    tasks = listed["tasks"] if isinstance(listed, dict) else listed
    by_name = {}
    for task in tasks:
        name = next((n for n in images if task["data"]["image"].endswith("-" + n)), None)
        if name is None:
            fail(f"task {task['id']} names no dev image: {task['data']}")
        by_name[name] = task
    print(f"project {pid}: {len(by_name)} tasks", flush=True)

    status, connected = studio.api("POST", "/api/ml", {"url": args.service + "/label-studio", "project": pid,
                                                       "is_interactive": False, "title": "dpcl"})
    if status != 201:
        fail(f"the ML backend was not connected: {status} {connected}")

    # Nothing labelled yet: an empty prediction, not an error.
    status, answer = request("POST", args.service + "/label-studio/predict",
                             {"tasks": [tasks[0]], "project": f"{pid}.0", "label_config": project["label_config"]})
    if status != 200 or answer["results"][0]["result"] != []:
        fail(f"an unlabelled project's prediction: {status} {answer}")

    labelled = max(images, key=lambda n: sum(1 for i in split["instances"] if i["image"] == images[n]["id"]))
    image = images[labelled]
    truth = [i for i in split["instances"] if i["image"] == image["id"]]
    painted = instances == "BrushLabels"
    brushes = brush(args.venv, {"op": "encode", "masks": [coco_pixels(i["segmentation"]).ravel().tolist() for i in truth]}) \
        if painted else None
    status, created = studio.api("POST", f"/api/tasks/{by_name[labelled]['id']}/annotations",
                                 {"result": annotation_result(truth, keypoints, image["width"], image["height"], brushes)})
    if status != 201:
        fail(f"annotation refused: {status} {created}")
    set_name = f"label-studio-{pid}"
    deadline = time.time() + 60
    while request("GET", f"{args.service}/v1/references/{set_name}")[0] != 200:
        if time.time() > deadline:
            fail("the webhook's annotation never reached the service's reference set")
        time.sleep(0.5)
    print(f"labelled {labelled} ({len(truth)} instances); the webhook made set {set_name}", flush=True)

    status, _ = studio.api("POST", f"/api/dm/actions?id=retrieve_tasks_predictions&project={pid}",
                           {"selectedItems": {"all": True, "excluded": []}})
    if status != 200:
        fail(f"retrieve_tasks_predictions answered {status}")
    compared = 0
    shown = None
    for name, task in sorted(by_name.items()):
        if name == labelled:
            continue
        status, predictions = studio.api("GET", f"/api/predictions?task={task['id']}")
        if status != 200 or not predictions:
            fail(f"no prediction stored for task {task['id']}: {status} {predictions}")
        stored = predictions[-1]
        target = os.path.join(args.split, images[name]["file"])
        status, proposal = request("POST", args.service + "/v1/propose",
                                   {"target": base64.b64encode(open(target, "rb").read()).decode(), "set": set_name})
        if status != 200:
            fail(f"POST /v1/propose answered {status}: {proposal}")
        width, height = proposal["target"]["width"], proposal["target"]["height"]
        expected = {f"dpcl-{i['id']}": {p["name"]: (p["x"] / width * 100, p["y"] / height * 100) for p in i["keypoints"]}
                    for i in proposal["instances"] if i["keypoints"]}
        found = grouped(stored["result"])
        if set(found) != set(expected):
            fail(f"task {task['id']}: regions {sorted(found)} against the proposal's {sorted(expected)}")
        for parent, points in expected.items():
            if set(points) != set(found[parent]):
                fail(f"task {task['id']} {parent}: keypoints {sorted(found[parent])} against {sorted(points)}")
            for key, (x, y) in points.items():
                fx, fy = found[parent][key]
                # The proposal's pixels are rounded to 0.01 px.
                if abs(fx - x) > 0.01 or abs(fy - y) > 0.01:
                    fail(f"task {task['id']} {parent} {key}: ({fx}, {fy})% against ({x}, {y})%")
        if painted:
            regions = [r for r in stored["result"] if r["type"] == "brushlabels"]
            if sorted(r["id"] for r in regions) != sorted(expected) or any(r["value"].get("format") != "rle" for r in regions):
                fail(f"task {task['id']}: brush regions {[(r['id'], r['value'].get('format')) for r in regions]}")
            masks = {f"dpcl-{i['id']}": coco_pixels(i["segmentation"]) for i in proposal["instances"] if i["keypoints"]}
            decoded = brush(args.venv, {"op": "decode", "height": height, "width": width, "rles": [r["value"]["rle"] for r in regions]})
            for region, pixels in zip(regions, decoded):
                if not np.array_equal(np.reshape(pixels, (height, width)), masks[region["id"]]):
                    fail(f"task {task['id']} {region['id']}: the brush, decoded by Label Studio's converter, is not the proposal's mask")
        if stored.get("model_version", "").startswith("dpcl-") is False:
            fail(f"model_version {stored.get('model_version')}")
        compared += 1
        shown = shown or task["id"]
        print(f"task {task['id']} ({name}): {len(found)} instances{' (brushes)' if painted else ''}, "
              f"{sum(len(p) for p in found.values())} keypoints, score {stored.get('score')}: equal to POST /v1/propose", flush=True)
    if compared == 0:
        fail("no task was compared")
    if not painted:
        os.makedirs(args.artifacts, exist_ok=True)
        path = os.path.join(args.artifacts, "label-studio-predictions.png")
        screenshot(studio.base, pid, shown, path)
        print(f"screenshot {path}", flush=True)

    # Deleting the only annotation empties the project's reference set.
    status, _ = studio.api("DELETE", f"/api/annotations/{created['id']}")
    if status != 204:
        fail(f"deleting the annotation answered {status}")
    deadline = time.time() + 30
    while request("GET", f"{args.service}/v1/references/{set_name}")[0] != 404:
        if time.time() > deadline:
            fail("the deleted annotation stayed in the service's reference set")
        time.sleep(0.5)
    print("deleted the annotation; the webhook removed the set", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--service", required=True, help="base URL of the dpcl service")
    parser.add_argument("--split", required=True, help="a dev split folder (pairs.json and images)")
    parser.add_argument("--work", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--template", required=True, help="where the migrated empty data directory is kept")
    args = parser.parse_args()

    split = json.load(open(os.path.join(args.split, "pairs.json")))
    keypoints = split["categories"][0]["keypoints"]
    images = {os.path.basename(image["file"]): image for image in split["images"]}
    data = os.path.join(args.work, "label-studio-data")
    if os.path.isdir(args.template):
        shutil.copytree(args.template, data)
    log = open(os.path.join(args.work, "label-studio.log"), "w")
    studio = LabelStudio(args.venv, args.port, data, args.split)
    started = time.time()
    studio.start(log)
    if not os.path.isdir(args.template):
        # First run: keep the migrated database (the user and token made, nothing else).
        studio.stop()
        shutil.copytree(data, args.template + ".partial")
        os.replace(args.template + ".partial", args.template)
        studio.start(log)
    print(f"label studio up in {time.time() - started:.1f} s", flush=True)
    try:
        for instances in ["RectangleLabels", "BrushLabels"]:
            check_project(studio, args, split, keypoints, images, instances)
    finally:
        studio.stop()
    print("OK", flush=True)


if __name__ == "__main__":
    main()
