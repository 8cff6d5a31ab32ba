# Shared by the per-triple toolchain files: Debian's cross compiler for GATE_TRIPLE, the sysroot
# that toolchains/build-sysroot.sh unpacks (target libraries without multiarch installs), search
# modes and the qemu-user emulator. Compilers, sysroot, search modes and the emulator only:
# project flags live in the top CMakeLists.txt.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${GATE_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${GATE_TRIPLE}-g++)

if(NOT GATE_SYSROOT)
  set(GATE_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/sysroot/${GATE_TRIPLE}")
endif()
get_filename_component(GATE_SYSROOT "${GATE_SYSROOT}" ABSOLUTE)
# The unpacked packages keep Debian's layout: libraries in /usr/lib/<triple>, headers in /usr/include.
set(CMAKE_FIND_ROOT_PATH "${GATE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Header-only host packages (Catch2, nlohmann_json) are architecture-independent.
list(APPEND CMAKE_PREFIX_PATH /usr)
set(CMAKE_INCLUDE_PATH "${GATE_SYSROOT}/usr/include")
set(CMAKE_LIBRARY_PATH "${GATE_SYSROOT}/usr/lib/${GATE_TRIPLE}")
set(gate_target_libs "${GATE_SYSROOT}/usr/lib/${GATE_TRIPLE}:${GATE_SYSROOT}/lib/${GATE_TRIPLE}")
# Shared libraries that linked ones need, found in the sysroot (-rpath-link), and for qemu.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${gate_target_libs}")
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${GATE_QEMU} -L /usr/${GATE_TRIPLE} -E "LD_LIBRARY_PATH=${gate_target_libs}")
