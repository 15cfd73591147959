# CMake toolchain for an arm64 (aarch64) build on an amd64 Debian 12 host: Debian's cross
# compiler (g++-aarch64-linux-gnu) against a sysroot of Debian's arm64 -dev packages.
# scripts/cross-build-arm64.sh makes the sysroot and passes it as -DCMAKE_SYSROOT=DIR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT CMAKE_SYSROOT)
  message(FATAL_ERROR "aarch64-linux-gnu.cmake needs -DCMAKE_SYSROOT=<arm64 sysroot>")
endif()
set(CMAKE_FIND_ROOT_PATH "${CMAKE_SYSROOT}")
# Programs (pkg-config, git) from the host; libraries, headers and packages from the sysroot only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the sysroot's .pc files and prefixes their -I and -L with the sysroot.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CMAKE_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
