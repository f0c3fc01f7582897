// The Settings page: a client of the admin API only. The admin token lives in sessionStorage (this tab, this
// origin), never in a cookie or a URL.
"use strict";

const TOKEN = "gateway.adminToken";
const LEVELS = { none: "None", read: "Read", readwrite: "Read / Write" };
const PERMISSIONS = { all: "All", readonly: "Read Only", restricted: "Restricted" };
const $ = (id) => document.getElementById(id);
let keys = [];
let editing = null; // the key being edited, or null when creating
let canWrite = false; // what GET /admin/whoami said this credential may do; a viewer only reads

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN), "X-Gateway-Client": "settings", ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 401) { signOut("Your admin token was refused. Sign in again."); throw new Error("unauthorized"); }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(data && data.detail ? data.detail : "HTTP " + response.status);
  return data;
}

function when(iso, none = "Never") {
  if (!iso) return none;
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function say(text, isError = false) {
  const message = $("message");
  message.textContent = text;
  message.className = isError ? "error" : "hint";
}

// ---- sign-in ----------------------------------------------------------------------------------------------

function signOut(reason) {
  sessionStorage.removeItem(TOKEN);
  $("keys").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = reason || "";
  $("token").focus();
}

// The page asks which credential it holds before showing anything: a viewer's page has no write controls at all,
// and says why, rather than offering buttons the API would refuse (403 admin_forbidden).
async function learnRole() {
  const me = await api("GET", "/admin/whoami");
  canWrite = me.role === "admin";
  $("create").hidden = !canWrite;
  $("read-only").hidden = canWrite;
  $("read-only").textContent = canWrite ? "" : `Read-only: this credential (${me.name}) is a viewer. It can see keys and their usage, but not create, change or delete them.`;
}

async function showKeys() {
  await learnRole();
  await load();
  $("sign-in").hidden = true;
  $("keys").hidden = false;
  $("sign-out").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $("token").value.trim());
  $("token").value = "";
  try {
    await showKeys();
    (canWrite ? $("create") : $("search")).focus();
  } catch (error) {
    if (error.message !== "unauthorized") $("sign-in-error").textContent = error.message;
  }
}

// ---- the key list ------------------------------------------------------------------------------------------

// The list is paged (contract §5): a page of PAGE keys at a time, newest first, "Load more" follows nextCursor, and the
// search box asks the server (q), so the page stays as fast with 100,000 keys as with ten: it holds only what was shown.
const PAGE = 100;
let nextCursor = null;
let query = "";
let listRequest = 0; // answers to an older search or page are dropped: typing fast never shows a stale list
let searchTimer = 0;

function listPath(cursor) {
  let path = "/admin/keys?limit=" + PAGE;
  if (query) path += "&q=" + encodeURIComponent(query);
  if (cursor) path += "&cursor=" + encodeURIComponent(cursor);
  return path;
}

// A filtered page may hold fewer keys than asked (the server scans a bounded part of the list per page), even none:
// a few more pages are fetched at once so a search shows results when there are any, then "Load more" goes on.
async function fetchPage(cursor, request) {
  let found = [];
  for (let round = 0; round < 5; round++) {
    const page = await api("GET", listPath(cursor));
    if (request !== listRequest) return null;
    found = found.concat(page.keys);
    cursor = page.nextCursor;
    if (!cursor || found.length > 0) break;
  }
  return { keys: found, nextCursor: cursor };
}

async function load() {
  const request = ++listRequest;
  const page = await fetchPage(null, request);
  if (!page) return;
  keys = page.keys;
  nextCursor = page.nextCursor;
  render();
}

