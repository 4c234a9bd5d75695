// Live set view: tails /api/live/events (server-sent events) and shows the open set's rep count, the heart
// rate and the rest since the last set. No dependencies; nothing is fetched from outside this server.
"use strict";
(function () {
  const root = document.getElementById("live");
  const $ = (id) => document.getElementById(id);
  const state = { count: 0, inSet: false, setNo: 0, restFromNs: null, clockNs: null, clockAtMs: 0, session: null,
    resumed: false };
  const endedSession = Number(root.dataset.endedSession || 0);  // the last recording, already finished

  function nowNs() {
    // The event clock (recorder time), advanced locally between events.
    return state.clockNs === null ? null : state.clockNs + (Date.now() - state.clockAtMs) * 1e6;
  }

  function fmtRest(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function render() {
    $("rep-count").textContent = String(state.count);
    $("set-label").textContent = state.inSet ? "Set " + state.setNo : state.setNo ? "Resting after set " + state.setNo : "Waiting for a set";
    $("count-sub").textContent = state.count === 1 ? "rep" : "reps";
    root.classList.toggle("in-set", state.inSet);
  }

  function tick() {
    const now = nowNs();
    $("rest-timer").textContent = !state.inSet && state.restFromNs !== null && now !== null
      ? fmtRest((now - state.restFromNs) / 1e9) : "–";
  }

  function apply(row) {
    if (state.session !== row.session_id) {  // a new recording: start over
      Object.assign(state, { count: 0, inSet: false, setNo: 0, restFromNs: null, session: row.session_id, resumed: false });
    }
    state.clockNs = row.t_ns;
    state.clockAtMs = Date.now();
    const p = row.payload || {};
    if (row.kind === "hr") {
      $("hr-value").textContent = String(p.bpm);
    } else if (row.kind === "set_started") {
      Object.assign(state, { inSet: true, count: 0, setNo: state.setNo + 1, restFromNs: null, resumed: false });
    } else if (row.kind === "rep_retracted" && p.count === 0) {  // the provisional reps were not a set
      if (state.inSet) Object.assign(state, { inSet: false, setNo: Math.max(0, state.setNo - 1) });
      state.count = 0;
    } else if (row.kind === "rep" || row.kind === "rep_retracted") {
      if (p.resumed && !state.resumed) {  // the last set goes on after a rest-pause: its number, its reps counted on
        if (state.inSet) state.setNo = Math.max(1, state.setNo - 1);
        Object.assign(state, { inSet: true, resumed: true, restFromNs: null });
      } else if (!state.inSet) Object.assign(state, { inSet: true, setNo: state.setNo + 1 });
      state.count = typeof p.count === "number" ? p.count : state.count + (row.kind === "rep" ? 1 : -1);
    } else if (row.kind === "set_ended") {
      const reps = typeof p.reps === "number" ? p.reps : state.count;
      $("last-set").textContent = "Last set: " + reps + (reps === 1 ? " rep" : " reps") + ".";
      Object.assign(state, { inSet: false, count: reps, restFromNs: row.t_ns, resumed: false });
    }
    if (row.session_id === endedSession) {
      Object.assign(state, { inSet: false, restFromNs: null });
      $("live-status").textContent = "No recording in progress: showing the end of the last one.";
    } else if (state.session !== null) {
      $("live-status").textContent = "Recording: counting as you lift.";
    }
    render();
    tick();
  }

  function connect() {
    const source = new EventSource("/api/live/events?after=" + encodeURIComponent(root.dataset.after || "0"));
    const handle = (e) => {
      const row = JSON.parse(e.data);
      root.dataset.after = String(row.id);
      apply(row);
    };
    ["set_started", "rep", "rep_retracted", "set_ended", "hr", "message"].forEach((k) => source.addEventListener(k, handle));
    source.onopen = () => { $("live-status").textContent = "Connected: waiting for the recorder."; };
    source.onerror = () => { $("live-status").textContent = "Reconnecting…"; };
  }

  render();
  setInterval(tick, 250);
  connect();
})();
