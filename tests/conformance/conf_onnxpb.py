"""Just enough protobuf to read an onnx.TensorProto (test_data_set_*/output_*.pb) and the
input/output names and element types of an onnx.ModelProto graph, with the standard library."""

import struct

# TensorProto.DataType values used here
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, STRING, BOOL, DOUBLE = 1, 2, 3, 4, 5, 6, 7, 8, 9, 11
TYPE_NAMES = {FLOAT: "float32", INT16: "int16", INT32: "int32", INT64: "int64", STRING: "string",
              BOOL: "bool", DOUBLE: "float64", UINT8: "uint8", INT8: "int8", UINT16: "uint16"}


def _varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def fields(buf):
    """Yield (field number, wire type, value) where value is int or bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val = buf[pos:pos + 8]
            pos += 8
        elif wt == 5:
            val = buf[pos:pos + 4]
            pos += 4
        elif wt == 2:
            ln, pos = _varint(buf, pos)
            val = buf[pos:pos + ln]
            pos += ln
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, val


def _signed64(v):
    return v - (1 << 64) if v >= (1 << 63) else v


def _packed_varints(val):
    out = []
    pos = 0
    while pos < len(val):
        v, pos = _varint(val, pos)
        out.append(_signed64(v))
    return out


def read_tensor(buf):
    """dict(name, type, dims, data) of a serialized TensorProto."""
    dims, data_type, name, raw = [], None, "", None
    floats, ints, strings, doubles = [], [], [], []
    for num, wt, val in fields(buf):
        if num == 1:
            dims.extend(_packed_varints(val) if wt == 2 else [_signed64(val)])
        elif num == 2:
            data_type = val
        elif num == 4:
            if wt == 2:
                floats.extend(struct.unpack("<%df" % (len(val) // 4), val))
            else:
                floats.append(struct.unpack("<f", val)[0])
        elif num in (5, 7):
            ints.extend(_packed_varints(val) if wt == 2 else [_signed64(val)])
        elif num == 6:
            strings.append(val.decode("utf-8"))
        elif num == 8:
            name = val.decode("utf-8")
        elif num == 9:
            raw = val
        elif num == 10:
            if wt == 2:
                doubles.extend(struct.unpack("<%dd" % (len(val) // 8), val))
            else:
                doubles.append(struct.unpack("<d", val)[0])
    if raw is not None:
        fmt = {FLOAT: "f", DOUBLE: "d", INT64: "q", INT32: "i", INT16: "h", INT8: "b",
               UINT8: "B", UINT16: "H", BOOL: "?"}.get(data_type)
        if fmt is None:
            raise ValueError("raw_data of type %s" % data_type)
        size = struct.calcsize(fmt)
        data = list(struct.unpack("<%d%s" % (len(raw) // size, fmt), raw))
    elif data_type == FLOAT:
        data = floats
    elif data_type == DOUBLE:
        data = doubles
    elif data_type == STRING:
        data = strings
    else:
        data = ints
    return {"name": name, "type": TYPE_NAMES.get(data_type, str(data_type)), "dims": dims,
            "data": data}


def graph_ops(model_bytes):
    """[(domain, op_type)] of the top-level graph nodes of a ModelProto."""
    ops = []
    for num, wt, val in fields(model_bytes):
        if num == 7 and wt == 2:
            for gnum, gwt, gval in fields(val):
                if gnum == 1 and gwt == 2:
                    op, domain = "", ""
                    for nnum, nwt, nval in fields(gval):
                        if nnum == 4:
                            op = nval.decode("utf-8")
                        elif nnum == 7:
                            domain = nval.decode("utf-8")
                    ops.append((domain, op))
    return ops


def graph_outputs(model_bytes):
    """[(name, type)] of the graph outputs; type 'tensor(<elem>)' or 'seq(map(...,tensor(float)))'
    for a ZipMap sequence (onnxruntime's ZipMap only produces float values)."""
    outs = []
    for num, wt, val in fields(model_bytes):
        if num != 7 or wt != 2:
            continue
        for gnum, gwt, gval in fields(val):
            if gnum != 12 or gwt != 2:
                continue
            name, typ = "", "?"
            for vnum, vwt, vval in fields(gval):
                if vnum == 1:
                    name = vval.decode("utf-8")
                elif vnum == 2 and vwt == 2:
                    for tnum, twt, tval in fields(vval):
                        if tnum == 1 and twt == 2:
                            elem = 0
                            for enum_, ewt, evl in fields(tval):
                                if enum_ == 1 and ewt == 0:
                                    elem = evl
                            typ = "tensor(%s)" % {FLOAT: "float", DOUBLE: "double", INT64: "int64",
                                                  STRING: "string"}.get(elem, str(elem))
                        elif tnum == 4:
                            typ = "seq(map(...,tensor(float)))"
            outs.append((name, typ))
    return outs
