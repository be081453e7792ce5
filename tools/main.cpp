// modelbridge: move predictive models between R, PMML and ONNX and prove they still predict the
// same.  The commands are a library (tools/cli.hpp); main only connects them to the process.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>

#include "tools/cli.hpp"
#include "tools/common.hpp"

// Big blocks (the decompressed .rds, a forest's node matrices and scoring layout, tens of MB)
// are asked of the kernel in 2 MB pages where it allows them (transparent huge pages in
// "madvise" mode, as Debian sets them): their first touch then costs one page fault per 2 MB
// instead of one per 4 KB, which was a third of the time a 100-tree randomForest took to load.
// glibc's malloc maps such blocks anew, untouched, so the advice comes before any page is
// faulted in.  Not in sanitized builds, whose allocators must see every new and delete.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define MB_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MB_SANITIZED 1
#endif
#ifndef MB_SANITIZED
namespace {
void* allocate(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  if (n >= 2 * kHuge) {
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t from = (at + kHuge - 1) & ~(kHuge - 1), to = (at + n) & ~(kHuge - 1);
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);  // advice only
  }
  return p;
}
}  // namespace
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const bool terminal = isatty(STDERR_FILENO);
  mb::cli::Io io{std::cout, std::cerr, terminal, STDOUT_FILENO, mb::cli::want_color(terminal)};
  const int rc = mb::cli::run_cli(std::vector<std::string>(argv + 1, argv + argc), io);
  std::cout.flush();
  return rc;
}
