// bpclient.js: the Agent Desktop page's side of BPClient.
//
// Load it with a <script> tag; it defines the global BPClient.
//
//   const bp = BPClient.connect({client: "agent-desktop", clientVersion: "5.2.0",
//                                minHelperVersion: "0.1.0"});
//   bp.onState((s) => show(s.state));          // "connected", "helper-not-installed", ...
//   bp.on("helper.clientsChanged", (params) => ...);
//   const status = await bp.call("helper.status");
//
// It talks to the BPClient extension's content script with
// window.postMessage and turns every failure into one of the named states
// in BPClient.States. See docs/EXTENSION.md.
(function (global) {
  "use strict";

  const States = Object.freeze({
    CONNECTING: "connecting",
    CONNECTED: "connected",
    EXTENSION_MISSING: "extension-missing",
    HELPER_NOT_INSTALLED: "helper-not-installed",
    HELPER_BLOCKED: "helper-blocked",
    HELPER_DISCONNECTED: "helper-disconnected",
    UPDATE_REQUIRED: "update-required",
    ORIGIN_NOT_ALLOWED: "origin-not-allowed",
    ERROR: "error",
    CLOSED: "closed",
  });

  const E_UNAVAILABLE = -32004;
  // A page handler's failure without a code of its own (docs/DESKTOP-API.md).
  const E_DESKTOP_HANDLER = 1;
  const DEFAULT_TIMEOUT_MS = 3000;
  const DEFAULT_CALL_TIMEOUT_MS = 30000;
  const PROBE_INTERVAL_MS = 100;

  // BPClientError is what call() rejects with: code and data are the
  // JSON-RPC error's (docs/API.md); state is the connection state then.
  class BPClientError extends Error {
    constructor(message, code, data, state) {
      super(message);
      this.name = "BPClientError";
      this.code = code;
      this.data = data;
      this.state = state;
    }
  }

  function post(msg) {
    msg.bpclient = "page";
    global.postMessage(msg, global.location.origin);
  }

  class Client {
    constructor(opts) {
      opts = opts || {};
      this._params = {
        client: opts.client,
        clientVersion: opts.clientVersion,
        minHelperVersion: opts.minHelperVersion,
      };
      this._timeoutMs = opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_TIMEOUT_MS;
      this._state = {state: States.CONNECTING};
      this._stateFns = new Set();
      this._eventFns = new Map(); // name or "*" -> Set of fns
      this._calls = new Map(); // id -> {resolve, reject, timer}
      this._nextId = 1;
      this._present = false;
      this._probeTimer = 0;
      this._missingTimer = 0;
      this._onMessage = (ev) => this._receive(ev);
      this.extensionVersion = "";
      this.hello = null;
    }

    // The current state object: {state, ...details}.
    get state() {
      return this._state;
    }

    get connected() {
      return this._state.state === States.CONNECTED;
    }

    _start() {
      global.addEventListener("message", this._onMessage);
      const probe = () => post({type: "probe"});
      probe();
      this._probeTimer = global.setInterval(probe, PROBE_INTERVAL_MS);
      this._missingTimer = global.setTimeout(() => {
        global.clearInterval(this._probeTimer);
        if (!this._present) {
          this._setState({state: States.EXTENSION_MISSING, message: "the BPClient extension did not answer"});
        }
      }, this._timeoutMs);
    }

    _receive(ev) {
      if (ev.source !== global) return;
      const d = ev.data;
      if (!d || typeof d !== "object" || d.bpclient !== "ext") return;
      switch (d.type) {
        case "present":
          if (this._present || this._state.state === States.CLOSED) return;
          this._present = true;
          this.extensionVersion = d.extensionVersion || "";
          global.clearInterval(this._probeTimer);
          global.clearTimeout(this._missingTimer);
          post({type: "connect", params: this._params});
          return;
        case "state": {
          const st = Object.assign({}, d);
          delete st.bpclient;
          delete st.type;
          this._setState(st);
          return;
        }
        case "response":
          this._settle(d);
          return;
        case "event":
          this._emit(d.method, d.params);
          return;
        default:
          return;
      }
    }

    _setState(st) {
      if (this._state.state === States.CLOSED) return;
      if (JSON.stringify(st) === JSON.stringify(this._state)) return; // nothing new
      if (st.state === States.CONNECTED) this.hello = st.hello || null;
      this._state = Object.freeze(st);
      if (st.state !== States.CONNECTED) {
        this._failCalls(st);
      }
      for (const fn of [...this._stateFns]) {
        try {
          fn(this._state);
        } catch (e) {
          global.setTimeout(() => {
            throw e;
          });
        }
      }
    }

    _failCalls(st) {
      for (const [id, c] of this._calls) {
        global.clearTimeout(c.timer);
        c.reject(new BPClientError("not connected to the helper (" + st.state + ")", E_UNAVAILABLE, {reason: st.state}, st.state));
        this._calls.delete(id);
      }
    }

    _settle(d) {
      const c = this._calls.get(d.id);
      if (!c) return;
      this._calls.delete(d.id);
      global.clearTimeout(c.timer);
      if (d.error) {
        const e = d.error;
        c.reject(new BPClientError(e.message || "error " + e.code, e.code, e.data, this._state.state));
      } else {
        c.resolve(d.result);
      }
    }

    _emit(name, params) {
      for (const key of [name, "*"]) {
        const fns = this._eventFns.get(key);
        if (!fns) continue;
        for (const fn of [...fns]) {
          try {
            if (key === "*") fn(name, params);
            else fn(params);
          } catch (e) {
            global.setTimeout(() => {
              throw e;
            });
          }
        }
      }
    }

    // call sends a request to the helper and resolves with its result, or
    // rejects with a BPClientError. opts.timeoutMs (default 30 s) bounds
    // the wait.
    call(method, params, opts) {
      if (!this.connected) {
        const st = this._state.state;
        return Promise.reject(new BPClientError("not connected to the helper (" + st + ")", E_UNAVAILABLE, {reason: st}, st));
      }
      const timeoutMs = opts && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_CALL_TIMEOUT_MS;
      const id = this._nextId++;
      return new Promise((resolve, reject) => {
        const timer = global.setTimeout(() => {
          this._calls.delete(id);
          reject(new BPClientError(method + ": no answer within " + timeoutMs + " ms", E_UNAVAILABLE, {reason: "timeout"}, this._state.state));
        }, timeoutMs);
        this._calls.set(id, {resolve, reject, timer});
        post({type: "call", id, method, params});
      });
    }

    // on subscribes to an event by name (or "*" for all: fn(name, params)).
    // It returns a function that unsubscribes.
    on(name, fn) {
      let fns = this._eventFns.get(name);
      if (!fns) {
        fns = new Set();
        this._eventFns.set(name, fns);
      }
      fns.add(fn);
      return () => fns.delete(fn);
    }

    // onState calls fn with the current state now and with every new one.
    // It returns a function that unsubscribes.
    onState(fn) {
      this._stateFns.add(fn);
      try {
        fn(this._state);
      } catch (e) {
        global.setTimeout(() => {
          throw e;
        });
      }
      return () => this._stateFns.delete(fn);
    }

    // ready resolves with the hello result once connected, or rejects with
    // a BPClientError after timeoutMs (no timeout if absent).
    ready(timeoutMs) {
      if (this.connected) return Promise.resolve(this.hello);
      return new Promise((resolve, reject) => {
        let timer = 0;
        const off = this.onState((st) => {
          if (st.state !== States.CONNECTED) return;
          global.clearTimeout(timer);
          global.setTimeout(() => off());
          resolve(st.hello);
        });
        if (timeoutMs > 0) {
          timer = global.setTimeout(() => {
            off();
            const st = this._state.state;
            reject(new BPClientError("not connected after " + timeoutMs + " ms (" + st + ")", E_UNAVAILABLE, {reason: st}, st));
          }, timeoutMs);
        }
      });
    }

    // attachDesktop makes this page the Agent Desktop of the desktop API:
    // agent is {id, name, extension}; handlers maps each function the
    // page offers ("makeCall", "pauseRecording", "resumeRecording",
    // "status") to fn(params, app) returning the result or a promise of
    // it; a rejection's {code, message} is the application's error.
    // opts.replace takes over from another attached tab. Resolves with
    // the DesktopProvider once attached; it re-attaches after reconnects.
    attachDesktop(agent, handlers, opts) {
      const p = new DesktopProvider(this, agent, handlers || {}, opts && opts.replace);
      return p.attach().then(() => p, (e) => {
        for (const off of p._offs) off();
        throw e;
      });
    }

    // close ends the session; the client cannot be reused.
    close() {
      if (this._state.state === States.CLOSED) return;
      global.clearInterval(this._probeTimer);
      global.clearTimeout(this._missingTimer);
      if (this._present) post({type: "disconnect"});
      this._setState({state: States.CLOSED});
      global.removeEventListener("message", this._onMessage);
      this._stateFns.clear();
      this._eventFns.clear();
    }
  }

  // DesktopProvider is this page attached as the Agent Desktop of the
  // desktop API (docs/DESKTOP-API.md): it answers the local applications'
  // requests with the page's handlers and publishes the page's
  // interaction events to them. Client.attachDesktop makes one.
  class DesktopProvider {
    constructor(client, agent, handlers, replace) {
      this._client = client;
      this._attach = {agent, functions: Object.keys(handlers), replace: !!replace};
      this._handlers = handlers;
      this.attached = false;
      this.functions = [];
      this._offs = [
        client.on("desktop.request", (req) => this._answer(req)),
        client.on("desktop.detached", () => {
          this.attached = false;
        }),
        // The helper restarted or the extension reconnected: a new
        // session is not attached until it says so again.
        client.onState((st) => {
          if (st.state !== States.CONNECTED) this.attached = false;
          else if (!this.attached && this._started) this.attach().catch(() => {});
        }),
      ];
    }

    // attach (again) with the agent and handlers given; resolves with the
    // helper's answer {attached, functions}.
    attach() {
      this._started = true;
      return this._client.call("desktop.attach", this._attach).then((r) => {
        this.attached = true;
        this.functions = r.functions;
        return r;
      });
    }

    // publish sends an interaction event (call.initiated, call.incoming,
    // call.released, recording.started/stopped/paused/resumed) to every
    // application.
    publish(event, params) {
      return this._client.call("desktop.publish", {event, params: params || {}});
    }

    // detach stops answering; the page may attachDesktop again later.
    detach() {
      for (const off of this._offs) off();
      this._offs = [];
      this._started = false;
      this.attached = false;
      return this._client.call("desktop.detach");
    }

    _answer(req) {
      if (!req || typeof req.requestId !== "string") return;
      const handler = this._handlers[req.method];
      const reply = (answer) => {
        this._client.call("desktop.respond", Object.assign({requestId: req.requestId}, answer)).catch(() => {});
      };
      if (typeof handler !== "function") {
        reply({error: {code: E_DESKTOP_HANDLER, message: "the Agent Desktop does not handle " + req.method}});
        return;
      }
      Promise.resolve()
        .then(() => handler(req.params || {}, req.app || {}))
        .then(
          (result) => reply({result: result === undefined || result === null ? {} : result}),
          (e) => reply({error: {code: (e && Number.isInteger(e.code) && e.code !== 0) ? e.code : E_DESKTOP_HANDLER,
            message: String((e && e.message) || e)}}));
    }
  }

  // connect starts a client and returns it at once; watch onState. One
  // client per page: the extension keeps one session per tab.
  function connect(opts) {
    const c = new Client(opts);
    c._start();
    return c;
  }

  global.BPClient = Object.freeze({connect, States, BPClientError, version: "0.1.0"});
})(globalThis);
