#!/usr/bin/env node
// Scores a CSV with onnxruntime (onnxruntime-node, one intra-op thread) and prints every graph
// output as CSV with 17 significant digits: [N]/[N,1] -> one column named after the output,
// [N,k] -> name_0..name_{k-1}.  Inputs are fed by name: string tensors get the cell text,
// numeric tensors the number (empty, NA, NaN -> NaN).  Shape [N,1] per input.
// usage: node ort_score.js model.onnx input.csv
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

// RFC 4180: fields in double quotes may hold commas, quotes ("") and line breaks; blank lines
// are skipped (a one-column file's missing cell must be written NA).
function parseCsv(text) {
  const records = [];
  let rec = [], field = '', i = 0, quoted = false, any = false;
  const endField = () => { rec.push(field); field = ''; };
  const endRecord = () => { endField(); if (any || rec.length > 1 || rec[0] !== '') records.push(rec); rec = []; any = false; };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += ch; i++; continue;
    }
    if (ch === '"') { quoted = true; any = true; i++; continue; }
    if (ch === ',') { endField(); any = true; i++; continue; }
    if (ch === '\r' && text[i + 1] === '\n') { i++; continue; }
    if (ch === '\n') { endRecord(); i++; continue; }
    field += ch; any = true; i++;
  }
  if (field !== '' || rec.length > 0 || any) endRecord();
  return { header: records[0], rows: records.slice(1) };
}
function num(s) {
  if (s === '' || s === 'NA' || s === 'NaN') return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error('not a number: ' + s);
  return v;
}
function fmt(x) {
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'string') return x;
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  return x.toPrecision(17);
}

(async () => {
  const [model, csv] = process.argv.slice(2);
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const { header, rows } = parseCsv(fs.readFileSync(csv, 'utf8'));
  const N = rows.length;
  const feeds = {};
  for (const m of sess.inputMetadata) {
    const c = header.indexOf(m.name);
    if (c < 0) throw new Error('no CSV column for input ' + m.name);
    let t;
    if (m.type === 'string') t = new ort.Tensor('string', rows.map((r) => r[c]), [N, 1]);
    else if (m.type === 'float64') t = new ort.Tensor('float64', Float64Array.from(rows.map((r) => num(r[c]))), [N, 1]);
    else if (m.type === 'float32') t = new ort.Tensor('float32', Float32Array.from(rows.map((r) => num(r[c]))), [N, 1]);
    else throw new Error('unsupported input type ' + m.type);
    feeds[m.name] = t;
  }
  const res = await sess.run(feeds);
  const cols = [], names = [];
  for (const name of sess.outputNames) {
    const t = res[name];
    const k = t.dims.length === 2 ? t.dims[1] : 1;
    for (let j = 0; j < k; j++) {
      names.push(k === 1 && t.dims.length < 2 ? name : (k === 1 ? name : `${name}_${j}`));
      cols.push((r) => t.data[r * k + j]);
    }
  }
  const out = [names.join(',')];
  for (let r = 0; r < N; r++) out.push(cols.map((f) => fmt(f(r))).join(','));
  process.stdout.write(out.join('\n') + '\n');
})().catch((e) => { process.stderr.write(String(e && e.message || e) + '\n'); process.exit(1); });
