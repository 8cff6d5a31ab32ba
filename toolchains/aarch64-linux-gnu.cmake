# 64-bit ARM boards (Cortex-A53 class and up). See debian-cross.cmake.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GATE_TRIPLE aarch64-linux-gnu)
set(GATE_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
