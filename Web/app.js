// The match page: images in, source instances marked (keypoints, mask polygons or an
// instance-id PNG), POST /v1/match, and the answer drawn over source and target side by
// side. No library, no request beyond this service's own origin.
"use strict";

const COCO_PERSON = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
  "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
  "left_ankle", "right_ankle"];
const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4",
  "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075"];
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
const state = {
  source: null, target: null,        // {blob, url, width, height}
  names: COCO_PERSON.slice(),
  instances: [],                     // {keypoints: [[x, y] | null], polygon: [[x, y]], rle: segmentation | null}
  selected: 0,
  masksFile: null,                   // an instance-id PNG, when given
  active: null,                      // {instance, keypoint}: the keypoint being dragged or last touched
  history: [],                       // what "undo" removes: {kind: "keypoint" | "point", instance, keypoint}
  examples: [],
  lastRequest: null, lastAnswer: null, lastForm: null,
};
window.dpcl = state;  // for people (and the browser test) who want to look inside

// ---- images ------------------------------------------------------------------------------

function loadImage(side, blob) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(blob);
    const probe = new Image();
    probe.onload = () => {
      if (state[side]) URL.revokeObjectURL(state[side].url);
      state[side] = { blob, url, width: probe.naturalWidth, height: probe.naturalHeight };
      const img = $(side + "-image");
      img.src = url;
      img.hidden = false;
      img.alt = side + " image, " + probe.naturalWidth + "×" + probe.naturalHeight;
      const stage = $(side + "-stage");
      stage.classList.add("has-image");
      stage.querySelector(".placeholder").hidden = true;
      if (side === "source") drawSource();
      resolve();
    };
    probe.onerror = () => { URL.revokeObjectURL(url); reject(new Error("the " + side + " file is not an image this browser can show")); };
    probe.src = url;
  });
}

function acceptFiles(side, files) {
  if (!files || !files.length) return;
  hideError();
  loadImage(side, files[0]).catch((error) => showError(error.message));
}

for (const side of ["source", "target"]) {
  $(side + "-file").addEventListener("change", (event) => acceptFiles(side, event.target.files));
  const stage = $(side + "-stage");
  stage.addEventListener("dragover", (event) => { event.preventDefault(); stage.classList.add("dragging"); });
  stage.addEventListener("dragleave", () => stage.classList.remove("dragging"));
  stage.addEventListener("drop", (event) => {
    event.preventDefault();
    stage.classList.remove("dragging");
    acceptFiles(side, event.dataTransfer.files);
  });
}

// ---- keypoint names and instances ---------------------------------------------------------

function setNames(names) {
  state.names = names;
  $("keypoint-names").value = names.join(", ");
  for (const instance of state.instances) {
    instance.keypoints = names.map((_, k) => instance.keypoints[k] || null);
  }
  refreshControls();
}

$("keypoint-set").addEventListener("change", (event) => {
  if (event.target.value === "coco") setNames(COCO_PERSON.slice());
});
$("keypoint-names").addEventListener("change", (event) => {
  const names = event.target.value.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  $("keypoint-set").value = names.join(",") === COCO_PERSON.join(",") ? "coco" : "custom";
  setNames(names);
});

function addInstance() {
  state.instances.push({ keypoints: state.names.map(() => null), polygon: [], rle: null });
  state.selected = state.instances.length - 1;
  refreshControls();
}
$("add-instance").addEventListener("click", addInstance);
$("remove-instance").addEventListener("click", () => {
  if (!state.instances.length) return;
  state.instances.splice(state.selected, 1);
  state.history = [];
  state.selected = Math.max(0, Math.min(state.selected, state.instances.length - 1));
  refreshControls();
});
$("instance-select").addEventListener("change", (event) => { state.selected = Number(event.target.value); refreshControls(); });

function selectedInstance() {
  if (!state.instances.length) addInstance();
  return state.instances[state.selected];
}

function refreshControls() {
  const select = $("instance-select");
  select.replaceChildren(...state.instances.map((instance, index) => {
    const placed = instance.keypoints.filter(Boolean).length;
    const mask = instance.polygon.length >= 3 ? ", polygon" : instance.rle ? ", mask" : "";
    return new Option("Instance " + (index + 1) + " (" + placed + " keypoints" + mask + ")", index, false, index === state.selected);
  }));
  const next = $("next-keypoint");
  const instance = state.instances[state.selected];
  const previous = next.value;
  next.replaceChildren(...state.names.map((name, k) => {
    const done = instance && instance.keypoints[k] ? " ✓" : "";
    return new Option((k + 1) + " " + name + done, k);
  }));
  if (previous !== "" && Number(previous) < state.names.length) next.value = previous;
  refreshTable();
  drawSource();
}

