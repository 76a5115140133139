// BPClient extension background: a service worker in Chromium, an event
// page in Firefox (manifest "background": {"service_worker", "scripts"}).
//
// Each Agent Desktop tab talks to this script through its content script
// over one runtime port ("bpclient-page"). For each such port this script
// opens one native port to bpclient-host, says helper.hello itself with the
// page's origin taken from the port's sender (never from the page), relays
// the page's requests with ids of its own, and passes the agent's answers
// and events back. When the host or the agent goes away it tells the page
// ("helper-disconnected") and reconnects with backoff.
//
// A page the agent refused costs nothing the next times: the refusal is
// remembered per origin (REFUSAL_TTL_MS, or until the user allows the
// domain or the policy changes) and this script answers such pages itself,
// starting no bpclient-host. While the agent has not yet answered for an
// origin, one native port asks for it and the other pages of that origin
// wait for the answer. Pages that are not https, and opaque origins
// (sandboxed documents), are refused here without asking anyone.
//
// The toolbar popup asks the user about a refused domain, shows the
// helper's status and checks (helper.doctor), collects support bundles
// and answers the pages' requests for them (logs.*); for that this script opens short-lived privileged
// native ports (hello without pageOrigin), the only ones on which the
// agent accepts policy.allow.
"use strict";

const api = globalThis.browser ?? globalThis.chrome;

const HOST_NAME = "org.openbpclient.bpclient";
const EXTENSION_VERSION = api.runtime.getManifest().version;
const PAGE_PORT_NAME = "bpclient-page";

const HELLO_TIMEOUT_MS = 10000;
const HELLO_MIN_INTERVAL_MS = 1000;
const REFUSAL_TTL_MS = 60000;
const MAX_REMEMBERED = 256;
const PRIVILEGED_TIMEOUT_MS = 8000;
// A support bundle runs `bpclient logs collect`, which reads the logs and
// lists the devices: give it longer than a question.
const COLLECT_TIMEOUT_MS = 90000;
// The agent's request ids are "logs-<n>".
const LOG_REQUEST_ID = /^logs-[0-9]{1,9}$/;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10000;
const NOT_INSTALLED_RETRY_FIRST_MS = 2000;
const NOT_INSTALLED_RETRY_MAX_MS = 30000;
const MAX_FRAME_BYTES = 1 << 20;

// Error codes of docs/API.md.
const E_INVALID_REQUEST = -32600;
const E_NOT_ALLOWED = -32001;
const E_UPDATE_REQUIRED = -32002;
const E_UNAVAILABLE = -32004;

// Methods a page may never call. The agent refuses them as well; this is
// the first of two locks.
function forbiddenForPage(method) {
  return method === "helper.hello" || method === "policy.allow" ||
    method === "policy.remove" || method.startsWith("relay.") ||
    method === "logs.pending" || method === "logs.collect" || method === "logs.deny";
}

// The reason the browser gives when a native port closes: Chromium puts it
// in runtime.lastError during onDisconnect, Firefox in port.error.
function disconnectReason(port) {
  if (port && port.error && port.error.message) return port.error.message;
  const le = api.runtime.lastError;
  if (le && le.message) return le.message;
  return "";
}

// Maps a browser's native-messaging error text to a page state.
// Chromium: "Specified native messaging host not found.", "Access to the
// specified native messaging host is forbidden.", "Native host has
// exited.", "Failed to start native messaging host.". Firefox says "No
// such native application <name>" both when the manifest is missing and
// when it does not list this extension.
function stateForDisconnect(message) {
  if (/forbidden/i.test(message)) return "helper-blocked";
  if (/not found|no such native application|failed to start/i.test(message)) {
    return "helper-not-installed";
  }
  return "helper-disconnected";
}

function pageError(code, message, data) {
  const e = {code, message};
  if (data !== undefined) e.data = data;
  return e;
}

function frameBytes(obj) {
  return new TextEncoder().encode(JSON.stringify(obj)).length;
}

