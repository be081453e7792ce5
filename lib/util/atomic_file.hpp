// Output files that appear whole or not at all: data goes to a temporary file beside the
// target, which is renamed over it on commit().  Destroying an uncommitted AtomicFile removes
// the temporary, so a failed command never leaves a partial output behind; SIGINT, SIGTERM,
// SIGHUP and SIGPIPE remove it too (a handler unlinks every registered temporary, then lets
// the signal take its default course).  The temporary is created at the first write (or fd()),
// so a command that fails while reading its input never creates one.
#pragma once
#include <string>
#include <vector>

namespace mb {

class AtomicFile {
 public:
  // Checks that `path` can be written: throws mb::Error(path, "", "cannot write: ...") when it
  // is a directory or its directory is missing or not writable, and
  // mb::Error(path, "", "is the input ...") when it is the same file as one of `inputs`
  // (compared by device and inode, so through symbolic and hard links; "-" and "" are skipped).
  explicit AtomicFile(std::string path, const std::vector<std::string>& inputs = {});
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd();                              // creates the temporary when needed
  void write(const std::string& bytes);  // all of it, or throws
  void commit();                         // fsync, close, rename over the target
  const std::string& path() const { return path_; }

 private:
  void open_tmp();
  std::string path_, tmp_;
  int fd_ = -1;
  int slot_ = -1;  // index in the signal handler's table
  bool committed_ = false;
};

// Throws mb::Error(output, "", ...) when `output` names the same file as one of `inputs`.
void refuse_same_file(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace mb
