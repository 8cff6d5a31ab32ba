# Cross-compiling for aarch64-linux-gnu with Debian's cross compiler, against the sysroot that
# toolchains/build-sysroot.sh unpacks (target libraries without multiarch installs). Compilers,
# sysroot, search modes and the emulator only: project flags live in the top CMakeLists.txt.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GATE_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT GATE_SYSROOT)
  set(GATE_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/sysroot/aarch64-linux-gnu")
endif()
get_filename_component(GATE_SYSROOT "${GATE_SYSROOT}" ABSOLUTE)
# The unpacked packages keep Debian's layout: libraries in /usr/lib/aarch64-linux-gnu, headers in /usr/include.
set(CMAKE_FIND_ROOT_PATH "${GATE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Header-only host packages (Catch2, nlohmann_json) are architecture-independent.
list(APPEND CMAKE_PREFIX_PATH /usr)
set(CMAKE_INCLUDE_PATH "${GATE_SYSROOT}/usr/include")
set(CMAKE_LIBRARY_PATH "${GATE_SYSROOT}/usr/lib/aarch64-linux-gnu")
# Shared libraries of the sysroot that linked ones need (-rpath-link), and the loader path for qemu.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${GATE_SYSROOT}/usr/lib/aarch64-linux-gnu:${GATE_SYSROOT}/lib/aarch64-linux-gnu")

set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64 -L /usr/aarch64-linux-gnu -E "LD_LIBRARY_PATH=${GATE_SYSROOT}/usr/lib/aarch64-linux-gnu:${GATE_SYSROOT}/lib/aarch64-linux-gnu")