// OPAQUE is the origin of a document without one of its own: a sandboxed
// page or frame, a data: or blob: URL. It is refused, never mapped to the
// host in its URL.
const OPAQUE = "null";

function senderOrigin(sender) {
  // The document's origin when the browser gives it (Chromium, Firefox
  // 126+): "null" for a sandboxed document even when its URL is https.
  if (typeof sender.origin === "string" && sender.origin !== "") return sender.origin;
  // Older Firefox gives only sender.url, whose origin is the URL's, not the
  // document's; content.js refuses sandboxed documents before they get
  // here. Only http and https URLs have an origin worth naming.
  try {
    const u = new URL(sender.url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.origin : OPAQUE;
  } catch (e) {
    return OPAQUE;
  }
}

// localRefusal is the refusal of an origin that no policy can allow, given
// without asking the agent: the agent refuses plain http and non-origins
// whatever the list says (docs/API.md, "Who may talk to the agent").
function localRefusal(origin) {
  if (origin === OPAQUE) {
    return {reason: "origin-opaque", canAsk: false, message: "not allowed: a sandboxed document has no origin of its own"};
  }
  let u;
  try {
    u = new URL(origin);
  } catch (e) {
    return {reason: "origin-invalid", canAsk: false, message: "not allowed: the page origin is not valid"};
  }
  if (u.protocol !== "https:") {
    return {reason: "origin-not-https", canAsk: false, origin, message: "not allowed: pages must be served over https"};
  }
  return null;
}

function hostOf(origin) {
  try {
    return new URL(origin).hostname;
  } catch (e) {
    return "";
  }
}

function cleanString(v, max) {
  return typeof v === "string" ? v.slice(0, max) : undefined;
}

// ---------------------------------------------------------------------
// Pending permission requests: domains the agent refused with canAsk.

const pendingDomains = new Map(); // domain -> {domain, origins: Set, sessions: Set}
const deniedDomains = new Set(); // denied in the popup since this script started

function updateBadge() {
  const n = pendingDomains.size;
  // The badge is a hint only: errors are ignored.
  const ignore = () => {};
  try {
    Promise.resolve(api.action.setBadgeText({text: n > 0 ? String(n) : ""})).catch(ignore);
    if (n > 0) Promise.resolve(api.action.setBadgeBackgroundColor({color: "#c62828"})).catch(ignore);
  } catch (e) {
    ignore();
  }
}

function addPending(session, domain) {
  if (deniedDomains.has(domain)) return;
  let p = pendingDomains.get(domain);
  if (!p) {
    p = {domain, origins: new Set(), sessions: new Set()};
    pendingDomains.set(domain, p);
  }
  p.origins.add(session.origin);
  p.sessions.add(session);
  updateBadge();
}

function dropPendingSession(session) {
  for (const [domain, p] of pendingDomains) {
    p.sessions.delete(session);
    if (p.sessions.size === 0) pendingDomains.delete(domain);
  }
  updateBadge();
}

// ---------------------------------------------------------------------
// What the agent said about each origin.

// Gate is the admission of one origin: the agent's last refusal (kept for
// REFUSAL_TTL_MS), and the session whose hello is asking while nobody
// knows yet, with the sessions that wait for its answer.
class Gate {
  constructor(origin) {
    this.origin = origin;
    this.refusal = null; // {reason, canAsk, origin, message}
    this.refusedUntil = 0;
    this.allowed = false;
    this.asking = null; // the Session or orphaned port whose hello is out
    this.waiting = new Set();
  }

  refused() {
    if (this.refusal && Date.now() < this.refusedUntil) return this.refusal;
    this.refusal = null;
    return null;
  }

  // decided records the agent's answer to the asking hello and lets the
  // waiting sessions go on: each is refused, or connects itself.
  decided(refusal) {
    this.asking = null;
    if (refusal && ORIGIN_REASONS.has(refusal.reason)) {
      this.allowed = false;
      this.refusal = refusal;
      this.refusedUntil = Date.now() + REFUSAL_TTL_MS;
    } else if (refusal === null) {
      this.allowed = true;
      this.refusal = null;
    }
    // undefined: no answer (the host or the agent went away); nothing known.
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const s of waiting) s.connect();
    forgetIdleGates();
  }

  // adopt keeps the hello of a closing session out until the agent
  // answers, so that a page that disconnects at once still gets its origin
  // decided instead of starting another host at its next connect.
  adopt(port, helloId) {
    this.asking = port;
    const done = (refusal) => {
      if (this.asking !== port) return;
      clearTimeout(timer);
      try {
        port.disconnect();
      } catch (e) {
        // already gone
      }
      this.decided(refusal);
    };
    const timer = setTimeout(() => done(undefined), HELLO_TIMEOUT_MS);
    port.onMessage.addListener((msg) => {
      if (msg && msg.id === helloId) done(refusalOf(msg));
    });
    port.onDisconnect.addListener(() => done(undefined));
  }
}

