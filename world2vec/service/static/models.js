// world2vec's page, the models panel: the models the service can serve (the served one
// marked) and, for the one picked, its training the way TensorBoard shows one: scalar
// curves, the distributions of weights and gradients over the steps, and the graph of
// its sentence encoder's computation. Reads GET /models, /models/<name>/events and
// /models/<name>/graph; uses $, getJSON and drawCurves from app.js.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function loadModels() {
  try {
    const listed = await getJSON("/models");
    const body = document.querySelector("#models tbody");
    body.replaceChildren();
    for (const m of listed.models) {
      const tr = document.createElement("tr");
      tr.dataset.name = m.name;
      if (m.active) tr.classList.add("active");
      const created = m.created_at ? new Date(m.created_at * 1000).toISOString().slice(0, 16).replace("T", " ") : "—";
      const gate = m.gate == null ? "—" : (m.gate.passed ? "passed" : "failed");
      tr.append(cell(m.name), cell(m.dim ?? "—"), cell(m.words == null ? "—" : m.words.toLocaleString("en")),
                cell(m.from || "—"), cell(created), cell(gate));
      tr.addEventListener("click", () => selectModel(m.name));
      body.append(tr);
    }
    $("models").dataset.count = String(listed.models.length);
    const count = listed.models.length;
    $("models-note").textContent = `${count} model${count === 1 ? "" : "s"}; ${listed.active} is served. `
      + "Train one with POST /models/train, serve it with POST /models/<name>/activate.";
    await selectModel(listed.active);
  } catch (err) { $("models-note").textContent = "No models: " + err.message; }
}

async function selectModel(name) {
  for (const tr of document.querySelectorAll("#models tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.name === name);
  }
  $("record-model").textContent = name;
  const path = "/models/" + encodeURIComponent(name);
  try {
    const events = await getJSON(path + "/events");
    drawCurves(events.scalars, "model-curves", "model-curves-note");
    drawHistograms(events.histograms);
  } catch (err) { $("model-curves-note").textContent = "No training record: " + err.message; }
  try { drawGraph((await getJSON(path + "/graph")).graph); }
  catch (err) {
    $("graph").replaceChildren();
    $("graph").dataset.nodes = "0";
    $("graph-note").textContent = "No graph: " + err.message;
  }
  $("models-panel").dataset.selected = name;
}

function drawHistograms(histograms) {
  const box = $("histograms");
  box.replaceChildren();
  const rank = (t) => (t.startsWith("weights/") ? 0 : t.startsWith("gradients/") ? 1 : 2);
  const tags = Object.keys(histograms).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const tag of tags) {
    const series = histograms[tag];
    const canvas = document.createElement("canvas");
    canvas.width = 520; canvas.height = 200;
    canvas.dataset.tag = tag; canvas.dataset.steps = String(series.length);
    drawRidges(canvas, series);
    const caption = document.createElement("figcaption");
    caption.textContent = `${tag}: ${series.length} histograms, steps ${series[0].step}–${series[series.length - 1].step}`;
    const figure = document.createElement("figure");
    figure.append(canvas, caption);
    box.append(figure);
  }
  box.dataset.tags = String(tags.length);
  $("histograms-note").textContent = tags.length
    ? "One outline per logged step, the first at the top (light), the last at the bottom (dark)."
    : "This model's event log has no histograms.";
}

// TensorBoard's "offset" histogram view: each step's distribution as an outline, later
// steps lower down and darker, all on one value axis.
function drawRidges(canvas, series) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 30, ridge = 44;
  const lo = Math.min(...series.map((s) => s.edges[0]));
  const hi = Math.max(...series.map((s) => s.edges[s.edges.length - 1]));
  const X = (v) => pad + (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (w - 2 * pad);
  const n = series.length, top = pad + ridge - 20, bottom = h - 22;
  series.forEach((s, i) => {
    const base = n > 1 ? top + (i * (bottom - top)) / (n - 1) : bottom;
    const peak = Math.max(...s.counts) || 1;
    const shade = n > 1 ? i / (n - 1) : 1;
    ctx.fillStyle = `rgba(52, 101, 164, ${0.06 + 0.12 * shade})`;
    ctx.strokeStyle = `rgb(${Math.round(170 - 140 * shade)}, ${Math.round(190 - 120 * shade)}, ${Math.round(230 - 70 * shade)})`;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    ctx.moveTo(X(s.edges[0]), base);
    s.counts.forEach((c, j) => ctx.lineTo(X((s.edges[j] + s.edges[j + 1]) / 2), base - (ridge * c) / peak));
    ctx.lineTo(X(s.edges[s.edges.length - 1]), base);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = "#667"; ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(String(s.step), w - pad + 4, base);
  });
  ctx.fillStyle = "#1d2330"; ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(lo.toPrecision(3), pad, h - 6);
  ctx.fillText(hi.toPrecision(3), w - pad - 40, h - 6);
}

function svgElement(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

// The engine's graph export drawn left to right: a node's column is its longest path
// from an input; learned arrays are blue boxes, constants grey boxes, operations ellipses.
function drawGraph(graph) {
  const svg = $("graph");
  svg.replaceChildren();
  const column = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (const e of graph.edges) column.set(e.to, Math.max(column.get(e.to), column.get(e.from) + 1));
  const rows = new Map(), at = new Map();
  const colW = 150, rowH = 52, nodeW = 124, nodeH = 34, margin = 16;
  for (const n of graph.nodes) {
    const c = column.get(n.id), r = rows.get(c) || 0;
    rows.set(c, r + 1);
    at.set(n.id, { x: margin + c * colW, y: margin + r * rowH });
  }
  const width = margin * 2 + (Math.max(...column.values()) + 1) * colW;
  const height = margin * 2 + Math.max(...rows.values()) * rowH;
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  for (const e of graph.edges) {
    const a = at.get(e.from), b = at.get(e.to);
    const x1 = a.x + nodeW, y1 = a.y + nodeH / 2, x2 = b.x, y2 = b.y + nodeH / 2, mid = (x1 + x2) / 2;
    svg.append(svgElement("path", { class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }));
  }
  for (const n of graph.nodes) {
    const p = at.get(n.id), cls = n.kind + (n.id === graph.output ? " output" : "");
    const shape = n.kind === "op"
      ? svgElement("ellipse", { class: cls, cx: p.x + nodeW / 2, cy: p.y + nodeH / 2, rx: nodeW / 2, ry: nodeH / 2 })
      : svgElement("rect", { class: cls, x: p.x, y: p.y, width: nodeW, height: nodeH, rx: 6 });
    const head = n.kind === "op" ? n.op : (n.name || (n.value != null ? Number(n.value).toPrecision(3) : n.kind));
    const title = svgElement("title", {}, `${n.kind} ${head} ${JSON.stringify(n.shape)} ${n.dtype}`);
    svg.append(shape,
      svgElement("text", { x: p.x + nodeW / 2, y: p.y + 15, "text-anchor": "middle" }, head),
      svgElement("text", { x: p.x + nodeW / 2, y: p.y + 28, "text-anchor": "middle" }, `[${n.shape.join("×")}]`),
      title);
  }
  svg.dataset.nodes = String(graph.nodes.length);
  $("graph-note").textContent = `${graph.kind} encoder "${graph.encoder}" reading "${graph.text}" `
    + `(as: ${graph.tokens.join(" ")}): ${graph.nodes.length} nodes, ${graph.edges.length} edges, `
    + "exported by the engine's graph export.";
}

loadModels();