async function loadMore() {
  if (!nextCursor) return;
  const request = ++listRequest;
  const button = $("load-more");
  button.disabled = true;
  $("list-status").textContent = "Loading…";
  try {
    const page = await fetchPage(nextCursor, request);
    if (!page) return;
    // Only the new rows are built: the rows already shown stay as they are.
    const known = new Set(keys.map((k) => k.id));
    const added = page.keys.filter((k) => !known.has(k.id));
    keys = keys.concat(added);
    nextCursor = page.nextCursor;
    $("key-table").querySelector("tbody").append(...added.map(row));
    showListState();
  } catch (error) {
    if (error.message !== "unauthorized") say(`Could not load more keys: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

function search() {
  clearTimeout(searchTimer);
  // One request per pause in typing, not one per keystroke.
  searchTimer = setTimeout(() => {
    query = $("search").value.trim();
    load().catch((error) => { if (error.message !== "unauthorized") say(`Could not search: ${error.message}`, true); });
  }, 250);
}

function showListState() {
  $("empty").textContent = query ? "No keys match this search." : canWrite ? "No keys yet. Create one to get started." : "No keys yet.";
  $("empty").hidden = keys.length > 0 || nextCursor !== null;
  $("load-more").hidden = nextCursor === null;
  $("list-status").textContent = keys.length + (keys.length === 1 ? " key shown" : " keys shown") + (nextCursor ? "; more to load." : ".");
}

function render() {
  const body = $("key-table").querySelector("tbody");
  // The rows are rebuilt; keyboard focus stays on the same button of the same key, or moves to Create if it went.
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const keyId = focused && focused.closest("tr").dataset.keyId;
  const index = focused ? [...focused.closest("tr").querySelectorAll("button")].indexOf(focused) : -1;
  body.replaceChildren(...keys.map(row));
  showListState();
  if (!focused) return;
  const again = [...body.querySelectorAll("tr")].find((tr) => tr.dataset.keyId === keyId);
  (again ? again.querySelectorAll("button")[index] : canWrite ? $("create") : $("search")).focus();
}

function row(key) {
  if (!canWrite) return viewerRow(key);
  const toggle = el("button", {
    class: "switch", role: "switch", "aria-checked": String(key.enabled),
    "aria-label": (key.enabled ? "Disable " : "Enable ") + key.name, onclick: () => toggleEnabled(key, toggle),
  });
  return el("tr", { "data-key-id": key.id },
    el("td", {}, key.name),
    el("td", {}, el("code", {}, key.prefix + "…")),
    el("td", {}, el("span", { class: "badge" }, key.kind === "legacy" ? "Legacy" : "rpa")),
    el("td", {}, PERMISSIONS[key.permission] || key.permission),
    el("td", {}, when(key.createdAt)),
    el("td", { class: "last-used" }, when(key.lastUsedAt)),
    el("td", { class: "expires" }, expiry(key)),
    el("td", {}, toggle),
    el("td", { class: "allowed-ips" }, key.allowedIps && key.allowedIps.length ? key.allowedIps.join(", ") : "Any"),
    el("td", { class: "rate-limits" }, rateLimitsText(key.rateLimits) || "None"),
    el("td", {},
      // Words, not emoji: a machine without an emoji font draws those as empty boxes.
      el("button", { class: "icon", "aria-label": "Usage of " + key.name, onclick: () => showUsage(key) }, "Usage"),
      " ",
      el("button", { class: "icon", "aria-label": "Edit " + key.name, onclick: () => openEditor(key) }, "Edit"),
      " ",
      // A key rolls once; its replacement rolls in turn.
      ...(key.replacedBy ? [] : [el("button", { class: "icon", "aria-label": "Roll " + key.name, onclick: () => openRoll(key) }, "Roll"), " "]),
      el("button", { class: "icon", "aria-label": "Delete " + key.name, onclick: () => confirmDelete(key) }, "Delete")));
}

// A viewer's row: the same columns, "Enabled" as words, and only the Usage action (reads).
function viewerRow(key) {
  return el("tr", { "data-key-id": key.id },
    el("td", {}, key.name),
    el("td", {}, el("code", {}, key.prefix + "…")),
    el("td", {}, el("span", { class: "badge" }, key.kind === "legacy" ? "Legacy" : "rpa")),
    el("td", {}, PERMISSIONS[key.permission] || key.permission),
    el("td", {}, when(key.createdAt)),
    el("td", { class: "last-used" }, when(key.lastUsedAt)),
    el("td", {}, when(key.expiresAt)),
    el("td", {}, key.enabled ? "Yes" : "No"),
    el("td", {}, el("button", { class: "icon", "aria-label": "Usage of " + key.name, onclick: () => showUsage(key) }, "Usage")));
}

async function toggleEnabled(key, toggle) {
  if (toggle.getAttribute("aria-disabled") === "true") return; // a change is already on its way
  const wanted = !key.enabled;
  key.enabled = wanted; // optimistic: the slider moves at once
  toggle.setAttribute("aria-checked", String(wanted));
  toggle.setAttribute("aria-disabled", "true"); // not `disabled`, which would throw the keyboard focus away
  try {
    Object.assign(key, await api("PATCH", "/admin/keys/" + encodeURIComponent(key.id), { enabled: wanted }));
    say(`${key.name} is ${wanted ? "enabled" : "disabled"}.`);
  } catch (error) {
    key.enabled = !wanted; // rolled back, with the reason
    toggle.setAttribute("aria-checked", String(!wanted));
    say(`Could not ${wanted ? "enable" : "disable"} ${key.name}: ${error.message}`, true);
  } finally {
    toggle.removeAttribute("aria-disabled");
    toggle.setAttribute("aria-label", (key.enabled ? "Disable " : "Enable ") + key.name);
  }
}

// ---- create and edit ---------------------------------------------------------------------------------------

function levelSelect(value, label) {
  const select = el("select", { "aria-label": label });
  for (const [level, text] of Object.entries(LEVELS)) select.append(el("option", { value: level }, text));
  select.value = value;
  return select;
}

function addEndpointRow(id = "", level = "read") {
  // Browsers compile `pattern` with the v flag, where a bare "-" in a class is an error that drops the check.
  const input = el("input", { "aria-label": "Endpoint id", placeholder: "endpoint id", value: id, pattern: "[A-Za-z0-9_\\-]{1,64}" });
  const row = el("div", { class: "row" }, input, levelSelect(level, "Access for this endpoint"));
  row.append(el("button", { type: "button", class: "link", "aria-label": "Remove endpoint row", onclick: () => row.remove() }, "Remove"));
  $("ed-rows").append(row);
  return input;
}

function presetOf(key) {
  return key ? key.permission : "restricted";
}

function syncPreset() {
  const preset = document.querySelector('input[name="preset"]:checked').value;
  $("ed-restricted").hidden = preset !== "restricted";
}

function openEditor(key) {
  editing = key || null;
  const legacy = !!key && key.kind === "legacy";
  $("editor-title").textContent = key ? "Edit API key" : "Create API key";
  $("ed-save").textContent = key ? "Save" : "Create";
  $("ed-name").value = key ? key.name : "";
  $("ed-error").textContent = "";
  $("ed-legacy-note").hidden = !legacy;
  $("ed-scopes").hidden = legacy;
  $("ed-scopes").disabled = legacy;
  $("ed-expires").disabled = legacy;
  $("ed-allowed-ips").disabled = legacy;
  $("ed-allowed-ips").value = key && key.allowedIps ? key.allowedIps.join("\n") : "";
  $("ed-rows").replaceChildren();
  const endpoints = key ? { ...key.endpoints } : {};
  $("ed-graphql").value = key ? key.graphql : "none";
  $("ed-endpoints").value = endpoints["*"] || "none";
  delete endpoints["*"];
  for (const [id, level] of Object.entries(endpoints)) addEndpointRow(id, level);
  document.querySelector(`input[name="preset"][value="${presetOf(key)}"]`).checked = true;
  syncPreset();
  $("ed-expires").value = key && key.expiresAt ? toLocalInput(key.expiresAt) : "";
  fillRateLimits(key);
  $("editor").showModal();
  $("ed-name").focus();
}

function toLocalInput(iso) {
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function editorBody() {
  const body = { name: $("ed-name").value.trim() };
  if (editing && editing.kind === "legacy") return body;
  const preset = document.querySelector('input[name="preset"]:checked').value;
  if (preset === "all") { body.graphql = "readwrite"; body.endpoints = { "*": "readwrite" }; }
  else if (preset === "readonly") { body.graphql = "read"; body.endpoints = { "*": "read" }; }
  else {
    body.graphql = $("ed-graphql").value;
    body.endpoints = {};
    if ($("ed-endpoints").value !== "none") body.endpoints["*"] = $("ed-endpoints").value;
    for (const row of $("ed-rows").querySelectorAll(".row")) {
      const [input, select] = row.querySelectorAll("input, select");
      if (input.value.trim()) body.endpoints[input.value.trim()] = select.value;
    }
  }
  const expires = $("ed-expires").value;
  if (expires) body.expiresAt = new Date(expires).toISOString();
  else if (editing && editing.expiresAt) body.expiresAt = null;
  // The server checks and canonicalises the entries; its 400 (naming allowedIps) is shown in the form.
  const allowedIps = $("ed-allowed-ips").value.split(/[\s,]+/).filter((entry) => entry);
  if (allowedIps.length || (editing && editing.allowedIps && editing.allowedIps.length)) body.allowedIps = allowedIps;
  return addRateLimits(body, editing);
}

async function saveEditor(event) {
  event.preventDefault();
  $("ed-error").textContent = "";
  try {
    if (editing) {
      const updated = await api("PATCH", "/admin/keys/" + encodeURIComponent(editing.id), editorBody());
      Object.assign(editing, updated);
      $("editor").close();
      render();
      say(`Saved ${updated.name}.`);
    } else {
      const created = await api("POST", "/admin/keys", editorBody());
      $("editor").close();
      const { key, ...view } = created;
      keys.unshift(view);
      render();
      reveal(key);
    }
  } catch (error) {
    if (error.message !== "unauthorized") $("ed-error").textContent = error.message;
  }
}

function reveal(key) {
  $("reveal-key").value = key;
  $("reveal-copied").textContent = "";
  $("reveal").showModal();
  $("reveal-key").select();
}

async function copyKey() {
  const input = $("reveal-key");
  try { await navigator.clipboard.writeText(input.value); }
  catch { input.select(); document.execCommand("copy"); }
  $("reveal-copied").textContent = "Copied to the clipboard.";
}

function closeReveal() {
  $("reveal-key").value = ""; // the plaintext leaves the page with the dialog
  $("reveal").close();
}

// ---- roll --------------------------------------------------------------------------------------------------

// A rolled key's row says how long it has left (contract §8: it works until its expiresAt, the grace's end).
function expiry(key) {
  if (!key.replacedBy || !key.expiresAt) return when(key.expiresAt);
  const left = new Date(key.expiresAt).getTime() - Date.now();
  if (left <= 0) return "Replaced, expired";
  const minutes = Math.ceil(left / 60000);
  const [count, unit] = minutes < 120 ? [minutes, "minute"] : minutes < 48 * 60 ? [Math.round(minutes / 60), "hour"] : [Math.round(minutes / 1440), "day"];
  return `Replaced, expires in ${count} ${unit}${count === 1 ? "" : "s"}`;
}

let rolling = null;
function openRoll(key) {
  rolling = key;
  $("roll-text").textContent = `${key.name} (${key.prefix}…) gets a new key with the same name and access. Choose how long the old key keeps working, so clients can switch.`;
  $("roll-error").textContent = "";
  document.querySelector('input[name="roll-grace"][value="0"]').checked = true;
  $("roll").showModal();
  $("roll-cancel").focus();
}

async function doRoll(event) {
  event.preventDefault();
  const key = rolling;
  const graceSeconds = Number(document.querySelector('input[name="roll-grace"]:checked').value);
  $("roll-error").textContent = "";
  try {
    const created = await api("POST", "/admin/keys/" + encodeURIComponent(key.id) + "/roll", { graceSeconds });
    // The old key as now stored: replacedBy and its moved expiresAt.
    Object.assign(key, await api("GET", "/admin/keys/" + encodeURIComponent(key.id)));
    $("roll").close();
    const { key: plaintext, ...view } = created;
    keys.unshift(view);
    render();
    say(`Rolled ${key.name}: the old key ${graceSeconds === 0 ? "stopped working" : expiry(key).replace("Replaced, ", "")}.`);
    reveal(plaintext);
  } catch (error) {
    if (error.message !== "unauthorized") $("roll-error").textContent = error.message;
  }
}

// ---- delete ------------------------------------------------------------------------------------------------

let deleting = null;
function confirmDelete(key) {
  deleting = key;
  $("confirm-text").textContent = `${key.name} (${key.prefix}…) stops working at once, on every gateway. This cannot be undone.`;
  $("confirm").showModal();
  $("confirm-cancel").focus();
}

async function doDelete() {
  const key = deleting;
  $("confirm").close();
  try {
    await api("DELETE", "/admin/keys/" + encodeURIComponent(key.id));
    keys = keys.filter((k) => k.id !== key.id);
    render();
    say(`Deleted ${key.name}.`);
  } catch (error) {
    if (error.message !== "unauthorized") say(`Could not delete ${key.name}: ${error.message}`, true);
  }
}

// ---- wiring ------------------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("create").addEventListener("click", () => openEditor(null));
  $("editor-form").addEventListener("submit", saveEditor);
  $("ed-cancel").addEventListener("click", () => $("editor").close());
  $("ed-add-row").addEventListener("click", () => addEndpointRow().focus());
  document.querySelectorAll('input[name="preset"]').forEach((r) => r.addEventListener("change", syncPreset));
  $("reveal-copy").addEventListener("click", copyKey);
  $("reveal-done").addEventListener("click", closeReveal);
  $("reveal").addEventListener("cancel", () => { $("reveal-key").value = ""; });
  $("confirm-cancel").addEventListener("click", () => $("confirm").close());
  $("confirm-delete").addEventListener("click", doDelete);
  $("usage-close").addEventListener("click", () => $("usage").close());
  $("roll-form").addEventListener("submit", doRoll);
  $("roll-cancel").addEventListener("click", () => $("roll").close());
  $("search").addEventListener("input", search);
  $("load-more").addEventListener("click", loadMore);
  if (sessionStorage.getItem(TOKEN)) {
    showKeys().catch(() => {});
  } else {
    $("token").focus();
  }
});