const gates = new Map(); // origin -> Gate

// The refusals that are about the origin itself, and so hold for every
// page of it until the policy changes.
const ORIGIN_REASONS = new Set(["origin-not-allowed", "origin-not-https", "origin-invalid"]);

function gateFor(origin) {
  let g = gates.get(origin);
  if (!g) {
    forgetIdleGates();
    g = new Gate(origin);
    gates.set(origin, g);
  }
  return g;
}

// Bounded: a page cannot grow this map by visiting many origins.
function forgetIdleGates() {
  if (gates.size < MAX_REMEMBERED) return;
  for (const [origin, g] of gates) {
    if (!g.asking && g.waiting.size === 0) gates.delete(origin);
    if (gates.size < MAX_REMEMBERED / 2) return;
  }
}

// refusalOf reads a hello answer: null when accepted, the refusal when the
// agent refused the page's origin, undefined for any other answer.
function refusalOf(msg) {
  if (msg.result !== undefined && !msg.error) return null;
  const err = msg.error || {};
  const data = err.data || {};
  if (err.code !== E_NOT_ALLOWED || data.reason === "extension-not-allowed") return undefined;
  return {reason: data.reason || "origin-not-allowed", canAsk: data.canAsk === true, origin: data.origin, message: err.message};
}

// forgetRefusals drops remembered refusals (all, or those of domain's
// origins) after the allow-list changed.
function forgetRefusals(domain) {
  for (const g of gates.values()) {
    if (domain === undefined || hostOf(g.origin) === domain) {
      g.refusal = null;
      g.allowed = false;
    }
  }
}

// A tab may start a session at most once per HELLO_MIN_INTERVAL_MS: each
// one may start a host.
const tabHellos = new Map(); // tabId -> time of the last session start

function tabHelloDelay(tabId) {
  const now = Date.now();
  const wait = (tabHellos.get(tabId) || 0) + HELLO_MIN_INTERVAL_MS - now;
  if (wait > 0) return wait;
  if (tabHellos.size >= MAX_REMEMBERED) {
    for (const [id, t] of tabHellos) {
      if (t + HELLO_MIN_INTERVAL_MS <= now) tabHellos.delete(id);
    }
  }
  tabHellos.set(tabId, now);
  return 0;
}

// ---------------------------------------------------------------------
// Page sessions.

const sessions = new Set();

class Session {
  constructor(pagePort, origin, tabId) {
    this.pagePort = pagePort;
    this.origin = origin;
    this.tabId = tabId;
    this.helloParams = {};
    this.native = null;
    this.nextId = 1;
    this.helloId = 0;
    this.calls = new Map(); // native id -> page id
    this.connected = false;
    this.state = {state: "connecting"};
    this.retryMs = 0;
    this.retryTimer = 0;
    this.helloTimer = 0;
    this.closed = false;
    this.helloDelay = 0;
    this.throttle = false;
    this.gate = gateFor(origin);
  }

  toPage(msg) {
    if (this.closed) return;
    try {
      this.pagePort.postMessage(msg);
    } catch (e) {
      this.close();
    }
  }

  setState(st) {
    this.state = st;
    this.toPage({type: "state", ...st});
  }

