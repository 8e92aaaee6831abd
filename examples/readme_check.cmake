# readme_check.cmake — the C quick start in README.md must be
# examples/quickstart.c, byte for byte (cmake -P, -DREADME= -DSOURCE=).
# The README marks the block with an HTML comment naming the file.
file(READ ${README} readme)
file(READ ${SOURCE} source)
set(marker "<!-- examples/quickstart.c -->\n```c\n")
string(FIND "${readme}" "${marker}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md has no '<!-- examples/quickstart.c -->' C block")
endif()
string(LENGTH "${marker}" mlen)
math(EXPR at "${at} + ${mlen}")
string(SUBSTRING "${readme}" ${at} -1 rest)
string(FIND "${rest}" "```\n" end)
string(SUBSTRING "${rest}" 0 ${end} block)
if(NOT block STREQUAL source)
  message(FATAL_ERROR "the quick start in README.md differs from examples/quickstart.c: "
                      "copy the file into the README block")
endif()
