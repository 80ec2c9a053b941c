// EdgeAgent dashboard: polls GET /api/state once a second with the operator token and sets the
// preference with POST /api/preference (the agent applies it through the same control path as
// `edgeagent pref set`). Plain JavaScript, no build step.
"use strict";

const tokenKey = "edgeagent.operator-token";
let sliderBusy = false;

function token() { return sessionStorage.getItem(tokenKey); }

function $(id) { return document.getElementById(id); }

function fixed(value, digits) { return Number(value).toFixed(digits); }

async function api(path, options) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": "Bearer " + token(), "Content-Type": "application/json" },
    cache: "no-store",
  });
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(tokenKey);
    showLogin(body.error || "The token was refused.");
    throw new Error("unauthorised");
  }
  if (!response.ok) { throw new Error(body.error || response.statusText); }
  return body;
}

function showLogin(message) {
  $("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("connection").textContent = "not signed in";
}

function rows(tbody, items, cells) {
  tbody.replaceChildren(...items.map(item => {
    const tr = document.createElement("tr");
    for (const [text, cls] of cells(item)) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) { td.className = cls; }
      tr.appendChild(td);
    }
    return tr;
  }));
}

function render(state) {
  $("policy").textContent = state.policy;
  $("delay-weight").textContent = fixed(state.delayWeight, 2);
  $("energy-weight").textContent = fixed(1 - state.delayWeight, 2);
  if (!sliderBusy) {
    $("slider").value = state.delayWeight;
    $("slider-value").textContent = fixed(state.delayWeight, 2);
  }
  const r = state.requests;
  $("requests-total").textContent = r.local + r.offloaded + r.failed;
  $("requests-local").textContent = r.local;
  $("requests-offloaded").textContent = r.offloaded;
  $("requests-fallback").textContent = r.fallback;
  $("requests-failed").textContent = r.failed;
  $("window").textContent = "(latest " + state.recentDecisions + " decisions)";
  rows($("placements").tBodies[0], state.placements, p => [
    [p.placement, "text"], [p.requests], [fixed(p.delayP50Ms, 1)], [fixed(p.delayMeanMs, 1)],
    [fixed(p.energyMeanJ, 4) + (p.energyProvenance === "modelled" ? " (modelled)" : " (measured)")],
  ]);
  rows($("peers").tBodies[0], state.peers, p => [
    [p.name, "text"], [p.available ? "available" : "unavailable", p.available ? "text up" : "text down"],
    [p.rttMeasured ? fixed(p.rttMs, 1) : "-"], [fixed(p.throughputMbit, 1) + (p.throughputMeasured ? "" : " prior")],
    [p.queued], [p.running],
    [p.url + (p.isGroup ? " (group of " + p.members + ", " + p.membersAvailable + " available)" : ""), "text"],
  ]);
  drawFront(state.front, state.policyFront);
}

// Consecutive delay weights at which the policy makes the same choice, as table rows.
function policyRuns(points) {
  const runs = [];
  for (const p of points) {
    const last = runs[runs.length - 1];
    if (last && last.placement === p.placement) { last.to = p.delayWeight; } else { runs.push({ ...p, from: p.delayWeight, to: p.delayWeight }); }
  }
  return runs;
}

