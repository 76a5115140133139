// Demo Agent Desktop: connects through bpclient.js, shows the connection
// state, the hello result, helper.status and every event, runs the
// softphone (configure, register, call, hang up, unregister), and records
// all it received in window.bpDemo.log for tests and the demo runner.
//
// Query parameters: client, clientVersion, minHelperVersion, timeoutMs.
"use strict";

(function () {
  const q = new URLSearchParams(window.location.search);
  const log = [];
  const waiters = new Set();

  const demo = {
    log,
    state: null,
    hello: null,
    status: null,
    // waitFor resolves with {index, entry} for the first log entry at or
    // after index `from` with the given kind (and name: the state or event
    // name), or rejects after timeoutMs with the log so far.
    waitFor(kind, name, from, timeoutMs) {
      from = from || 0;
      const match = (e) => e.kind === kind && (name === undefined || name === null || e.name === name);
      for (let i = from; i < log.length; i++) {
        if (match(log[i])) return Promise.resolve({index: i, entry: log[i]});
      }
      return new Promise((resolve, reject) => {
        const w = {
          check(i) {
            if (i < from || !match(log[i])) return;
            clearTimeout(w.timer);
            waiters.delete(w);
            resolve({index: i, entry: log[i]});
          },
          timer: setTimeout(() => {
            waiters.delete(w);
            reject(new Error("timeout waiting for " + kind + " " + name + "; log: " + JSON.stringify(log)));
          }, timeoutMs || 10000),
        };
        waiters.add(w);
      });
    },
    call(method, params) {
      return client.call(method, params).then(
        (result) => ({result}),
        (e) => ({error: {code: e.code, message: e.message, data: e.data}}));
    },
    // softphone.start(config, to) configures and registers the phone
    // (phone.configure's params), then dials `to`; softphone.register(config)
    // only configures and registers it (the desktop API's makeCall then
    // dials through it); softphone.stop() hangs up and unregisters. Each
    // request and its answer is logged as kind "request". All resolve
    // with {ok: true, ...} or {error}.
    softphone: {
      callId: null,
      registered: false,
      start(config, to) { return settle(startPhone(config, to)); },
      register(config) { return settle(registerPhone(config).then(() => ({registered: true}))); },
      stop() { return settle(stopPhone()); },
    },
  };
  window.bpDemo = demo;

  function record(kind, name, data) {
    const entry = {t: Date.now(), kind, name, data};
    log.push(entry);
    const li = document.createElement("li");
    li.textContent = kind + " " + (name || "") + " " + JSON.stringify(data);
    document.getElementById("log").append(li);
    const i = log.length - 1;
    for (const w of [...waiters]) w.check(i);
  }

  function show(id, value) {
    document.getElementById(id).textContent = JSON.stringify(value, null, 2);
  }

  const opts = {client: q.get("client") || "bpclient-demo", clientVersion: q.get("clientVersion") || "0.1.0"};
  if (q.get("minHelperVersion")) opts.minHelperVersion = q.get("minHelperVersion");
  if (q.get("timeoutMs")) opts.timeoutMs = Number(q.get("timeoutMs"));
  const client = BPClient.connect(opts);
  demo.client = client;

  async function refreshStatus() {
    try {
      const st = await client.call("helper.status");
      demo.status = st;
      show("status", st);
      record("status", "helper.status", st);
    } catch (e) {
      record("error", "helper.status", {code: e.code, message: e.message, data: e.data});
    }
  }

  client.onState((st) => {
    demo.state = st;
    const el = document.getElementById("state");
    el.textContent = st.state;
    el.dataset.state = st.state;
    const detail = Object.assign({}, st);
    delete detail.state;
    delete detail.hello;
    document.getElementById("state-detail").textContent = Object.keys(detail).length ? JSON.stringify(detail) : "";
    record("state", st.state, detail);
    if (st.state === "connected") {
      demo.hello = st.hello;
      show("hello", st.hello);
      record("hello", "helper.hello", st.hello);
      refreshStatus();
    }
  });

  client.on("*", (name, params) => {
    const li = document.createElement("li");
    li.textContent = name + " " + JSON.stringify(params);
    document.getElementById("events").append(li);
    record("event", name, params);
  });

  document.getElementById("refresh").addEventListener("click", refreshStatus);

  // The softphone.

  function settle(p) {
    return p.then((r) => Object.assign({ok: true}, r), (e) => ({error: {code: e.code, message: e.message, data: e.data}}));
  }

  // request calls the helper and logs the request (never the password)
  // with its answer.
  async function request(method, params) {
    const shown = params && params.password ? Object.assign({}, params, {password: "(hidden)"}) : params;
    try {
      const result = await client.call(method, params);
      record("request", method, {params: shown, result});
      return result;
    } catch (e) {
      record("request", method, {params: shown, error: {code: e.code, message: e.message, data: e.data}});
      throw e;
    }
  }

  // nextEvent resolves with the params of the first `name` event that
  // pred accepts, from now on.
  function nextEvent(name, pred, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new Error("no " + name + " within " + timeoutMs + " ms")); }, timeoutMs);
      const off = client.on(name, (params) => {
        if (!pred(params)) return;
        clearTimeout(timer);
        off();
        resolve(params);
      });
    });
  }

  async function registerPhone(config) {
    const form = document.getElementById("phone-form");
    for (const k of ["server", "domain", "username", "password"]) form.elements[k].value = config[k] || "";
    await request("phone.configure", config);
    const registered = nextEvent("registration.state", (p) => p.state === "registered" || p.state === "failed", 15000);
    await request("phone.register");
    const reg = await registered;
    if (reg.state !== "registered") throw new Error("registration " + reg.state + ": " + reg.reason);
  }

  async function startPhone(config, to) {
    document.getElementById("phone-form").elements.to.value = to;
    await registerPhone(config);
    const r = await request("call.dial", {to});
    demo.softphone.callId = r.callId;
    return {callId: r.callId};
  }

  async function stopPhone() {
    const callId = demo.softphone.callId;
    if (callId) {
      const ended = nextEvent("call.state", (p) => p.callId === callId && p.state === "ended", 10000);
      try {
        await request("call.hangup", {callId});
        await ended;
      } catch (e) {
        // The call had already ended (no-such-call): nothing to hang up.
        ended.catch(() => {});
      }
      demo.softphone.callId = null;
    }
    return {registration: await request("phone.unregister")};
  }

  const text = (id, v) => { document.getElementById(id).textContent = v; };
  client.on("registration.state", (p) => {
    demo.softphone.registered = p.state === "registered";
    text("phone-reg", p.state + (p.reason ? " (" + p.reason + ")" : ""));
  });
  client.on("call.state", (p) => text("phone-call", p.state + (p.codec ? " " + p.codec : "") + (p.reason ? " (" + p.reason + ")" : "")));
  client.on("quality.report", (p) => text("phone-quality",
    "MOS " + p.mos.toFixed(2) + ", RTT " + Math.round(p.rttMs) + " ms, jitter " + p.jitterMs.toFixed(1) + " ms, loss " + p.lossPct.toFixed(1) + "%"));
  client.on("call.audio", (p) => text("phone-audio", "no sound device: sending " + p.source));

  document.getElementById("phone-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    demo.softphone.start({server: f.server.value, domain: f.domain.value, username: f.username.value,
      password: f.password.value}, f.to.value);
  });
  document.getElementById("phone-stop").addEventListener("click", () => demo.softphone.stop());

  // The desktop API (docs/DESKTOP-API.md): the page as the Agent Desktop
  // of local applications. A makeCall dials through the softphone when
  // this page registered it: the answer comes once the call is placed,
  // call.initiated when it is set up (connected) and call.released when
  // it ends (followCalls; a call that fails before it is set up, busy or
  // not found, is only released, with the reason). Without the softphone
  // the page stands
  // for the contact center's call with an interaction of its own,
  // initiated at once and released by desktop.release. Recording is a
  // pair of flags. Each request is logged as kind "desktop".
  let interactions = 0;
  const recording = {voice: true, screen: true};
  const publish = (event, params) => desktopProvider && desktopProvider.publish(event, params).catch(() => {});
  let desktopProvider = null;
  const calls = followCalls(client);
  const handlers = {
    async makeCall(params, app) {
      record("desktop", "makeCall", {params, app});
      const interactionId = "i" + (++interactions);
      if (!demo.softphone.registered) {
        publish("call.initiated", {interactionId, number: params.number, callId: null});
        return {interactionId, callId: null};
      }
      const {callId} = await request("call.dial", {to: params.number});
      demo.softphone.callId = callId;
      calls.watch(callId, {
        connected(st) { publish("call.initiated", {interactionId, number: params.number, callId, codec: st.codec}); },
        ended(st) {
          if (demo.softphone.callId === callId) demo.softphone.callId = null;
          publish("call.released", {interactionId, callId, reason: st.reason});
        },
      });
      return {interactionId, callId};
    },
    pauseRecording(params, app) { return setRecording(params, app, false); },
    resumeRecording(params, app) { return setRecording(params, app, true); },
    status(params, app) {
      record("desktop", "status", {app});
      return {interactions, recording};
    },
  };
  function setRecording(params, app, on) {
    record("desktop", on ? "resumeRecording" : "pauseRecording", {params, app});
    if (params.voice) recording.voice = on;
    if (params.screen) recording.screen = on;
    publish(on ? "recording.resumed" : "recording.paused", {voice: params.voice, screen: params.screen});
    return Object.assign({}, recording);
  }
  // followCalls follows the softphone's calls by callId for makeCall:
  // watch(callId, {connected, ended}) calls connected(state) the first
  // time the call is connected and ended(state) when it ends. A call may
  // change before call.dial's answer names it, so the states of calls
  // nobody watches yet are kept (the last few calls only).
  function followCalls(client) {
    const keep = 16;
    const early = new Map(); // callId -> [call.state params]
    const watchers = new Map(); // callId -> fn(call.state params)
    client.on("call.state", (p) => {
      const w = watchers.get(p.callId);
      if (w) return w(p);
      if (!early.has(p.callId)) {
        if (early.size >= keep) early.delete(early.keys().next().value);
        early.set(p.callId, []);
      }
      early.get(p.callId).push(p);
    });
    return {
      watch(callId, on) {
        let connected = false;
        const w = (p) => {
          if (p.state === "connected" && !connected) {
            connected = true;
            on.connected(p);
          } else if (p.state === "ended") {
            watchers.delete(callId);
            on.ended(p);
          }
        };
        watchers.set(callId, w);
        const before = early.get(callId) || [];
        early.delete(callId);
        for (const p of before) w(p);
      },
    };
  }
  demo.desktop = {
    // attach(agent, replace) makes this page the Agent Desktop.
    attach(agent, replace) {
      return settle(client.attachDesktop(agent, handlers, {replace}).then((p) => {
        desktopProvider = p;
        text("desktop-state", "attached as " + agent.name + " (" + p.functions.join(", ") + ")");
        return {functions: p.functions};
      }));
    },
    // release(interactionId) ends an interaction: call.released.
    release(interactionId) {
      return settle(Promise.resolve(publish("call.released", {interactionId})));
    },
    detach() {
      const p = desktopProvider;
      desktopProvider = null;
      text("desktop-state", "not attached");
      return settle(p ? p.detach() : Promise.resolve({}));
    },
  };
  client.on("desktop.detached", (p) => text("desktop-state", "detached (" + p.reason + ")"));
  document.getElementById("desktop-attach").addEventListener("click", () => {
    const f = document.getElementById("desktop-form").elements;
    demo.desktop.attach({id: f.agentId.value, name: f.agentName.value, extension: f.agentExtension.value}, f.replace.checked);
  });
})();
