// plantwise workspace: the live parts of the pages (everything works without them, but live progress).
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") return Math.abs(v) >= 1000 ? v.toLocaleString("en-US", {maximumFractionDigits: 2}) : String(+v.toPrecision(6));
    return String(v);
  }
  function pct(v) { return (typeof v === "number") ? (100 * v).toFixed(3) + " %" : "–"; }

  // generator options and method parameters: show the fieldset of the chosen family / method
  function switcher(selectSel, groupSel, attr) {
    $$(selectSel).forEach((select) => {
      const form = select.form;
      const update = () => $$(groupSel, form).forEach((fs) => {
        const on = fs.dataset[attr] === select.value;
        fs.hidden = !on;
        $$("input,select", fs).forEach((el) => { el.disabled = !on; });
      });
      select.addEventListener("change", update);
      update();
    });
  }
  switcher(".family-switch", ".family-options", "family");
  switcher(".method-switch", ".method-options", "method");

  // scenario cell editing
  const editsField = $("#edits");
  if (editsField) {
    const edits = new Map();
    $$("table.editable td[data-row]").forEach((td) => {
      td.contentEditable = "true";
      td.dataset.original = td.textContent;
      td.addEventListener("input", () => {
        const key = td.closest("table").dataset.table + "\u0000" + td.dataset.row + "\u0000" + td.dataset.column;
        const value = td.textContent.trim();
        if (value === td.dataset.original) { edits.delete(key); td.classList.remove("edited"); }
        else { edits.set(key, {table: td.closest("table").dataset.table, row: +td.dataset.row, column: td.dataset.column, value: value}); td.classList.add("edited"); }
        editsField.value = JSON.stringify(Array.from(edits.values()));
        $("#edit-count").textContent = edits.size + " cell(s) edited";
      });
      td.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); td.blur(); } });
    });
  }

  // compare: only runs of one family
  const compareForm = $("#compare-form");
  if (compareForm) {
    compareForm.addEventListener("submit", (e) => {
      const boxes = $$(".compare-box:checked");
      const fams = new Set(boxes.map((b) => b.dataset.family));
      if (boxes.length < 2 || fams.size > 1) { e.preventDefault(); alert("Choose two or more runs of one family."); }
    });
  }

  // run lists: while a listed run is queued or running, refresh every 3 s (not while runs are being ticked)
  const runList = $("#run-list");
  if (runList && $$(".status-queued, .status-running", runList).length) {
    setInterval(() => {
      if ($$(".compare-box:checked").length === 0 && !document.hidden) window.location.reload();
    }, 3000);
  }

  // figures
  function plot(div, fig) {
    if (!window.Plotly) return;
    window.Plotly.newPlot(div, fig.data || [], fig.layout || {}, {responsive: true, displaylogo: false});
  }
  const figureData = $("#figure-data");
  if (figureData) {
    const figures = JSON.parse(figureData.textContent);
    figures.forEach((f, k) => { const div = $("#figure-" + (k + 1)); if (div) plot(div, f.figure); });
  }

  // run page: live status by server-sent events, polling as fallback; the log's tail
  const box = $("#status-box");
  if (box) {
    const runId = box.dataset.run;
    let final = box.dataset.final === "true";
    const history = JSON.parse(($("#history-data") || {textContent: "[]"}).textContent || "[]");
    const chart = $("#progress-chart");
    function drawHistory() {
      if (!window.Plotly || !chart || history.length === 0) return;
      const x = history.map((p) => p.elapsed);
      const traces = [
        {x: x, y: history.map((p) => p.incumbent), name: "incumbent", mode: "lines+markers", line: {shape: "hv"}},
        {x: x, y: history.map((p) => p.bound), name: "bound", mode: "lines", line: {shape: "hv", dash: "dot"}},
      ];
      window.Plotly.react(chart, traces, {title: {text: "incumbent and bound"}, margin: {l: 70, r: 20, t: 40, b: 40},
        xaxis: {title: {text: "seconds"}}, yaxis: {title: {text: "objective"}}, height: 260}, {responsive: true, displaylogo: false});
    }
    drawHistory();
    function show(run) {
      $("#run-status").innerHTML = '<span class="badge status-' + run.status + '">' + run.status + "</span>";
      const p = run.progress || {};
      $("#run-phase").textContent = p.phase || "";
      $("#p-incumbent").textContent = fmt(p.incumbent);
      $("#p-bound").textContent = fmt(p.bound);
      $("#p-gap").textContent = pct(p.gap);
      $("#p-elapsed").textContent = fmt(p.elapsed);
      $("#run-message").textContent = run.message || "";
      if (typeof p.elapsed === "number" && (history.length === 0 || history[history.length - 1].elapsed !== p.elapsed)) {
        history.push(p); drawHistory();
      }
      if (["succeeded", "failed", "cancelled", "interrupted"].includes(run.status) && !final) {
        final = true;
        setTimeout(() => window.location.reload(), 300);
      }
    }
    let polling = null;
    function poll() {
      if (polling) return;
      polling = setInterval(() => {
        fetch("/api/runs/" + runId).then((r) => r.json()).then(show).catch(() => {});
      }, 1000);
    }
    if (!final) {
      if (window.EventSource) {
        const source = new EventSource("/api/runs/" + runId + "/events");
        source.addEventListener("run", (e) => show(JSON.parse(e.data)));
        source.onerror = () => { source.close(); if (!final) poll(); };
      } else { poll(); }
    }
    const logEl = $("#log");
    let logOffset = 0;
    function tail() {
      fetch("/api/runs/" + runId + "/log?offset=" + logOffset).then((r) => {
        logOffset = +(r.headers.get("X-Log-Size") || logOffset);
        return r.text();
      }).then((t) => {
        if (t) { const atEnd = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 5; logEl.textContent += t; if (atEnd) logEl.scrollTop = logEl.scrollHeight; }
        if (!final) setTimeout(tail, 1000);
      }).catch(() => { if (!final) setTimeout(tail, 2000); });
    }
    if (logEl) tail();
  }
})();
