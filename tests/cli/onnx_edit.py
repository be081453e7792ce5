#!/usr/bin/env python3
"""Edits of an ONNX file for the hash tests (needs the onnx Python package).

  onnx_edit.py metadata IN OUT           producer, version, doc strings, metadata and node names
  onnx_edit.py ulp IN OUT                one coefficient (the first double initializer) one ulp up
  onnx_edit.py renumber IN OUT           tree node ids of ai.onnx.ml tree operators permuted
  onnx_edit.py tree-ulp IN OUT WHAT      the first threshold (WHAT=threshold) or leaf value (WHAT=leaf) one ulp up
Exit 77 when the edit does not apply to the file (no such part).
"""
import math
import sys

import numpy as np
import onnx
from onnx import numpy_helper

TREE_OPS = {"TreeEnsembleRegressor", "TreeEnsembleClassifier"}


def metadata(m):
    m.producer_name = "someone-else"
    m.producer_version = "99.1"
    m.doc_string = "edited"
    m.graph.doc_string = "edited graph"
    m.model_version = 7
    # Informative metadata changes; keys the reader needs to recognise its own graphs stay.
    for p in m.metadata_props:
        if p.key in ("modelbridge.family", "modelbridge.source_class", "modelbridge.target"):
            p.value = "edited " + p.value
    p = m.metadata_props.add()
    p.key, p.value = "note", "not semantics"
    for i, n in enumerate(m.graph.node):
        n.name = f"renamed_{len(m.graph.node) - i}"
        n.doc_string = "x"
    return True


def ulp(m):
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype == np.float64 and a.size > 0 and a.flat[0] != 0:
            b = a.copy()
            b.flat[0] = np.nextafter(b.flat[0], np.inf)
            t.CopyFrom(numpy_helper.from_array(b, t.name))
            return True
    return False


def attr(node, name):
    for a in node.attribute:
        if a.name == name:
            return a
    return None


def renumber(m):
    done = False
    for n in m.graph.node:
        if n.op_type not in TREE_OPS:
            continue
        ids, trees = attr(n, "nodes_nodeids"), attr(n, "nodes_treeids")
        if ids is None:
            continue
        # new id = (largest id + 5) - old id within each tree: a permutation that keeps the root
        # somewhere else than 0.
        top = {}
        for t, i in zip(trees.ints, ids.ints):
            top[t] = max(top.get(t, 0), i)
        f = lambda t, i: top[t] + 5 - i
        new_ids = [f(t, i) for t, i in zip(trees.ints, ids.ints)]
        for key in ("nodes_truenodeids", "nodes_falsenodeids"):
            a = attr(n, key)
            modes = attr(n, "nodes_modes").strings
            vals = list(a.ints)
            for k, (t, v) in enumerate(zip(trees.ints, vals)):
                if modes[k] != b"LEAF":
                    vals[k] = f(t, v)
            del a.ints[:]
            a.ints.extend(vals)
        del ids.ints[:]
        ids.ints.extend(new_ids)
        for prefix in ("target", "class"):
            tid, nid = attr(n, prefix + "_treeids"), attr(n, prefix + "_nodeids")
            if tid is not None and nid is not None:
                vals = [f(t, i) for t, i in zip(tid.ints, nid.ints)]
                del nid.ints[:]
                nid.ints.extend(vals)
        done = True
    return done


def bump(values_attr_float, values_tensor, index):
    if values_tensor is not None:
        a = numpy_helper.to_array(values_tensor.t).copy()
        a.flat[index] = np.nextafter(a.flat[index], np.inf)
        values_tensor.t.CopyFrom(numpy_helper.from_array(a, values_tensor.t.name))
        return True
    if values_attr_float is not None:
        v = np.float32(values_attr_float.floats[index])
        values_attr_float.floats[index] = float(np.nextafter(v, np.float32(np.inf)))
        return True
    return False


def tree_ulp(m, what):
    for n in m.graph.node:
        if n.op_type not in TREE_OPS:
            continue
        modes = attr(n, "nodes_modes")
        if what == "threshold":
            idx = next(k for k, s in enumerate(modes.strings) if s != b"LEAF")
            return bump(attr(n, "nodes_values"), attr(n, "nodes_values_as_tensor"), idx)
        for prefix in ("target", "class"):
            if attr(n, prefix + "_ids") is not None:
                return bump(attr(n, prefix + "_weights"), attr(n, prefix + "_weights_as_tensor"), 0)
    return False


def main():
    cmd, src, dst = sys.argv[1:4]
    m = onnx.load(src)
    ok = {"metadata": lambda: metadata(m), "ulp": lambda: ulp(m), "renumber": lambda: renumber(m),
          "tree-ulp": lambda: tree_ulp(m, sys.argv[4])}[cmd]()
    if not ok:
        sys.exit(77)
    onnx.save(m, dst)


if __name__ == "__main__":
    main()
