/*
 * deprecated.c — the async names kept for one release after their rename
 * (cairn/common.h, "Release verbs"; CHANGELOG.md lists them).
 */
#include "cairn/async.h"

CAIRN_API int cairn_executor_create(const cairn_executor_opts *opts, cairn_executor **out)
{
    return cairn_executor_new(opts, out);
}

CAIRN_API void cairn_executor_destroy(cairn_executor *ex)
{
    cairn_executor_free(ex);
}
