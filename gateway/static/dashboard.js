// newswire dashboard: one story, live, newest first. No build step; strings go in with textContent only.
"use strict";

const params = new URLSearchParams(location.search);
const storyId = params.get("story");
const feed = document.getElementById("feed");
const statusEl = document.getElementById("status");
const entries = new Map();   // entry id -> {entry, el}
let lastSeq = 0;
let epoch = null;
let ws = null;
let retry = 0;
let pingTimer = null;

function setStatus(state) {
  statusEl.className = "status " + state;
  statusEl.textContent = state;
}

function text(el, value) { el.textContent = value == null ? "" : String(value); }

function render(entry) {
  const el = document.getElementById("entry-template").content.firstElementChild.cloneNode(true);
  el.dataset.entryId = entry.id;
  el.dataset.published = entry.published_at || "";
  const when = new Date(entry.published_at);
  const time = el.querySelector("time");
  time.dateTime = entry.published_at || "";
  text(time, isNaN(when) ? "" : when.toISOString().slice(11, 16) + " GMT");
  text(el.querySelector(".op"), entry.version > 1 ? "edited (v" + entry.version + ")" : "");
  text(el.querySelector(".headline"), entry.headline || "");
  text(el.querySelector(".byline"), entry.author ? "by " + entry.author : "");
  text(el.querySelector(".body"), entry.body_text || "");
  const quotes = el.querySelector(".quotes");
  for (const q of entry.quotes || []) {
    const li = document.createElement("li");
    text(li, "“" + q.text + "”" + (q.speaker ? " — " + q.speaker : ""));
    quotes.appendChild(li);
  }
  const tags = el.querySelector(".hashtags");
  for (const tag of entry.hashtags || []) {
    const span = document.createElement("span");
    span.className = "tag";
    text(span, "#" + tag);
    tags.appendChild(span);
  }
  text(el.querySelector(".people"), (entry.people || []).map((p) => p.name).join(", "));
  text(el.querySelector(".places"), (entry.places || []).map((p) => p.name).join(", "));
  const original = entry.duplicate_of && entries.get(entry.duplicate_of);
  if (original && original.entry.id !== entry.id) {
    // the processor found it repeats an entry shown here: fold it, one click away
    el.classList.add("folded");
    el.dataset.duplicateOf = entry.duplicate_of;
    const note = el.querySelector(".duplicate");
    text(note, "Repeats the entry of " + timeLabel(original.entry) + (entry.duplicate_reason ? " (" + entry.duplicate_reason + ")" : ""));
    note.addEventListener("click", () => el.classList.toggle("folded"));
  }
  return el;
}

function timeLabel(entry) {
  const when = new Date(entry.published_at);
  return isNaN(when) ? "earlier" : when.toISOString().slice(11, 16) + " GMT";
}

function unfoldCopiesOf(id) {
  // the entry a copy was folded under is gone: show the copy in full
  for (const known of entries.values()) {
    if (known.entry.duplicate_of === id) { known.el.classList.remove("folded"); }
  }
}

function place(el) {
  // newest first by publication time; equal times keep arrival order
  const key = el.dataset.published;
  for (const other of feed.children) {
    if (other.dataset.published < key) { feed.insertBefore(el, other); return; }
  }
  feed.appendChild(el);
}

function apply(msg) {
  const entry = msg.entry;
  lastSeq = Math.max(lastSeq, msg.seq);
  epoch = msg.epoch;
  const known = entries.get(entry.id);
  if (msg.op === "delete") {
    if (known) { known.el.remove(); entries.delete(entry.id); unfoldCopiesOf(entry.id); }
  } else {
    if (known && known.entry.version > entry.version) return;
    const el = render(entry);
    if (known) { known.el.replaceWith(el); } else { place(el); el.classList.add("fresh"); }
    entries.set(entry.id, {entry, el});
  }
  drawPlaces();
}

function clearFeed() {
  entries.clear();
  feed.replaceChildren();
  lastSeq = 0;
}

function drawPlaces() {
  const list = document.getElementById("places");
  const pins = document.getElementById("pins");
  const seen = new Map();
  for (const {entry} of entries.values()) {
    for (const p of entry.places || []) if (!seen.has(p.name)) seen.set(p.name, p);
  }
  list.replaceChildren();
  pins.replaceChildren();
  for (const p of seen.values()) {
    const li = document.createElement("li");
    const coords = typeof p.lat === "number" && typeof p.lon === "number";
    text(li, p.name + (coords ? ` (${p.lat.toFixed(2)}, ${p.lon.toFixed(2)})` : ""));
    list.appendChild(li);
    if (coords) {
      const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      c.setAttribute("cx", p.lon); c.setAttribute("cy", -p.lat); c.setAttribute("r", 2.5);
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      text(title, p.name);
      c.appendChild(title);
      pins.appendChild(c);
    }
  }
}

function drawGraticule() {
  const g = document.getElementById("graticule");
  for (let x = -150; x <= 150; x += 30) g.insertAdjacentHTML("beforeend", `<line x1="${x}" y1="-90" x2="${x}" y2="90"/>`);
  for (let y = -60; y <= 60; y += 30) g.insertAdjacentHTML("beforeend", `<line x1="-180" y1="${y}" x2="180" y2="${y}"/>`);
}

function connect() {
  setStatus("connecting");
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
  ws = new WebSocket(url);
  ws.onopen = () => {
    retry = 0;
    const sub = {type: "subscribe", channel: "story:" + storyId, since: lastSeq};
    if (epoch) sub.epoch = epoch;
    ws.send(JSON.stringify(sub));
    clearInterval(pingTimer);
    pingTimer = setInterval(() => ws.readyState === 1 && ws.send('{"type":"ping"}'), 20000);
  };
  ws.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.type === "entry") apply(msg);
    else if (msg.type === "subscribed") { setStatus("online"); epoch = msg.epoch || epoch; }
    else if (msg.type === "resync") {
      // our position is gone (new epoch or history too short): start again from the whole history
      clearFeed();
      epoch = msg.epoch;
      ws.send(JSON.stringify({type: "subscribe", channel: "story:" + storyId, since: 0}));
    } else if (msg.type === "error") console.warn("gateway error", msg);
  };
  ws.onclose = () => {
    setStatus("offline");
    clearInterval(pingTimer);
    const delay = Math.min(10000, 250 * 2 ** retry++) * (0.5 + Math.random() / 2);
    setTimeout(connect, delay);
  };
}

async function refreshStats() {
  try {
    const stats = await (await fetch("/stats")).json();
    const viewers = (stats.viewers || {})[storyId] || 0;
    text(document.getElementById("viewers"), viewers + (viewers === 1 ? " viewer" : " viewers"));
    const list = document.getElementById("stories");
    list.replaceChildren();
    for (const name of Object.keys(stats.stories || {}).sort()) {
      const opt = document.createElement("option");
      opt.value = name;
      list.appendChild(opt);
    }
  } catch { /* the connection indicator already tells the story */ }
}

document.getElementById("picker").addEventListener("submit", (event) => {
  event.preventDefault();
  location.search = "?story=" + encodeURIComponent(document.getElementById("story").value.trim());
});

drawGraticule();
refreshStats();
setInterval(refreshStats, 5000);
if (storyId) {
  document.getElementById("story").value = storyId;
  document.title = storyId + " — newswire";
  connect();
} else {
  text(feed, "Pick a story to follow it live.");
}
