#include "eval/arg_parser.h"

#include <iostream>
#include <sstream>
#include <stdexcept>

namespace focal::eval {

ArgParser::ArgParser(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& help,
                             const std::string& default_value) {
  order_.push_back(name);
  specs_[name] = {help, default_value, false};
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = {help, "", true};
  return *this;
}

ArgParser& ArgParser::multi(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = {help, "", false, true};
  return *this;
}

bool ArgParser::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help();
      return false;
    }
    if (arg.rfind("--", 0) != 0)
      throw std::invalid_argument("unexpected argument '" + arg + "' (see --help)");
    std::string name = arg.substr(2), value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const auto it = specs_.find(name);
    if (it == specs_.end()) throw std::invalid_argument("unknown option '--" + name + "' (see --help)");
    if (it->second.is_flag) {
      values_[name] = "1";
      continue;
    }
    if (it->second.is_multi) {
      auto& list = multi_values_[name];
      const size_t before = list.size();
      if (eq != std::string::npos) list.push_back(value);
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) list.push_back(argv[++i]);
      if (list.size() == before) throw std::invalid_argument("option '--" + name + "' needs a value");
      values_[name] = list.front();
      continue;
    }
    if (eq == std::string::npos) {
      if (i + 1 >= argc) throw std::invalid_argument("option '--" + name + "' needs a value");
      value = argv[++i];
    }
    values_[name] = value;
  }
  return true;
}

std::string ArgParser::get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  return specs_.at(name).default_value;
}

int64_t ArgParser::get_int(const std::string& name) const {
  const std::string text = get(name);
  try {
    size_t used = 0;
    const int64_t v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--" + name + " expects an integer, got '" + text + "'");
}

double ArgParser::get_double(const std::string& name) const {
  const std::string text = get(name);
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--" + name + " expects a number, got '" + text + "'");
}

std::vector<std::string> ArgParser::get_all(const std::string& name) const {
  const auto it = multi_values_.find(name);
  return it == multi_values_.end() ? std::vector<std::string>() : it->second;
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) > 0; }

std::string ArgParser::help() const {
  std::ostringstream out;
  out << "usage: " << program_ << " [options]\n" << description_ << "\n\noptions:\n";
  for (const auto& name : order_) {
    const auto& s = specs_.at(name);
    out << "  --" << name
        << (s.is_flag    ? ""
            : s.is_multi ? " VALUE [VALUE ...]"
                         : " VALUE")
        << "\n      " << s.help;
    if (!s.is_flag && !s.default_value.empty()) out << " (default: " << s.default_value << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace focal::eval
