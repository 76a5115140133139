// Demo Agent Desktop: connects through bpclient.js, shows the connection
// state, the hello result, helper.status and every event, and records all
// it received in window.bpDemo.log for tests and the demo runner.
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
})();
