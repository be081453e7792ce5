// Output files that appear whole or not at all: data goes to a temporary file beside the
// target, which is renamed over it on commit().  Destroying an uncommitted AtomicFile removes
// the temporary, so a failed command never leaves a partial output behind.
#pragma once
#include <string>

namespace mb {

class AtomicFile {
 public:
  // Creates the temporary file; throws mb::Error(path, "", "cannot write: ...") when the
  // directory is not writable or does not exist.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  void write(const std::string& bytes);  // all of it, or throws
  void commit();                          // fsync, close, rename over the target
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace mb
