/*
 * hint.c — the tier's record hint (record/hint.h): one per thread.
 */
#include "record/hint.h"

_Thread_local cairn__rec_hint cairn__rec_known;
