// The usage dialog of the Settings page: the last 30 days of one key, as a chart and totals per target.
// Loaded after settings.js, whose helpers ($, el, api, when) it uses.
"use strict";

// ---- usage -------------------------------------------------------------------------------------------------

async function showUsage(key) {
  $("usage-title").textContent = "Usage of " + key.name + " (last 30 days)";
  $("usage-summary").textContent = "Loading usage…"; // not the previous key's totals
  $("usage-chart").replaceChildren();
  $("usage-chart").removeAttribute("aria-label");
  $("usage-table").querySelector("tbody").replaceChildren();
  $("usage").showModal();
  try {
    const usage = await api("GET", "/admin/keys/" + encodeURIComponent(key.id) + "/usage?days=30");
    drawUsage(usage);
  } catch (error) {
    if (error.message !== "unauthorized") $("usage-summary").textContent = "Could not load usage: " + error.message;
  }
}

function drawUsage(usage) {
  const byDate = new Map(usage.days.map((d) => [d.date, d.targets]));
  const days = [];
  const today = new Date();
  for (let i = 29; i >= 0; i--) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    const date = d.toISOString().slice(0, 10);
    let allowed = 0, denied = 0, limited = 0;
    for (const counts of Object.values(byDate.get(date) || {})) { allowed += counts.allowed; denied += counts.denied; limited += counts.limited || 0; }
    days.push({ date, allowed, denied, limited });
  }
  const totals = {};
  for (const targets of byDate.values()) {
    for (const [target, counts] of Object.entries(targets)) {
      totals[target] = totals[target] || { allowed: 0, denied: 0, limited: 0 };
      totals[target].allowed += counts.allowed;
      totals[target].denied += counts.denied;
      totals[target].limited += counts.limited || 0;
    }
  }
  const sumAllowed = days.reduce((s, d) => s + d.allowed, 0), sumDenied = days.reduce((s, d) => s + d.denied, 0);
  const sumLimited = days.reduce((s, d) => s + d.limited, 0); // refused by a rate limit (429), counted apart from denied
  $("usage-summary").textContent = `${sumAllowed} allowed, ${sumDenied} denied, ${sumLimited} limited. Last used: ${when(usage.lastUsedAt)}.`;
  $("usage-chart").setAttribute("aria-label", `Requests per day over 30 days: ${sumAllowed} allowed, ${sumDenied} denied and ${sumLimited} limited in all.`);

  const width = 600, height = 180, pad = 24, bar = (width - pad) / days.length;
  const max = Math.max(1, ...days.map((d) => d.allowed + d.denied + d.limited));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 20}`);
  const rect = (x, y, w, h, color, title) => {
    const r = document.createElementNS(ns, "rect");
    Object.entries({ x, y, width: w, height: h, fill: color }).forEach(([k, v]) => r.setAttribute(k, v));
    const t = document.createElementNS(ns, "title"); t.textContent = title; r.append(t);
    svg.append(r);
  };
  days.forEach((d, i) => {
    const x = pad + i * bar + 1, hA = (d.allowed / max) * height, hD = (d.denied / max) * height;
    rect(x, height - hA, bar - 2, hA, "#188038", `${d.date}: ${d.allowed} allowed`);
    rect(x, height - hA - hD, bar - 2, hD, "#c5221f", `${d.date}: ${d.denied} denied`);
    const hL = (d.limited / max) * height;
    rect(x, height - hA - hD - hL, bar - 2, hL, "#b06000", `${d.date}: ${d.limited} limited`);
  });
  const label = (x, y, text, anchor = "start") => {
    const t = document.createElementNS(ns, "text");
    Object.entries({ x, y, "font-size": 11, fill: "#5f6368", "text-anchor": anchor }).forEach(([k, v]) => t.setAttribute(k, v));
    t.textContent = text; svg.append(t);
  };
  label(0, 10, String(max));
  label(pad, height + 15, days[0].date.slice(5));
  label(width, height + 15, days[days.length - 1].date.slice(5), "end");
  const legend = el("div", { class: "legend" }, el("span", { class: "allowed" }, "allowed"), el("span", { class: "denied" }, "denied"), el("span", { class: "limited" }, "limited"));
  $("usage-chart").replaceChildren(svg, legend);

  // "other" is a target like any other (contract §6: a key's targets past Usage:MaxTargetsPerKey in a day), listed
  // last and explained on hover, since no scope names it.
  const order = (t) => (t === "other" ? "\uffff" : t);
  const rows = Object.entries(totals).sort((a, b) => order(a[0]).localeCompare(order(b[0])))
    .map(([target, c]) => el("tr", {},
      el("td", target === "other" ? { title: "Targets past the per-key daily limit of targets counted separately" } : {}, target),
      el("td", {}, String(c.allowed)), el("td", {}, String(c.denied)), el("td", {}, String(c.limited))));
  $("usage-table").querySelector("tbody").replaceChildren(...rows);
}
