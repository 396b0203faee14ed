// world2vec's page: query box -> neighbours, a PCA plot of them, a relation picker
// (relation + concept -> the transformed concept's neighbours), and the training curves.
// Plain JavaScript over the REST API (no build step); every number drawn comes from the server.
"use strict";

const $ = (id) => document.getElementById(id);

function modeOf(query, chosen) {
  if (chosen !== "auto") return chosen;
  if (/[+*()\/]|\s-\s|^-/.test(query)) return "expr";
  return /\s/.test(query.trim()) ? "text" : "concept";
}

function urlFor(query, mode, k) {
  const p = new URLSearchParams({ k: String(k), project: "true" });
  if (mode === "expr") { p.set("expr", query); return "/compose?" + p; }
  p.set(mode === "text" ? "text" : "concept", query);
  return "/similar?" + p;
}

// A server with WORLD2VEC_READ_KEY wants a key for reading: the page asks for it once
// (a 401/403) and keeps it for this tab only (sessionStorage), never in the URL.
const KEY_STORE = "world2vec-key";

async function getJSON(url) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) headers.Authorization = "Bearer " + key;
  const resp = await fetch(url, { headers });
  const body = await resp.json().catch(() => ({ detail: resp.statusText }));
  if (resp.status === 401 || resp.status === 403) $("key-form").hidden = false;
  if (!resp.ok) { const err = new Error(body.detail || resp.statusText); err.problem = body; throw err; }
  return body;
}

// The address follows the query box, so a search can be bookmarked and shared:
// /?q=king+-+man+%2B+woman&mode=expr&k=20 (mode and k only when not the defaults).
function syncAddress() {
  const p = new URLSearchParams(location.search);
  const fields = { q: $("query").value, mode: $("mode").value === "auto" ? "" : $("mode").value,
                   k: $("k").value === "10" ? "" : $("k").value };
  for (const [name, value] of Object.entries(fields)) {
    if (value) p.set(name, value); else p.delete(name);
  }
  const search = p.toString();
  history.replaceState(null, "", location.pathname + (search ? "?" + search : "") + location.hash);
}

function queryFromAddress() {
  const p = new URLSearchParams(location.search);
  if (p.has("mode") && [...$("mode").options].some((o) => o.value === p.get("mode"))) $("mode").value = p.get("mode");
  if (/^\d+$/.test(p.get("k") || "")) $("k").value = p.get("k");
  $("query").value = p.get("q") || "";
  return $("query").value.trim();
}

// An error under a form; a suggested spelling, clicked, goes into `inputId` and reruns.
function showError(err, boxId = "error", inputId = "query", rerun = () => run()) {
  const box = $(boxId);
  box.hidden = false;
  box.textContent = err.message;
  const sugg = (err.problem && err.problem.suggestions) || [];
  if (sugg.length) {
    box.append(document.createElement("br"), "Did you mean: ");
    for (const s of sugg) {
      const a = document.createElement("a");
      a.className = "suggestion"; a.textContent = s;
      a.onclick = () => { $(inputId).value = s; rerun(); };
      box.append(a);
    }
  }
}

function renderResults(results, listId = "results") {
  const list = $(listId);
  list.replaceChildren();
  for (const r of results) {
    const li = document.createElement("li");
    li.className = "result";
    li.dataset.id = r.id;
    const name = document.createElement("span");
    name.className = "name"; name.textContent = r.text || r.id;
    const score = document.createElement("span");
    score.className = "score"; score.textContent = r.score.toFixed(3);
    li.append(name, score);
    list.append(li);
  }
}