  // hello from the page: remember its parameters and connect. A second
  // hello (a page that calls connect again, or a new port from the same
  // tab) reconnects, at most once per HELLO_MIN_INTERVAL_MS per tab: each
  // one may start a host process.
  hello(params) {
    params = params || {};
    this.helloParams = {
      client: cleanString(params.client, 200),
      clientVersion: cleanString(params.clientVersion, 100),
      minHelperVersion: cleanString(params.minHelperVersion, 100),
    };
    clearTimeout(this.helloDelay);
    this.throttle = true;
    this.reconnect();
  }

  // refuse answers the page with a refusal without a native port.
  refuse(r) {
    const domain = hostOf(this.origin);
    if (r.canAsk) addPending(this, domain);
    this.setState({
      state: "origin-not-allowed",
      reason: r.reason,
      canAsk: r.canAsk,
      origin: r.origin || this.origin,
      domain,
      denied: deniedDomains.has(domain),
      message: r.message,
    });
  }

  reconnect() {
    this.retryMs = 0;
    this.dropNative();
    this.setState({state: "connecting"});
    this.connect();
  }

  // Opens a native port and says hello. Retries call it directly, so the
  // page keeps seeing the state that made them retry until hello answers.
  connect() {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.connected = false;
    const refusal = localRefusal(this.origin) || this.gate.refused();
    if (refusal) {
      this.refuse(refusal);
      return;
    }
    if (!this.gate.allowed && this.gate.asking && this.gate.asking !== this) {
      this.gate.waiting.add(this); // decided() connects or refuses it
      return;
    }
    if (this.throttle) {
      // The first port of a hello; retries have their own backoff.
      const wait = tabHelloDelay(this.tabId);
      if (wait > 0) {
        this.helloDelay = setTimeout(() => this.connect(), wait);
        return;
      }
      this.throttle = false;
    }
    if (!this.gate.allowed) this.gate.asking = this;
    let port;
    try {
      port = api.runtime.connectNative(HOST_NAME);
    } catch (e) {
      this.nativeGone(null, String((e && e.message) || e));
      return;
    }
    this.native = port;
    port.onMessage.addListener((msg) => this.fromNative(port, msg));
    port.onDisconnect.addListener((p) => this.nativeGone(port, disconnectReason(p)));
    this.helloId = this.nextId++;
    const params = {};
    for (const k of ["client", "clientVersion", "minHelperVersion"]) {
      if (this.helloParams[k] !== undefined) params[k] = this.helloParams[k];
    }
    params.pageOrigin = this.origin; // from the sender, never from the page
    this.postNative({jsonrpc: "2.0", id: this.helloId, method: "helper.hello", params});
    this.helloTimer = setTimeout(() => {
      if (port !== this.native) return;
      this.dropNative();
      this.lost("helper-disconnected", {reason: "hello-timeout", message: "the helper did not answer helper.hello"});
    }, HELLO_TIMEOUT_MS);
  }

  postNative(msg) {
    try {
      this.native.postMessage(msg);
      return true;
    } catch (e) {
      return false;
    }
  }

  // Closes the native port without telling the page.
  dropNative() {
    clearTimeout(this.helloTimer);
    this.helloTimer = 0;
    if (this.gate.asking === this) this.gate.decided(undefined);
    const port = this.native;
    this.native = null;
    this.connected = false;
    if (port) {
      try {
        port.disconnect();
      } catch (e) {
        // already gone
      }
    }
    this.failCalls("the helper went away");
  }

  failCalls(message) {
    for (const pageId of this.calls.values()) {
      this.toPage({type: "response", id: pageId, error: pageError(E_UNAVAILABLE, message, {reason: "disconnected"})});
    }
    this.calls.clear();
  }

