# Prints the stripped size of a program: cmake -DSTRIP=... -DFILE=... -DLABEL=... -P print_size.cmake
execute_process(COMMAND ${STRIP} -o ${FILE}.stripped ${FILE} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "strip failed for ${FILE}")
endif()
file(SIZE ${FILE}.stripped size)
math(EXPR kib "${size} / 1024")
message(STATUS "${LABEL}: stripped size ${size} bytes (${kib} KiB)")
