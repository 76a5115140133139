// BPClient toolbar popup: the helper's checks (helper.doctor), each as a
// green, amber or red light with what was found and the fix. The
// background script asks the agent on a privileged native port; the
// report the extension gets names no files (docs/API.md, helper.doctor).
"use strict";

const CHECK_STATUSES = new Set(["ok", "warning", "failed"]);

const SUMMARY_TEXT = {
  ok: "Everything the helper checks is fine.",
  warning: "The helper works, but something needs attention.",
  failed: "Something keeps the helper from working.",
};

// Worst first, so that what to fix is on top; the agent's order otherwise.
const STATUS_RANK = {failed: 0, warning: 1, ok: 2};

function renderCheck(c) {
  const status = CHECK_STATUSES.has(c.status) ? c.status : "warning";
  const text = el("div", {className: "text"},
    el("div", {className: "title", textContent: c.title || c.id}),
    el("div", {className: "found", textContent: c.found || ""}));
  if (status !== "ok" && c.fix) text.append(el("div", {className: "fix", textContent: c.fix}));
  const li = el("li", {className: "check " + status},
    el("span", {className: "light", title: status}), text);
  li.dataset.checkId = c.id || "";
  li.dataset.status = status;
  return li;
}

function renderChecks(report) {
  const list = document.getElementById("checks");
  const checks = Array.isArray(report.checks) ? report.checks.slice() : [];
  checks.sort((a, b) => (STATUS_RANK[a.status] ?? 1) - (STATUS_RANK[b.status] ?? 1));
  list.replaceChildren(...checks.map(renderCheck));
  const summary = document.getElementById("doctor-summary");
  const status = CHECK_STATUSES.has(report.status) ? report.status : "warning";
  summary.className = status === "ok" ? "ok" : "bad";
  summary.textContent = SUMMARY_TEXT[status];
  document.body.dataset.doctorStatus = status;
}

async function refreshChecks() {
  const r = await send({type: "popup:doctor"});
  if (r && r.ok) {
    renderChecks(r.report || {});
  } else {
    document.getElementById("checks").replaceChildren();
    const summary = document.getElementById("doctor-summary");
    summary.className = "bad";
    summary.textContent = describeError(r && r.error);
    document.body.dataset.doctorStatus = "";
  }
  document.body.dataset.doctorLoaded = "1";
}

refreshChecks();
