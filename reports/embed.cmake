# Writes the bytes of file INPUT as a C source OUTPUT defining
#   const char NAME[];        (the bytes, then a terminating NUL)
#   const size_t NAME_len;    (the number of bytes, without the NUL)
# as declared in html/assets.h.
# usage: cmake -DNAME=ls_html_script -DINPUT=html/report.js -DOUTPUT=html_script.c -P embed.cmake
foreach(var NAME INPUT OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: ${var} is not set")
  endif()
endforeach()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
# Every byte as a \xNN escape (so any byte, non-ASCII included, is exact
# and no escape runs into the next character), 16 to a line.
set(lines "")
foreach(at RANGE 0 ${digits} 32)
  string(SUBSTRING "${hex}" ${at} 32 chunk)
  if(chunk STREQUAL "")
    break()
  endif()
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" chunk "${chunk}")
  string(APPEND lines "    \"${chunk}\"\n")
endforeach()
if(lines STREQUAL "")
  set(lines "    \"\"\n")
endif()
get_filename_component(from "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "/* Generated from reports/html/${from} by reports/embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n\n#include \"html/assets.h\"\n\n"
  "const char ${NAME}[] =\n${lines};\n"
  "const size_t ${NAME}_len = ${size};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