function drawFront(front, policyFront) {
  const svg = $("front");
  const ns = "http://www.w3.org/2000/svg";
  const w = 480, h = 300, left = 56, bottom = 40, top = 12, right = 12;
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) { e.setAttribute(k, v); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  };
  const children = [
    el("line", { class: "axis", x1: left, y1: h - bottom, x2: w - right, y2: h - bottom }),
    el("line", { class: "axis", x1: left, y1: top, x2: left, y2: h - bottom }),
    el("text", { x: (left + w - right) / 2, y: h - 6, "text-anchor": "middle" }, "delay per request, ms"),
    el("text", { x: 12, y: (top + h - bottom) / 2, transform: `rotate(-90 12 ${(top + h - bottom) / 2})`, "text-anchor": "middle" }, "energy per request, J"),
  ];
  const finite = p => Number.isFinite(p.delayMs) && Number.isFinite(p.energyJ);
  const measured = front.points.filter(finite);
  const policy = policyFront.points.filter(finite);
  const all = measured.concat(policy);
  if (all.length > 0) {
    const maxX = Math.max(...all.map(p => p.delayMs)) * 1.1 || 1;
    const maxY = Math.max(...all.map(p => p.energyJ)) * 1.1 || 1;
    const x = v => left + (v / maxX) * (w - left - right);
    const y = v => h - bottom - (v / maxY) * (h - bottom - top);
    children.push(el("text", { x: w - right, y: h - bottom + 14, "text-anchor": "end" }, fixed(maxX, 1)));
    children.push(el("text", { x: left - 4, y: top + 10, "text-anchor": "end" }, fixed(maxY, 3)));
    for (const p of measured) {
      const dot = el("circle", { class: "point", cx: x(p.delayMs), cy: y(p.energyJ), r: 4 });
      dot.appendChild(el("title", {}, `measured at w_delay ${fixed(p.delayWeight, 2)}: ${fixed(p.delayMs, 1)} ms, ${fixed(p.energyJ, 4)} J (${p.requests} requests)`));
      children.push(dot);
    }
    if (front.operating && finite(front.operating)) {
      const o = front.operating;
      children.push(el("circle", { id: "measured-operating", class: "operating", cx: x(o.delayMs), cy: y(o.energyJ), r: 6 }));
    }
    const nonDominated = policyFront.nonDominated.filter(finite);
    if (nonDominated.length > 1) {
      children.push(el("polyline", { class: "front", points: nonDominated.map(p => `${x(p.delayMs)},${y(p.energyJ)}`).join(" ") }));
    }
    for (const p of policyRuns(policy)) {
      const ring = el("circle", { class: "policy", cx: x(p.delayMs), cy: y(p.energyJ), r: 6 });
      ring.appendChild(el("title", {}, `policy at w_delay ${fixed(p.from, 2)}-${fixed(p.to, 2)}: ${p.placement}, est. ${fixed(p.delayMs, 1)} ms, ${fixed(p.energyJ, 4)} J`));
      children.push(ring);
    }
    if (policyFront.operating && finite(policyFront.operating)) {
      const o = policyFront.operating;
      children.push(el("circle", { id: "operating-point", class: "policy-operating", cx: x(o.delayMs), cy: y(o.energyJ), r: 9 }));
      children.push(el("text", { x: x(o.delayMs) + 12, y: y(o.energyJ) - 10 }, `now: ${o.placement} (w_delay ${fixed(o.delayWeight, 2)})`));
    }
  }
  svg.replaceChildren(...children);
  $("front-method").textContent = "Measured points: " + front.method;
  $("policy-front-note").textContent = policyFront.model
    ? `Policy front for ${policyFront.model}, ${policyFront.inputBytes} input bytes: ${policyFront.note}`
    : policyFront.note;
  const o = policyFront.operating;
  $("policy-operating").textContent = o
    ? `${o.placement} at w_delay ${fixed(o.delayWeight, 2)} (est. ${fixed(o.delayMs, 1)} ms, ${fixed(o.energyJ, 4)} J per request)`
    : "no request yet";
  rows($("policy-front").tBodies[0], policyRuns(policyFront.points), p => [
    [p.from === p.to ? fixed(p.from, 2) : `${fixed(p.from, 2)} - ${fixed(p.to, 2)}`, "text"], [p.placement, "text"],
    [fixed(p.delayMs, 1)], [fixed(p.energyJ, 4)],
  ]);
}

async function poll() {
  try {
    render(await api("/api/state"));
    $("main").hidden = false;
    $("login").hidden = true;
    $("connection").textContent = "live, updated " + new Date().toLocaleTimeString();
  } catch (e) {
    if (e.message !== "unauthorised") { $("connection").textContent = "agent not answering: " + e.message; }
  }
}

// One POST at a time, the latest value last: quick slider moves never reach the agent out of order.
let preferenceInFlight = false;
let preferenceWanted = null;

async function setPreference() {
  preferenceWanted = Number($("slider").value);
  if (preferenceInFlight) { return; }
  preferenceInFlight = true;
  try {
    while (preferenceWanted !== null) {
      const weight = preferenceWanted;
      preferenceWanted = null;
      $("slider-status").textContent = "setting...";
      try {
        const state = await api("/api/preference", { method: "POST", body: JSON.stringify({ delayWeight: weight }) });
        if (preferenceWanted === null) {
          sliderBusy = false;
          render(state);
          $("slider-status").textContent = "set to " + fixed(state.delayWeight, 2);
        }
      } catch (e) {
        $("slider-status").textContent = "not set: " + e.message;
      }
    }
  } finally {
    preferenceInFlight = false;
    sliderBusy = false;
  }
}

window.addEventListener("DOMContentLoaded", () => {
  // A link may carry the token in its fragment (never sent to the server): #token=...
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem(tokenKey, fragment.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  $("slider").addEventListener("input", () => {
    sliderBusy = true;
    $("slider-value").textContent = fixed($("slider").value, 2);
  });
  $("slider").addEventListener("change", setPreference);
  $("login").addEventListener("submit", event => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, $("token").value.trim());
    poll();
  });
  if (!token()) { showLogin(); } else { poll(); }
  setInterval(() => { if (token()) { poll(); } }, 1000);
});