function refreshTable() {
  const body = $("keypoint-table").tBodies[0];
  const instance = state.instances[state.selected];
  body.replaceChildren();
  if (!instance) return;
  state.names.forEach((name, k) => {
    const row = body.insertRow();
    row.insertCell().textContent = String(k + 1);
    row.insertCell().textContent = name;
    const point = instance.keypoints[k];
    for (const axis of [0, 1]) {
      const input = document.createElement("input");
      input.type = "number";
      input.step = "0.1";
      input.value = point ? point[axis].toFixed(1) : "";
      input.setAttribute("aria-label", name + (axis ? " y" : " x"));
      input.addEventListener("change", () => {
        const value = Number(input.value);
        if (input.value === "" || !Number.isFinite(value)) return;
        const current = instance.keypoints[k] || [0, 0];
        current[axis] = value;
        instance.keypoints[k] = current;
        refreshControls();
      });
      row.insertCell().append(input);
    }
    const placed = document.createElement("input");
    placed.type = "checkbox";
    placed.checked = Boolean(point);
    placed.setAttribute("aria-label", name + " placed");
    placed.addEventListener("change", () => {
      instance.keypoints[k] = placed.checked ? (instance.keypoints[k] || [0, 0]) : null;
      refreshControls();
    });
    row.insertCell().append(placed);
  });
}

// ---- drawing on the source ----------------------------------------------------------------

function svg(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.append(element);
  return element;
}

/// COCO RLE (compressed string or integer counts) to a canvas tinted with `colour`.
function maskCanvas(segmentation, colour, alpha) {
  const [height, width] = segmentation.size;
  let counts = segmentation.counts;
  if (typeof counts === "string") counts = decodeCounts(counts);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  let index = 0;
  counts.forEach((run, n) => {
    if (n % 2 === 1) {
      for (let i = index; i < index + run; i++) {
        // Column-major, as COCO stores masks.
        const x = Math.floor(i / height), y = i % height, p = (y * width + x) * 4;
        image.data[p] = r; image.data[p + 1] = g; image.data[p + 2] = b; image.data[p + 3] = alpha;
      }
    }
    index += run;
  });
  context.putImageData(image, 0, 0);
  return canvas;
}