  fromNative(port, msg) {
    if (port !== this.native || !msg || typeof msg !== "object") return;
    if (msg.id === this.helloId && this.helloId !== 0) {
      this.helloAnswered(msg);
      return;
    }
    if (msg.id !== undefined && msg.id !== null) {
      const pageId = this.calls.get(msg.id);
      if (pageId === undefined) return;
      this.calls.delete(msg.id);
      const out = {type: "response", id: pageId};
      if (msg.error) out.error = msg.error;
      else out.result = msg.result;
      this.toPage(out);
      if (msg.error && msg.error.code === E_UNAVAILABLE) this.unavailable(msg.error);
      return;
    }
    if (msg.error) {
      // An error without a request id: the host telling us it lost the agent.
      if (msg.error.code === E_UNAVAILABLE) this.unavailable(msg.error);
      return;
    }
    if (typeof msg.method === "string" && this.connected) {
      this.toPage({type: "event", method: msg.method, params: msg.params});
      if (msg.method === "policy.changed") retryRefusedSessions();
      if (msg.method === "popup.action" && msg.params && msg.params.action === "default") this.focusTab();
    }
  }

  // focusTab brings this session's tab and its window to the front: the
  // user clicked the body of a desktop pop-up that the agent sent to this
  // session (docs/API.md, Pop-up events). Neither call needs the "tabs"
  // permission; a tab that has gone is no error.
  async focusTab() {
    if (typeof this.tabId !== "number" || this.tabId < 0) return;
    try {
      const tab = await api.tabs.update(this.tabId, {active: true});
      if (tab && typeof tab.windowId === "number") await api.windows.update(tab.windowId, {focused: true});
    } catch (e) {
      // the tab or its window closed meanwhile
    }
  }

  helloAnswered(msg) {
    clearTimeout(this.helloTimer);
    this.helloTimer = 0;
    this.helloId = 0;
    // An allowed origin asks nobody's leave; its refusal (the policy
    // changed) is remembered all the same.
    if (this.gate.asking === this || this.gate.asking === null) this.gate.decided(refusalOf(msg));
    if (msg.result !== undefined && !msg.error) {
      this.connected = true;
      this.retryMs = 0;
      dropPendingSession(this);
      this.setState({state: "connected", hello: msg.result});
      return;
    }
    const err = msg.error || {};
    const data = err.data || {};
    switch (err.code) {
      case E_NOT_ALLOWED: {
        this.dropNative();
        if (data.reason === "extension-not-allowed") {
          this.setState({state: "helper-blocked", reason: data.reason, message: err.message});
          return;
        }
        this.refuse(refusalOf(msg));
        return;
      }
      case E_UPDATE_REQUIRED:
        this.dropNative();
        this.setState({
          state: "update-required",
          helperVersion: data.helperVersion,
          minHelperVersion: data.minHelperVersion,
          message: err.message,
        });
        return;
      case E_UNAVAILABLE:
        this.unavailable(err);
        return;
      default:
        this.dropNative();
        this.setState({state: "error", code: err.code, message: err.message, data: err.data});
    }
  }

  // -32004 from the host: it cannot reach the agent. Start over with a
  // fresh host, which starts the agent if it can.
  unavailable(err) {
    this.dropNative();
    this.lost("helper-disconnected", {reason: (err.data && err.data.reason) || "unavailable", message: err.message});
  }

  nativeGone(port, message) {
    if (port !== null && port !== this.native) return;
    const wasConnected = this.connected;
    this.native = null;
    this.dropNative();
    const st = wasConnected ? "helper-disconnected" : stateForDisconnect(message);
    this.lost(st, {reason: wasConnected ? "host-exited" : st, message});
  }

  // Reports a lost or failed connection and schedules a retry where one
  // can help.
  lost(state, detail) {
    if (this.closed) return;
    if (this.state.state !== state) this.setState({state, ...detail});
    let first = BACKOFF_FIRST_MS;
    let max = BACKOFF_MAX_MS;
    if (state === "helper-not-installed") {
      first = NOT_INSTALLED_RETRY_FIRST_MS;
      max = NOT_INSTALLED_RETRY_MAX_MS;
    } else if (state !== "helper-disconnected") {
      return; // helper-blocked: only a new connect from the page retries
    }
    this.retryMs = this.retryMs ? Math.min(this.retryMs * 2, max) : first;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
  }

