# header_checks.cmake — one CTest case per public header and language
# (label "headers"): the header included alone, twice, into an otherwise
# empty file, compiled as C99 and as C++11 with warnings as errors. A header
# that needs another one it does not include, uses a C-only construct or
# lacks extern "C" fails here. Every header in include/cairn/ is checked.
find_program(CAIRN_CXX_FOR_CHECKS NAMES g++ c++ clang++)
file(GLOB CAIRN_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/cairn/*.h)
set(_dir ${PROJECT_BINARY_DIR}/header_checks)
file(MAKE_DIRECTORY ${_dir})
foreach(h ${CAIRN_PUBLIC_HEADERS})
  get_filename_component(name ${h} NAME)
  string(REPLACE "." "_" stem ${name})
  # Twice: the include guard must hold. The function checks that the
  # header's declarations are usable (a reference to cairn_strerror via
  # common.h, which every header includes).
  string(CONCAT _body "#include \"cairn/${name}\"\n#include \"cairn/${name}\"\n"
                "const char *cairn_header_check_${stem}(void);\n"
                "const char *cairn_header_check_${stem}(void) { return cairn_strerror(0); }\n")
  file(WRITE ${_dir}/${stem}.c "${_body}")
  file(WRITE ${_dir}/${stem}.cpp "${_body}")
  add_test(NAME headers/c/${name}
           COMMAND ${CMAKE_C_COMPILER} -std=c99 -Wall -Wextra -Wpedantic -Wstrict-prototypes
                   -Werror -fsyntax-only -I${PROJECT_SOURCE_DIR}/include ${_dir}/${stem}.c)
  set_tests_properties(headers/c/${name} PROPERTIES LABELS "headers;unit")
  if(CAIRN_CXX_FOR_CHECKS)
    add_test(NAME headers/c++/${name}
             COMMAND ${CAIRN_CXX_FOR_CHECKS} -std=c++11 -Wall -Wextra -Werror -fsyntax-only
                     -I${PROJECT_SOURCE_DIR}/include ${_dir}/${stem}.cpp)
    set_tests_properties(headers/c++/${name} PROPERTIES LABELS "headers;unit")
  else()
    message(WARNING "no C++ compiler found: the headers' C++ checks are not registered")
  endif()
endforeach()

# CAIRN_DEPRECATED: a call of an old name warns naming its replacement, and
# CAIRN_NO_DEPRECATION_WARNINGS silences it (common.h).
file(WRITE ${_dir}/deprecated.c
     "#include \"cairn/cairn.h\"\n"
     "int cairn_header_check_deprecated(cairn_store *s, cairn_stats *st);\n"
     "int cairn_header_check_deprecated(cairn_store *s, cairn_stats *st) { return cairn_stats_get(s, st); }\n")
add_test(NAME headers/deprecated/warns
         COMMAND sh -c "${CMAKE_C_COMPILER} -std=c99 -Wdeprecated-declarations -fsyntax-only -I'${PROJECT_SOURCE_DIR}/include' '${_dir}/deprecated.c' 2>&1 | grep 'use cairn_store_stats_get'")
add_test(NAME headers/deprecated/silenced
         COMMAND ${CMAKE_C_COMPILER} -std=c99 -DCAIRN_NO_DEPRECATION_WARNINGS -Wall -Wextra -Werror
                 -fsyntax-only -I${PROJECT_SOURCE_DIR}/include ${_dir}/deprecated.c)
set_tests_properties(headers/deprecated/warns headers/deprecated/silenced
                     PROPERTIES LABELS "headers;unit")
