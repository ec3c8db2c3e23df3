#!/usr/bin/env python3
"""The prepared GPU check of issue 10 (run by scripts/device_check.sh; see PERFORMANCE.md).

Runs, with the executables of the device bundle (.device/, scripts/device_bundle.sh) or of a build folder:
  1. parity: every carried Focal / Focal-v2 fixture through focal-verify on the device, float32 (TF32 off) and
     bf16 (autocast, focal-verify --dtype bf16 with the relative tolerances its --help states); then Swin
     (timm's Swin-T and a window-12 micro Swin) and HaloNet-H1 the same way, against references timm writes
     there with the test suite's scripts (the dry run: the micro Swin and HaloNet-H1);
  2. the [cuda] test cases of every bundled test binary;
  3. focal-bench bf16 train step and inference for Focal-T/S/B and the other registered families' tiny models
     (Focal-v2-T, Swin-T, HaloNet-H1 when registered): images/s, peak memory, MFU from the analytic MACs;
  4. the same in Python in the same run: the original Focal Transformer (eager, AMP bf16) and timm's
     swin_tiny_patch4_window7_224 (eager, and torch.compile if it works), with ratios;
  5. focal-train on synthetic data with the full recipe (AdamW, schedule, Mixup/CutMix, EMA, bf16), a few
     hundred steps, figures from its log; then a shorter run of the same with TRAIN.CUDA_GRAPH True (the step
     captured in a CUDA graph), its images/s against the eager run's (the dry run checks that the CPU refuses
     the key with a reason instead).
Writes device_check.json and device_check.md to --out. --dry-run runs the same steps on the CPU with tiny
sizes (float32, batch 1-8, one timed step), so the logic is tested before GPU time is spent; there the [cuda]
cases skip by design (exit status 77), which the dry run accepts and a GPU run counts as a failure.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0}
FOCAL_MODELS = ["focal_tiny_patch4_window7_224", "focal_small_patch4_window7_224", "focal_base_patch4_window7_224"]


class Check:
    def __init__(self, args):
        self.args = args
        self.dry = args.dry_run
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="work.", dir=self.out)
        self.t0 = time.monotonic()
        self.results = {"dry_run": self.dry, "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "machine": {}, "steps": {}, "failures": []}
        self.device = "cpu" if self.dry else "cuda"
        bundle = os.path.abspath(args.bundle)
        packed = os.path.join(bundle, "runtime.tar.xz")
        if os.path.isfile(packed):  # the bundle's executables and libraries, unpacked for this run
            with tarfile.open(packed) as t:
                t.extractall(os.path.join(self.work, "runtime"))
            runtime = os.path.join(self.work, "runtime")
            self.bin_dir, self.test_dir = os.path.join(runtime, "bin"), os.path.join(runtime, "tests")
            self.lib_dir = os.path.join(runtime, "lib")
            self.source = "bundle " + bundle
        elif os.path.isfile(os.path.join(bundle, "bin", "focal-bench")):
            self.bin_dir, self.test_dir = os.path.join(bundle, "bin"), os.path.join(bundle, "tests")
            self.lib_dir = os.path.join(bundle, "lib")
            self.source = "bundle " + bundle
        else:
            build = os.path.abspath(args.build_dir)
            self.bin_dir, self.test_dir, self.lib_dir = os.path.join(build, "bin"), os.path.join(build, "tests"), None
            self.source = "build folder " + build
        self.bundle = bundle
        self.env = dict(os.environ)
        torch_lib = self.python_out("import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
        paths = [p for p in [self.lib_dir, torch_lib, self.env.get("LD_LIBRARY_PATH")] if p]
        self.env["LD_LIBRARY_PATH"] = ":".join(paths)
        self.env["FOCAL_PYTHON"] = args.python
        self.env.setdefault("OMP_NUM_THREADS", str(args.threads) if self.dry else self.env.get("OMP_NUM_THREADS", "8"))

    # -- helpers ----------------------------------------------------------------------------------------------
    def left(self):
        return self.args.time_limit - (time.monotonic() - self.t0)

    def python_out(self, code):
        try:
            return subprocess.run([self.args.python, "-c", code], capture_output=True, text=True, timeout=120,
                                  check=True).stdout.strip()
        except Exception:
            return ""

    def run(self, cmd, timeout, env=None):
        """Runs cmd; returns (exit status, output, seconds). 124: timed out (or no time left)."""
        timeout = min(timeout, max(self.left() - 5, 0))
        t = time.monotonic()
        if timeout <= 0:
            return 124, "not run: the check's time limit was reached", 0.0
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or self.env, cwd=ROOT)
            return p.returncode, p.stdout + p.stderr, time.monotonic() - t
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"") if isinstance(e.stdout, bytes) else (e.stdout or "")
            if isinstance(out, bytes):
                out = out.decode(errors="replace")
            return 124, out + f"\n(timed out after {timeout:.0f} s)", time.monotonic() - t
        except OSError as e:
            return 127, str(e), 0.0

    def fail(self, step, what):
        self.results["failures"].append(f"{step}: {what}")

    def log(self, text):
        print(f"[{time.monotonic() - self.t0:6.1f} s] {text}", flush=True)

    # -- 0. the machine ---------------------------------------------------------------------------------------
    def machine(self):
        m = self.results["machine"]
        m["host"] = platform.node()
        m["cpus"] = os.cpu_count()
        m["load_average"] = list(os.getloadavg())
        m["executables_from"] = self.source
        manifest = os.path.join(self.bundle, "MANIFEST")
        if os.path.isfile(manifest):
            m["bundle_manifest"] = open(manifest).read().strip().splitlines()
        info = self.python_out("import torch, json; print(json.dumps({'torch': torch.__version__, "
                               "'cuda_available': torch.cuda.is_available(), 'cuda': torch.version.cuda, "
                               "'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))")
        try:
            m.update(json.loads(info))
        except ValueError:
            m["torch"] = "python/torch not importable"
        rc, out, _ = self.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                              20)
        m["nvidia_smi"] = out.strip() if rc == 0 else None
        self.gpu = m.get("gpu") or ""
        self.peak_tflops = self.args.peak_tflops or next(
            (v for k, v in PEAK_BF16_TFLOPS.items() if k in self.gpu), None)
        m["peak_bf16_tflops_for_mfu"] = self.peak_tflops
        if not self.dry and not m.get("cuda_available"):
            self.fail("machine", "torch sees no CUDA device: this is not a GPU run (use --dry-run on a CPU)")

    # -- 1. parity --------------------------------------------------------------------------------------------
    def fixtures(self):
        """(family, name, folder) of every fixture: the bundle's (extracted here) or the shared folder's."""
        found = []
        packed = os.path.join(self.bundle, "fixtures")
        if os.path.isdir(packed) and self.lib_dir:
            for family in sorted(os.listdir(packed)):
                for f in sorted(os.listdir(os.path.join(packed, family))):
                    if f.endswith(".tar.xz"):
                        dest = os.path.join(self.work, "fixtures", family)
                        os.makedirs(dest, exist_ok=True)
                        with tarfile.open(os.path.join(packed, family, f)) as t:
                            t.extractall(dest)
                        found.append((family, f[:-len(".tar.xz")], dest))
        else:
            shared = self.args.fixtures
            for family in ("focal", "focalv2"):
                d = os.path.join(shared, family)
                if not os.path.isdir(d):
                    continue
                for f in sorted(os.listdir(d)):
                    if f.endswith(".io.pth"):
                        found.append((family, f[:-len(".io.pth")], d))
        return found

    def parity(self):
        step = self.results["steps"].setdefault("1_parity", {"rows": []})
        fixtures = self.fixtures()
        if self.dry:
            fixtures = [f for f in fixtures if f[1] in ("focal_micro_224", "focalv2_micro_224")] or fixtures[:1]
        step["fixtures"] = [f"{fam}/{name}" for fam, name, _ in fixtures]
        manifest = self.results["machine"].get("bundle_manifest", [])
        step["not_carried"] = next((l.split(":", 1)[1].strip() for l in manifest if l.startswith("fixtures_left_out")),
                                   "")
        verify = os.path.join(self.bin_dir, "focal-verify")
        _, helptext, _ = self.run([verify, "--help"], 30)
        dtypes = ["fp32", "bf16"]
        m = re.search(r"bf16: .*?\)", " ".join(helptext.split()))
        step["bf16"] = ("bf16: focal-verify --dtype bf16 (autocast), tolerances from its --help: " + m.group(0)
                        if m else "")
        if "--dtype" not in helptext:
            self.fail("parity", "focal-verify has no --dtype option: the bf16 parity cannot run")
            dtypes = ["fp32"]
        for fam, name, d in fixtures:
            for dtype in dtypes:
                rc, out, summary, sec = self.run_verify(verify, os.path.join(d, name + ".json"),
                                                        os.path.join(d, name + ".pth"),
                                                        os.path.join(d, name + ".io.pth"), dtype, 120)
                if rc == 2 and "is not a FocalTransformer constructor argument" in out:
                    # focal-verify reads Focal v1 configurations only; this family's CUDA parity is the
                    # [cuda] case of its test binary (step 2).
                    summary = (f"not read by focal-verify (Focal v1 only): CUDA float32 parity of {fam} is the [cuda] "
                               f"case of test_{fam} in step 2; no bf16 parity for it")
                    rc = None
                self.parity_row(step, f"{fam}/{name}", dtype, rc, summary, sec)
                if rc is None:
                    break
        self.timm_parity(step, verify, dtypes)

    def run_verify(self, verify, config, weights, io, dtype, timeout):
        """focal-verify of one reference on the device: (exit status, output, its summary line, seconds)."""
        cmd = [verify, "--config", config, "--checkpoint", weights, "--reference", io, "--device", self.device]
        if dtype != "fp32":
            cmd += ["--dtype", dtype]
        rc, out, sec = self.run(cmd, timeout)
        summary = next((l for l in reversed(out.splitlines()) if "tensors compared" in l), out.strip()[-300:])
        return rc, out, summary, sec

    def parity_row(self, step, label, dtype, rc, summary, sec):
        """Records one parity row; a non-zero exit (None: not applicable) is a failure."""
        step["rows"].append({"fixture": label, "dtype": dtype, "exit": rc, "summary": summary,
                             "seconds": round(sec, 1)})
        if rc is not None and rc != 0:
            self.fail("parity", f"{label} {dtype}: exit {rc}: {summary}")
        self.log(f"parity {label} {dtype}: exit {rc}")

    def timm_references(self, step):
        """Swin and HaloNet have no carried fixtures: their references come from timm, written here by the
        test suite's own scripts (CPU, float32). Returns (family/name, config, weights, io.pth) of each."""
        refs, out = [], os.path.join(self.work, "timm_references")
        swin_dir, halo_dir = os.path.join(out, "swin"), os.path.join(out, "halonet")
        os.makedirs(swin_dir, exist_ok=True)
        os.makedirs(halo_dir, exist_ok=True)
        # The dry run makes only the micro Swin (window 12 at 384); the full Swin-T reference takes a minute on 2 cores.
        swin_variants = ["w12_384"] if self.dry else ["w12_384", "tiny"]
        rc, text, sec = self.run([self.args.python, os.path.join(ROOT, "tests", "swin", "timm_reference.py"), swin_dir,
                                  *swin_variants], 600)
        step["timm_references"] = [f"swin ({', '.join(swin_variants)}): exit {rc}, {sec:.0f} s"]
        if rc == 0:
            yaml = os.path.join(swin_dir, "w12_384.yaml")  # the variant's configuration, written by the script
            refs.append(("swin/w12_384", yaml, os.path.join(swin_dir, "w12_384.timm.pth"),
                         os.path.join(swin_dir, "w12_384.io.pth")))
            if "tiny" in swin_variants:
                refs.append(("swin/tiny", os.path.join(ROOT, "configs", "swin_tiny_patch4_window7_224.yaml"),
                             os.path.join(swin_dir, "tiny.timm.pth"), os.path.join(swin_dir, "tiny.io.pth")))
        else:
            self.fail("parity", f"tests/swin/timm_reference.py: exit {rc}: {text.strip()[-300:]}")
        rc, text, sec = self.run([self.args.python, os.path.join(ROOT, "tests", "halonet", "timm_reference.py"),
                                  halo_dir], 300)
        step["timm_references"].append(f"halonet (h1): exit {rc}, {sec:.0f} s")
        if rc == 0:
            refs.append(("halonet/h1", os.path.join(ROOT, "configs", "halonet_h1.yaml"),
                         os.path.join(halo_dir, "weights.pth"), os.path.join(halo_dir, "io.pth")))
        else:
            self.fail("parity", f"tests/halonet/timm_reference.py: exit {rc}: {text.strip()[-300:]}")
        return refs

    def timm_parity(self, step, verify, dtypes):
        if not self.python_out("import timm; print('ok')"):
            step["timm_references"] = ["skipped: no timm in " + self.args.python]
            if not self.dry:  # the GPU machine has timm (/opt/torch/.venv): its absence is a failure there
                self.fail("parity", "no timm: the Swin and HaloNet parity did not run")
            return
        for label, config, weights, io in self.timm_references(step):
            for dtype in dtypes:
                rc, _, summary, sec = self.run_verify(verify, config, weights, io, dtype, 240)
                self.parity_row(step, f"{label} (timm)", dtype, rc, summary, sec)

    # -- 2. [cuda] tests --------------------------------------------------------------------------------------
    def cuda_tests(self):
        step = self.results["steps"].setdefault("2_cuda_tests", {"rows": []})
        env = dict(self.env)
        fx = os.path.join(self.work, "fixtures", "focal")
        env["FOCAL_FIXTURES_DIR"] = fx if os.path.isdir(fx) else os.path.join(self.args.fixtures, "focal")
        fx2 = os.path.join(self.work, "fixtures", "focalv2")
        env["FOCAL_FOCALV2_FIXTURES_DIR"] = fx2 if os.path.isdir(fx2) else os.path.join(self.args.fixtures, "focalv2")
        binaries = sorted(f for f in os.listdir(self.test_dir) if f.startswith("test_")) if os.path.isdir(
            self.test_dir) else []
        for b in binaries:
            path = os.path.join(self.test_dir, b)
            if not os.access(path, os.X_OK) or os.path.isdir(path) or b == "test_skip_support":
                continue  # test_skip_support's [cuda] case only demonstrates the tag filter
            _, helptext, _ = self.run([path, "--help"], 30, env)
            if "Catch" not in helptext:  # not a Catch2 test binary (e.g. the fuzz corpus replays)
                continue
            rc, names, _ = self.run([path, "--list-test-names-only", "[cuda]"], 30, env)
            if not re.search(r"[a-z]", names):
                continue
            rc, out, sec = self.run([path, "[cuda]"], 240, env)
            status = {0: "passed", 77: "skipped (no CUDA device)"}.get(rc, f"FAILED (exit {rc})")
            tail = "\n".join(out.strip().splitlines()[-4:])
            step["rows"].append({"binary": b, "exit": rc, "status": status, "seconds": round(sec, 1), "tail": tail})
            if rc != 0 and not (self.dry and rc == 77):
                self.fail("cuda_tests", f"{b}: {status}: {tail}")
            self.log(f"[cuda] tests of {b}: {status}")

    # -- 3. focal-bench ---------------------------------------------------------------------------------------
    def registered(self):
        rc, out, _ = self.run([os.path.join(self.bin_dir, "focal-info"), "--json"], 60)
        try:
            return {m["name"]: m for m in json.loads(out)} if rc == 0 else {}
        except ValueError:
            return {}

    def models(self, registered):
        wanted = [m for m in (FOCAL_MODELS[:1] if self.dry else FOCAL_MODELS) if m in registered]
        for pattern in (r"^focalv2.*tiny", r"^swin.*tiny", r"^halonet_h1$"):
            wanted += sorted(n for n in registered if re.search(pattern, n) and n not in wanted)[:1]
        return wanted

    def parse_bench(self, out):
        rows = {}
        for line in out.splitlines():
            m = re.match(r"^(forward|train)\s+([\d.]+) images/s\s+([\d.]+) ms/step\s+peak memory\s+([\d.]+) MiB", line)
            if m:
                rows[m.group(1)] = {"images_per_s": float(m.group(2)), "ms_per_step": float(m.group(3)),
                                    "peak_mib": float(m.group(4))}
        return rows

    def mfu(self, macs, mode, images_per_s):
        if not self.peak_tflops or not macs:
            return None
        flops_per_image = (6.0 if mode == "train" else 2.0) * macs  # a backward pass costs two forwards
        return flops_per_image * images_per_s / (self.peak_tflops * 1e12)

    def bench(self):
        step = self.results["steps"].setdefault("3_focal_bench", {"rows": []})
        registered = self.registered()
        step["models"] = self.models(registered)
        a = self.args
        batch, dtype = (a.dry_batch, "fp32") if self.dry else (128, "bf16")
        step["protocol"] = (f"focal-bench --device {self.device} --dtype {dtype} --batch-size {batch} "
                            f"--warmup {a.warmup} --iters {a.iters}" + (f" --img-size {a.dry_img}" if self.dry else ""))
        for name in step["models"]:
            info = registered[name]
            cmd = [os.path.join(self.bin_dir, "focal-bench"), "--model", name, "--device", self.device, "--dtype", dtype,
                   "--batch-size", str(batch), "--warmup", str(a.warmup), "--iters", str(a.iters)]
            img = info.get("img_size")
            if self.dry and name.startswith("focal_"):  # Focal v1 takes any size; v2 and Swin need theirs
                cmd += ["--img-size", str(a.dry_img)]
                img = a.dry_img
            if self.dry:
                cmd += ["--threads", str(a.threads)]
            rc, out, sec = self.run(cmd, 300)
            rows = self.parse_bench(out)
            macs = info.get("macs") * (img / info["img_size"]) ** 2 if info.get("macs") and img else None
            for mode, r in rows.items():
                r.update({"model": name, "mode": mode, "img_size": img, "batch": batch, "dtype": dtype,
                          "mfu": self.mfu(macs, mode, r["images_per_s"])})
                step["rows"].append(r)
            if rc != 0 or len(rows) != 2:
                self.fail("focal_bench", f"{name}: exit {rc}: {out.strip()[-300:]}")
            self.log(f"focal-bench {name}: exit {rc}, {len(rows)} rows, {sec:.0f} s")

    # -- 4. Python: the original and timm -----------------------------------------------------------------------
    def python_bench(self):
        step = self.results["steps"].setdefault("4_python", {"rows": []})
        a = self.args
        batch, dtype = (a.dry_batch, "fp32") if self.dry else (128, "bf16")
        original = a.original or os.path.join(self.bundle, "original", "focal_transformer.py")
        runs = []
        if os.path.isfile(original):
            for name in FOCAL_MODELS[:1] if self.dry else FOCAL_MODELS:  # the dry run: Focal-T only
                cmd = [a.python, os.path.join(ROOT, "scripts", "bench_original.py"), "--original", original, "--model",
                       name, "--device", self.device, "--dtype", dtype, "--batch-size", str(batch), "--warmup",
                       str(a.warmup), "--iters", str(a.iters)]
                if self.dry:
                    cmd += ["--img-size", str(a.dry_img), "--threads", str(a.threads)]
                runs.append(("original", name, "eager", cmd))
        else:
            step["original"] = f"not run: {original} not found (see PERFORMANCE.md: fetch the original file)"
            if not self.dry:  # the repository never holds it, so a dry run in CI goes without it
                self.fail("python", step["original"])
        for compiled in ([False] if self.dry else [False, True]):
            cmd = [a.python, os.path.join(ROOT, "scripts", "bench_timm.py"), "--model", "swin_tiny_patch4_window7_224",
                   "--device", self.device, "--dtype", dtype, "--batch-size", str(batch), "--warmup",
                   str(a.warmup + (2 if compiled else 0)), "--iters", str(a.iters)]
            if compiled:
                cmd.append("--compile")
            if self.dry:
                cmd += ["--threads", str(a.threads)]
            runs.append(("timm", "swin_tiny_patch4_window7_224", "compile" if compiled else "eager", cmd))
        if self.dry:
            step["timm_compile"] = "not tried in the dry run (inductor on the CPU compiles for minutes)"
        for impl, name, mode_label, cmd in runs:
            rc, out, sec = self.run(cmd, 420 if mode_label == "compile" else 300)
            rows = self.parse_bench(out)
            for mode, r in rows.items():
                r.update({"implementation": impl, "model": name, "mode": mode, "execution": mode_label, "batch": batch,
                          "dtype": dtype})
                step["rows"].append(r)
            if rc != 0 or not rows:
                what = f"{impl} {name} {mode_label}: exit {rc}: {out.strip()[-300:]}"
                if mode_label == "compile":
                    step["timm_compile"] = "failed: " + out.strip()[-300:]  # allowed to fail ("if it works there")
                else:
                    self.fail("python", what)
            self.log(f"python {impl} {name} {mode_label}: exit {rc}, {sec:.0f} s")

    def ratios(self):
        ours = {(r["model"], r["mode"]): r for r in self.results["steps"].get("3_focal_bench", {}).get("rows", [])}
        py = self.results["steps"].get("4_python", {}).get("rows", [])
        out = []
        for r in py:
            if r["implementation"] == "original" and (r["model"], r["mode"]) in ours:
                o = ours[(r["model"], r["mode"])]
                out.append({"what": f"{r['model']} {r['mode']}: ours / original", "speed": o["images_per_s"] / r["images_per_s"],
                            "peak_memory": o["peak_mib"] / r["peak_mib"] if r["peak_mib"] else None})
            if r["implementation"] == "timm" and (FOCAL_MODELS[0], r["mode"]) in ours:
                o = ours[(FOCAL_MODELS[0], r["mode"])]
                out.append({"what": f"Focal-T (ours) {r['mode']} / timm Swin-T {r['execution']}",
                            "speed": o["images_per_s"] / r["images_per_s"],
                            "peak_memory": o["peak_mib"] / r["peak_mib"] if r["peak_mib"] else None})
        self.results["ratios"] = out
        if not self.dry:
            goal = {x["what"]: x for x in out}
            t = goal.get(f"{FOCAL_MODELS[0]} train: ours / original")
            s = goal.get("Focal-T (ours) train / timm Swin-T eager")
            self.results["goals"] = {
                "train_step_at_least_2.5x_original": t and t["speed"] >= 2.5,
                "at_least_timm_swin_t_eager": s and s["speed"] >= 1.0,
                "peak_memory_at_most_0.7x_original": t and t["peak_memory"] is not None and t["peak_memory"] <= 0.7}

    # -- 5. focal-train ---------------------------------------------------------------------------------------
    def train(self):
        step = self.results["steps"].setdefault("5_focal_train", {})
        a = self.args
        out_dir = os.path.join(self.work, "train_runs")
        if self.dry:
            cfg, batch, epochs, amp = os.path.join(ROOT, "configs", "fmnist_focal_tiny.yaml"), 64, 2, "off"
        else:
            cfg, batch, epochs, amp = os.path.join(ROOT, "configs", "focal_tiny_patch4_window7_224.yaml"), 64, 16, "bf16"
        # 1024 synthetic images: 16 steps an epoch at batch 64, so 16 epochs are 256 steps, with validation of
        # model and EMA and a checkpoint after each epoch, as a real run.
        cmd = [os.path.join(self.bin_dir, "focal-train"), "--cfg", cfg, "--dataset", "synthetic", "--device", self.device,
               *(["--amp", amp] if amp != "off" else []), "--batch-size", str(batch), "--epochs", str(epochs), "--output", out_dir, "--tag",
               "device_check", "--workers", "2" if self.dry else "8", "--opts", "TRAIN.EMA.ENABLE", "True",
               "PRINT_FREQ", "4", "SAVE_FREQ", "1000"]
        step["command"] = " ".join(cmd)
        rc, out, sec = self.run(cmd, 60 * 5)
        step.update({"exit": rc, "seconds": round(sec, 1)})
        epochs_seen = re.findall(r"EPOCH (\d+) training takes \S+\s+\(([\d.]+) img/s, loss ([\d.naninf]+), grad_norm ([\d.naninf]+)\)", out)
        step["epochs"] = [{"epoch": int(e), "images_per_s": float(i), "loss": l, "grad_norm": g} for e, i, l, g in epochs_seen]
        steps = re.findall(r"Train: \[\d+/\d+\]\[(\d+)/(\d+)\]", out)
        acc = re.findall(r"Accuracy of the network on the \d+ test images: ([\d.]+)%", out)
        step["validation_top1"] = [float(x) for x in acc]
        step["steps_per_epoch"] = int(steps[-1][1]) if steps else None
        step["log_tail"] = out.strip().splitlines()[-6:]
        if rc != 0 or len(epochs_seen) != epochs:
            self.fail("focal_train", f"exit {rc}, {len(epochs_seen)} of {epochs} epochs: {out.strip()[-400:]}")
        self.log(f"focal-train: exit {rc}, {len(epochs_seen)} epochs, {sec:.0f} s")
        self.train_graph(cmd, out_dir, step)

    def train_graph(self, eager_cmd, out_dir, step):
        """The same run for 4 epochs with TRAIN.CUDA_GRAPH True: epochs 1-3 (after the warm-up and capture of
        epoch 0) against the eager run's epochs 1-3. On the CPU the key must be refused with its reason."""
        g = step.setdefault("cuda_graph", {})
        cmd = list(eager_cmd)
        cmd[cmd.index("--epochs") + 1] = "4"
        cmd[cmd.index("--tag") + 1] = "device_check_graph"
        cmd += ["TRAIN.CUDA_GRAPH", "True"]
        g["command"] = " ".join(cmd)
        rc, out, sec = self.run(cmd, 60 * 3)
        g.update({"exit": rc, "seconds": round(sec, 1)})
        if self.dry:
            refused = rc != 0 and "TRAIN.CUDA_GRAPH" in out and "needs a CUDA device" in out
            g["result"] = "refused on the CPU as expected" if refused else "not refused on the CPU"
            if not refused:
                self.fail("focal_train", f"TRAIN.CUDA_GRAPH on the CPU: exit {rc}, no refusal: {out.strip()[-300:]}")
            self.log(f"focal-train TRAIN.CUDA_GRAPH on the CPU: {g['result']}")
            return
        seen = re.findall(r"EPOCH (\d+) training takes \S+\s+\(([\d.]+) img/s", out)
        graph_ips = [float(i) for e, i in seen if int(e) >= 1]
        eager_ips = [e["images_per_s"] for e in step.get("epochs", []) if 1 <= e["epoch"] <= 3]
        g["captured"] = bool(re.search(r"TRAIN.CUDA_GRAPH: step \d+ captured", out))
        g["graph_images_per_s_epochs_1_3"] = graph_ips
        g["eager_images_per_s_epochs_1_3"] = eager_ips
        if graph_ips and eager_ips:
            g["speed_graph_over_eager"] = (sum(graph_ips) / len(graph_ips)) / (sum(eager_ips) / len(eager_ips))
        g["log_tail"] = out.strip().splitlines()[-4:]
        if rc != 0 or len(seen) != 4 or not g["captured"]:
            self.fail("focal_train", f"TRAIN.CUDA_GRAPH run: exit {rc}, {len(seen)} of 4 epochs, captured "
                                     f"{g['captured']}: {out.strip()[-400:]}")
        self.log(f"focal-train TRAIN.CUDA_GRAPH: exit {rc}, {len(seen)} epochs, {sec:.0f} s")

    # -- report -----------------------------------------------------------------------------------------------
    def write(self):
        r = self.results
        r["seconds"] = round(time.monotonic() - self.t0, 1)
        r["passed"] = not r["failures"]
        with open(os.path.join(self.out, "device_check.json"), "w") as f:
            json.dump(r, f, indent=1)
        md = [f"# Device check{' (dry run on the CPU, tiny sizes)' if self.dry else ''}", "",
              f"Started {r['started_utc']}, {r['seconds']} s, {'PASSED' if r['passed'] else 'FAILED'}.", "",
              *(["The dry run tests the check's logic: at its sizes (batch 1, 64 px, no warm-up) its figures and "
                 "ratios say nothing about speed.", ""] if self.dry else []),
              "## Machine", ""]
        for k, v in r["machine"].items():
            md.append(f"- {k}: {v}")
        s = r["steps"]
        if "1_parity" in s:
            md += ["", "## 1. Parity (focal-verify)", "", f"Not carried: {s['1_parity'].get('not_carried') or 'none'}",
                   f"{s['1_parity'].get('bf16', '')}",
                   "timm references (Swin, HaloNet): " + "; ".join(s["1_parity"].get("timm_references", [])),
                   "", "| fixture | dtype | exit | result |", "| --- | --- | --- | --- |"]
            md += [f"| {x['fixture']} | {x['dtype']} | {x['exit']} | {x['summary']} |" for x in s["1_parity"]["rows"]]
        if "2_cuda_tests" in s:
            md += ["", "## 2. [cuda] tests", "", "| binary | status | s |", "| --- | --- | --- |"]
            md += [f"| {x['binary']} | {x['status']} | {x['seconds']} |" for x in s["2_cuda_tests"]["rows"]]
        for key, title in (("3_focal_bench", "3. focal-bench"), ("4_python", "4. Python: original and timm")):
            if key in s:
                md += ["", f"## {title}", "", s[key].get("protocol", ""), s[key].get("original", ""),
                       s[key].get("timm_compile", ""), "", "| implementation | model | mode | images/s | ms/step | peak MiB | MFU |",
                       "| --- | --- | --- | --- | --- | --- | --- |"]
                for x in s[key]["rows"]:
                    mfu = f"{100 * x['mfu']:.1f}%" if x.get("mfu") else "-"
                    md.append(f"| {x.get('implementation', 'focal (ours)')} {x.get('execution', '')} | {x['model']} | "
                              f"{x['mode']} | {x['images_per_s']:.1f} | {x['ms_per_step']:.1f} | {x['peak_mib']:.0f} | {mfu} |")
        if r.get("ratios"):
            md += ["", "## Ratios", "", "| comparison | speed | peak memory |", "| --- | --- | --- |"]
            for x in r["ratios"]:
                mem = "-" if x["peak_memory"] is None else "%.2fx" % x["peak_memory"]
                md.append(f"| {x['what']} | {x['speed']:.2f}x | {mem} |")
        if r.get("goals"):
            md += ["", "Goals: " + ", ".join(f"{k}: {v}" for k, v in r["goals"].items())]
        if "5_focal_train" in s:
            t = s["5_focal_train"]
            md += ["", "## 5. focal-train on synthetic data", "", f"`{t.get('command')}`", "",
                   f"exit {t.get('exit')}, {t.get('seconds')} s, {t.get('steps_per_epoch')} steps per epoch", "",
                   "| epoch | images/s | loss | grad norm |", "| --- | --- | --- | --- |"]
            md += [f"| {e['epoch']} | {e['images_per_s']} | {e['loss']} | {e['grad_norm']} |" for e in t.get("epochs", [])]
            if t.get("cuda_graph"):
                g = t["cuda_graph"]
                ratio = g.get("speed_graph_over_eager")
                md += ["", f"TRAIN.CUDA_GRAPH True: `{g.get('command')}`: exit {g.get('exit')}, {g.get('seconds')} s"
                       + (f", {g['result']}" if g.get("result") else "")
                       + (f", images/s of epochs 1-3 {g.get('graph_images_per_s_epochs_1_3')} against eager "
                          f"{g.get('eager_images_per_s_epochs_1_3')}" if not self.dry else "")
                       + (f": graph / eager {ratio:.2f}x" if ratio else "")]
        md += ["", "## Failures", ""] + ([f"- {x}" for x in r["failures"]] or ["none"])
        with open(os.path.join(self.out, "device_check.md"), "w") as f:
            f.write("\n".join(md) + "\n")


