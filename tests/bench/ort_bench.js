#!/usr/bin/env node
// onnxruntime timings for tests/bench/bench_vs.py (a benchmark, not a test).
//   node ort_bench.js memory MODEL CSV THREADS REPEATS   -> JSON {rows, best_s, cpu_s}: session.run only
//        (best wall and best CPU seconds, user + system, of all the process's threads),
//        on the CSV's rows already parsed into one float32 tensor [rows, F] (input named by the
//        model's first input; the CSV's first F columns in order)
//   node ort_bench.js csv MODEL CSV THREADS OUT         -> JSON {rows, s}: read and parse the CSV,
//        score, write every output as CSV (17 significant digits) to OUT, as a CSV-to-CSV tool
//        (wall s, and cpu_s as above)
// onnxruntime-node is looked up in MB_ORT_DIR (default build/node/node_modules).
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dirs = [process.env.MB_ORT_DIR, path.join(__dirname, '..', '..', 'build', 'node', 'node_modules')];
  for (const d of dirs) {
    if (!d) continue;
    try { return require(path.join(d, 'onnxruntime-node')); } catch (e) { /* next */ }
  }
  return require('onnxruntime-node');
}

function parseFloatMatrix(text, F) {
  // Header line, then rows of numbers; only the first F fields of each row are used.
  let pos = text.indexOf('\n') + 1;
  let n = 0;
  const out = [];
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (!line) continue;
    const f = line.split(',');
    for (let k = 0; k < F; k++) out.push(f[k] === '' || f[k] === 'NA' ? NaN : +f[k]);
    n++;
  }
  return { n, data: Float32Array.from(out) };
}

(async () => {
  const [mode, model, csv, thrA, extra] = process.argv.slice(2);
  const ort = loadOrt();
  const threads = parseInt(thrA || '1', 10);
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const input = sess.inputMetadata[0];
  const F = input.shape[1];
  if (mode === 'memory') {
    const { n, data } = parseFloatMatrix(fs.readFileSync(csv, 'utf8'), F);
    const x = new ort.Tensor('float32', data, [n, F]);
    await sess.run({ [input.name]: new ort.Tensor('float32', data.subarray(0, 1000 * F), [1000, F]) });
    let best = Infinity, bestCpu = Infinity;
    for (let r = 0; r < parseInt(extra || '3', 10); r++) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      await sess.run({ [input.name]: x });
      const c = process.cpuUsage(c0);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
    }
    console.log(JSON.stringify({ rows: n, best_s: best, cpu_s: bestCpu }));
  } else if (mode === 'csv') {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const { n, data } = parseFloatMatrix(fs.readFileSync(csv, 'utf8'), F);
    const res = await sess.run({ [input.name]: new ort.Tensor('float32', data, [n, F]) });
    const cols = [];
    const names = [];
    for (const name of sess.outputNames) {
      const t = res[name];
      const k = t.dims.length > 1 ? t.dims[1] : 1;
      for (let j = 0; j < k; j++) { names.push(k > 1 ? `${name}_${j}` : name); cols.push([t.data, k, j]); }
    }
    const lines = [names.join(',')];
    for (let i = 0; i < n; i++) {
      const row = [];
      for (const [d, k, j] of cols) { const v = d[i * k + j]; row.push(typeof v === 'bigint' ? v.toString() : Number(v).toPrecision(17)); }
      lines.push(row.join(','));
    }
    fs.writeFileSync(extra, lines.join('\n') + '\n');
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ rows: n, s: Number(process.hrtime.bigint() - t0) / 1e9, cpu_s: (c.user + c.system) / 1e6 }));
  } else {
    throw new Error('mode must be memory or csv');
  }
})().catch((e) => { console.error(String(e)); process.exit(2); });