/// COCO's compressed counts: 5 bits a character, the continuation bit 0x20, the sign bit
/// 0x10 in the last character, and counts after the second stored as differences.
function decodeCounts(text) {
  const counts = [];
  let p = 0;
  while (p < text.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      const c = text.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++; k++;
      if (!more && (c & 0x10)) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

function drawSource() {
  const overlay = $("source-overlay");
  overlay.replaceChildren();
  if (!state.source) return;
  overlay.setAttribute("viewBox", "0 0 " + state.source.width + " " + state.source.height);
  overlay.setAttribute("preserveAspectRatio", "none");
  const radius = Math.max(3, state.source.width / 150);
  state.instances.forEach((instance, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const group = svg("g", { class: "source-instance", "data-instance": i + 1, opacity: i === state.selected ? 1 : 0.65 }, overlay);
    if (instance.rle) {
      svg("image", { href: maskCanvas(instance.rle, colour, 90).toDataURL(), x: 0, y: 0, width: state.source.width, height: state.source.height }, group);
    }
    if (instance.polygon.length) {
      const points = instance.polygon.map(([x, y]) => x + "," + y).join(" ");
      svg(instance.polygon.length >= 3 ? "polygon" : "polyline",
          { points, fill: colour, "fill-opacity": 0.25, stroke: colour, "stroke-width": radius / 2 }, group);
      instance.polygon.forEach(([x, y]) => svg("circle", { cx: x, cy: y, r: radius / 2, fill: colour }, group));
    }
    instance.keypoints.forEach((point, k) => {
      if (!point) return;
      const circle = svg("circle", { cx: point[0], cy: point[1], r: radius, fill: colour, stroke: "#fff", "stroke-width": radius / 3,
                                     class: "keypoint", "data-instance": i, "data-keypoint": k }, group);
      svg("title", {}, circle).textContent = "instance " + (i + 1) + ", " + (k + 1) + " " + state.names[k];
      const label = svg("text", { x: point[0] + radius * 1.2, y: point[1] - radius * 1.2, "font-size": radius * 2.4, fill: "#fff",
                                  stroke: "#000", "stroke-width": radius / 5, "paint-order": "stroke" }, group);
      label.textContent = String(k + 1);
    });
  });
}

function imagePoint(event) {
  const box = $("source-overlay").getBoundingClientRect();
  return [(event.clientX - box.left) / box.width * state.source.width, (event.clientY - box.top) / box.height * state.source.height];
}

function tool() { return document.querySelector("input[name=tool]:checked").value; }

$("source-stage").addEventListener("pointerdown", (event) => {
  if (!state.source || event.button !== 0) return;
  const target = event.target.closest ? event.target.closest(".keypoint") : null;
  if (target) {
    state.selected = Number(target.dataset.instance);
    state.active = { instance: state.selected, keypoint: Number(target.dataset.keypoint), dragging: true };
    $("source-stage").setPointerCapture(event.pointerId);
    refreshControls();
    return;
  }
  const instance = selectedInstance();
  const point = imagePoint(event);
  if (tool() === "mask") {
    instance.polygon.push(point);
    state.history.push({ kind: "point", instance: state.selected });
  } else {
    const next = $("next-keypoint");
    let k = Number(next.value || 0);
    instance.keypoints[k] = point;
    state.active = { instance: state.selected, keypoint: k, dragging: false };
    state.history.push({ kind: "keypoint", instance: state.selected, keypoint: k });
    // Move on to the next keypoint not placed yet.
    for (let step = 1; step <= state.names.length; step++) {
      const candidate = (k + step) % state.names.length;
      if (!instance.keypoints[candidate]) { k = candidate; break; }
    }
    refreshControls();
    next.value = String(k);
    return;
  }
  refreshControls();
});
$("source-stage").addEventListener("pointermove", (event) => {
  if (!state.active || !state.active.dragging) return;
  state.instances[state.active.instance].keypoints[state.active.keypoint] = imagePoint(event);
  drawSource();
});
$("source-stage").addEventListener("pointerup", () => {
  if (state.active && state.active.dragging) { state.active.dragging = false; refreshControls(); }
});
$("source-stage").addEventListener("contextmenu", (event) => {
  const target = event.target.closest ? event.target.closest(".keypoint") : null;
  if (!target) return;
  event.preventDefault();
  state.instances[Number(target.dataset.instance)].keypoints[Number(target.dataset.keypoint)] = null;
  refreshControls();
});
$("source-stage").addEventListener("keydown", (event) => {
  if ((event.key === "Delete" || event.key === "Backspace") && state.active) {
    const instance = state.instances[state.active.instance];
    if (instance) instance.keypoints[state.active.keypoint] = null;
    state.active = null;
    refreshControls();
    event.preventDefault();
  }
});
$("undo-point").addEventListener("click", () => {
  const last = state.history.pop();
  if (!last || !state.instances[last.instance]) return;
  if (last.kind === "point") state.instances[last.instance].polygon.pop();
  else state.instances[last.instance].keypoints[last.keypoint] = null;
  refreshControls();
});
$("clear-mask").addEventListener("click", () => {
  const instance = state.instances[state.selected];
  if (instance) { instance.polygon = []; instance.rle = null; refreshControls(); }
});
$("masks-file").addEventListener("change", (event) => { state.masksFile = event.target.files[0] || null; });

// ---- examples -----------------------------------------------------------------------------

async function loadExamples() {
  try {
    const answer = await fetch("/examples.json");
    if (!answer.ok) return;
    state.examples = (await answer.json()).examples || [];
    $("example").append(...state.examples.map((example, index) => new Option(example.title, index)));
  } catch (error) { /* no examples served: the list stays empty */ }
}

$("example").addEventListener("change", async (event) => {
  const example = state.examples[Number(event.target.value)];
  if (!example) return;
  hideError();
  setStatus("Loading the example…");
  try {
    const [source, target] = await Promise.all([example.source, example.target].map(async (url) => {
      const answer = await fetch(url);
      if (!answer.ok) throw new Error("could not load " + url + " (" + answer.status + ")");
      return answer.blob();
    }));
    await loadImage("source", source);
    await loadImage("target", target);
    $("category").value = example.category;
    $("keypoint-set").value = example.keypoints.join(",") === COCO_PERSON.join(",") ? "coco" : "custom";
    state.names = example.keypoints.slice();
    $("keypoint-names").value = state.names.join(", ");
    state.instances = example.instances.map((instance) => ({
      keypoints: instance.keypoints.map(([x, y, v]) => (v > 0 ? [x, y] : null)),
      polygon: [], rle: instance.segmentation && !Array.isArray(instance.segmentation) ? instance.segmentation : null,
    }));
    state.selected = 0;
    state.history = [];
    refreshControls();
    setStatus("Example loaded: press Match.");
  } catch (error) {
    showError(error.message);
    setStatus("");
  }
});

// ---- matching -----------------------------------------------------------------------------

function annotations() {
  return {
    category: $("category").value.trim(),
    keypoints: state.names,
    instances: state.instances.map((instance, index) => {
      const entry = { id: index + 1, keypoints: instance.keypoints.map((point) => (point ? [round(point[0]), round(point[1]), 2] : [0, 0, 0])) };
      if (instance.polygon.length >= 3) entry.segmentation = [instance.polygon.flatMap(([x, y]) => [round(x), round(y)])];
      else if (instance.rle) entry.segmentation = instance.rle;
      return entry;
    }),
  };
}

function round(value) { return Math.round(value * 10) / 10; }

function form() {
  const data = new FormData();
  data.append("source", state.source.blob, "source");
  data.append("target", state.target.blob, "target");
  data.append("annotations", new Blob([state.lastRequest], { type: "application/json" }), "annotations.json");
  if (state.masksFile) data.append("source_masks", state.masksFile, "masks.png");
  return data;
}

let timer = null;
function busy(on, started) {
  $("match").disabled = on;
  $("spinner").hidden = !on;
  clearInterval(timer);
  if (on) {
    timer = setInterval(() => setStatus("Matching… " + ((performance.now() - started) / 1000).toFixed(1) + " s"), 100);
  }
}

$("match").addEventListener("click", async () => {
  hideError();
  if (!state.source || !state.target) return showError("Choose a source and a target image first.");
  if (!state.instances.some((instance) => instance.keypoints.some(Boolean))) {
    return showError("Place at least one keypoint of a source instance first.");
  }
  state.lastRequest = JSON.stringify(annotations());
  $("request-json").textContent = JSON.stringify(JSON.parse(state.lastRequest), null, 2);
  const started = performance.now();
  busy(true, started);
  try {
    const answer = await fetch("/v1/match", { method: "POST", body: form() });
    const text = await answer.text();
    let body = null;
    try { body = JSON.parse(text); } catch (error) { body = null; }
    if (!answer.ok) {
      const error = body && body.error ? body.error.code + ": " + body.error.message : "HTTP " + answer.status + " " + text.slice(0, 200);
      const retry = answer.headers.get("Retry-After");
      throw new Error(error + (retry ? " (retry in " + retry + " s)" : ""));
    }
    state.lastAnswer = body;
    showResult(body);
    setStatus("Matched in " + ((performance.now() - started) / 1000).toFixed(2) + " s: " + body.matches.length + " matches on " +
              body.instances.length + " target instances.");
  } catch (error) {
    showError(error.message);
    setStatus("");
  } finally {
    busy(false);
  }
});

function showResult(answer) {
  $("result").hidden = false;
  $("png-result").hidden = true;
  const view = $("result-view");
  view.replaceChildren();
  const source = state.source, target = state.target;
  const height = Math.max(source.height, target.height);
  const sourceScale = height / source.height, targetScale = height / target.height;
  const offset = source.width * sourceScale + 12;
  const width = offset + target.width * targetScale;
  view.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg("image", { href: source.url, x: 0, y: 0, width: source.width * sourceScale, height }, view);
  svg("image", { href: target.url, x: offset, y: 0, width: target.width * targetScale, height }, view);
  const request = JSON.parse(state.lastRequest);
  const colourOf = new Map(answer.instances.map((instance, index) => [instance.id, COLOURS[index % COLOURS.length]]));
  const radius = Math.max(3, width / 250);
  const groups = new Map();
  for (const instance of answer.instances) {
    const group = svg("g", { class: "target-instance", "data-instance": instance.id }, view);
    groups.set(instance.id, group);
    const mask = maskCanvas(instance.segmentation, colourOf.get(instance.id), 110);
    svg("image", { href: mask.toDataURL(), x: offset, y: 0, width: target.width * targetScale, height }, group);
  }
  const ungrouped = svg("g", { class: "target-instance", "data-instance": "none" }, view);
  for (const match of answer.matches) {
    const group = groups.get(match.target_instance) || ungrouped;
    const colour = colourOf.get(match.target_instance) || "#ffffff";
    const sourceInstance = request.instances.find((instance) => instance.id === match.source_instance);
    const from = sourceInstance ? sourceInstance.keypoints[match.keypoint] : null;
    const x = offset + match.x * targetScale, y = match.y * targetScale;
    if (from) {
      svg("line", { x1: from[0] * sourceScale, y1: from[1] * sourceScale, x2: x, y2: y, stroke: colour, "stroke-width": radius / 3,
                    "stroke-opacity": 0.7 }, group);
    }
    const circle = svg("circle", { cx: x, cy: y, r: radius, fill: colour, stroke: "#000", "stroke-width": radius / 4, class: "match",
                                   "data-x": match.x, "data-y": match.y, "data-keypoint": match.keypoint,
                                   "data-source-instance": match.source_instance, "data-target-instance": match.target_instance,
                                   "data-score": match.score }, group);
    const words = "keypoint " + (match.keypoint + 1) + " " + (state.names[match.keypoint] || "") + " of source instance " +
      match.source_instance + " → target instance " + match.target_instance + ", score " + match.score.toFixed(3) +
      " at (" + match.x.toFixed(1) + ", " + match.y.toFixed(1) + ")";
    svg("title", {}, circle).textContent = words;
    circle.addEventListener("mouseenter", () => { $("hover").textContent = words; });
  }
  // A toggle per predicted instance.
  const toggles = $("instance-toggles");
  toggles.replaceChildren(...answer.instances.map((instance) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.addEventListener("change", () => { groups.get(instance.id).style.display = box.checked ? "" : "none"; });
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colourOf.get(instance.id);
    const count = answer.matches.filter((match) => match.target_instance === instance.id).length;
    label.append(box, swatch, document.createTextNode("instance " + instance.id + " (" + count + " matches, score " +
                                                      instance.score.toFixed(2) + ")"));
    return label;
  }));
  // Timings, the JSON.
  const timings = $("timings").tBodies[0];
  timings.replaceChildren();
  for (const [stage, ms] of Object.entries(answer.timings_ms)) {
    const row = timings.insertRow();
    row.insertCell().textContent = stage.replace(/_/g, " ");
    const cell = row.insertCell();
    cell.className = "number";
    cell.textContent = ms.toFixed(1);
  }
  const text = JSON.stringify(answer, null, 2);
  $("answer-json").textContent = text;
  const link = $("download-json");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
}

$("copy-json").addEventListener("click", async () => {
  const text = $("answer-json").textContent;
  try {
    await navigator.clipboard.writeText(text);
    setStatus("The JSON is on the clipboard.");
  } catch (error) {
    // Without clipboard access (plain HTTP), select it for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents($("answer-json"));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    $("answer-json").closest("details").open = true;
    setStatus("The JSON is selected: press Ctrl+C (or ⌘C).");
  }
});

$("fetch-png").addEventListener("click", async () => {
  if (!state.lastRequest) return;
  hideError();
  const started = performance.now();
  busy(true, started);
  try {
    const answer = await fetch("/v1/match?format=png", { method: "POST", body: form() });
    if (!answer.ok) {
      const body = await answer.json().catch(() => null);
      throw new Error(body && body.error ? body.error.code + ": " + body.error.message : "HTTP " + answer.status);
    }
    const image = $("png-result");
    if (image.src.startsWith("blob:")) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(await answer.blob());
    image.hidden = false;
    setStatus("The server's picture is below.");
  } catch (error) {
    showError(error.message);
    setStatus("");
  } finally {
    busy(false);
  }
});

// ---- messages -----------------------------------------------------------------------------

function setStatus(text) { $("status").textContent = text; }
function showError(text) { const box = $("error"); box.textContent = text; box.hidden = false; }
function hideError() { $("error").hidden = true; }

setNames(COCO_PERSON.slice());
loadExamples();
