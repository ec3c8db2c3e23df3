#pragma once
// A small command-line parser for the tools: `--name value` options, `--flag` switches, generated help,
// and an error naming the offending argument for anything unknown or malformed.
#include <map>
#include <string>
#include <vector>

namespace focal::eval {

class ArgParser {
 public:
  ArgParser(std::string program, std::string description);
  ArgParser& option(const std::string& name, const std::string& help, const std::string& default_value = "");
  ArgParser& flag(const std::string& name, const std::string& help);
  // An option taking every following argument up to the next one that starts with "--" (at least one):
  // `--checkpoint a.pth b.pth`, `--opts KEY VALUE KEY VALUE`. Given twice, the values add up.
  ArgParser& multi(const std::string& name, const std::string& help);
  // Parses argv; returns false after printing help for --help. Throws std::invalid_argument otherwise.
  bool parse(int argc, char** argv);

  std::string get(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  // The values of a multi() option, in order (empty when not given).
  std::vector<std::string> get_all(const std::string& name) const;
  bool has(const std::string& name) const;  // given on the command line (or a set flag)
  std::string help() const;

 private:
  struct Spec {
    std::string help, default_value;
    bool is_flag = false;
    bool is_multi = false;
  };
  std::string program_, description_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> multi_values_;
};

}  // namespace focal::eval
