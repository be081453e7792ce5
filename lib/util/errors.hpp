// One type per kind of error (ErrorKind, lib/util/error.hpp).  Throw the type that says what
// went wrong; catch mb::Error and ask kind() where the kinds are told apart (for example the
// convert command names the writer that refuses an unsupported construct).
#pragma once
#include <string>

#include "lib/util/error.hpp"

namespace mb {

// The input is malformed or inconsistent: names the file and the place in it.  Exit 2.
class InvalidInput : public Error {
 public:
  InvalidInput(std::string file, std::string place, std::string message)
      : Error(std::move(file), std::move(place), std::move(message), ErrorKind::InvalidInput, kExitInput) {}
};

// A valid construct this product does not handle (a reader or writer refuses it).  Exit 2, like
// invalid input, but told apart by kind().  `message` names the construct; by() words it as
// "unsupported by WHO: WHAT" and records who refuses it (who(); empty when the thrower did not
// say, and a caller that knows may name it, as the convert command names the writer).
class Unsupported : public Error {
 public:
  Unsupported(std::string file, std::string place, std::string message)
      : Error(std::move(file), std::move(place), std::move(message), ErrorKind::Unsupported, kExitInput) {}
  static Unsupported by(std::string file, std::string place, const std::string& who, const std::string& what) {
    Unsupported u(std::move(file), std::move(place), "unsupported by " + who + ": " + what);
    u.who_ = who;
    return u;
  }
  const std::string& who() const { return who_; }
  Unsupported with_file(const std::string& file) const {
    Unsupported u(this->file().empty() ? file : this->file(), place(), message());
    u.who_ = who_;
    return u;
  }

 private:
  std::string who_;
};

// The invocation is wrong (options, arguments, their combination).  Exit 2.
class UsageError : public Error {
 public:
  explicit UsageError(std::string message) : Error("", "", std::move(message), ErrorKind::Usage, kExitInput) {}
  UsageError(std::string file, std::string message)
      : Error(std::move(file), "", std::move(message), ErrorKind::Usage, kExitInput) {}
};

// A bug of this product: an invariant that valid input cannot break.  Exit 3.
class InternalError : public Error {
 public:
  InternalError(std::string file, std::string place, std::string message)
      : Error(std::move(file), std::move(place), std::move(message), ErrorKind::Internal, kExitInternal) {}
};

}  // namespace mb
