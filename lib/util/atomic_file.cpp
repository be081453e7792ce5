#include "lib/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "lib/util/error.hpp"

namespace mb {
namespace {

// Temporaries to unlink on a fatal signal.  The handler only reads `used` flags and the fixed
// buffers (async-signal-safe: unlink, signal, raise).
constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;
struct Slot {
  std::atomic<bool> used{false};
  char path[kPathMax];
};
Slot g_slots[kSlots];
std::once_flag g_handlers;
const int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

extern "C" void remove_temporaries(int sig) {
  for (auto& s : g_slots)
    if (s.used.load()) ::unlink(s.path);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_handlers() {
  for (int sig : kSignals) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) != 0) continue;
    if (old.sa_handler == SIG_IGN) continue;  // keep an ignored signal ignored (nohup, SIGPIPE)
    struct sigaction sa {};
    sa.sa_handler = remove_temporaries;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

int register_tmp(const std::string& path) {
  std::call_once(g_handlers, install_handlers);
  if (path.size() >= kPathMax) return -1;
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].used.load()) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].used.store(true);
    return i;
  }
  return -1;
}

void unregister_tmp(int slot) {
  if (slot >= 0) g_slots[slot].used.store(false);
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void refuse_same_file(const std::string& output, const std::vector<std::string>& inputs) {
  struct stat out;
  if (output.empty() || output == "-" || ::stat(output.c_str(), &out) != 0) return;
  for (const auto& in : inputs) {
    struct stat st;
    if (in.empty() || in == "-" || ::stat(in.c_str(), &st) != 0) continue;
    if (st.st_dev == out.st_dev && st.st_ino == out.st_ino)
      throw Error(output, "",
                  in == output ? "is also an input of the command; refusing to replace it"
                               : "is the same file as the input " + in + "; refusing to replace it");
  }
}

AtomicFile::AtomicFile(std::string path, const std::vector<std::string>& inputs) : path_(std::move(path)) {
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path_, "", "cannot write: it is a directory");
  refuse_same_file(path_, inputs);
  const std::string dir = dir_of(path_);
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(path_, "", std::string("cannot write: ") + std::strerror(errno));
}

void AtomicFile::open_tmp() {
  if (fd_ >= 0 || committed_) return;
  tmp_ = path_ + ".tmp-XXXXXX";
  std::vector<char> name(tmp_.begin(), tmp_.end());
  name.push_back('\0');
  // Block the handled signals while the name is being registered: no window where the file
  // exists and the handler does not know it.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : kSignals) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  fd_ = ::mkstemp(name.data());
  const int err = errno;
  if (fd_ >= 0) slot_ = register_tmp(name.data());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (fd_ < 0) throw Error(path_, "", std::string("cannot write: ") + std::strerror(err));
  tmp_.assign(name.data());
  ::fchmod(fd_, 0644);
}

int AtomicFile::fd() {
  open_tmp();
  return fd_;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_tmp(slot_);
}

void AtomicFile::write(const std::string& bytes) {
  open_tmp();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path_, "", std::string("write failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  open_tmp();
  if (::fsync(fd_) != 0 && errno != EINVAL)
    throw Error(path_, "", std::string("write failed: ") + std::strerror(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw Error(path_, "", std::string("write failed: ") + std::strerror(errno));
  }
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw Error(path_, "", std::string("cannot write: ") + std::strerror(errno));
  committed_ = true;
  unregister_tmp(slot_);
  slot_ = -1;
}

}  // namespace mb
