"""Writes the reference data the focal_io tests compare against (run by the tests with the project venv).

usage: make_reference.py OUT_DIR [FIXTURES_DIR]
  OUT_DIR/pickles/<case>.p<protocol>.pkl + .txt   plain pickles and their canonical text
  OUT_DIR/ckpt/<name>.pth + .txt + .manifest       torch.save files (zip and legacy), canonical text, tensor manifest
  OUT_DIR/fixtures/<fixture>.txt + .manifest       the same description of every fixture checkpoint
"""
import argparse
import collections
import io
import os
import pickle
import sys
import types
import warnings
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canonical import canonical, write_manifest  # noqa: E402

warnings.filterwarnings("ignore", message="TypedStorage is deprecated")


class ConfigNode(dict):
    """Stands in for yacs.config.CfgNode: a dict subclass with extra instance attributes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["frozen"] = False


class Empty:
    pass


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a, self.b = 1, "two"


def pickle_cases():
    shared = [1, 2]
    recursive = []
    recursive.append(recursive)
    deep = 0
    for i in range(60):
        deep = [deep, i]
    cfg = ConfigNode(MODEL=ConfigNode(NAME="focal_micro", DROP_PATH_RATE=0.1), EPOCHS=300)
    return {
        "none_bools": [None, True, False],
        "small_ints": [0, 1, -1, 127, 128, 255, 256, 65535, 65536, -32768],
        "wide_ints": [2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**62, 2**63 - 1, -2**63],
        "big_ints": [2**64, -(2**64), 2**70, -(2**70), 3 * 2**100],
        "floats": [0.0, -0.0, 1.5, -2.25, 1e-300, 1e300, float("inf"), float("-inf"), 0.1],
        "strings": ["", "ascii", "tab\tnew\nline 'quote' \"dq\" \\", "ünïcødé ✓ 😀", "x" * 300],
        "bytes": [b"", b"\x00\x01\xff\xfe", bytes(range(256)), bytearray(b"ab\xe9")],
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),)],
        "containers": {"list": [1, [2, [3]]], "dict": {"a": {"b": {}}}, "empty": [[], {}, ()]},
        "int_keys": {0: "zero", 1: "one", -5: "minus five", 2**40: "big"},
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "sets": [set([3]), frozenset(["x"])],
        "shared": [shared, shared, {"again": shared}],
        "recursive": recursive,
        "long_list": list(range(2500)),
        "long_dict": {"k%d" % i: i for i in range(1200)},
        "deep": deep,
        "complex": [complex(1.5, -2.0), 3j],
        "namespace": argparse.Namespace(lr=0.1, name="run", nested=argparse.Namespace(depth=2)),
        "cfgnode": cfg,
        "defaultdict": collections.defaultdict(list, {"a": [1]}),
        "counter": collections.Counter({"x": 3}),
        "slice": slice(1, 10, 2),
        "empty_object": Empty(),
        "numpy_scalar": [np.float64(2.5), np.int64(7)],
        "torch_values": [torch.Size([2, 3]), torch.float16, torch.device("cpu")],
        "slotted": [1, Slotted()],
    }


def write_pickles(out):
    os.makedirs(out, exist_ok=True)
    for name, obj in pickle_cases().items():
        text = canonical(obj)
        for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
            try:
                data = pickle.dumps(obj, protocol=protocol)
            except Exception:  # e.g. __slots__ classes below protocol 2
                continue
            with open(os.path.join(out, "%s.p%d.pkl" % (name, protocol)), "wb") as f:
                f.write(data)
            with open(os.path.join(out, "%s.p%d.txt" % (name, protocol)), "w") as f:
                f.write(text)


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    other = torch.linspace(-1, 1, 5, dtype=torch.float64)
    return {
        "base": base, "row": base[1], "block": base[1:3, 2:5], "transposed": base.t(), "column": base[:, 1],
        "scalar": base[2, 3], "empty": base[4:, :], "expanded": other[:1].expand(3, 4), "other": other,
        "other_tail": other[2:],
    }


def dtypes(legacy):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, generator=g)
    out = {
        "float32": x, "float64": x.double() * 3, "float16": x.half(), "bfloat16": x.bfloat16(),
        "int64": torch.tensor([[-2**40, 5], [7, 2**62]]), "int32": torch.tensor([-7, 2**30], dtype=torch.int32),
        "int16": torch.tensor([-300, 300], dtype=torch.int16), "int8": torch.tensor([-128, 127], dtype=torch.int8),
        "uint8": torch.tensor([0, 200, 255], dtype=torch.uint8), "bool": torch.tensor([True, False, True]),
        "complex64": torch.tensor([1 + 2j, -3.5j]), "complex128": torch.tensor([2 - 1j], dtype=torch.complex128),
        "conj": torch.tensor([1 + 2j, 3 - 4j]).conj(), "neg": torch.tensor([1 + 2j, 3 - 4j]).conj().imag,
        "parameter": torch.nn.Parameter(torch.ones(2, 2)),
    }
    if not legacy:
        out["uint16"] = torch.tensor([1, 40000, 65535]).to(torch.uint16)
    return out


def nested():
    g = torch.Generator().manual_seed(1)
    w = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    return {
        "model": collections.OrderedDict([("module.fc.weight", w(2, 3)), ("module.fc.bias", w(2)),
                                          ("module.bn.running_mean", w(2))]),
        "state_dict_ema": {"fc.weight": w(2, 3), "fc.bias": w(2)},
        "optimizer": {"state": {0: {"step": torch.tensor(3.0), "exp_avg": w(2, 3)}},
                      "param_groups": [{"lr": 0.001, "params": [0, 1], "betas": (0.9, 0.999)}]},
        "epoch": 7,
        "args": argparse.Namespace(lr=0.5, model="focal_tiny"),
        "config": ConfigNode(TRAIN=ConfigNode(EPOCHS=300)),
        "scalar": np.float64(1.25),
        "dtype": torch.bfloat16,
    }


def save(obj, path, legacy):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)


def write_case(out, stem, obj, legacy):
    save(obj, os.path.join(out, stem + ".pth"), legacy)
    with open(os.path.join(out, stem + ".txt"), "w") as f:
        f.write(canonical(obj))
    write_manifest(obj, os.path.join(out, stem + ".manifest"))


def storage_dtypes(archive):
    """Maps each storage record key of a torch.save zip to the dtype its tensors read it as."""
    dtypes = {}

    class Recorder(pickle.Unpickler):
        def persistent_load(self, pid):
            return pid

        def find_class(self, module, name):
            if name == "_rebuild_tensor_v2":
                def rebuild(pid, offset, size, stride, *rest):
                    dtypes[pid[2]] = pid[1].dtype
                return rebuild
            if name == "_rebuild_tensor_v3":
                def rebuild(pid, offset, size, stride, requires_grad, hooks, dtype, *rest):
                    dtypes[pid[2]] = dtype
                return rebuild
            return super().find_class(module, name)

    pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
    Recorder(io.BytesIO(archive.read(pkl))).load()
    return dtypes


def write_big_endian(out, obj):
    """A zip written by Python's zipfile (another writer than torch's), in big-endian byte order."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    dtypes = storage_dtypes(src)
    with zipfile.ZipFile(os.path.join(out, "big_endian.pth"), "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in info.filename:
                dtype = dtypes[info.filename.rsplit("/", 1)[1]]
                unit = torch.empty(0, dtype=dtype).element_size() // (2 if dtype.is_complex else 1)
                if unit > 1:
                    data = np.frombuffer(data, dtype=np.uint8).reshape(-1, unit)[:, ::-1].tobytes()
            dst.writestr(info.filename, data)
    with open(os.path.join(out, "big_endian.txt"), "w") as f:
        f.write(canonical(obj))


def write_checkpoints(out):
    os.makedirs(out, exist_ok=True)
    for legacy in (False, True):
        suffix = "_legacy" if legacy else ""
        write_case(out, "views" + suffix, views(), legacy)
        write_case(out, "dtypes" + suffix, dtypes(legacy), legacy)
        write_case(out, "nested" + suffix, nested(), legacy)
    # Saved from "cuda:0": only the location string differs; the reader must land the tensors on CPU.
    import torch.serialization as ts
    real_tag = ts.location_tag
    ts.location_tag = lambda storage: "cuda:0"
    try:
        write_case(out, "cuda", views(), False)
        write_case(out, "cuda_legacy", views(), True)
    finally:
        ts.location_tag = real_tag
    # uint16 is saved untyped (_rebuild_tensor_v3), whose bytes torch.load itself does not swap.
    write_big_endian(out, {k: v for k, v in dtypes(False).items() if k != "uint16"})


def describe_fixtures(fixtures, out):
    # The training checkpoint pickles a yacs CfgNode; a stand-in module lets Python (not the C++ reader) load it.
    yacs = types.ModuleType("yacs")
    yacs_config = types.ModuleType("yacs.config")
    yacs_config.CfgNode = type("CfgNode", (dict,), {})
    sys.modules.setdefault("yacs", yacs)
    sys.modules.setdefault("yacs.config", yacs_config)
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(fixtures)):
        if not name.endswith(".pth"):
            continue
        obj = torch.load(os.path.join(fixtures, name), weights_only=False, map_location="cpu")
        with open(os.path.join(out, name + ".txt"), "w") as f:
            f.write(canonical(obj))
        write_manifest(obj, os.path.join(out, name + ".manifest"))


def main():
    out = sys.argv[1]
    write_pickles(os.path.join(out, "pickles"))
    write_checkpoints(os.path.join(out, "ckpt"))
    if len(sys.argv) > 2 and os.path.isdir(sys.argv[2]):
        describe_fixtures(sys.argv[2], os.path.join(out, "fixtures"))
    with open(os.path.join(out, "done"), "w") as f:
        f.write("ok")


if __name__ == "__main__":
    main()
