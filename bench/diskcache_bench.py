#!/usr/bin/python3
# diskcache_bench.py — the benchmark workload on Python's diskcache (Debian
# python3-diskcache, default settings), the Python baseline of every backend.
#
# Mirrors bench/workload.h byte for byte (doc_hash= in the output line shows
# it). Run with /usr/bin/python3: that is the interpreter the package is for.
#   /usr/bin/python3 bench/diskcache_bench.py DIR [--n N] [--seed S]
#
# Choices that favour diskcache, so the ratio is not flattered: documents are
# generated before the timed loop (the C programs make them inside it), and a
# put is Cache.set (no existence check, unlike cairn's default FAIL_IF_EXISTS).
# diskcache has no prefix listing: list is iterkeys() filtered by prefix,
# which is what its API offers.
import argparse
import sys
import time

import diskcache

M64 = (1 << 64) - 1
DOC_LEN = 1024
TEXT_LEN = 4096
LIST_PREFIX = "runs/r42"


class Mix:
    """splitmix64, as bench_mix() in workload.h."""

    __slots__ = ("st",)

    def __init__(self, seed):
        self.st = seed & M64

    def next(self):
        self.st = (self.st + 0x9E3779B97F4A7C15) & M64
        z = self.st
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)


def make_text():
    m = Mix(0x5EED)
    out = []
    p = 0
    while p < TEXT_LEN:
        r = m.next()
        wlen = 2 + r % 9
        r //= 9
        k = 0
        while k < wlen and p < TEXT_LEN:
            out.append(chr(ord("a") + r % 26))
            p += 1
            k += 1
            r //= 26
        if p < TEXT_LEN:
            out.append(" ")
            p += 1
    return "".join(out)


TEXT = make_text()


def key(i):
    return "runs/r%02d/items/%07d" % (i % 100, i)


def doc(i):
    m = Mix(i)
    r = [m.next() for _ in range(6)]
    s = (
        '{"id":"runs/r%02d/items/%07d","run":%d,"item":%d,"ok":%s,"score":0.%06d,'
        '"metrics":{"loss":%d.%04d,"acc":0.%04d,"epoch":%d},"samples":['
        % (i % 100, i, i % 100, i, "true" if r[0] & 1 else "false", r[1] % 1000000,
           r[2] % 10, r[2] // 10 % 10000, r[3] % 10000, r[3] // 10000 % 500)
    )
    s += ",".join(str(m.next() % 100000) for _ in range(16))
    s += '],"note":"'
    fill = DOC_LEN - 2 - len(s)
    start = r[4] % (TEXT_LEN - fill + 1)
    s += TEXT[start:start + fill] + '"}'
    b = s.encode("ascii")
    assert len(b) == DOC_LEN
    return b


def shuffle(n, seed):
    """Fisher-Yates as bench_shuffle() in workload.h."""
    m = Mix(seed)
    order = list(range(n))
    for k in range(n, 1, -1):
        j = m.next() % k
        order[k - 1], order[j] = order[j], order[k - 1]
    return order


def doc_hash(n):
    h = 0xCBF29CE484222325
    for i in (0, n - 1 if n else 0):
        for byte in doc(i):
            h ^= byte
            h = (h * 0x100000001B3) & M64
    return h


def main():
    ap = argparse.ArgumentParser(description="the cairn benchmark workload on diskcache")
    ap.add_argument("dir", help="a fresh directory for the cache")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    n = a.n
    if not 1 <= n <= 9999999:
        ap.error("--n must be 1..9999999")

    keys = [key(i) for i in range(n)]
    docs = [doc(i) for i in range(n)]
    order = shuffle(n, a.seed)
    cache = diskcache.Cache(a.dir)

    t0 = time.perf_counter()
    for i in range(n):
        cache.set(keys[i], docs[i])
    put_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    for j in order:
        k = keys[j]
        v = cache.get(k)
        if v is None or len(v) != DOC_LEN or v[7:7 + len(k)] != k.encode():
            sys.exit("diskcache_bench: get %s: not the document written" % k)
    get_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    sub = LIST_PREFIX + "/"
    listed = [k for k in cache.iterkeys() if k == LIST_PREFIX or k.startswith(sub)]
    list_s = time.perf_counter() - t0
    cache.close()

    print(
        "backend=diskcache n=%d put_ops_s=%.0f get_ops_s=%.0f list_ms=%.3f put_us=%.2f "
        "get_us=%.2f list_keys=%d doc_bytes=%d doc_hash=%016x"
        % (n, n / put_s, n / get_s, list_s * 1e3, put_s * 1e6 / n, get_s * 1e6 / n,
           len(listed), DOC_LEN, doc_hash(n)),
        flush=True,
    )


if __name__ == "__main__":
    main()
