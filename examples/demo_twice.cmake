# demo_twice.cmake — run the demo pipeline twice on a fresh store (cmake -P):
# the first run must compute every item, the second must skip every one.
# -DDEMO=<demo_pipeline> -DURL=<store url> -DDIR=<store dir, removed first>
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
foreach(run 1 2)
  execute_process(COMMAND ${DEMO} ${URL} --items 200 --workers 4
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  message("---- run ${run}\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "demo run ${run} failed with status ${rc}")
  endif()
  if(run EQUAL 1)
    set(want "this run: computed 200, skipped 0")
  else()
    set(want "this run: computed 0, skipped 200")
  endif()
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "demo run ${run} did not print '${want}'")
  endif()
endforeach()
file(REMOVE_RECURSE ${DIR})
