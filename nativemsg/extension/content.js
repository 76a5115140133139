// BPClient content script: a bridge between the page (window.postMessage)
// and the extension's background script (one runtime port per page).
//
// It runs on every http and https page but stays dormant: it only listens
// for messages tagged {bpclient: "page"} from the page itself and touches
// nothing else. The background script, not this script and not the page,
// decides which origin the helper is told about.
(() => {
  "use strict";

  const api = globalThis.browser ?? globalThis.chrome;
  const VERSION = api.runtime.getManifest().version;
  const PORT_NAME = "bpclient-page";
  const KEEPALIVE_MS = 20000;
  const RETRY_FIRST_MS = 250;
  const RETRY_MAX_MS = 5000;

  // A sandboxed document (CSP sandbox, an iframe's sandbox attribute, a
  // data: or blob: URL) has an opaque origin even when its URL is https:
  // it must never be taken for the host in its URL. window.origin is the
  // document's origin; location.origin is only the URL's.
  const OPAQUE = (() => {
    try {
      return window.origin === "null" || window.location.origin === "null";
    } catch (e) {
      return true;
    }
  })();
  const OPAQUE_REFUSAL = {type: "state", state: "origin-not-allowed", reason: "origin-opaque", canAsk: false,
    message: "not allowed: a sandboxed document has no origin of its own"};

  let port = null;
  let helloParams = null; // set once the page asked to connect
  let keepalive = 0;
  let retryTimer = 0;
  let retryMs = 0;

  function toPage(msg) {
    msg.bpclient = "ext";
    // An opaque document matches no target origin but "*"; the message
    // still goes to this window only.
    window.postMessage(msg, OPAQUE ? "*" : window.location.origin);
  }

  function extensionAlive() {
    try {
      return Boolean(api.runtime && api.runtime.id);
    } catch (e) {
      return false;
    }
  }

  function openPort() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (!extensionAlive()) {
      toPage({type: "state", state: "extension-missing", reason: "extension-unloaded"});
      return;
    }
    try {
      port = api.runtime.connect({name: PORT_NAME});
    } catch (e) {
      port = null;
      toPage({type: "state", state: "extension-missing", reason: "extension-unloaded"});
      return;
    }
    const p = port;
    p.onMessage.addListener((msg) => {
      if (p !== port || !msg || typeof msg !== "object") return;
      if (msg.type === "state" && msg.state === "connected") retryMs = 0;
      toPage(msg);
    });
    p.onDisconnect.addListener(() => {
      if (p !== port) return;
      port = null;
      clearInterval(keepalive);
      // The background script restarted or the extension was reloaded.
      toPage({type: "state", state: "helper-disconnected", reason: "extension-restarted"});
      retryMs = retryMs ? Math.min(retryMs * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
      retryTimer = setTimeout(openPort, retryMs);
    });
    clearInterval(keepalive);
    keepalive = setInterval(() => {
      try {
        if (port) port.postMessage({type: "ping"});
      } catch (e) {
        // onDisconnect handles it
      }
    }, KEEPALIVE_MS);
    p.postMessage({type: "hello", params: helloParams});
  }

  function closePort() {
    clearTimeout(retryTimer);
    clearInterval(keepalive);
    const p = port;
    port = null;
    helloParams = null;
    if (p) {
      try {
        p.disconnect();
      } catch (e) {
        // already gone
      }
    }
  }

  function str(v) {
    return typeof v === "string" ? v : undefined;
  }

  // A plain JSON copy made in this script's own world (page objects reach
  // Firefox content scripts through wrappers).
  function jsonCopy(v) {
    if (v === undefined) return undefined;
    const s = JSON.stringify(v);
    return s === undefined ? undefined : JSON.parse(s);
  }

  window.addEventListener("message", (ev) => {
    if (ev.source !== window) return;
    const d = ev.data;
    if (!d || typeof d !== "object" || d.bpclient !== "page") return;
    switch (d.type) {
      case "probe":
        toPage({type: "present", extensionVersion: VERSION});
        break;
      case "connect": {
        if (OPAQUE) {
          toPage({...OPAQUE_REFUSAL});
          return;
        }
        const p = d.params || {};
        helloParams = {client: str(p.client), clientVersion: str(p.clientVersion), minHelperVersion: str(p.minHelperVersion)};
        if (port) port.postMessage({type: "hello", params: helloParams});
        else openPort();
        break;
      }
      case "call": {
        const id = d.id;
        if (typeof id !== "number" && typeof id !== "string") return;
        if (!port) {
          toPage({type: "response", id, error: {code: -32004, message: "not connected to the helper", data: {reason: "not-connected"}}});
          return;
        }
        // Only these members cross; anything else the page adds is dropped.
        let params;
        try {
          params = jsonCopy(d.params);
        } catch (e) {
          toPage({type: "response", id, error: {code: -32602, message: "params are not JSON"}});
          return;
        }
        port.postMessage({type: "call", id, method: str(d.method), params});
        break;
      }
      case "disconnect":
        closePort();
        break;
      default:
        break;
    }
  });
})();
