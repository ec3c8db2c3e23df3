// configs/halonet_*.yaml: one per registered model, in the original schema, consistent with the registry.
#include "focal/halonet/halonet_zoo.h"

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <filesystem>

TEST_CASE("configs/halonet_*.yaml name every registered model with its image size", "[halonet][config]") {
  const std::filesystem::path configs = std::filesystem::path(FOCAL_SOURCE_DIR) / "configs";
  for (const auto& name : focal::halonet::halonet_model_names()) {
    SECTION(name) {
      const auto path = configs / (name + ".yaml");
      REQUIRE(std::filesystem::exists(path));
      auto root = YAML::LoadFile(path.string());
      CHECK(root["MODEL"]["TYPE"].as<std::string>() == "halonet");
      CHECK(root["MODEL"]["NAME"].as<std::string>() == name);
      CHECK(root["MODEL"]["NUM_CLASSES"].as<int64_t>() == 1000);
      CHECK(root["DATA"]["IMG_SIZE"].as<int64_t>() == focal::halonet::halonet_options(name).img_size());
      auto halonet = root["MODEL"]["HALONET"];
      CHECK(halonet["ACT_LAYER"].as<std::string>() == "relu");
      CHECK_FALSE(halonet["USE_SE"].as<bool>());
      CHECK(halonet["NUM_HEADS"].as<int64_t>() == focal::halonet::halonet_options(name).num_heads());
    }
  }
}