def main():
    p = argparse.ArgumentParser(description="The prepared GPU check (issue 10).")
    p.add_argument("--dry-run", action="store_true", help="the same steps on the CPU with tiny sizes")
    p.add_argument("--out", default=os.environ.get("OUT", os.path.join(ROOT, "device_check_out")))
    p.add_argument("--bundle", default=os.path.join(ROOT, ".device"))
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"), help="executables when there is no bundle")
    p.add_argument("--fixtures", default=os.environ.get("FOCAL_SHARED_FIXTURES", os.path.join(ROOT, "..", "shared", "fixtures")))
    p.add_argument("--original", default=None, help="the original focal_transformer.py (default: in the bundle)")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak for the MFU (default: by GPU name)")
    p.add_argument("--time-limit", type=float, default=450, help="seconds for the whole check")
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--iters", type=int, default=None)
    p.add_argument("--threads", type=int, default=2, help="dry run: CPU threads")
    p.add_argument("--dry-batch", type=int, default=1)
    p.add_argument("--dry-img", type=int, default=64)
    p.add_argument("--steps", default="1,2,3,4,5", help="which steps to run (comma-separated numbers)")
    a = p.parse_args()
    if a.warmup is None:
        a.warmup = 0 if a.dry_run else 3
    if a.iters is None:
        a.iters = 1 if a.dry_run else 10
    c = Check(a)
    steps = set(a.steps.split(","))
    try:
        c.machine()
        for n, fn in (("1", c.parity), ("2", c.cuda_tests), ("3", c.bench), ("4", c.python_bench), ("5", c.train)):
            if n in steps:
                try:
                    fn()
                except Exception as e:  # a broken step is reported, and the others still run
                    c.fail(f"step {n}", f"{type(e).__name__}: {e}")
        c.ratios()
    finally:
        c.write()
        shutil.rmtree(c.work, ignore_errors=True)
    print(f"device check {'(dry run) ' if a.dry_run else ''}{'PASSED' if c.results['passed'] else 'FAILED'}: "
          f"{os.path.join(c.out, 'device_check.json')}, {os.path.join(c.out, 'device_check.md')}")
    for f in c.results["failures"]:
        print("  failure: " + f)
    return 0 if c.results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
