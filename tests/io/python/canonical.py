"""Canonical text of a loaded Python object, written independently of the C++ reader.

The C++ tests print what focal_io read in the same grammar and compare the two strings:
  N / T / F                None, True, False
  i<decimal>               int within int64 (wider ints: as float)
  f<16 hex>                float, big-endian IEEE-754 bits
  c<16 hex>,<16 hex>       complex
  s<hex>                   str (UTF-8) / bytes / bytearray
  U                        an object the reader cannot construct (placeholder)
  [a,b]  (a,b)  {k:v,k:v}  list (also set, frozenset, slice), tuple, dict (also dict subclasses and objects
                           restored from a __dict__ state)
  t<dtype>:[d0,d1]:<16 hex> tensor: dtype, shape, checksum of its logical little-endian bytes
"""
import struct

import numpy as np
import torch

RECURSIVE = "<recursive reference>"
DTYPE_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool", torch.complex64: "complex64", torch.complex128: "complex128", torch.uint16: "uint16",
}


def tensor_bytes(t):
    t = t.detach().resolve_conj().resolve_neg().contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def checksum(data):
    """Sum of (position + 1) * byte, modulo 2**64."""
    a = np.frombuffer(data, dtype=np.uint8).astype(np.uint64)
    w = np.arange(1, len(a) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(np.sum(a * w, dtype=np.uint64))


def float_text(x):
    return "f" + struct.pack(">d", x).hex()


def canonical(obj, active=None):
    active = set() if active is None else active
    if obj is None:
        return "N"
    if obj is True:
        return "T"
    if obj is False:
        return "F"
    if isinstance(obj, np.generic):  # before float: np.float64 subclasses float
        return "U"
    if isinstance(obj, int):
        return "i%d" % obj if -2**63 <= obj < 2**63 else float_text(float(obj))
    if isinstance(obj, float):
        return float_text(obj)
    if isinstance(obj, complex):
        return "c" + struct.pack(">d", obj.real).hex() + "," + struct.pack(">d", obj.imag).hex()
    if isinstance(obj, str):
        return "s" + obj.encode("utf-8").hex()
    if isinstance(obj, (bytes, bytearray)):
        return "s" + bytes(obj).hex()
    if isinstance(obj, torch.dtype):
        return canonical(str(obj))
    if isinstance(obj, torch.device):
        return canonical(str(obj))
    if isinstance(obj, torch.Tensor):
        shape = ",".join(str(d) for d in obj.shape)
        return "t%s:[%s]:%016x" % (DTYPE_NAMES[obj.dtype], shape, checksum(tensor_bytes(obj)))
    if id(obj) in active:
        return canonical(RECURSIVE)
    active.add(id(obj))
    try:
        if isinstance(obj, dict):
            return "{" + ",".join(canonical(k, active) + ":" + canonical(v, active) for k, v in obj.items()) + "}"
        if isinstance(obj, tuple):
            return "(" + ",".join(canonical(v, active) for v in obj) + ")"
        if isinstance(obj, (list, set, frozenset)):
            return "[" + ",".join(canonical(v, active) for v in obj) + "]"
        if isinstance(obj, slice):
            return "[" + ",".join(canonical(v, active) for v in (obj.start, obj.stop, obj.step)) + "]"
        # What pickle restores through BUILD: the instance __dict__, then __slots__ values.
        state = dict(getattr(obj, "__dict__", None) or {})
        for cls in type(obj).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(obj, slot):
                    state[slot] = getattr(obj, slot)
        return canonical(state, active) if state else "U"
    finally:
        active.discard(id(obj))


def walk_tensors(obj, path=""):
    """(path, tensor) for every tensor inside dicts/lists/tuples; path parts joined by '/'."""
    if isinstance(obj, torch.Tensor):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_tensors(v, (path + "/" if path else "") + str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from walk_tensors(v, (path + "/" if path else "") + str(i))


def write_manifest(obj, out_path):
    """One line per tensor: path, dtype, shape, stride, storage offset, storage group, checksum (tab-separated).
    Tensors with the same storage group share one storage."""
    groups = {}
    with open(out_path, "w") as f:
        for path, t in walk_tensors(obj):
            group = groups.setdefault(t.untyped_storage().data_ptr(), len(groups))
            f.write("\t".join([
                path, DTYPE_NAMES[t.dtype], ",".join(map(str, t.shape)) or "-", ",".join(map(str, t.stride())) or "-",
                str(t.storage_offset()), str(group), "%016x" % checksum(tensor_bytes(t))]) + "\n")
