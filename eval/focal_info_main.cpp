// focal-info: the registered models with their parameters and multiply-accumulates at their input size.
#include "eval/arg_parser.h"
#include "focal/zoo/model_zoo.h"

#include <cstdio>
#include <iostream>
#include <set>
#include <string>

int main(int argc, char** argv) {
  try {
    focal::eval::ArgParser args("focal-info",
                                "Lists the registered models: parameters and GMACs at their input size.");
    args.flag("json", "print a JSON list of {\"name\", \"params\", \"macs\", \"img_size\"}")
        .option("family", "only this family (focal or halonet)");
    if (!args.parse(argc, argv)) return 0;
    const std::string family = args.get("family");
    std::set<std::string> families;
    for (const auto& entry : focal::registered_models()) families.insert(entry.family);
    if (!family.empty() && !families.count(family)) {
      std::string known;
      for (const auto& f : families) known += (known.empty() ? "" : ", ") + f;
      throw std::invalid_argument("--family " + family + ": no such family (known: " + known + ")");
    }
    bool first = true;
    if (args.has("json"))
      std::cout << "[";
    else
      std::printf("%-40s %-8s %8s %14s %9s\n", "model", "family", "img_size", "params", "GMACs");
    for (const auto& entry : focal::registered_models()) {
      if (!family.empty() && entry.family != family) continue;
      const auto c = focal::registered_model_complexity(entry.name);
      if (args.has("json")) {
        std::cout << (first ? "" : ",") << "\n  {\"name\": \"" << entry.name << "\", \"params\": " << c.params
                  << ", \"macs\": " << c.macs << ", \"img_size\": " << entry.img_size << "}";
      } else {
        std::printf("%-40s %-8s %8lld %14lld %9.2f\n", entry.name.c_str(), entry.family.c_str(),
                    static_cast<long long>(entry.img_size), static_cast<long long>(c.params), c.macs / 1e9);
      }
      first = false;
    }
    if (args.has("json")) std::cout << "\n]\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "focal-info: " << e.what() << "\n";
    return 2;
  }
}
