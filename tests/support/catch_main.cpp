// Catch2 entry point shared by every test executable.
// - Without a CUDA device, test cases tagged [cuda] are left out of whatever the test spec selects (a tag
//   filter such as "[train]" never runs them), and a run that selects only such cases exits with 77.
// - A test case that skips (FOCAL_SKIP, FOCAL_SKIP_MISSING) is listed at the end; when every test case of the
//   run skipped, the process exits with 77, CTest's SKIP_RETURN_CODE, so CTest reports it as skipped and not
//   as passed. CTest runs one test case per process.
#define CATCH_CONFIG_RUNNER
#include <torch/cuda.h>
#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr int kSkipCode = 77;

// Feeds the skip log: which test case runs, and whether it asserted anything before a skip.
struct SkipListener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(Catch::TestCaseInfo const& info) override {
    focal::test::skip_log().begin_test_case(info.name);
  }
  void assertionStarting(Catch::AssertionInfo const& info) override {
    if (info.macroName != "WARN") focal::test::skip_log().count_assertion();
  }
  bool assertionEnded(Catch::AssertionStats const& stats) override {
    const auto type = stats.assertionResult.getResultType();
    if (type != Catch::ResultWas::Info && type != Catch::ResultWas::Warning) {
      focal::test::skip_log().count_assertion();
    }
    return true;
  }
};

// A test spec selecting exactly this test case (every non-alphanumeric character escaped).
std::string exact_name_spec(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ') out += '\\';
    out += c;
  }
  return out;
}

bool is_cuda_case(const Catch::TestCase& t) {
  for (const auto& tag : t.tags) {
    if (tag == "cuda") return true;
  }
  return false;
}

}  // namespace

CATCH_REGISTER_LISTENER(SkipListener)

int main(int argc, char* argv[]) {
  // CTest passes a test case's name as the test spec: a name that begins with '-' ("--eval ...") would read
  // as an option, so such an argument is turned into the escaped spec of that name.
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].empty() || args[i][0] != '-') continue;
    std::string unescaped;
    for (char c : args[i]) {
      if (c != '\\') unescaped += c;
    }
    for (const auto& t : Catch::getRegistryHub().getTestCaseRegistry().getAllTests()) {
      if (t.name == unescaped) args[i] = exact_name_spec(t.name);
    }
  }
  std::vector<const char*> arg_ptrs;
  for (const auto& a : args) arg_ptrs.push_back(a.c_str());

  Catch::Session session;
  if (int rc = session.applyCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data()); rc != 0)
    return rc;
  const auto& data = session.configData();
  const bool listing = data.listTests || data.listTestNamesOnly || data.listTags || data.listReporters;
  if (listing || data.showHelp) return session.run();

  const auto& config = session.config();
  const auto selected = Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config);
  // A spec that selects nothing (a mistyped name, a CTest entry cut at a ';' of its name) must not pass.
  if (selected.empty()) {
    std::printf("no test case matches the test spec\n");
    return 2;
  }
  size_t to_run = selected.size();
  if (!torch::cuda::is_available()) {
    std::vector<std::string> keep;
    for (const auto& t : selected) {
      if (!is_cuda_case(t)) keep.push_back(exact_name_spec(t.name));
    }
    if (keep.size() < selected.size()) {
      if (keep.empty()) {
        std::printf("skipped: no CUDA device visible to LibTorch (all %zu selected test cases are [cuda])\n",
                    selected.size());
        return kSkipCode;
      }
      std::printf("left out %zu [cuda] test case(s): no CUDA device visible to LibTorch\n",
                  selected.size() - keep.size());
      std::string spec;
      for (const auto& k : keep) spec += (spec.empty() ? "" : ",") + k;
      auto narrowed = data;
      narrowed.testsOrTags = {spec};
      session.useConfigData(narrowed);
      to_run = keep.size();
    }
  }

  const int failed = session.run();
  const auto& skips = focal::test::skip_log().skips();
  if (!skips.empty()) {
    std::printf("skipped %zu of %zu test case(s):\n", skips.size(), to_run);
    for (const auto& s : skips) std::printf("  %s: %s\n", s.test_case.c_str(), s.reason.c_str());
  }
  if (failed != 0) return failed;
  if (!skips.empty() && skips.size() >= to_run) return kSkipCode;
  return 0;
}
