// Whether this build runs under AddressSanitizer or ThreadSanitizer. Their allocators keep freed
// memory (ASan's quarantine, TSan's shadow), so tests that bound a process's resident memory
// check it in the plain build only, and say so in the sanitized ones.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SWR_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SWR_SANITIZED_BUILD 1
#endif
#endif

namespace swr::test {

#ifdef SWR_SANITIZED_BUILD
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

inline constexpr const char* kMemoryNotChecked =
    "memory bound not checked: a sanitizer's allocator keeps freed memory; the plain build "
    "(ctest in build/) checks it";

}  // namespace swr::test
