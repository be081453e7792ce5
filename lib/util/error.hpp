// Diagnostics shared by every layer.  Only tools/main.cpp turns an Error into a message and an
// exit code: `modelbridge: error: FILE:PLACE: message`.  The kinds of error (invalid input, an
// unsupported construct, a usage error, an internal error) are the types of lib/util/errors.hpp;
// code that must tell them apart asks Error::kind(), never the message.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace mb {

// Exit codes of the product contract (SPEC.md).
enum ExitCode : int { kExitOk = 0, kExitDiffer = 1, kExitInput = 2, kExitInternal = 3 };

// What went wrong, independent of the wording (see lib/util/errors.hpp for one type per kind).
enum class ErrorKind {
  InvalidInput,  // the input is malformed or inconsistent (exit 2)
  Unsupported,   // a valid construct this product does not handle (exit 2)
  Usage,         // the invocation is wrong: options, arguments (exit 2)
  Internal,      // a bug of this product (exit 3)
};

// An error in the user's input or invocation.  `file` is the path as the user gave it ("-" for
// standard input), `place` a location inside it: "line 12", "line 3:col 7", an XML element
// path, a protobuf node path, an R object path such as "$terms@predvars".
class Error : public std::runtime_error {
 public:
  // exit_code kExitInternal makes an internal error, any other an invalid input.
  Error(std::string file, std::string place, std::string message, int exit_code = kExitInput)
      : Error(std::move(file), std::move(place), std::move(message),
              exit_code == kExitInternal ? ErrorKind::Internal : ErrorKind::InvalidInput, exit_code) {}
  const std::string& file() const { return file_; }
  const std::string& place() const { return place_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return exit_code_; }
  ErrorKind kind() const { return kind_; }

  // Same error (same kind), with a file name filled in when the thrower did not know it.
  Error with_file(const std::string& file) const {
    return Error(file_.empty() ? file : file_, place_, message_, kind_, exit_code_);
  }

 protected:
  Error(std::string file, std::string place, std::string message, ErrorKind kind, int exit_code)
      : std::runtime_error(format(file, place, message)),
        file_(std::move(file)),
        place_(std::move(place)),
        message_(std::move(message)),
        kind_(kind),
        exit_code_(exit_code) {}

 private:
  static std::string format(const std::string& f, const std::string& p, const std::string& m) {
    std::string s;
    if (!f.empty()) s += f + ":";
    if (!p.empty()) s += p + ":";
    if (!s.empty()) s += " ";
    return s + m;
  }
  std::string file_, place_, message_;
  ErrorKind kind_;
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
