#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/). Run by hand with the project's
Python (.venv: torch, Pillow) when a reader gains a feature; the outputs are committed, so neither the fuzz
runs nor the replay tests need Python. Seeds are small (libFuzzer mutates small inputs far faster) and are
taken from the golden fixtures (a state dict's names, dtypes and shapes, cut to a few elements), the bench
JPEG corpus, Fashion-MNIST and the configs/ folder, plus variants the readers must handle.

    .venv/bin/python tests/fuzz/make_corpus.py [--fixtures DIR] [--bench DIR] [--fmnist DIR]
"""
import argparse
import collections
import gzip
import io
import pathlib
import pickle
import struct
import tarfile

import torch
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEP = b"\n--8<--\n"


def out(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def saved(obj, zip_format=True, protocol=2):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format, pickle_protocol=protocol)
    return buf.getvalue()


def checkpoint_seeds(fixtures):
    sd = torch.load(fixtures / "focal_micro_224.pth", map_location="cpu", weights_only=True)
    if "model" in sd:
        sd = sd["model"]
    small = collections.OrderedDict()
    for i, (k, v) in enumerate(sd.items()):
        if i >= 6:
            break
        small[k] = v.flatten()[:4].clone() if v.dim() else v.clone()
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    shared = {"a": base, "t": base.t(), "row": base[1], "slice": base[:, 1:3]}
    dtypes = {str(d): torch.ones(2, dtype=d) for d in
              (torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32, torch.int8, torch.uint8,
               torch.bool, torch.complex64)}
    train = {"model": small, "optimizer": {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(2)}},
                                           "param_groups": [{"lr": 1e-3, "params": [0], "betas": (0.9, 0.999)}]},
             "epoch": 4, "max_accuracy": 71.5, "config": "MODEL:\n  TYPE: focal\n"}
    for name, obj in {"state_dict": small, "views": shared, "dtypes": dtypes, "train_ckpt": train,
                      "module_prefix": {"module." + k: v for k, v in small.items()},
                      "scalar_tensor": {"x": torch.tensor(1.5)}, "empty_tensor": {"e": torch.zeros(0, 3)}}.items():
        out("checkpoint", name + ".zip.pth", saved(obj))
        out("checkpoint", name + ".legacy.pth", saved(obj, zip_format=False))
    out("checkpoint", "state_dict.legacy.p4.pth", saved(small, zip_format=False, protocol=4))
    plain = {"ints": [0, 1, -1, 255, 65536, 2**31, -2**63, 2**70], "f": 1.5, "s": "text", "b": b"\x00\xff",
             "t": (1, (2, 3)), "n": None, "bools": [True, False], "set": {1, 2}, "fs": frozenset([3]),
             "od": collections.OrderedDict(a=1), "nested": [[[[]]]], "ba": bytearray(b"ab"), "c": 1 + 2j}
    for protocol in range(0, 6):
        out("checkpoint", f"plain.p{protocol}.pkl", pickle.dumps(plain, protocol=protocol))
    memo = [["x"] * 3] * 3
    out("checkpoint", "memo.p2.pkl", pickle.dumps({"m": memo, "again": memo}, protocol=2))


def jpeg_images(bench):
    files = sorted((bench / "imagenet-like-jpeg").rglob("*.jpg"), key=lambda p: p.stat().st_size)[:4]
    seeds = {p.parent.name + "_" + p.name: p.read_bytes() for p in files}
    rgb = Image.new("RGB", (37, 21))
    for x in range(37):
        for y in range(21):
            rgb.putpixel((x, y), (x * 7 % 256, y * 11 % 256, (x * y) % 256))
    for name, img, kw in [("rgb444", rgb, {"subsampling": 0}), ("rgb420", rgb, {"subsampling": 2}),
                          ("rgb422", rgb, {"subsampling": 1}), ("progressive", rgb, {"progressive": True}),
                          ("gray", rgb.convert("L"), {}), ("cmyk", rgb.convert("CMYK"), {}),
                          ("restart", rgb, {"restart_marker_blocks": 1}),
                          ("tiny", rgb.resize((1, 1)), {}), ("q100", rgb, {"quality": 100})]:
        buf = io.BytesIO()
        img.save(buf, "JPEG", **kw)
        seeds[name + ".jpg"] = buf.getvalue()
    return seeds, rgb


def image_seeds(bench):
    jpegs, rgb = jpeg_images(bench)
    for name, data in jpegs.items():
        out("jpeg", name, data)
        # The region target reads its window and scale from the last five bytes (after EOI: ignored by
        # the decoder); several windows per image.
        for i, knobs in enumerate((b"\x00\x00\xff\xff\x00", b"\x80\x40\x20\x20\x03", b"\xf0\xf0\x08\x08\x07")):
            out("jpeg_region", f"{i}_{name}", data + knobs)
    for name, img, kw in [("rgb", rgb, {}), ("rgba", rgb.convert("RGBA"), {}), ("gray", rgb.convert("L"), {}),
                          ("la", rgb.convert("LA"), {}), ("palette", rgb.convert("P"), {}),
                          ("bilevel", rgb.convert("1"), {}), ("gray16", rgb.convert("I;16"), {}),
                          ("optimized", rgb, {"optimize": True})]:
        buf = io.BytesIO()
        img.save(buf, "PNG", **kw)
        out("png", name + ".png", buf.getvalue())
    header_seeds(rgb)


def header_seeds(rgb):
    """The formats OpenCV decodes once data/decode/image_header.cpp has read their declared size."""
    for name, img, fmt, kw in [("rgb.bmp", rgb, "BMP", {}), ("gray.bmp", rgb.convert("L"), "BMP", {}),
                               ("rgb.ppm", rgb, "PPM", {}), ("gray.pgm", rgb.convert("L"), "PPM", {}),
                               ("bilevel.pbm", rgb.convert("1"), "PPM", {}), ("rgb.tif", rgb, "TIFF", {}),
                               ("lzw.tif", rgb, "TIFF", {"compression": "tiff_lzw"}),
                               ("gray.tif", rgb.convert("L"), "TIFF", {}),
                               ("lossless.webp", rgb, "WEBP", {"lossless": True}),
                               ("lossy.webp", rgb, "WEBP", {"quality": 50})]:
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        out("image_header", name, buf.getvalue())
        if name == "lossless.webp":
            lossless = buf.getvalue()
    w, h = rgb.size
    # The extended layout: a VP8X chunk with the canvas size, then the lossless image.
    body = b"WEBP" + b"VP8X" + struct.pack("<II", 10, 0) + struct.pack("<I", w - 1)[:3] + \
        struct.pack("<I", h - 1)[:3] + lossless[12:]
    out("image_header", "extended.webp", b"RIFF" + struct.pack("<I", len(body)) + body)
    # An OS/2 core-header BMP (16-bit sizes) and a big-endian TIFF, which Pillow does not write.
    rows = b"".join(b"".join(bytes(rgb.getpixel((x, y))[::-1]) for x in range(w)) + b"\0" * (-3 * w % 4)
                    for y in reversed(range(h)))
    out("image_header", "os2.bmp", b"BM" + struct.pack("<IHHI", 26 + len(rows), 0, 0, 26) +
        struct.pack("<IHHHH", 12, w, h, 1, 24) + rows)
    pixels = rgb.tobytes()
    # ImageWidth, ImageLength, BitsPerSample, Compression (none), RGB, StripOffsets, SamplesPerPixel,
    # RowsPerStrip, StripByteCounts, PlanarConfiguration (contiguous); the strip follows the directory.
    n = 10
    strip = 8 + 2 + 12 * n + 4
    tags = [(256, 3, w), (257, 3, h), (258, 3, 8), (259, 3, 1), (262, 3, 2), (273, 4, strip), (277, 3, 3),
            (278, 3, h), (279, 4, len(pixels)), (284, 3, 1)]
    ifd = struct.pack(">H", n) + b"".join(
        struct.pack(">HHI", t, k, 1) + (struct.pack(">HH", v, 0) if k == 3 else struct.pack(">I", v))
        for t, k, v in tags) + b"\0\0\0\0"
    out("image_header", "big_endian.tif", b"MM\0*" + struct.pack(">I", 8) + ifd + pixels)


def tar_seeds(bench):
    jpegs, _ = jpeg_images(bench)
    small = [v for k, v in sorted(jpegs.items()) if k.endswith(".jpg")][-3:]

    def shard(members, fmt=tarfile.USTAR_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
            for name, data in members:
                info = tarfile.TarInfo(name)
                if data is None:
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                    continue
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    samples = [(f"s{i:03d}.jpg", d) for i, d in enumerate(small)] + [(f"s{i:03d}.cls", b"%d" % i) for i in range(3)]
    samples.sort()
    out("tar_shard", "shard.tar", shard(samples))
    out("tar_shard", "dirs.tar", shard([("d", None)] + [("d/" + n, v) for n, v in samples]))
    long_dir = "a" * 120
    out("tar_shard", "gnu_long.tar", shard([(long_dir + "/k.png", b"\x89PNG"), (long_dir + "/k.cls", b"1")],
                                           tarfile.GNU_FORMAT))
    out("tar_shard", "ustar_prefix.tar", shard([("p" * 90 + "/" + "q" * 60 + "/k.jpg", small[0]),
                                                ("p" * 90 + "/" + "q" * 60 + "/k.cls", b"0")]))
    out("tar_shard", "pax.tar", shard([("x.jpg", small[0]), ("x.cls", b"2")], tarfile.PAX_FORMAT))


def idx_seeds(fmnist):
    images = gzip.decompress((fmnist / "train-images-idx3-ubyte.gz").read_bytes())
    labels = gzip.decompress((fmnist / "train-labels-idx1-ubyte.gz").read_bytes())
    n = 3
    img = struct.pack(">IIII", 2051, n, 28, 28) + images[16:16 + n * 784]
    lab = struct.pack(">II", 2049, n) + labels[8:8 + n]
    out("idx", "raw", img + SEP + lab)
    out("idx", "gzip", gzip.compress(img) + SEP + gzip.compress(lab))
    small = struct.pack(">IIII", 2051, 2, 2, 3) + bytes(range(12))
    out("idx", "small", small + SEP + struct.pack(">II", 2049, 2) + b"\x01\x09")


def config_seeds():
    configs = ROOT / "configs"
    for p in sorted(configs.glob("*.yaml"))[:12]:
        out("config", p.name, p.read_bytes())
    base = (configs / "focal_tiny_patch4_window7_224.yaml").read_bytes()
    out("config", "with_base", b"BASE: ['base.yaml']\nTRAIN:\n  EPOCHS: 3\n" + SEP + base)
    out("config", "two_bases", b"BASE: [base.yaml, other.yaml]\nDATA:\n  BATCH_SIZE: 8\n" + SEP +
        b"MODEL:\n  DROP_PATH_RATE: 0.1\n" + SEP + b"BASE: ['']\nTRAIN:\n  BASE_LR: 0.001\n")
    out("config", "cycle", b"BASE: ['base.yaml']\n" + SEP + b"BASE: ['main.yaml']\n")
    out("config", "scalar_base", b"BASE: other.yaml\n" + SEP + b"\n" + SEP + b"MODEL:\n  SPEC: {a: 1}\n")
    out("config", "anchors", b"MODEL: &m\n  NAME: x\nTRAIN:\n  EPOCHS: 2\n  WARMUP_EPOCHS: 1\n")


def dictionaries():
    ops = {"MARK": b"(", "STOP": b".", "POP": b"0", "POP_MARK": b"1", "DUP": b"2", "FLOAT": b"F", "INT": b"I",
           "BININT": b"J", "BININT1": b"K", "LONG": b"L", "BININT2": b"M", "NONE": b"N", "PERSID": b"P",
           "BINPERSID": b"Q", "REDUCE": b"R", "STRING": b"S", "BINSTRING": b"T", "SHORT_BINSTRING": b"U",
           "UNICODE": b"V", "BINUNICODE": b"X", "APPEND": b"a", "BUILD": b"b", "GLOBAL": b"c", "DICT": b"d",
           "EMPTY_DICT": b"}", "APPENDS": b"e", "GET": b"g", "BINGET": b"h", "INST": b"i", "LONG_BINGET": b"j",
           "LIST": b"l", "EMPTY_LIST": b"]", "OBJ": b"o", "PUT": b"p", "BINPUT": b"q", "LONG_BINPUT": b"r",
           "SETITEM": b"s", "TUPLE": b"t", "EMPTY_TUPLE": b")", "SETITEMS": b"u", "BINFLOAT": b"G",
           "PROTO": b"\x80", "NEWOBJ": b"\x81", "EXT1": b"\x82", "TUPLE1": b"\x85", "TUPLE2": b"\x86",
           "TUPLE3": b"\x87", "NEWTRUE": b"\x88", "NEWFALSE": b"\x89", "LONG1": b"\x8a", "LONG4": b"\x8b",
           "SHORT_BINUNICODE": b"\x8c", "BINUNICODE8": b"\x8d", "BINBYTES8": b"\x8e", "EMPTY_SET": b"\x8f",
           "ADDITEMS": b"\x90", "FROZENSET": b"\x91", "NEWOBJ_EX": b"\x92", "STACK_GLOBAL": b"\x93",
           "MEMOIZE": b"\x94", "FRAME": b"\x95", "BYTEARRAY8": b"\x96", "BINBYTES": b"B", "SHORT_BINBYTES": b"C"}
    words = {f"op_{k}": v for k, v in ops.items()}
    words.update({
        "proto2": b"\x80\x02", "proto4": b"\x80\x04",
        "g_rebuild_v2": b"ctorch._utils\n_rebuild_tensor_v2\n", "g_rebuild": b"ctorch._utils\n_rebuild_tensor\n",
        "g_param": b"ctorch._utils\n_rebuild_parameter\n", "g_odict": b"ccollections\nOrderedDict\n",
        "g_float_storage": b"ctorch\nFloatStorage\n", "g_long_storage": b"ctorch\nLongStorage\n",
        "g_half_storage": b"ctorch\nHalfStorage\n", "g_untyped": b"ctorch\nUntypedStorage\n",
        "g_dtype": b"ctorch\nfloat32\n", "g_builtins_set": b"c__builtin__\nset\n", "g_codecs": b"c_codecs\nencode\n",
        "storage": b"X\x07\x00\x00\x00storage", "cpu": b"X\x03\x00\x00\x00cpu", "cuda0": b"X\x06\x00\x00\x00cuda:0",
        "legacy_magic": b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", "legacy_proto": b"M\xe9\x03",
        "zip_local": b"PK\x03\x04", "zip_central": b"PK\x01\x02", "zip_end": b"PK\x05\x06",
        "zip64_end": b"PK\x06\x06", "zip64_locator": b"PK\x06\x07", "zip64_extra": b"\x01\x00\x18\x00",
        "unset32": b"\xff\xff\xff\xff", "data_pkl": b"archive/data.pkl", "data_0": b"archive/data/0",
        "byteorder": b"archive/byteorder", "little": b"little", "big": b"big", "version": b"archive/version",
    })
    write_dict("checkpoint", words)
    write_dict("config", {k: v.encode() for k, v in {
        "base": "BASE: ", "base_list": "BASE: ['base.yaml', 'other.yaml']", "main": "main.yaml",
        "base_file": "base.yaml", "other": "other.yaml", "sep": "\n--8<--\n", "model": "MODEL:\n  ",
        "train": "TRAIN:\n  ", "data": "DATA:\n  ", "spec": "SPEC:", "focal": "FOCAL:\n    ",
        "depths": "DEPTHS: [2, 2, 6, 2]", "null": "null", "none": "None", "anchor": "&a ", "alias": "*a",
        "merge": "<<: ", "tag": "!!str ", "flow_map": "{a: 1}", "flow_seq": "[1, 2]", "doc": "---\n",
        "block": "|\n  ", "true": "true", "float": "1e-3", "neg": "-1", "big": "99999999999999999999"}.items()})
    write_dict("jpeg", {"soi": b"\xff\xd8\xff", "eoi": b"\xff\xd9", "sof0": b"\xff\xc0", "sof1": b"\xff\xc1",
                        "sof2": b"\xff\xc2", "sof3": b"\xff\xc3", "dht": b"\xff\xc4", "dqt": b"\xff\xdb",
                        "dri": b"\xff\xdd", "sos": b"\xff\xda", "rst0": b"\xff\xd0", "app0": b"\xff\xe0JFIF\x00",
                        "app14": b"\xff\xeeAdobe", "app1": b"\xff\xe1Exif\x00\x00", "com": b"\xff\xfe",
                        "dac": b"\xff\xcc", "sof9": b"\xff\xc9", "max_dim": b"\xff\xff"})
    write_dict("png", {"sig": b"\x89PNG\r\n\x1a\n", "ihdr": b"IHDR", "plte": b"PLTE", "idat": b"IDAT",
                       "iend": b"IEND", "trns": b"tRNS", "gama": b"gAMA", "iccp": b"iCCP", "sbit": b"sBIT",
                       "zlib": b"\x78\x9c", "huge": b"\x7f\xff\xff\xff", "bits16": b"\x10"})
    write_dict("image_header", {"bmp": b"BM", "core": b"\x0c\x00\x00\x00", "info": b"\x28\x00\x00\x00",
                                "p4": b"P4\n", "p5": b"P5\n", "p6": b"P6\n", "comment": b"#",
                                "tiff_le": b"II*\x00", "tiff_be": b"MM\x00*", "bigtiff": b"II+\x00",
                                "width_le": b"\x00\x01", "length_le": b"\x01\x01", "tile_le": b"\x42\x01",
                                "width_be": b"\x01\x00", "short": b"\x03\x00", "long": b"\x04\x00",
                                "riff": b"RIFF", "webp": b"WEBP", "vp8": b"VP8 ", "vp8l": b"VP8L", "vp8x": b"VP8X",
                                "vp8_start": b"\x9d\x01\x2a", "huge": b"\xff\xff\xff\x7f"})
    write_dict("tar_shard", {"ustar": b"ustar\x0000", "gnu": b"ustar  \x00", "longlink": b"././@LongLink",
                             "cls": b".cls", "jpg": b".jpg", "png": b".png", "type_l": b"L", "type_x": b"x",
                             "type_5": b"5", "octal": b"00000001000\x00", "big_octal": b"77777777777\x00",
                             "checksum_blank": b"        "})
    write_dict("idx", {"img_magic": b"\x00\x00\x08\x03", "lab_magic": b"\x00\x00\x08\x01",
                       "sep": b"\n--8<--\n", "gzip": b"\x1f\x8b\x08\x00", "dim28": b"\x00\x00\x00\x1c",
                       "huge": b"\xff\xff\xff\xff", "one": b"\x00\x00\x00\x01"})


def write_dict(name, words):
    lines = ["# libFuzzer dictionary (tests/fuzz/make_corpus.py)"]
    for k, v in words.items():
        lines.append(k + '="' + "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else f"\\x{c:02x}"
                                        for c in v) + '"')
    (HERE / "dict" / (name + ".dict")).write_text("\n".join(lines) + "\n")
    if name == "jpeg":
        (HERE / "dict" / "jpeg_region.dict").write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=pathlib.Path, default=ROOT.parent / "shared/fixtures/focal")
    ap.add_argument("--bench", type=pathlib.Path, default=ROOT.parent / "shared/bench")
    ap.add_argument("--fmnist", type=pathlib.Path, default=pathlib.Path("/usr/share/datasets/fashion-mnist"))
    a = ap.parse_args()
    (HERE / "dict").mkdir(exist_ok=True)
    checkpoint_seeds(a.fixtures)
    image_seeds(a.bench)
    tar_seeds(a.bench)
    idx_seeds(a.fmnist)
    config_seeds()
    dictionaries()


if __name__ == "__main__":
    main()
