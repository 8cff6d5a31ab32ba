# 32-bit ARM boards with hardware float (Cortex-A7 class). See debian-cross.cmake.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(GATE_TRIPLE arm-linux-gnueabihf)
set(GATE_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