function drawProjection(proj, results, label) {
  const canvas = $("projection");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 40;
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = "#e3e6ee"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(w / 2, 0); ctx.lineTo(w / 2, h); ctx.moveTo(0, h / 2); ctx.lineTo(w, h / 2); ctx.stroke();
  const X = (x) => w / 2 + x * (w / 2 - pad), Y = (y) => h / 2 - y * (h / 2 - pad);
  ctx.font = "12px system-ui, sans-serif";
  proj.points.forEach(([x, y], i) => {
    ctx.fillStyle = "#3465a4";
    ctx.beginPath(); ctx.arc(X(x), Y(y), 4, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = "#1d2330";
    ctx.fillText(results[i] ? (results[i].text || results[i].id) : "", X(x) + 6, Y(y) - 4);
  });
  const [qx, qy] = proj.query;
  ctx.fillStyle = "#cc0000";
  ctx.beginPath(); ctx.arc(X(qx), Y(qy), 6, 0, 2 * Math.PI); ctx.fill();
  ctx.font = "bold 13px system-ui, sans-serif";
  ctx.fillText(label, X(qx) + 8, Y(qy) + 14);
  canvas.dataset.points = String(proj.points.length + 1);
  const ex = proj.explained || [0, 0];
  $("explained").textContent = `PC1 ${(100 * ex[0]).toFixed(1)} %, PC2 ${(100 * ex[1]).toFixed(1)} % of the variance (red: the query).`;
}

async function run() {
  const query = $("query").value.trim();
  syncAddress();
  $("error").hidden = true;
  if (!query) return;
  const mode = modeOf(query, $("mode").value);
  const k = parseInt($("k").value, 10) || 10;
  $("status").textContent = "searching…";
  try {
    const t0 = performance.now();
    const answer = await getJSON(urlFor(query, mode, k));
    const ms = (performance.now() - t0).toFixed(0);
    renderResults(answer.results);
    if (answer.projection) drawProjection(answer.projection, answer.results, query);
    const synth = answer.synthesized ? " (unseen word: vector synthesized from its subwords)" : "";
    $("status").textContent = `${answer.results.length} neighbours by ${mode} in ${ms} ms${synth}`;
  } catch (err) {
    $("status").textContent = "";
    showError(err);
  }
}

// -- relations: GET /relations fills the picker, GET /transform answers it ----------------
const relations = new Map();

function describeRelation(r) {
  const acc = r.accuracy == null ? "accuracy not measured"
    : `${(100 * r.accuracy).toFixed(0)} % of its pairs right in the top 5 when left out`;
  return `${r.source === "user" ? "taught" : "the model's own"}: ${r.method}, ${r.pairs} pairs, ${acc}.`;
}

async function loadRelations() {
  const select = $("relation");
  try {
    const listed = (await getJSON("/relations")).relations;
    select.replaceChildren();
    relations.clear();
    for (const r of listed) {
      relations.set(r.name, r);
      const opt = document.createElement("option");
      opt.value = r.name; opt.textContent = r.name + (r.source === "user" ? " (taught)" : "");
      select.append(opt);
    }
    select.dataset.count = String(listed.length);
    showRelation();
  } catch (err) { $("relation-info").textContent = "No relations: " + err.message; }
}

function showRelation() {
  const r = relations.get($("relation").value);
  $("relation-info").textContent = r ? describeRelation(r)
    : "This model has no relations; teach one with POST /relations.";
}

async function runRelation() {
  const relation = $("relation").value, concept = $("relation-concept").value.trim();
  $("relation-error").hidden = true;
  if (!relation || !concept) return;
  const k = parseInt($("k").value, 10) || 10;
  const p = new URLSearchParams({ relation, concept, k: String(k) });
  try {
    const answer = await getJSON("/transform?" + p);
    renderResults(answer.results, "relation-results");
    const r = relations.get(relation);
    $("relation-info").textContent = `${relation}(${concept}): ${answer.results.length} neighbours`
      + (r ? ". " + describeRelation(r) : ".");
  } catch (err) {
    $("relation-results").replaceChildren();
    showError(err, "relation-error", "relation-concept", runRelation);
  }
}

function drawCurves(scalars, canvasId = "curves", noteId = "curves-note") {
  const canvas = $(canvasId);
  const ctx = canvas.getContext("2d");
  const first = ["loss", "lr", "throughput"];  // the curves people look for, in this order
  const rank = (t) => (first.includes(t) ? first.indexOf(t) : first.length);
  const tags = Object.keys(scalars).filter((t) => scalars[t].length > 1)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, 3);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  canvas.dataset.series = String(tags.length);
  if (!tags.length) { $(noteId).textContent = "This model has no training log."; return; }
  const colors = ["#cc0000", "#3465a4", "#4e9a06", "#75507b"];
  const pw = canvas.width / tags.length, h = canvas.height, pad = 36;
  tags.forEach((tag, t) => {
    const pts = scalars[tag];
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const left = t * pw + pad, right = (t + 1) * pw - 12, top = 24, bottom = h - 28;
    const X = (x) => left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (right - left);
    const Y = (y) => bottom - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (bottom - top);
    ctx.strokeStyle = "#c8ccd6"; ctx.lineWidth = 1;
    ctx.strokeRect(left, top, right - left, bottom - top);
    ctx.strokeStyle = colors[t % colors.length]; ctx.lineWidth = 1.5;
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    ctx.fillStyle = "#1d2330"; ctx.font = "bold 12px system-ui, sans-serif";
    ctx.fillText(tag, left, top - 8);
    ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = "#667";
    ctx.fillText(y1.toPrecision(3), left - pad + 2, top + 10);
    ctx.fillText(y0.toPrecision(3), left - pad + 2, bottom);
    ctx.fillText(`step ${x0}`, left, bottom + 16);
    ctx.fillText(`${x1}`, right - 40, bottom + 16);
  });
  $(noteId).textContent = `From the model's event log: ${tags.join(", ")}.`;
}

async function load() {
  if ($("query").value.trim()) run();
  try {
    const h = await getJSON("/health");
    $("model-info").textContent = `model ${h.model} · dim ${h.dim} · ${h.items} memories`;
  } catch (err) { $("model-info").textContent = "the service did not answer /health"; }
  loadRelations();
  try { drawCurves((await getJSON("/model/events")).scalars); }
  catch (err) { $("curves-note").textContent = "No training curves: " + err.message; }
}

function init() {
  $("query-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("relation-form").addEventListener("submit", (e) => { e.preventDefault(); runRelation(); });
  $("relation").addEventListener("change", showRelation);
  for (const id of ["query", "mode", "k"]) {
    $(id).addEventListener("input", syncAddress);
    $(id).addEventListener("change", syncAddress);
  }
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY_STORE, $("key").value.trim());
    $("key").value = ""; $("key-form").hidden = true;
    load();  // again, with the key
  });
  queryFromAddress();  // a deep link, /?q=cat, runs at once in load()
  load();
}

init();
