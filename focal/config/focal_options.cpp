#include "focal/config/focal_options.h"

#include "focal/config/yaml_convert.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>

namespace focal {
namespace {

void check_per_stage(const Config& config, const std::string& key, size_t stages) {
  auto values = config.get<std::vector<int64_t>>(key);
  if (values.size() < stages) {
    throw ConfigError("config key '" + key + "' has " + std::to_string(values.size()) +
                      " entries, but MODEL.FOCAL.DEPTHS has " + std::to_string(stages) + " stages");
  }
}

YAML::Node load_json(const std::string& path) {
  if (!std::filesystem::exists(path)) throw ConfigError("JSON file '" + path + "' does not exist");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError("JSON file '" + path + "' cannot be read");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": JSON syntax error: " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError(path + ": expected a JSON object of constructor arguments");
  return root;
}

// Reads `node` as a value of `kind` (with the config's type rules), naming key and file on error.
ConfigValue read_json_value(const YAML::Node& node, ValueKind kind, bool nullable, const std::string& key,
                            const std::string& path) {
  ConfigEntry entry;
  entry.kind = kind;
  entry.nullable = nullable;
  return convert_for_entry(node, entry, key, path);
}

using V = const ConfigValue&;
int64_t integer(V v) { return std::get<int64_t>(v); }
double real(V v) { return std::get<double>(v); }
bool boolean(V v) { return std::get<bool>(v); }
const std::string& text(V v) { return std::get<std::string>(v); }
const std::vector<int64_t>& integers(V v) { return std::get<std::vector<int64_t>>(v); }

struct JsonField {
  ValueKind kind;
  bool nullable;
  void (*set)(FocalTransformerOptions&, const ConfigValue&);
};

// Every constructor argument of the original FocalTransformer that the options struct holds.
const std::map<std::string, JsonField>& json_fields() {
  using O = FocalTransformerOptions;
  static const std::map<std::string, JsonField> fields = {
      {"img_size", {ValueKind::Int, false, [](O& o, V v) { o.img_size(integer(v)); }}},
      {"patch_size", {ValueKind::Int, false, [](O& o, V v) { o.patch_size(integer(v)); }}},
      {"in_chans", {ValueKind::Int, false, [](O& o, V v) { o.in_chans(integer(v)); }}},
      {"num_classes", {ValueKind::Int, false, [](O& o, V v) { o.num_classes(integer(v)); }}},
      {"embed_dim", {ValueKind::Int, false, [](O& o, V v) { o.embed_dim(integer(v)); }}},
      {"depths", {ValueKind::IntList, false, [](O& o, V v) { o.depths(integers(v)); }}},
      {"num_heads", {ValueKind::IntList, false, [](O& o, V v) { o.num_heads(integers(v)); }}},
      {"window_size", {ValueKind::Int, false, [](O& o, V v) { o.window_size(integer(v)); }}},
      {"mlp_ratio", {ValueKind::Float, false, [](O& o, V v) { o.mlp_ratio(real(v)); }}},
      {"qkv_bias", {ValueKind::Bool, false, [](O& o, V v) { o.qkv_bias(boolean(v)); }}},
      {"qk_scale",
       {ValueKind::Float, true,
        [](O& o, V v) {
          // null (None) keeps head_dim ** -0.5
          o.qk_scale(std::holds_alternative<double>(v) ? std::optional<double>(real(v)) : std::nullopt);
        }}},
      {"drop_rate", {ValueKind::Float, false, [](O& o, V v) { o.drop_rate(real(v)); }}},
      {"attn_drop_rate", {ValueKind::Float, false, [](O& o, V v) { o.attn_drop_rate(real(v)); }}},
      {"drop_path_rate", {ValueKind::Float, false, [](O& o, V v) { o.drop_path_rate(real(v)); }}},
      {"ape", {ValueKind::Bool, false, [](O& o, V v) { o.ape(boolean(v)); }}},
      {"patch_norm", {ValueKind::Bool, false, [](O& o, V v) { o.patch_norm(boolean(v)); }}},
      {"use_checkpoint", {ValueKind::Bool, false, [](O& o, V v) { o.use_checkpoint(boolean(v)); }}},
      {"use_shift", {ValueKind::Bool, false, [](O& o, V v) { o.use_shift(boolean(v)); }}},
      {"focal_stages", {ValueKind::IntList, false, [](O& o, V v) { o.focal_stages(integers(v)); }}},
      {"focal_levels", {ValueKind::IntList, false, [](O& o, V v) { o.focal_levels(integers(v)); }}},
      {"focal_windows", {ValueKind::IntList, false, [](O& o, V v) { o.focal_windows(integers(v)); }}},
      {"focal_pool", {ValueKind::String, false, [](O& o, V v) { o.focal_pool(text(v)); }}},
      {"expand_stages", {ValueKind::IntList, false, [](O& o, V v) { o.expand_stages(integers(v)); }}},
      {"expand_sizes", {ValueKind::IntList, false, [](O& o, V v) { o.expand_sizes(integers(v)); }}},
      {"expand_layer", {ValueKind::String, false, [](O& o, V v) { o.expand_layer(text(v)); }}},
      {"use_conv_embed", {ValueKind::Bool, false, [](O& o, V v) { o.use_conv_embed(boolean(v)); }}},
      {"use_layerscale", {ValueKind::Bool, false, [](O& o, V v) { o.use_layerscale(boolean(v)); }}},
      {"layerscale_value", {ValueKind::Float, false, [](O& o, V v) { o.layerscale_value(real(v)); }}},
      {"use_pre_norm", {ValueKind::Bool, false, [](O& o, V v) { o.use_pre_norm(boolean(v)); }}},
      {"focal_topK", {ValueKind::Int, false, [](O& o, V v) { o.focal_topK(integer(v)); }}},
      {"model_type", {ValueKind::String, false, [](O& o, V v) { o.model_type(text(v)); }}},
  };
  return fields;
}

ConfigValue json_info(const std::string& path, const std::string& key, ValueKind kind) {
  const YAML::Node root = load_json(path);
  const YAML::Node node = root[key];
  if (!node.IsDefined()) throw ConfigError(path + ": has no '" + key + "' entry");
  return read_json_value(node, kind, false, key, path);
}

}  // namespace

FocalTransformerOptions focal_options_from_config(const Config& config) {
  const auto type = config.get<std::string>("MODEL.TYPE");
  if (type != "focal" && type != "focalv2") {
    throw ConfigError("config key 'MODEL.TYPE' is '" + type +
                      "'; Focal Transformer options need 'focal' or 'focalv2'");
  }
  const auto depths = config.get<std::vector<int64_t>>("MODEL.FOCAL.DEPTHS");
  for (const char* key : {"MODEL.FOCAL.NUM_HEADS", "MODEL.FOCAL.FOCAL_LEVELS", "MODEL.FOCAL.FOCAL_WINDOWS",
                          "MODEL.FOCAL.EXPAND_SIZES"}) {
    check_per_stage(config, key, depths.size());
  }
  return FocalTransformerOptions()
      .img_size(config.get<int64_t>("DATA.IMG_SIZE"))
      .patch_size(config.get<int64_t>("MODEL.FOCAL.PATCH_SIZE"))
      .in_chans(config.get<int64_t>("MODEL.FOCAL.IN_CHANS"))
      .num_classes(config.get<int64_t>("MODEL.NUM_CLASSES"))
      .embed_dim(config.get<int64_t>("MODEL.FOCAL.EMBED_DIM"))
      .depths(depths)
      .num_heads(config.get<std::vector<int64_t>>("MODEL.FOCAL.NUM_HEADS"))
      .window_size(config.get<int64_t>("MODEL.FOCAL.WINDOW_SIZE"))
      .mlp_ratio(config.get<double>("MODEL.FOCAL.MLP_RATIO"))
      .qkv_bias(config.get<bool>("MODEL.FOCAL.QKV_BIAS"))
      .qk_scale(config.get_optional<double>("MODEL.FOCAL.QK_SCALE"))
      .drop_rate(config.get<double>("MODEL.DROP_RATE"))
      .attn_drop_rate(config.get<double>("MODEL.FOCAL.ATTN_DROP_RATE"))
      .drop_path_rate(config.get<double>("MODEL.DROP_PATH_RATE"))
      .ape(config.get<bool>("MODEL.FOCAL.APE"))
      .patch_norm(config.get<bool>("MODEL.FOCAL.PATCH_NORM"))
      .use_checkpoint(config.get<bool>("TRAIN.USE_CHECKPOINT"))
      .use_shift(config.get<bool>("MODEL.FOCAL.USE_SHIFT"))
      .focal_stages(config.get<std::vector<int64_t>>("MODEL.FOCAL.FOCAL_STAGES"))
      .focal_levels(config.get<std::vector<int64_t>>("MODEL.FOCAL.FOCAL_LEVELS"))
      .focal_windows(config.get<std::vector<int64_t>>("MODEL.FOCAL.FOCAL_WINDOWS"))
      .focal_pool(config.get<std::string>("MODEL.FOCAL.FOCAL_POOL"))
      .expand_stages(config.get<std::vector<int64_t>>("MODEL.FOCAL.EXPAND_STAGES"))
      .expand_sizes(config.get<std::vector<int64_t>>("MODEL.FOCAL.EXPAND_SIZES"))
      .expand_layer(config.get<std::string>("MODEL.FOCAL.EXPAND_LAYER"))
      .use_conv_embed(config.get<bool>("MODEL.FOCAL.USE_CONV_EMBED"))
      .use_layerscale(config.get<bool>("MODEL.FOCAL.USE_LAYERSCALE"))
      .layerscale_value(config.get<double>("MODEL.FOCAL.LAYERSCALE_VALUE"))
      .use_pre_norm(config.get<bool>("MODEL.FOCAL.USE_PRE_NORM"))
      .model_type(type)
      .focal_topK(config.get<int64_t>("MODEL.FOCAL.FOCAL_TOPK"));
}

FocalTransformerOptions focal_options_from_json(const std::string& path) {
  const YAML::Node root = load_json(path);
  FocalTransformerOptions options;
  const auto& fields = json_fields();
  for (const auto& item : root) {
    const std::string key = item.first.Scalar();
    if (key == "num_params" || key == "macs") continue;  // informational
    auto field = fields.find(key);
    if (field == fields.end()) {
      throw ConfigError(path + ": '" + key + "' is not a FocalTransformer constructor argument");
    }
    field->second.set(options,
                      read_json_value(item.second, field->second.kind, field->second.nullable, key, path));
  }
  if (options.model_type() != "focal" && options.model_type() != "focalv2") {
    throw ConfigError(path + ": model_type '" + options.model_type() +
                      "' is not a Focal Transformer (focal or focalv2)");
  }
  return options;
}

int64_t json_expected_params(const std::string& path) {
  return std::get<int64_t>(json_info(path, "num_params", ValueKind::Int));
}

double json_expected_macs(const std::string& path) {
  return std::get<double>(json_info(path, "macs", ValueKind::Float));
}

}  // namespace focal
