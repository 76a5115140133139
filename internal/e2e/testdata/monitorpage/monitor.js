// A contact center's two pages in miniature, for TestScreenMonitorThroughRealPages.
// ?role=agent offers the agent's screen (screen.monitor.*); ?role=supervisor
// watches it (screen.view.*). The signalling goes through the test server's
// relay: POST /relay/<box> appends a message, GET /relay/<box>?from=n returns
// the messages from index n. The agent writes to "to-supervisor" and reads
// "to-agent"; the supervisor the other way round. Each side sends its SDP
// first and its ICE candidates after it, so the other side can apply them
// in order. The supervisor shows each screen.view.frame in an <img>, copies
// it onto a canvas and acknowledges it; window.monitorPage.lastFrame()
// returns that canvas as a PNG for the test to read its pixels.
"use strict";

(function () {
  const q = new URLSearchParams(window.location.search);
  const role = q.get("role");
  const monitorId = q.get("monitorId") || "m1";
  const viewId = q.get("viewId") || "v1";
  const page = {role, state: "starting", error: null, frames: 0, width: 0, height: 0, received: []};
  window.monitorPage = page;
  document.getElementById("role").textContent = role;

  function fail(what, e) {
    page.error = what + ": " + (e && e.message || e) + (e && e.data ? " " + JSON.stringify(e.data) : "");
    setStatus("failed");
  }
  function setStatus(s) {
    page.state = s;
    document.getElementById("status").textContent = s + (page.error ? " (" + page.error + ")" : "");
  }

  async function post(box, msg) {
    const r = await fetch("/relay/" + box, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(msg)});
    if (!r.ok) throw new Error("relay POST " + box + ": " + r.status);
  }

  // outbox sends the local SDP, then every candidate, in that order,
  // whichever the helper produced first.
  function outbox(box) {
    let sdpSent = false;
    const early = [];
    return {
      async sdp(sdp) {
        await post(box, {sdp});
        sdpSent = true;
        for (const c of early.splice(0)) await post(box, {candidate: c});
      },
      candidate(c) {
        if (!sdpSent) {
          early.push(c);
          return;
        }
        post(box, {candidate: c}).catch((e) => fail("relay candidate", e));
      },
    };
  }

  // inbox hands the other side's messages to handle, one at a time.
  async function inbox(box, handle) {
    let from = 0;
    while (page.state !== "failed" && page.state !== "stopped") {
      const r = await fetch("/relay/" + box + "?from=" + from, {cache: "no-store"});
      if (!r.ok) throw new Error("relay GET " + box + ": " + r.status);
      const msgs = await r.json();
      for (const m of msgs) {
        from++;
        page.received.push(m.sdp ? "sdp" : "candidate");
        await handle(m);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  async function runAgent(bp) {
    const out = outbox("to-supervisor");
    bp.on("screen.monitor.candidate", (p) => p.monitorId === monitorId && out.candidate(p.candidate));
    bp.on("screen.monitor.state", (p) => p.monitorId === monitorId && setStatus("monitor " + p.state));
    const offer = await bp.call("screen.monitor.offer", {monitorId, fps: Number(q.get("fps") || 2), maxWidth: 1920});
    await out.sdp(offer.sdp);
    setStatus("offered");
    await inbox("to-agent", (m) => m.sdp
      ? bp.call("screen.monitor.answer", {monitorId, sdp: m.sdp})
      : bp.call("screen.monitor.candidate", {monitorId, candidate: m.candidate}));
  }

  async function runSupervisor(bp) {
    const out = outbox("to-agent");
    const img = document.getElementById("frame");
    const canvas = document.getElementById("pixels");
    let drawing = Promise.resolve();
    bp.on("screen.view.candidate", (p) => p.viewId === viewId && out.candidate(p.candidate));
    bp.on("screen.view.state", (p) => p.viewId === viewId && setStatus("view " + p.state));
    bp.on("screen.view.frame", (p) => {
      if (p.viewId !== viewId) return;
      // One frame at a time: the helper sends the next once this one is
      // acknowledged.
      drawing = drawing.then(async () => {
        img.src = "data:image/jpeg;base64," + p.jpeg;
        await img.decode();
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        canvas.getContext("2d", {willReadFrequently: true}).drawImage(img, 0, 0);
        page.width = canvas.width;
        page.height = canvas.height;
        page.frames++;
        await bp.call("screen.view.ack", {viewId});
      }).catch((e) => fail("frame", e));
    });
    // The last frame as the page drew it, a PNG data URL.
    page.lastFrame = () => canvas.toDataURL("image/png");
    setStatus("waiting for the offer");
    await inbox("to-supervisor", async (m) => {
      if (m.sdp) {
        const answer = await bp.call("screen.view.start", {viewId, sdp: m.sdp});
        await out.sdp(answer.sdp);
        setStatus("answered");
        return;
      }
      await bp.call("screen.view.candidate", {viewId, candidate: m.candidate});
    });
  }

  const bp = BPClient.connect({client: "monitor-test-" + role, clientVersion: "0.1.0"});
  bp.ready(15000).then(() => {
    setStatus("connected");
    return role === "agent" ? runAgent(bp) : runSupervisor(bp);
  }).catch((e) => fail(role, e));
})();
