// BPClient toolbar popup: support bundles. "Collect logs" saves one to the
// user's Downloads folder; pages that asked for one (logs.request) are
// listed with Allow and Deny. Only this popup, an extension page, can have
// a bundle written: the background script answers these requests for the
// extension's own pages only, and the agent takes logs.collect from the
// user's clients only.
"use strict";

function showCollectResult(text, cls) {
  const m = document.getElementById("collect-result");
  m.textContent = text;
  m.className = cls || "";
}

function renderLogRequests(requests) {
  const box = document.getElementById("log-requests");
  box.replaceChildren();
  for (const q of requests) {
    const allow = el("button", {className: "allow", textContent: "Allow"});
    const deny = el("button", {className: "deny", textContent: "Deny"});
    allow.dataset.logsAllow = q.requestId;
    deny.dataset.logsDeny = q.requestId;
    allow.addEventListener("click", () => decideLogs("popup:logs-collect", q, allow, deny));
    deny.addEventListener("click", () => decideLogs("popup:logs-deny", q, allow, deny));
    const req = el("div", {className: "request"},
      el("div", {}, el("b", {textContent: q.origin}), " asks for the helper's logs"),
      el("div", {className: "origin", textContent: "They name the numbers you called. Allow only if support asked you."}),
      el("div", {className: "buttons"}, allow, deny));
    req.dataset.logsRequest = q.requestId;
    box.append(req);
  }
  document.body.dataset.logRequests = String(requests.length);
}

async function refreshLogRequests() {
  const r = await send({type: "popup:logs-pending"});
  renderLogRequests(r && r.ok && Array.isArray(r.requests) ? r.requests : []);
  document.body.dataset.logRequestsLoaded = "1";
}

function savedText(res) {
  return "Saved " + res.fileName + " in your Downloads folder.";
}

async function decideLogs(type, q, ...buttons) {
  for (const b of buttons) b.disabled = true;
  if (type === "popup:logs-collect") showCollectResult("Collecting logs for " + q.origin + "…", "muted");
  const r = await send({type, requestId: q.requestId});
  if (r && r.ok) {
    if (type === "popup:logs-collect") {
      document.body.dataset.logsSaved = r.result.fileName || "";
      showCollectResult(savedText(r.result) + " " + q.origin + " was told its name.", "ok");
    } else {
      document.body.dataset.logsDenied = q.requestId;
      showCollectResult(q.origin + " was denied the logs.", "muted");
    }
  } else {
    showCollectResult("Could not answer " + q.origin + ": " + describeError(r && r.error), "bad");
  }
  refreshLogRequests();
}

async function collectLogs(button) {
  button.disabled = true;
  showCollectResult("Collecting logs…", "muted");
  const r = await send({type: "popup:logs-collect"});
  if (r && r.ok) {
    document.body.dataset.logsSaved = r.result.fileName || "";
    showCollectResult(savedText(r.result), "ok");
  } else {
    showCollectResult("Could not collect logs: " + describeError(r && r.error), "bad");
  }
  button.disabled = false;
}

document.getElementById("collect-logs").addEventListener("click", (e) => collectLogs(e.currentTarget));
refreshLogRequests();
