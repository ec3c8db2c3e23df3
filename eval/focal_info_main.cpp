// focal-info: parameters and multiply-accumulates of the registered models at their input size, or of the
// models of configuration files (--cfg, any MODEL.TYPE the zoo builds, at DATA.IMG_SIZE).
#include "eval/arg_parser.h"
#include "focal/config/config.h"
#include "focal/zoo/model_zoo.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

struct InfoRow {
  std::string name, family;
  int64_t img_size = 0;
  focal::ModelComplexity complexity;
};

std::vector<InfoRow> registered_rows(const std::string& family) {
  std::set<std::string> families;
  for (const auto& entry : focal::registered_models()) families.insert(entry.family);
  if (!family.empty() && !families.count(family)) {
    std::string known;
    for (const auto& f : families) known += (known.empty() ? "" : ", ") + f;
    throw std::invalid_argument("--family " + family + ": no such family (known: " + known + ")");
  }
  std::vector<InfoRow> rows;
  for (const auto& entry : focal::registered_models()) {
    if (!family.empty() && entry.family != family) continue;
    rows.push_back(
        {entry.name, entry.family, entry.img_size, focal::registered_model_complexity(entry.name)});
  }
  return rows;
}

std::vector<InfoRow> config_rows(const std::vector<std::string>& files,
                                 const std::vector<std::string>& opts) {
  std::vector<InfoRow> rows;
  for (const auto& file : files) {
    if (!std::filesystem::exists(file))
      throw std::invalid_argument("--cfg " + file + ": the file does not exist");
    auto config = focal::Config::from_file(file);
    if (!opts.empty()) config.merge_opts(opts);
    rows.push_back({config.get<std::string>("MODEL.NAME"), config.get<std::string>("MODEL.TYPE"),
                    config.get<int64_t>("DATA.IMG_SIZE"), focal::model_complexity_from_config(config)});
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    focal::eval::ArgParser args("focal-info",
                                "Lists the registered models, or the models of configuration files (--cfg):\n"
                                "parameters and GMACs at their input size.");
    args.flag("json", "print a JSON list of {\"name\", \"params\", \"macs\", \"img_size\"}")
        .option("family", "only this family of the registered models (focal, halonet, ...)")
        .multi("cfg", "YAML configuration(s): the model of each, at its DATA.IMG_SIZE")
        .multi("opts", "KEY VALUE pairs applied to every --cfg");
    if (!args.parse(argc, argv)) return 0;
    const auto cfgs = args.get_all("cfg");
    const auto opts = args.get_all("opts");
    if (cfgs.empty() && !opts.empty()) throw std::invalid_argument("--opts needs --cfg");
    if (!cfgs.empty() && args.has("family"))
      throw std::invalid_argument("--family lists registered models, not --cfg");
    if (opts.size() % 2 != 0) throw std::invalid_argument("--opts takes KEY VALUE pairs, got an odd count");
    const auto rows = cfgs.empty() ? registered_rows(args.get("family")) : config_rows(cfgs, opts);
    if (args.has("json")) {
      std::cout << "[";
      bool first = true;
      for (const auto& r : rows) {
        std::cout << (first ? "" : ",") << "\n  {\"name\": \"" << r.name
                  << "\", \"params\": " << r.complexity.params << ", \"macs\": " << r.complexity.macs
                  << ", \"img_size\": " << r.img_size << "}";
        first = false;
      }
      std::cout << "\n]\n";
    } else {
      std::printf("%-40s %-8s %8s %14s %9s\n", "model", "family", "img_size", "params", "GMACs");
      for (const auto& r : rows) {
        std::printf("%-40s %-8s %8lld %14lld %9.2f\n", r.name.c_str(), r.family.c_str(),
                    static_cast<long long>(r.img_size), static_cast<long long>(r.complexity.params),
                    static_cast<double>(r.complexity.macs) / 1e9);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "focal-info: " << e.what() << "\n";
    return 2;
  }
}