  call(msg) {
    const id = msg.id;
    if (typeof id !== "number" && typeof id !== "string") return;
    const method = msg.method;
    if (typeof method !== "string" || method === "") {
      this.toPage({type: "response", id, error: pageError(E_INVALID_REQUEST, "method must be a non-empty string")});
      return;
    }
    if (forbiddenForPage(method)) {
      this.toPage({type: "response", id, error: pageError(E_NOT_ALLOWED, "not allowed from a page", {reason: "privileged", canAsk: false})});
      return;
    }
    if (!this.connected || !this.native) {
      this.toPage({type: "response", id, error: pageError(E_UNAVAILABLE, "not connected to the helper", {reason: this.state.state})});
      return;
    }
    const nativeId = this.nextId++;
    const out = {jsonrpc: "2.0", id: nativeId, method};
    if (msg.params !== undefined && msg.params !== null) out.params = msg.params;
    if (frameBytes(out) > MAX_FRAME_BYTES) {
      this.toPage({type: "response", id, error: pageError(E_INVALID_REQUEST, "request larger than 1 MiB")});
      return;
    }
    this.calls.set(nativeId, id);
    if (!this.postNative(out)) {
      this.calls.delete(nativeId);
      this.toPage({type: "response", id, error: pageError(E_UNAVAILABLE, "not connected to the helper", {reason: "disconnected"})});
    }
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.helloDelay);
    this.gate.waiting.delete(this);
    if (this.gate.asking === this && this.native && this.helloId !== 0) {
      // The hello is out: let it decide the origin for the next pages.
      clearTimeout(this.helloTimer);
      this.gate.adopt(this.native, this.helloId);
      this.native = null;
    }
    this.dropNative();
    dropPendingSession(this);
    sessions.delete(this);
  }
}

function retryRefusedSessions(domain) {
  forgetRefusals(domain);
  for (const s of sessions) {
    if (s.state.state !== "origin-not-allowed") continue;
    if (domain !== undefined && hostOf(s.origin) !== domain) continue;
    s.reconnect();
  }
}

api.runtime.onConnect.addListener((port) => {
  const sender = port.sender || {};
  if (port.name !== PAGE_PORT_NAME || sender.id !== api.runtime.id || !sender.tab ||
      (sender.frameId !== undefined && sender.frameId !== 0)) {
    port.disconnect();
    return;
  }
  const session = new Session(port, senderOrigin(sender), sender.tab.id);
  sessions.add(session);
  port.onDisconnect.addListener(() => session.close());
  port.onMessage.addListener((msg) => {
    if (!msg || typeof msg !== "object") return;
    switch (msg.type) {
      case "hello":
        session.hello(msg.params);
        break;
      case "call":
        session.call(msg);
        break;
      case "ping":
        break; // keeps this script alive while the page is open
      default:
        break;
    }
  });
});

// ---------------------------------------------------------------------
// Privileged calls, for the extension's own pages only.

// Opens a native port, says hello without pageOrigin, runs the calls in
// order and closes the port. Resolves with the results; rejects with
// {state, message, code?, data?}.
function privileged(calls, timeoutMs = PRIVILEGED_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    let port;
    try {
      port = api.runtime.connectNative(HOST_NAME);
    } catch (e) {
      reject({state: "helper-not-installed", message: String((e && e.message) || e)});
      return;
    }
    const results = [];
    let step = -1; // -1: hello
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        port.disconnect();
      } catch (e) {
        // already gone
      }
      if (err) reject(err);
      else resolve(results);
    };
    const timer = setTimeout(() => finish({state: "helper-disconnected", message: "the helper did not answer"}), timeoutMs);
    const send = () => {
      if (step === -1) {
        port.postMessage({jsonrpc: "2.0", id: 1, method: "helper.hello",
          params: {client: "bpclient-extension", clientVersion: EXTENSION_VERSION}});
        return;
      }
      const c = calls[step];
      port.postMessage({jsonrpc: "2.0", id: step + 2, method: c.method, params: c.params || {}});
    };
    port.onMessage.addListener((msg) => {
      if (!msg || msg.id !== step + 2) return;
      if (msg.error) {
        const data = msg.error.data || {};
        let state = "error";
        if (msg.error.code === E_NOT_ALLOWED) state = data.reason === "extension-not-allowed" ? "helper-blocked" : "not-allowed";
        else if (msg.error.code === E_UNAVAILABLE) state = "helper-disconnected";
        finish({state, code: msg.error.code, message: msg.error.message, data: msg.error.data});
        return;
      }
      if (step >= 0) results.push(msg.result);
      step++;
      if (step >= calls.length) finish(null);
      else send();
    });
    port.onDisconnect.addListener((p) => {
      const message = disconnectReason(p);
      finish({state: stateForDisconnect(message), message: message || "the helper went away"});
    });
    send();
  });
}

