// BPClient toolbar popup: asks the user about domains the helper refused
// (with canAsk) and shows the helper's status. Every decision is carried
// out by the background script on a privileged native port; a page can
// neither open this popup's UI nor send it messages.
"use strict";

const api = globalThis.browser ?? globalThis.chrome;

const STATE_TEXT = {
  "helper-not-installed": "The BPClient helper is not installed on this computer.",
  "helper-blocked": "This browser is not allowed to use the BPClient helper.",
  "helper-disconnected": "The BPClient helper is not running.",
  "not-allowed": "The helper refused the request.",
};

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}

function send(msg) {
  return Promise.resolve(api.runtime.sendMessage(msg));
}

function showMessage(text, cls) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.className = cls || "";
}

function describeError(err) {
  if (!err) return "unknown error";
  return STATE_TEXT[err.state] || err.message || String(err);
}

function renderRequests(view) {
  const box = document.getElementById("requests");
  box.replaceChildren();
  for (const p of view.pending) {
    const allow = el("button", {className: "allow", textContent: "Allow"});
    allow.dataset.allow = p.domain;
    const deny = el("button", {className: "deny", textContent: "Deny"});
    deny.dataset.deny = p.domain;
    allow.addEventListener("click", () => decide("popup:allow", p.domain, allow, deny));
    deny.addEventListener("click", () => decide("popup:deny", p.domain, allow, deny));
    const req = el("div", {className: "request"},
      el("div", {}, el("b", {textContent: p.domain}), " wants to use BPClient"),
      el("div", {className: "origin", textContent: p.origins.join(", ")}),
      el("div", {className: "buttons"}, allow, deny));
    req.dataset.domain = p.domain;
    box.append(req);
  }
}

async function decide(type, domain, ...buttons) {
  for (const b of buttons) b.disabled = true;
  const r = await send({type, domain});
  if (r && r.ok) {
    if (type === "popup:allow") {
      document.body.dataset.allowed = domain;
      showMessage(domain + " may now use BPClient.", "ok");
    } else {
      document.body.dataset.denied = domain;
      showMessage(domain + " was denied.", "muted");
    }
    renderRequests(r.view);
  } else {
    for (const b of buttons) b.disabled = false;
    showMessage("Could not allow " + domain + ": " + describeError(r && r.error), "bad");
  }
  refreshStatus();
}

function formatUptime(s) {
  s = Math.floor(s || 0);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

async function refreshStatus() {
  const out = document.getElementById("helper-status");
  const r = await send({type: "popup:status"});
  if (r && r.ok) {
    const st = r.status || {};
    const clients = Array.isArray(st.clients) ? st.clients.length : 0;
    out.className = "ok";
    out.textContent = "Running, version " + st.helperVersion + " (" + st.os + "/" + st.arch +
      "), up " + formatUptime(st.uptimeSeconds) + ", " + clients + " client" + (clients === 1 ? "" : "s") + ".";
    document.body.dataset.helperVersion = st.helperVersion || "";
  } else {
    out.className = "bad";
    out.textContent = describeError(r && r.error);
    document.body.dataset.helperVersion = "";
  }
  document.body.dataset.statusLoaded = "1";
}

async function main() {
  document.getElementById("ext-version").textContent = "extension " + api.runtime.getManifest().version;
  const r = await send({type: "popup:view"});
  if (r && r.ok) renderRequests(r.view);
  document.body.dataset.viewLoaded = "1";
  refreshStatus();
}

main();
