// The memories view: pages through a collection's items (POST .../memories/scroll), with an
// optional filter written as JSON, and counts what the filter matches (.../memories/count).
// Loaded after app.js, whose $() and KEY_STORE it uses.
"use strict";

const memories = { cursor: null, collection: "default", filter: null, pages: 0 };

async function postJSON(url, body) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) headers.Authorization = "Bearer " + key;
  const resp = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const out = await resp.json().catch(() => ({ detail: resp.statusText }));
  if (resp.status === 401 || resp.status === 403) $("key-form").hidden = false;
  if (!resp.ok) throw new Error(out.detail || resp.statusText);
  return out;
}

function memoriesBase() {
  const name = memories.collection;
  return name === "default" ? "" : "/collections/" + encodeURIComponent(name);
}

function readFilter() {
  const text = $("memories-filter").value.trim();
  if (!text) return null;
  return JSON.parse(text);  // a SyntaxError is shown as the error below the form
}

function showMemories(items, append) {
  const list = $("memories-list");
  if (!append) list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.className = "memory";
    li.dataset.id = item.id;
    const tags = (item.tags || []).join(", ");
    li.textContent = `${item.id} · ${item.kind}${tags ? " · " + tags : ""} — ${item.text ?? ""}`;
    list.appendChild(li);
  }
}

async function scrollMemories(fromStart) {
  $("memories-error").hidden = true;
  try {
    if (fromStart) {
      memories.collection = $("memories-collection").value.trim() || "default";
      memories.filter = readFilter();
      memories.cursor = null;
      memories.pages = 0;
      const counted = await postJSON(memoriesBase() + "/memories/count",
        memories.filter ? { filter: memories.filter } : {});
      $("memories-count").textContent = `${counted.count} item(s) match`;
    }
    const body = { limit: Number($("memories-limit").value) || 20 };
    if (memories.filter) body.filter = memories.filter;
    if (memories.cursor) body.cursor = memories.cursor;
    const page = await postJSON(memoriesBase() + "/memories/scroll", body);
    showMemories(page.items, !fromStart);
    memories.cursor = page.next_cursor;
    memories.pages += 1;
    $("memories-more").disabled = !memories.cursor;
  } catch (err) {
    $("memories-error").textContent = err.message;
    $("memories-error").hidden = false;
  }
}

$("memories-form").addEventListener("submit", (e) => { e.preventDefault(); scrollMemories(true); });
$("memories-more").addEventListener("click", () => scrollMemories(false));
