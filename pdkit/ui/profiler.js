// pdkit prediction profiler: the model arithmetic and the page updates, run by BokehJS.
//
// Loaded by pdkit/ui/profiler.py into every CustomJS callback of a profiler (and by the
// tests into a blank page).  The model "spec" is JSON written by
// pdkit.ui.profiler.model_spec(); evaluate() is the JavaScript twin of
// pdkit.ui.profiler.evaluate_spec() (tests compare the two to 1e-9 relative).
//
// For one setting with coded base vector b (b[0] = 1, then the coded factor columns),
// the model row is x_j = prod(b[index_j]), and
//   prediction  = x . beta
//   confidence  = prediction -/+ t * sqrt(x' C x)
//   prediction interval = prediction -/+ t * sqrt(x' C x + s^2)
// with C the coefficient covariance, s^2 the residual mean square and t = t(1 - alpha/2; df).
const PDKIT = (function () {
  "use strict";
  const cache = new Map();

  function prepare(spec) {
    let offset = 1;
    for (const f of spec.factors) {
      f._offset = offset;
      f._width = f.kind === "continuous" || f.levels.length === 2 ? 1 : f.levels.length - 1;
      offset += f._width;
    }
    spec._nbase = offset;
    spec._byName = {};
    spec.factors.forEach((f, i) => { spec._byName[f.name] = i; });
    for (const r of spec.responses) {
      const p = r.beta.length;
      r._p = p;
      r._x = new Float64Array(p);
      r._cov = null;
      if (r.cov !== null) {
        r._cov = new Float64Array(p * p);
        for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) r._cov[j * p + k] = r.cov[j][k];
      }
    }
    return spec;
  }

  function specOf(json) {
    let s = cache.get(json);
    if (s === undefined) {
      s = prepare(JSON.parse(json));
      cache.set(json, s);
    }
    return s;
  }

  // coded columns of factor f at value v (actual units, or a level index) written into b
  function setBase(f, v, b) {
    const o = f._offset;
    if (f.kind === "continuous") {
      b[o] = (v - f.center) / f.half;
    } else if (f.levels.length === 2) {
      b[o] = v === 1 ? 1.0 : -1.0;
    } else {
      const last = f.levels.length - 1;
      for (let j = 0; j < last; j++) b[o + j] = v === j ? 1.0 : (v === last ? -1.0 : 0.0);
    }
  }

  function baseVector(spec, values) {
    const b = new Float64Array(spec._nbase);
    b[0] = 1.0;
    spec.factors.forEach((f, i) => setBase(f, values[i], b));
    return b;
  }

  // prediction, confidence and prediction limits of response r at base vector b
  function evalResponse(r, b, out) {
    const p = r._p, x = r._x, beta = r.beta, idx = r.index;
    let pred = 0.0;
    for (let j = 0; j < p; j++) {
      const ij = idx[j];
      let v = 1.0;
      for (let k = 0; k < ij.length; k++) v *= b[ij[k]];
      x[j] = v;
      pred += v * beta[j];
    }
    out.pred = pred;
    if (r._cov === null) {
      out.lower = out.upper = out.plower = out.pupper = pred;
      return out;
    }
    const C = r._cov;
    let q = 0.0;
    for (let j = 0; j < p; j++) {
      let s = 0.0;
      const row = j * p;
      for (let k = 0; k < p; k++) s += C[row + k] * x[k];
      q += x[j] * s;
    }
    q = Math.max(q, 0.0);
    const hc = r.t * Math.sqrt(q), hp = r.t * Math.sqrt(q + r.scale);
    out.lower = pred - hc;
    out.upper = pred + hc;
    out.plower = pred - hp;
    out.pupper = pred + hp;
    return out;
  }

  function clip01(v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

  // Derringer-Suich individual desirability (pdkit.doe.optimize.Goal.d)
  function dIndividual(g, y) {
    if (g.goal === "maximize") return Math.pow(clip01((y - g.low) / (g.high - g.low)), g.weight);
    if (g.goal === "minimize") return Math.pow(clip01((g.high - y) / (g.high - g.low)), g.weight);
    if (y <= g.target) return Math.pow(clip01((y - g.low) / (g.target - g.low)), g.s);
    return Math.pow(clip01((g.high - y) / (g.high - g.target)), g.t);
  }

  // overall desirability: importance-weighted geometric mean (0 when any d is 0)
  function dOverall(goals, ds) {
    let s = 0.0, w = 0.0;
    for (let i = 0; i < goals.length; i++) {
      if (!(ds[i] > 0)) return 0.0;
      s += goals[i].importance * Math.log(ds[i]);
      w += goals[i].importance;
    }
    return Math.exp(s / w);
  }

  // Public: evaluate every response at settings rows (objects name -> value; level names
  // for categorical factors).  Returns {response: {prediction, lower, upper, pi_lower, pi_upper}}.
  function evaluate(specJson, rows) {
    const spec = typeof specJson === "string" ? specOf(specJson) : prepare(specJson);
    const res = {};
    for (const r of spec.responses) {
      res[r.name] = {prediction: [], lower: [], upper: [], pi_lower: [], pi_upper: []};
    }
    const out = {};
    for (const row of rows) {
      const values = spec.factors.map((f) => (f.kind === "continuous" ? Number(row[f.name]) : f.levels.indexOf(String(row[f.name]))));
      const b = baseVector(spec, values);
      for (const r of spec.responses) {
        evalResponse(r, b, out);
        const o = res[r.name];
        o.prediction.push(out.pred); o.lower.push(out.lower); o.upper.push(out.upper);
        o.pi_lower.push(out.plower); o.pi_upper.push(out.pupper);
      }
    }
    return res;
  }

  // ------------------------------------------------------------------ the page
  function readState(spec, widgets) {
    return spec.factors.map((f, i) => {
      const w = widgets[i];
      if (w === null || w === undefined) return f.value;
      if (f.kind === "continuous") return Number(w.value);
      const k = f.levels.indexOf(String(w.value));
      return k < 0 ? f.value : k;
    });
  }

  function fmt(v) {
    if (!isFinite(v)) return "n/a";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e4)) {
      const [m, e] = v.toExponential(3).split("e");
      const mm = m.indexOf(".") >= 0 ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
      const ee = Number(e);
      return mm + "e" + (ee < 0 ? "-" : "+") + String(Math.abs(ee)).padStart(2, "0");
    }
    return String(Number(v.toPrecision(4)));
  }

  function fill(spec, b, d, k, goals, out, ds) {
    for (let ri = 0; ri < spec.responses.length; ri++) {
      const r = spec.responses[ri];
      evalResponse(r, b, out);
      d[r._cols[0]][k] = out.pred;
      d[r._cols[1]][k] = out.lower;
      d[r._cols[2]][k] = out.upper;
      d[r._cols[3]][k] = out.plower;
      d[r._cols[4]][k] = out.pupper;
      r._last = out.pred;
    }
    if (goals.length) {
      for (let gi = 0; gi < goals.length; gi++) {
        const g = goals[gi];
        ds[gi] = dIndividual(g, spec.responses[g._ri]._last);
        d["d:" + g.response][k] = ds[gi];
      }
      d["D"][k] = dOverall(goals, ds);
    }
  }

  function columns(spec) {
    if (spec._colsReady) return;
    for (const r of spec.responses) {
      r._cols = ["pred:", "lower:", "upper:", "pi_lower:", "pi_upper:"].map((c) => c + r.name);
    }
    const ri = {};
    spec.responses.forEach((r, i) => { ri[r.name] = i; });
    for (const g of spec.goals) g._ri = ri[g.response];
    spec._colsReady = true;
  }

  // y-range of each response row: contains the prediction and every band shown (and the design
  // points when shown); kept while it does, reset (with 8% padding) when the content leaves it
  // or fills less than a third of it
  function fitRanges(spec, a, show) {
    spec.responses.forEach((r, ri) => {
      const rng = a.ranges[ri];
      if (!rng) return;
      let lo = Infinity, hi = -Infinity;
      const cols = [r._cols[0]];
      if (show.ci) cols.push(r._cols[1], r._cols[2]);
      if (show.pi) cols.push(r._cols[3], r._cols[4]);
      for (const src of a.profiles.concat([a.current])) {
        for (const c of cols) {
          const arr = src.data[c];
          for (let k = 0; k < arr.length; k++) { const v = arr[k]; if (v < lo) lo = v; if (v > hi) hi = v; }
        }
      }
      if (show.points && a.points[ri]) {
        const y = a.points[ri].data.y;
        for (let k = 0; k < y.length; k++) { const v = y[k]; if (v < lo) lo = v; if (v > hi) hi = v; }
      }
      if (!isFinite(lo) || !isFinite(hi)) return;
      const span = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1.0) * 0.1;
      const inside = rng.start <= lo && rng.end >= hi;
      if (!inside || (rng.end - rng.start) > 3 * span) {
        rng.setv({start: lo - 0.08 * span, end: hi + 0.08 * span});
      }
    });
  }

  function options(a) {
    const act = a.options ? a.options.active : [0];
    return {ci: act.indexOf(0) >= 0, pi: act.indexOf(1) >= 0, points: act.indexOf(2) >= 0};
  }

  // Recompute every panel from the widgets' values: one pass, one change event per source.
  function update(a) {
    const t0 = performance.now();
    const spec = specOf(a.spec);
    columns(spec);
    const state = readState(spec, a.widgets);
    const base = baseVector(spec, state);
    const goals = spec.goals;
    const out = {}, ds = new Float64Array(goals.length);
    const explored = spec.explored;
    for (let e = 0; e < explored.length; e++) {
      const fi = explored[e], f = spec.factors[fi], src = a.profiles[e], d = src.data;
      const b = base.slice();
      const x = d.x, n = x.length;
      for (let k = 0; k < n; k++) {
        setBase(f, f.kind === "continuous" ? x[k] : k, b);
        fill(spec, b, d, k, goals, out, ds);
      }
      src.change.emit();
    }
    const cd = a.current.data;
    for (let e = 0; e < explored.length; e++) {
      const fi = explored[e], f = spec.factors[fi];
      cd["x:" + f.name][0] = state[fi];
    }
    fill(spec, base, cd, 0, goals, out, ds);
    for (const r of spec.responses) {
      const p = cd[r._cols[0]][0];
      cd["label:" + r.name][0] = r._cov === null
        ? fmt(p) + "\n(no CI: no residual df)"
        : fmt(p) + "\n[" + fmt(cd[r._cols[1]][0]) + ", " + fmt(cd[r._cols[2]][0]) + "]";
    }
    if (goals.length) cd["label:D"][0] = "D = " + cd["D"][0].toFixed(3);
    a.current.change.emit();
    drawRows(spec, a, state);
    const show = options(a);
    fitRanges(spec, a, show);
    const t1 = performance.now();
    const w = typeof window !== "undefined" ? window : {};
    w.__pdkitProfiler = w.__pdkitProfiler || {updates: 0, computeMs: []};
    w.__pdkitProfiler.updates += 1;
    w.__pdkitProfiler.computeMs.push(t1 - t0);
    w.__pdkitProfiler.lastUpdate = t1;
    return t1 - t0;
  }

  // The sources the rows are drawn from (pdkit.ui.profiler.Profiler.drawn_data, its Python twin):
  // per row the traces of the continuous panels side by side (NaN between panels), the bands as
  // NaN-separated polygons (lower limits forward, upper limits backward), the current-setting
  // marks of every panel (x in pixels: a + b * value) and the row headers.  Only the y values
  // change on a step; the pixel x of the traces is fixed.
  function drawRows(spec, a, state) {
    if (!a.traces) return;
    let geo = cache.get(a.geometry);
    if (geo === undefined) {
      geo = JSON.parse(a.geometry);
      cache.set(a.geometry, geo);
    }
    const explored = spec.explored, cd = a.current.data, texts = a.headers.data.text;
    const copyTraces = (dst, col) => {
      let o = 0;
      for (let e = 0; e < explored.length; e++) {
        if (!geo.continuous[e]) continue;
        const src = a.profiles[e].data[col], n = src.length;
        for (let k = 0; k < n; k++) dst[o + k] = src[k];
        o += n + 1;
      }
    };
    const copyBand = (dst, lower, upper) => {
      let o = 0;
      for (let e = 0; e < explored.length; e++) {
        if (!geo.continuous[e]) continue;
        const d = a.profiles[e].data, lo = d[lower], hi = d[upper], n = lo.length;
        for (let k = 0; k < n; k++) {
          dst[o + k] = lo[k];
          dst[o + 2 * n - 1 - k] = hi[k];
        }
        o += 2 * n + 1;
      }
    };
    const setMarks = (m, cols) => {
      const d = m.data;
      for (let e = 0; e < explored.length; e++) {
        d.x[e] = geo.px[e][0] + geo.px[e][1] * state[explored[e]];
        for (const [to, from] of cols) d[to][e] = cd[from][0];
      }
      m.change.emit();
    };
    spec.responses.forEach((r, ri) => {
      const c = r._cols;
      copyTraces(a.traces[ri].data.y, c[0]);
      a.traces[ri].change.emit();
      const b = a.bands[ri].data;
      copyBand(b.ci, c[1], c[2]);
      copyBand(b.pi, c[3], c[4]);
      a.bands[ri].change.emit();
      setMarks(a.marks[ri], [["pred", c[0]], ["lower", c[1]], ["upper", c[2]]]);
      texts[ri] = cd["label:" + r.name][0];
    });
    if (spec.goals.length) {
      const ri = spec.responses.length, t = a.traces[ri];
      for (const g of spec.goals) copyTraces(t.data["d:" + g.response], "d:" + g.response);
      copyTraces(t.data.D, "D");
      t.change.emit();
      setMarks(a.marks[ri], [["D", "D"]]);
      texts[ri] = cd["label:D"][0];
    }
    a.headers.change.emit();
  }

  // Slider callback: update now, unless the previous update has not been painted yet; then keep
  // only the latest request and run it right after that paint (a burst of key presses costs one
  // update per frame, not one per press).
  function schedule(a) {
    const w = typeof window !== "undefined" ? window : null;
    if (w === null || typeof requestAnimationFrame === "undefined") return update(a);
    const all = (w.__pdkitSchedule = w.__pdkitSchedule || {});
    const key = a.current.id;
    const s = all[key] || (all[key] = {busy: false, pending: null});
    if (s.busy) {
      s.pending = a;
      return 0;
    }
    const ms = update(a);
    s.busy = true;
    // BokehJS paints in the next animation frame; stay busy one frame longer, so key presses that
    // arrive while (or right after) it paints are merged into one update
    requestAnimationFrame(() => requestAnimationFrame(() => {
      s.busy = false;
      if (s.pending !== null) {
        const next = s.pending;
        s.pending = null;
        schedule(next);
      }
    }));
    return ms;
  }

  // show or hide the bands and points, then refit the y-ranges
  function toggle(a) {
    const spec = specOf(a.spec);
    columns(spec);
    const show = options(a);
    for (const rd of a.ci_renderers) rd.visible = show.ci;
    for (const rd of a.pi_renderers) rd.visible = show.pi;
    for (const rd of a.point_renderers) rd.visible = show.points;
    fitRanges(spec, a, show);
  }

  // deterministic pseudo-random numbers (mulberry32) for the maximiser's screening
  function rng32(seed) {
    let s = seed >>> 0;
    return function () {
      s = (s + 0x6D2B79F5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // Overall desirability at state (level indices for categorical factors)
  function desirabilityAt(spec, state, out, ds) {
    const b = baseVector(spec, state);
    for (const r of spec.responses) { evalResponse(r, b, out); r._last = out.pred; }
    for (let gi = 0; gi < spec.goals.length; gi++) {
      const g = spec.goals[gi];
      ds[gi] = dIndividual(g, spec.responses[g._ri]._last);
    }
    return dOverall(spec.goals, ds);
  }

  // Maximise D over the unlocked explored factors inside their declared boxes: seeded random
  // screening, then a compass search (halving steps down to 1e-7 of the range) from the best
  // five points; categorical factors at every level combination of the unlocked ones.
  function maximize(spec, state, locked, seed) {
    columns(spec);
    const out = {}, ds = new Float64Array(spec.goals.length);
    const cont = [], cats = [];
    for (const fi of spec.explored) {
      if (locked[fi]) continue;
      (spec.factors[fi].kind === "continuous" ? cont : cats).push(fi);
    }
    const combos = [[]];
    for (const fi of cats) {
      const next = [];
      for (const c of combos) for (let k = 0; k < spec.factors[fi].levels.length; k++) next.push(c.concat([k]));
      combos.splice(0, combos.length, ...next);
    }
    const rand = rng32(seed);
    let best = {D: desirabilityAt(spec, state, out, ds), state: state.slice(), evals: 1};
    for (const combo of combos) {
      const s0 = state.slice();
      cats.forEach((fi, j) => { s0[fi] = combo[j]; });
      const cand = [];
      const nRandom = cont.length ? 400 : 0;
      cand.push({D: desirabilityAt(spec, s0, out, ds), s: s0.slice()});
      for (let i = 0; i < nRandom; i++) {
        const s = s0.slice();
        for (const fi of cont) { const f = spec.factors[fi]; s[fi] = f.box[0] + (f.box[1] - f.box[0]) * rand(); }
        cand.push({D: desirabilityAt(spec, s, out, ds), s});
      }
      best.evals += cand.length;
      cand.sort((p, q) => q.D - p.D);
      for (const c of cand.slice(0, cont.length ? 5 : 1)) {
        let s = c.s.slice(), D = c.D;
        let step = 0.25;
        while (cont.length && step > 1e-7) {
          let improved = false;
          for (const fi of cont) {
            const f = spec.factors[fi], w = f.box[1] - f.box[0];
            for (const dir of [1, -1]) {
              const t = s.slice();
              t[fi] = Math.min(f.box[1], Math.max(f.box[0], s[fi] + dir * step * w));
              const Dt = desirabilityAt(spec, t, out, ds);
              best.evals += 1;
              if (Dt > D + 1e-15) { s = t; D = Dt; improved = true; }
            }
          }
          if (!improved) step /= 2;
        }
        if (D > best.D) best = {D, state: s, evals: best.evals};
      }
    }
    return best;
  }

  // The Maximize button: search, then move the widgets (one update at the end).
  function maximizeAction(a) {
    const t0 = performance.now();
    const spec = specOf(a.spec);
    columns(spec);
    const state = readState(spec, a.widgets);
    const locked = spec.factors.map((f, i) => {
      const lk = a.locks[i];
      return lk !== null && lk !== undefined && lk.active;
    });
    const best = maximize(spec, state, locked, 1);
    for (const fi of spec.explored) {
      const f = spec.factors[fi], w = a.widgets[fi];
      if (!w || locked[fi]) continue;
      if (f.kind === "continuous") w.value = best.state[fi];
      else w.value = f.levels[best.state[fi]];
    }
    const ms = performance.now() - t0;
    if (a.status) a.status.text = "Maximum desirability found: D = " + best.D.toFixed(4) + " (" + ms.toFixed(0) +
      " ms, " + best.evals + " evaluations" + (locked.some((v) => v) ? ", locked factors kept" : "") + ")";
    return best;
  }

  // spreadsheet-safe text cell (pdkit.escape.spreadsheet_cell) quoted for CSV
  function csvCell(v) {
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    if (/[",\n\r]/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
    return s;
  }

  function num(v) { return (v === null || v === undefined || !isFinite(v)) ? "" : String(v); }

  // Settings and predictions as CSV (the same text as Explorer.export_settings / Profiler.export_settings)
  function exportText(a) {
    const spec = specOf(a.spec);
    columns(spec);
    const state = readState(spec, a.widgets);
    const cd = a.current.data;
    const lines = ["item,name,value,ci_lower,ci_upper,pi_lower,pi_upper,units,locked"];
    spec.factors.forEach((f, i) => {
      const lk = a.locks[i];
      const locked = lk !== null && lk !== undefined && lk.active;
      const v = f.kind === "continuous" ? num(state[i]) : csvCell(f.levels[state[i]]);
      lines.push(["setting", csvCell(f.name), v, "", "", "", "", csvCell(f.units), locked ? "yes" : "no"].join(","));
    });
    for (const r of spec.responses) {
      const c = r._cols.map((n) => cd[n][0]);
      const band = r._cov !== null;
      lines.push(["response", csvCell(r.name), num(c[0]), band ? num(c[1]) : "", band ? num(c[2]) : "",
        band ? num(c[3]) : "", band ? num(c[4]) : "", csvCell(r.units), ""].join(","));
    }
    if (spec.goals.length) lines.push(["desirability", "D", num(cd["D"][0]), "", "", "", "", "", ""].join(","));
    return lines.join("\n") + "\n";
  }

  function exportAction(a) {
    const text = exportText(a);
    if (a.text) a.text.value = text;
    if (a.download && typeof document !== "undefined") {
      const blob = new Blob([text], {type: "text/csv"});
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "profiler_settings.csv";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    }
    return text;
  }

  return {evaluate, update, schedule, toggle, maximize: maximizeAction, exportText: exportAction, specOf, fmt,
          dIndividual, dOverall};
})();
