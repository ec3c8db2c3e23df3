// The schema and defaults: config.py of microsoft/Focal-Transformer (latest version, with the v2 key
// MODEL.FOCAL.FOCAL_TOPK), key for key and in its order, followed in each section by this project's
// additions, each marked "Ours:". Where the original stores a Python tuple (TRAIN.OPTIMIZER.BETAS) we store a
// list.
#include "focal/config/config.h"

namespace focal {
namespace {

ConfigValue integer(int64_t v) { return v; }
ConfigValue real(double v) { return v; }
ConfigValue boolean(bool v) { return v; }
ConfigValue text(const char* v) { return std::string(v); }
ConfigValue integers(std::vector<int64_t> v) { return v; }
ConfigValue reals(std::vector<double> v) { return v; }
ConfigValue texts(std::vector<std::string> v) { return v; }

}  // namespace

Config Config::defaults() {
  Config c;
  // Base config files, merged before the file that lists them (consumed when a file is merged).
  c.add_key("BASE", texts({""}));

  c.add_section("DATA");
  c.add_key("DATA.BATCH_SIZE", integer(128));  // per GPU
  c.add_key("DATA.DATA_PATH", text(""));
  // Original: 'imagenet' (and 'imagewoof' with 10 classes). Ours: also "fashion_mnist" (idx files),
  // "folder" (class sub-folders of DATA_PATH itself), "shards" (.tar shards), "synthetic" (random images).
  c.add_key("DATA.DATASET", text("imagenet"),
            {"imagenet", "imagewoof", "fashion_mnist", "folder", "shards", "synthetic"});
  c.add_key("DATA.IMG_SIZE", integer(224));
  c.add_key("DATA.INTERPOLATION", text("bicubic"));  // random, bilinear, bicubic
  c.add_key("DATA.ZIP_MODE", boolean(false));
  c.add_key("DATA.CACHE_MODE", text("part"));
  c.add_key("DATA.PIN_MEMORY", boolean(true));
  c.add_key("DATA.NUM_WORKERS", integer(8));
  // Ours: images declaring more pixels are refused from their header (Pillow's MAX_IMAGE_PIXELS), skipped
  // and counted like corrupt files; a run stops when more than MAX_UNREADABLE_SHARE of the data set is
  // unreadable.
  c.add_key("DATA.MAX_IMAGE_PIXELS", integer(178956970));
  c.add_key("DATA.MAX_UNREADABLE_SHARE", real(0.05));

  c.add_section("MODEL");
  c.add_key("MODEL.TYPE", text("focal"));
  c.add_key("MODEL.NAME", text("focal_tiny_patch4_window7_224"));
  c.add_key("MODEL.RESUME", text(""));
  c.add_key("MODEL.NUM_CLASSES", integer(1000));
  c.add_key("MODEL.DROP_RATE", real(0.0));
  c.add_key("MODEL.DROP_PATH_RATE", real(0.1));
  c.add_key("MODEL.LABEL_SMOOTHING", real(0.1));
  c.add_section("MODEL.SPEC", /*new_keys_allowed=*/true);  // model specific, free-form

  c.add_section("MODEL.FOCAL");
  c.add_key("MODEL.FOCAL.PATCH_SIZE", integer(4));
  c.add_key("MODEL.FOCAL.IN_CHANS", integer(3));
  c.add_key("MODEL.FOCAL.EMBED_DIM", integer(96));
  c.add_key("MODEL.FOCAL.DEPTHS", integers({2, 2, 6, 2}));
  c.add_key("MODEL.FOCAL.NUM_HEADS", integers({3, 6, 12, 24}));
  c.add_key("MODEL.FOCAL.WINDOW_SIZE", integer(7));
  c.add_key("MODEL.FOCAL.MLP_RATIO", real(4.0));
  c.add_key("MODEL.FOCAL.QKV_BIAS", boolean(true));
  // The original default is False, which the model reads as "unset" (head_dim ** -0.5). Here the key is a
  // nullable float: null and false both mean unset, a number is the scale.
  c.add_key("MODEL.FOCAL.QK_SCALE", std::monostate{}, ValueKind::Float, /*nullable=*/true);
  c.entries_["MODEL.FOCAL.QK_SCALE"].false_means_null = true;
  c.add_key("MODEL.FOCAL.APE", boolean(false));
  c.add_key("MODEL.FOCAL.PATCH_NORM", boolean(true));
  c.add_key("MODEL.FOCAL.USE_SHIFT", boolean(false));
  c.add_key("MODEL.FOCAL.FOCAL_POOL", text("none"), {"fc", "conv", "mean", "max", "none"});
  c.add_key("MODEL.FOCAL.FOCAL_STAGES", integers({0, 1, 2, 3}));
  c.add_key("MODEL.FOCAL.FOCAL_LEVELS", integers({1, 1, 1, 1}));
  c.add_key("MODEL.FOCAL.FOCAL_WINDOWS", integers({7, 5, 3, 1}));
  c.add_key("MODEL.FOCAL.EXPAND_STAGES", integers({0, 1, 2, 3}));
  c.add_key("MODEL.FOCAL.EXPAND_SIZES", integers({3, 3, 3, 3}));
  c.add_key("MODEL.FOCAL.EXPAND_LAYER", text("all"), {"all", "even", "odd"});
  c.add_key("MODEL.FOCAL.USE_CONV_EMBED", boolean(false));
  c.add_key("MODEL.FOCAL.USE_LAYERSCALE", boolean(false));
  c.add_key("MODEL.FOCAL.USE_PRE_NORM", boolean(false));
  c.add_key("MODEL.FOCAL.FOCAL_TOPK", integer(128));  // keys per level of MODEL.TYPE focalv2
  // Ours: constructor arguments the original passes only as their defaults.
  c.add_key("MODEL.FOCAL.ATTN_DROP_RATE", real(0.0));     // dropout on attention weights
  c.add_key("MODEL.FOCAL.LAYERSCALE_VALUE", real(1e-4));  // initial layer-scale gamma (USE_LAYERSCALE)

  // Ours: HaloNet (the original has no such model); the rest of its geometry comes from the registered
  // variant named by MODEL.NAME.
  c.add_section("MODEL.HALONET");
  c.add_key("MODEL.HALONET.ACT_LAYER", text("relu"));  // activation of the bottleneck blocks
  c.add_key("MODEL.HALONET.USE_SE", boolean(false));   // squeeze-excitation in the blocks
  c.add_key("MODEL.HALONET.NUM_HEADS", integer(8));    // attention heads of the halo attention layers

  // Ours: Swin Transformer (MODEL.TYPE swin), the Swin code base's MODEL.SWIN keys and defaults, plus
  // USE_SHIFT for the ablation without shifted windows.
  c.add_section("MODEL.SWIN");
  c.add_key("MODEL.SWIN.PATCH_SIZE", integer(4));
  c.add_key("MODEL.SWIN.IN_CHANS", integer(3));
  c.add_key("MODEL.SWIN.EMBED_DIM", integer(96));
  c.add_key("MODEL.SWIN.DEPTHS", integers({2, 2, 6, 2}));
  c.add_key("MODEL.SWIN.NUM_HEADS", integers({3, 6, 12, 24}));
  c.add_key("MODEL.SWIN.WINDOW_SIZE", integer(7));
  c.add_key("MODEL.SWIN.MLP_RATIO", real(4.0));
  c.add_key("MODEL.SWIN.QKV_BIAS", boolean(true));
  c.add_key("MODEL.SWIN.QK_SCALE", std::monostate{}, ValueKind::Float, /*nullable=*/true);
  c.add_key("MODEL.SWIN.APE", boolean(false));
  c.add_key("MODEL.SWIN.PATCH_NORM", boolean(true));
  c.add_key("MODEL.SWIN.USE_SHIFT", boolean(true));

  c.add_section("TRAIN");
  c.add_key("TRAIN.START_EPOCH", integer(0));
  c.add_key("TRAIN.EPOCHS", integer(300));
  c.add_key("TRAIN.WARMUP_EPOCHS", integer(20));
  c.add_key("TRAIN.WEIGHT_DECAY", real(0.05));
  c.add_key("TRAIN.BASE_LR", real(5e-4));
  c.add_key("TRAIN.WARMUP_LR", real(5e-7));
  c.add_key("TRAIN.MIN_LR", real(5e-6));
  c.add_key("TRAIN.CLIP_GRAD", real(5.0));  // max gradient norm
  c.add_key("TRAIN.AUTO_RESUME", boolean(true));
  c.add_key("TRAIN.ACCUMULATION_STEPS", integer(0));
  c.add_key("TRAIN.USE_CHECKPOINT", boolean(false));  // activation checkpointing
  c.add_section("TRAIN.LR_SCHEDULER");
  c.add_key("TRAIN.LR_SCHEDULER.NAME", text("cosine"));
  c.add_key("TRAIN.LR_SCHEDULER.DECAY_EPOCHS", integer(30));  // step scheduler
  c.add_key("TRAIN.LR_SCHEDULER.DECAY_RATE", real(0.1));      // step scheduler
  c.add_section("TRAIN.OPTIMIZER");
  c.add_key("TRAIN.OPTIMIZER.NAME", text("adamw"));
  c.add_key("TRAIN.OPTIMIZER.EPS", real(1e-8));
  c.add_key("TRAIN.OPTIMIZER.BETAS", reals({0.9, 0.999}));
  c.add_key("TRAIN.OPTIMIZER.MOMENTUM", real(0.9));  // SGD
  // Ours: mixed precision of the C++ trainer ("bf16" | "fp16" | "off"); off by default so that CPU runs are
  // exact. AMP_OPT_LEVEL (apex) is kept for compatibility only.
  c.add_key("TRAIN.AMP", text("off"), {"bf16", "fp16", "off"});
  // Ours: exponential moving average of the weights, evaluated alongside the model.
  c.add_section("TRAIN.EMA");
  c.add_key("TRAIN.EMA.ENABLE", boolean(false));
  c.add_key("TRAIN.EMA.DECAY", real(0.9998));
  // Ours: weights to fine-tune from (a .pth checkpoint); "" trains from scratch. Checkpoint frequency is
  // SAVE_FREQ (epochs), as in the original, so no key of ours is needed for it.
  c.add_key("TRAIN.PRETRAINED", text(""));
  // Ours: capture the whole training step (forward, loss, backward, clipping, fused AdamW, loss scaling, EMA)
  // in a CUDA graph after a few warm-up steps and replay it for every batch (one process, CUDA only).
  c.add_key("TRAIN.CUDA_GRAPH", boolean(false));

  c.add_section("AUG");
  c.add_key("AUG.COLOR_JITTER", real(0.4));
  c.add_key("AUG.AUTO_AUGMENT", text("rand-m9-mstd0.5-inc1"));
  c.add_key("AUG.REPROB", real(0.25));
  c.add_key("AUG.REMODE", text("pixel"));
  c.add_key("AUG.RECOUNT", integer(1));
  c.add_key("AUG.MIXUP", real(0.8));
  c.add_key("AUG.CUTMIX", real(1.0));
  // None in the original; when set, [min, max] ratios.
  c.add_key("AUG.CUTMIX_MINMAX", std::monostate{}, ValueKind::FloatList, /*nullable=*/true);
  c.add_key("AUG.MIXUP_PROB", real(1.0));
  c.add_key("AUG.MIXUP_SWITCH_PROB", real(0.5));
  c.add_key("AUG.MIXUP_MODE", text("batch"), {"batch", "pair", "elem"});

  c.add_section("TEST");
  c.add_key("TEST.CROP", boolean(true));

  // Data-parallel training (an extension; the original reads these from torch.distributed's defaults).
  c.add_section("DIST");
  c.add_key("DIST.BACKEND", text("auto"), {"auto", "gloo", "nccl"});  // auto: nccl on CUDA, gloo on CPU
  c.add_key("DIST.TIMEOUT", integer(1800));  // seconds a collective may wait (PyTorch's default)
  // Seconds without a heartbeat after which a rank is declared dead while the others wait (0: off).
  c.add_key("DIST.HEARTBEAT_TIMEOUT", integer(60));
  c.add_key("DIST.BUCKET_CAP_MB", integer(25));
  c.add_key("DIST.BF16_COMPRESS", boolean(false));  // all-reduce gradients in bfloat16
  c.add_key("DIST.FIND_UNUSED_PARAMETERS", boolean(false));
  c.add_key("DIST.BROADCAST_BUFFERS", boolean(true));  // rank 0's BatchNorm statistics before forward

  c.add_key("AMP_OPT_LEVEL", text(""));
  c.add_key("OUTPUT", text(""));
  c.add_key("TAG", text("default"));
  c.add_key("SAVE_FREQ", integer(1));
  c.add_key("PRINT_FREQ", integer(100));
  c.add_key("SEED", integer(0));
  c.add_key("EVAL_MODE", boolean(false));
  c.add_key("THROUGHPUT_MODE", boolean(false));
  c.add_key("DEBUG_MODE", boolean(false));
  c.add_key("LOCAL_RANK", integer(0));
  return c;
}

}  // namespace focal
