// Diagnostics shared by every layer.  Only tools/main.cpp turns an Error into a message and an
// exit code: `modelbridge: error: FILE:PLACE: message`.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace mb {

// Exit codes of the product contract (SPEC.md).
enum ExitCode : int { kExitOk = 0, kExitDiffer = 1, kExitInput = 2, kExitInternal = 3 };

// An error in the user's input or invocation.  `file` is the path as the user gave it ("-" for
// standard input), `place` a location inside it: "line 12", "line 3:col 7", an XML element
// path, a protobuf node path, an R object path such as "$terms@predvars".
class Error : public std::runtime_error {
 public:
  Error(std::string file, std::string place, std::string message, int exit_code = kExitInput)
      : std::runtime_error(format(file, place, message)),
        file_(std::move(file)), place_(std::move(place)), message_(std::move(message)),
        exit_code_(exit_code) {}
  const std::string& file() const { return file_; }
  const std::string& place() const { return place_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return exit_code_; }

  // Same error, with a file name filled in when the thrower did not know it.
  Error with_file(const std::string& file) const {
    return Error(file_.empty() ? file : file_, place_, message_, exit_code_);
  }

 private:
  static std::string format(const std::string& f, const std::string& p, const std::string& m) {
    std::string s;
    if (!f.empty()) s += f + ":";
    if (!p.empty()) s += p + ":";
    if (!s.empty()) s += " ";
    return s + m;
  }
  std::string file_, place_, message_;
  int exit_code_;
};

// A named loss of information or a caveat ("lossless or loud").  `code` is a stable
// kebab-case identifier users can grep for, e.g. "json-15-digits", "float32-narrowing".
struct Warning {
  std::string code;
  std::string message;
};
using Warnings = std::vector<Warning>;

}  // namespace mb
