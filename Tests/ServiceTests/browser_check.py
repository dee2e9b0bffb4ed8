"""Drives the service's pages in headless Chromium (Debian's chromium and chromedriver,
Selenium from the tooling venv), as a user would: on the match page it uploads a dev pair,
places the source keypoints and draws each instance's mask polygon (its box) by clicking,
presses Match and reads the drawn matches; then it sends the very annotations the page sent
to POST /v1/match itself and checks that the page drew exactly the API's matches. It loads
a leaderboard page and checks its table against the JSON, takes screenshots at 1280x800 and
390x844, and records every request the pages made: all must stay on the service's origin.

Usage: browser_check.py BASE_URL SPLIT_FOLDER PAIR_INDEX BENCHMARK OUT_DIR
Prints a JSON summary; exits 1 with the reason when a check fails.
"""
import json
import os
import sys
import time
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(message):
    print(json.dumps({"ok": False, "failure": message}))
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def post_match(base, source, target, annotations):
    """POST /v1/match as multipart/form-data, built by hand (no third-party client)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, filename, content_type, data in [
            ("source", "source", "application/octet-stream", open(source, "rb").read()),
            ("target", "target", "application/octet-stream", open(target, "rb").read()),
            ("annotations", "annotations.json", "application/json", annotations.encode())]:
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/v1/match", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def driver_for(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def requested_urls(driver):
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def click_at(driver, element, image_size, point):
    """A real pointer click on `element` (showing an image of `image_size`) at the image pixel
    `point`: the point is scrolled to the middle of the window, then clicked at its place in
    the viewport."""
    box = driver.execute_script("""
        const [element, fx, fy] = arguments;
        let box = element.getBoundingClientRect();
        window.scrollBy(0, box.top + fy * box.height - window.innerHeight / 2);
        box = element.getBoundingClientRect();
        return [box.left + fx * box.width, box.top + fy * box.height];""",
        element, point[0] / image_size[0], point[1] / image_size[1])
    action = ActionBuilder(driver)
    action.pointer_action.move_to_location(round(box[0]), round(box[1]))
    action.pointer_action.click()
    action.perform()


def main():
    base, folder, pair_index, benchmark, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    os.makedirs(out, exist_ok=True)
    split = json.load(open(os.path.join(folder, "pairs.json")))
    pair = split["pairs"][pair_index]
    files = {image["id"]: os.path.join(folder, image["file"]) for image in split["images"]}
    sizes = {image["id"]: (image["width"], image["height"]) for image in split["images"]}
    names = next(c["keypoints"] for c in split["categories"] if c["name"] == pair["category"])
    sources = [i for i in split["instances"] if i["image"] == pair["source"] and i["category"] == pair["category"]]
    summary = {"ok": True, "pair": pair["id"], "source_instances": len(sources)}
    started = time.time()

    driver = driver_for(1280, 800)
    try:
        driver.get(base + "/")
        wait = WebDriverWait(driver, 30)
        driver.find_element(By.ID, "source-file").send_keys(os.path.abspath(files[pair["source"]]))
        driver.find_element(By.ID, "target-file").send_keys(os.path.abspath(files[pair["target"]]))
        wait.until(lambda d: d.execute_script("return window.dpcl.source !== null && window.dpcl.target !== null"))
        driver.find_element(By.ID, "category").clear()
        driver.find_element(By.ID, "category").send_keys(pair["category"])
        if names != driver.execute_script("return window.dpcl.names"):
            box = driver.find_element(By.ID, "keypoint-names")
            box.clear()
            box.send_keys(", ".join(names))
            driver.find_element(By.ID, "category").click()  # leaves the box: its change event fires
        stage = driver.find_element(By.ID, "source-image")
        size = sizes[pair["source"]]
        clicked, typed = 0, 0
        for index, instance in enumerate(sources):
            driver.find_element(By.ID, "add-instance").click()
            driver.find_element(By.CSS_SELECTOR, "input[name=tool][value=keypoint]").click()
            for k, (x, y, v) in enumerate(instance["keypoints"]):
                if v <= 0:
                    continue
                Select(driver.find_element(By.ID, "next-keypoint")).select_by_value(str(k))
                click_at(driver, stage, size, (x, y))
                placed = driver.execute_script(f"return window.dpcl.instances[{index}].keypoints[{k}]")
                if placed is None:
                    # The click landed on a keypoint already there (it would drag it): type it.
                    row = driver.find_elements(By.CSS_SELECTOR, "#keypoint-table tbody tr")[k]
                    inputs = row.find_elements(By.CSS_SELECTOR, "input[type=number]")
                    for field, value in zip(inputs, (x, y)):
                        field.clear()
                        field.send_keys(str(value))
                        driver.find_element(By.ID, "category").click()
                    typed += 1
                else:
                    clicked += 1
            # The mask: the instance's box as a polygon, corner by corner.
            driver.find_element(By.CSS_SELECTOR, "input[name=tool][value=mask]").click()
            bx, by, bw, bh = instance["bbox"]
            for corner in [(bx + 2, by + 2), (bx + bw - 2, by + 2), (bx + bw - 2, by + bh - 2), (bx + 2, by + bh - 2)]:
                click_at(driver, stage, size, corner)
            polygon = driver.execute_script(f"return window.dpcl.instances[{index}].polygon.length")
            check(polygon == 4, f"instance {index + 1}: {polygon} polygon points drawn, expected 4")
        summary["keypoints_clicked"], summary["keypoints_typed"] = clicked, typed
        check(clicked > 0, "no keypoint could be placed by clicking")
        driver.find_element(By.ID, "match").click()
        WebDriverWait(driver, 180).until(lambda d: d.execute_script(
            "return window.dpcl.lastAnswer !== null || !document.getElementById('error').hidden"))
        error = driver.find_element(By.ID, "error")
        check(not error.is_displayed(), "the page shows an error: " + error.text)
        drawn = driver.execute_script("""
            return [...document.querySelectorAll('#result-view circle.match')].map(c => ({
                x: Number(c.dataset.x), y: Number(c.dataset.y), keypoint: Number(c.dataset.keypoint),
                source_instance: Number(c.dataset.sourceInstance), target_instance: Number(c.dataset.targetInstance)}));""")
        sent = driver.execute_script("return window.dpcl.lastRequest")
        check(len(json.loads(sent)["instances"]) == len(sources), "the page did not send every source instance")
        api = post_match(base, files[pair["source"]], files[pair["target"]], sent)
        key = lambda m: (m["source_instance"], m["keypoint"], round(m["x"], 6), round(m["y"], 6), m["target_instance"])
        check(len(api["matches"]) > 0, "the API found no match")
        check(sorted(map(key, drawn)) == sorted(map(key, api["matches"])),
              f"the page drew {len(drawn)} matches, the API answered {len(api['matches'])}, or they differ")
        masks = driver.execute_script("return document.querySelectorAll('#result-view g.target-instance[data-instance]:not([data-instance=none])').length")
        check(masks == len(api["instances"]), f"{masks} instance masks drawn, the API gave {len(api['instances'])}")
        toggles = driver.find_elements(By.CSS_SELECTOR, "#instance-toggles input[type=checkbox]")
        check(len(toggles) == len(api["instances"]), "one toggle per predicted instance")
        toggles[0].click()
        hidden = driver.execute_script("return getComputedStyle(document.querySelector('#result-view g.target-instance')).display")
        check(hidden == "none", "the first toggle hides its instance")
        toggles[0].click()
        timings = driver.find_elements(By.CSS_SELECTOR, "#timings tbody tr")
        check(len(timings) == len(api["timings_ms"]), "a row per stage timing")
        summary.update(matches=len(drawn), target_instances=masks, seconds_to_result=round(time.time() - started, 1))
        driver.find_element(By.ID, "result").location_once_scrolled_into_view
        driver.save_screenshot(os.path.join(out, "match-1280x800.png"))
        # A phone: the same page, no sideways scrolling, the controls reachable.
        driver.set_window_size(390, 844)
        time.sleep(0.3)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        wide = driver.execute_script("""const w = window.innerWidth; return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 5)
            .map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right));""")
        check(overflow <= 0, f"at 390 px wide the page scrolls sideways by {overflow} px: {wide}")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(out, "match-390x844.png"))
        match_button = driver.find_element(By.ID, "match")
        check(match_button.is_displayed() and match_button.size["width"] > 40, "the Match button is not shown on a phone")

        # The leaderboard page: its table is the JSON's ranking.
        driver.set_window_size(1280, 800)
        driver.get(f"{base}/leaderboards/{benchmark}?alpha=0.10&metric=f1")
        rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")]
        with urllib.request.urlopen(f"{base}/v1/benchmarks/{benchmark}/leaderboard?alpha=0.10&metric=f1", timeout=30) as answer:
            ranking = json.load(answer)
        expected = [[str(r["rank"]), r.get("team") or "anonymous", r["method"], r["submitted"],
                     "%.4f" % r["value"] if r.get("value") is not None else "–"] for r in ranking["rows"]]
        check(len(expected) > 0, "the leaderboard has no row to compare")
        check(rows == expected, f"the page's table {rows} differs from the JSON {expected}")
        bars = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
        check(len(bars) == 2 * len(expected), f"{len(bars)} bars for {len(expected)} rows")
        driver.save_screenshot(os.path.join(out, "leaderboard-1280x800.png"))
        driver.set_window_size(390, 844)
        time.sleep(0.3)
        driver.save_screenshot(os.path.join(out, "leaderboard-390x844.png"))
        summary["leaderboard_rows"] = len(rows)

        # Every request the pages made stayed on this origin.
        urls = requested_urls(driver)
        foreign = [url for url in urls if not (url.startswith(base + "/") or url.startswith("blob:") or url.startswith("data:"))]
        check(not foreign, f"requests left the origin: {foreign}")
        summary["requests"] = len(urls)
        summary["seconds"] = round(time.time() - started, 1)
        print(json.dumps(summary))
    finally:
        driver.quit()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as error:  # a Selenium or network error: say which
        fail(f"{type(error).__name__}: {error}")
