// Rate limits on the Settings page (contract §9): one text field in the editor written as the CLI's --rate-limit values,
// "100/1s, 5000/1h", turned into the admin API's rateLimits array here; the server validates the numbers (its 400 names
// rateLimits and is shown as is). Loaded after settings.js, whose helper $ it uses.
"use strict";

const RATE_UNITS = { s: 1, m: 60, h: 3600, d: 86400 };

// {requests, windowSeconds} as the CLI prints it: the largest unit the window is a whole number of.
function rateLimitText(limit) {
  for (const unit of ["d", "h", "m"]) {
    const seconds = RATE_UNITS[unit];
    if (limit.windowSeconds % seconds === 0) return `${limit.requests}/${limit.windowSeconds / seconds}${unit}`;
  }
  return `${limit.requests}/${limit.windowSeconds}s`;
}

function rateLimitsText(limits) {
  return limits && limits.length ? limits.map(rateLimitText).join(", ") : "";
}

// "100/1s, 5000/1h" (commas or spaces between; "1s" may be "s") into [{requests, windowSeconds}]; empty is none.
// Only the form is checked here: ranges, the count and repeated windows are the server's to refuse.
function parseRateLimits(text) {
  const limits = [];
  for (const part of text.split(/[\s,]+/).filter((p) => p)) {
    const match = /^(\d+)\/(\d*)([smhd])$/.exec(part);
    if (!match) throw new Error(`rateLimits: "${part}" is not REQUESTS/WINDOW, e.g. 100/1s or 5000/1h (units s, m, h, d).`);
    limits.push({ requests: Number(match[1]), windowSeconds: Number(match[2] || "1") * RATE_UNITS[match[3]] });
  }
  return limits;
}

function fillRateLimits(key) {
  const legacy = !!key && key.kind === "legacy";
  $("ed-rate-limits").value = key ? rateLimitsText(key.rateLimits) : "";
  $("ed-rate-limits").disabled = legacy; // a legacy key takes no limits (PATCH would be 409)
}

// Adds rateLimits to an editor body: on create only when some are given; on edit always, so clearing removes them.
function addRateLimits(body, editingKey) {
  if (editingKey && editingKey.kind === "legacy") return body;
  const limits = parseRateLimits($("ed-rate-limits").value);
  if (editingKey || limits.length) body.rateLimits = limits;
  return body;
}