function isExtensionPage(sender) {
  return sender && sender.id === api.runtime.id && typeof sender.url === "string" &&
    sender.url.startsWith(api.runtime.getURL(""));
}

function popupView() {
  return {
    extensionVersion: EXTENSION_VERSION,
    pending: [...pendingDomains.values()].map((p) => ({domain: p.domain, origins: [...p.origins]})),
    sessions: [...sessions].map((s) => ({origin: s.origin, state: s.state.state})),
  };
}

async function handleExtensionMessage(msg) {
  switch (msg && msg.type) {
    case "popup:view":
      return {ok: true, view: popupView()};
    case "popup:status": {
      try {
        const [status] = await privileged([{method: "helper.status"}]);
        return {ok: true, status};
      } catch (e) {
        return {ok: false, error: e};
      }
    }
    case "popup:allow": {
      const domain = String(msg.domain || "");
      if (!pendingDomains.has(domain)) return {ok: false, error: {message: "no pending request for " + domain}};
      try {
        const [policy] = await privileged([{method: "policy.allow", params: {domain}}]);
        pendingDomains.delete(domain);
        deniedDomains.delete(domain);
        updateBadge();
        retryRefusedSessions(domain);
        return {ok: true, policy, view: popupView()};
      } catch (e) {
        return {ok: false, error: e};
      }
    }
    case "popup:doctor": {
      try {
        const [report] = await privileged([{method: "helper.doctor"}]);
        return {ok: true, report};
      } catch (e) {
        return {ok: false, error: e};
      }
    }
    case "popup:logs-pending": {
      try {
        const [res] = await privileged([{method: "logs.pending"}]);
        return {ok: true, requests: (res && res.requests) || []};
      } catch (e) {
        return {ok: false, error: e};
      }
    }
    case "popup:logs-collect":
    case "popup:logs-deny": {
      // No requestId: the user's own "Collect logs".
      const params = {};
      if (msg.requestId !== undefined) {
        if (typeof msg.requestId !== "string" || !LOG_REQUEST_ID.test(msg.requestId)) {
          return {ok: false, error: {message: "not a support bundle request"}};
        }
        params.requestId = msg.requestId;
      } else if (msg.type === "popup:logs-deny") {
        return {ok: false, error: {message: "no request to deny"}};
      }
      const method = msg.type === "popup:logs-collect" ? "logs.collect" : "logs.deny";
      const timeout = method === "logs.collect" ? COLLECT_TIMEOUT_MS : PRIVILEGED_TIMEOUT_MS;
      try {
        const [result] = await privileged([{method, params}], timeout);
        return {ok: true, result};
      } catch (e) {
        return {ok: false, error: e};
      }
    }
    case "popup:deny": {
      const domain = String(msg.domain || "");
      const p = pendingDomains.get(domain);
      pendingDomains.delete(domain);
      deniedDomains.add(domain);
      updateBadge();
      if (p) {
        for (const s of p.sessions) {
          if (s.state.state === "origin-not-allowed") s.setState({...s.state, denied: true});
        }
      }
      return {ok: true, view: popupView()};
    }
    default:
      return {ok: false, error: {message: "unknown request"}};
  }
}

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!isExtensionPage(sender)) return false;
  handleExtensionMessage(msg).then(sendResponse, (e) => sendResponse({ok: false, error: {message: String(e)}}));
  return true;
});
