#!/usr/bin/python3
"""formats_interop.py TOOL CLI BACKEND — numpy and msgpack interop.

Arrays written by cairn (cairn_put_array through formats_tool, and the CLI)
are read by numpy.load with the right dtype, shape, order and values; arrays
written by numpy.save are stored with the CLI and read back through the C
API (cairn_value_array) identically; msgpack written by cairn
(cairn_convert) is read by python3-msgpack and the other way round.
Run with Debian's /usr/bin/python3 (python3-numpy, python3-msgpack).
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import msgpack
    import numpy as np
except ImportError as e:  # not installed: skipped, not passed
    print(f"skipped: {e}")
    sys.exit(77)

tool, cli, backend = sys.argv[1:4]
tmp = tempfile.mkdtemp(prefix="cairn-interop-")
url = {"file": f"file:{tmp}/st", "sqlite": f"sqlite:{tmp}/st.db",
       "lmdb": f"lmdb:{tmp}/lmdb", "mem": "mem:"}[backend]
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}")


def run(args, stdin=None, ok=True):
    p = subprocess.run(args, input=stdin, capture_output=True)
    if ok and p.returncode != 0:
        print(f"FAIL: {' '.join(args)} exited {p.returncode}: {p.stderr.decode()}")
        raise SystemExit(1)
    return p


def cairn(*args, stdin=None, ok=True):
    return run([cli, "--store", url, *args], stdin=stdin, ok=ok)


def order_of(a):
    return a.ndim >= 2 and a.flags.f_contiguous and not a.flags.c_contiguous


def same_array(got, want, what):
    check(got.dtype == want.dtype, f"{what}: dtype {got.dtype.str} != {want.dtype.str}")
    check(got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}")
    check(order_of(got) == order_of(want), f"{what}: order differs")
    check(np.array_equal(got, want), f"{what}: values differ")


# ---- arrays written through the C API, read by numpy.load ----

f8 = np.arange(24, dtype="<f8") * 1.25 - 3
api = {
    "api/f8_3d": f8.reshape(2, 3, 4),
    "api/f8_fortran": np.ndarray((4, 6), dtype="<f8", buffer=f8.tobytes(), order="F"),
    "api/f8_big": f8.astype(">f8").reshape(6, 4),
    "api/f4_1d": np.arange(5, dtype="<f4") / np.float32(4),
    "api/i8_2d": (np.arange(6, dtype="<i8") * 1000000000000 - 2).reshape(2, 3),
    "api/i2_1d": np.arange(4, dtype="<i2") * np.int16(-300),
    "api/u4_1d": np.arange(3, dtype="<u4") + np.uint32(4000000000),
    "api/b1_1d": np.array([False, True, False, True]),
    "api/c16_1d": np.array([0.5 + 1.5j, 2.5 + 3.5j, 4.5 + 5.5j], dtype="<c16"),
    "api/scalar": np.array(42.5),
    "api/empty": np.zeros((0, 3), dtype="<i4"),
}
if backend == "mem":
    raise SystemExit("mem: a store does not outlive its process; use a persistent backend")
run([tool, "put-arrays", url])
for key, want in api.items():
    out = os.path.join(tmp, "out.npy")
    cairn("get", key, "--out", out)
    got = np.load(out, allow_pickle=False)
    same_array(got, want, f"numpy.load of {key}")

# ---- arrays written by numpy.save, stored with the CLI, read by the C API ----


def saved(arr, version=None):
    buf = io.BytesIO()
    if version:
        np.lib.format.write_array(buf, arr, version=version)
    else:
        np.save(buf, arr)
    return buf.getvalue()


npc = {
    "np/f8_2d": (np.arange(12.0).reshape(3, 4), None),
    "np/f4_fortran": (np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)), None),
    "np/i4_big_3d": (np.arange(24, dtype=">i4").reshape(2, 3, 4), None),
    "np/u1": (np.arange(256, dtype="u1"), None),
    "np/i1": (np.array([-128, 127, 0], dtype="i1"), None),
    "np/bool": (np.array([True, False, True]), None),
    "np/f2": (np.array([1, -2, 65504], dtype="<f2"), None),
    "np/c8": (np.array([1 + 2j, -3.5j], dtype="<c8"), None),
    "np/u8": (np.array([2**64 - 1, 0], dtype="<u8"), None),
    "np/i8_0d": (np.array(-7, dtype="<i8"), None),
    "np/empty": (np.zeros((3, 0), dtype="<f8"), None),
    "np/v2": (np.arange(4, dtype="<i2"), (2, 0)),
    "np/v3": (np.arange(4, dtype=">u2").reshape(2, 2), (3, 0)),
}
for key, (arr, version) in npc.items():
    data = saved(arr, version)
    path = os.path.join(tmp, key.replace("/", "_") + ".npy")
    with open(path, "wb") as f:
        f.write(data)
    cairn("put", key, "--format", "npy", "--input", path)
    # Byte for byte back out.
    out = os.path.join(tmp, "back.npy")
    cairn("get", key, "--out", out)
    with open(out, "rb") as f:
        check(f.read() == data, f"{key}: get --out differs from the file put")
    same_array(np.load(out, allow_pickle=False), arr, f"numpy.load of {key} from get --out")
    # The C API sees what numpy wrote.
    dt, big, fortran, shape, hexdata = run([tool, "show", url, key]).stdout.decode().split(" ")
    code = arr.dtype.kind.replace("b", "b") + str(arr.dtype.itemsize)
    check(dt == code, f"{key}: C dtype {dt}, numpy {code}")
    check(int(big) == (arr.dtype.byteorder == ">"), f"{key}: byte order")
    check(int(fortran) == order_of(arr), f"{key}: fortran_order {fortran}")
    want_shape = "(" + "".join(f"{d}," for d in arr.shape) + ")"
    check(shape == want_shape, f"{key}: shape {shape} != {want_shape}")
    check(hexdata.strip() == arr.tobytes(order="F" if order_of(arr) else "C").hex(),
          f"{key}: data bytes differ")

# cat: the header line and the values.
lines = cairn("cat", "np/f4_fortran").stdout.decode().splitlines()
check(lines == ["dtype=<f4 shape=(2, 3) order=F", "0.0 1.0 2.0", "3.0 4.0 5.0"],
      f"cat np/f4_fortran: {lines}")
lines = cairn("cat", "np/i4_big_3d").stdout.decode().splitlines()
check(lines[0] == "dtype=>i4 shape=(2, 3, 4) order=C" and lines[1] == "0 1 2 3"
      and lines[-1] == "20 21 22 23" and len(lines) == 7, f"cat np/i4_big_3d: {lines}")

# Object arrays would run pickle on load: refused, nothing stored.
path = os.path.join(tmp, "obj.npy")
np.save(path, np.array([1, "a", None], dtype=object), allow_pickle=True)
p = cairn("put", "np/obj", "--format", "npy", "--input", path, ok=False)
check(p.returncode == 5 and b"pickle" in p.stderr, f"object array: exit {p.returncode} {p.stderr}")
check(cairn("exists", "np/obj", ok=False).returncode == 3, "object array was stored")

# ---- msgpack ----

obj = {"a": [1, -2, 2.5, None, True, "\u00e9\u20ac"], "nested": {"x": [[], {}]},
       "big": 2**64 - 1, "neg": -(2**63), "f": 1.0, "s": "line\nbreak \"q\""}
packed = msgpack.packb(obj)
path = os.path.join(tmp, "m.bin")
with open(path, "wb") as f:
    f.write(packed)
cairn("put", "mp/py", "--format", "msgpack", "--input", path)
out = os.path.join(tmp, "m.out")
cairn("get", "mp/py", "--out", out)
with open(out, "rb") as f:
    check(f.read() == packed, "msgpack bytes differ after get --out")
rendered = cairn("cat", "mp/py").stdout.decode()
check(json.loads(rendered) == obj, f"cat mp/py renders {rendered}")
check('"f":1.0' in rendered, f"a float stays a float: {rendered}")
# From stdin.
cairn("put", "mp/stdin", "--format", "msgpack", "-", stdin=msgpack.packb([1, 2]))
check(json.loads(cairn("cat", "mp/stdin").stdout) == [1, 2], "msgpack from stdin")

# Written by cairn (cairn_convert), read by python3-msgpack.
doc = ('{"n":[0,-1,127,128,-33,65536,18446744073709551615,-9223372036854775808],'
       '"f":[0.1,1.0,-2.5e300],"s":"\\u00e9\\ud83d\\ude00","o":{"k":null,"t":true}}')
run([tool, "put-msgpack", url, "mp/cairn"], stdin=doc.encode())
cairn("get", "mp/cairn", "--out", out)
with open(out, "rb") as f:
    got = msgpack.unpackb(f.read(), raw=False, strict_map_key=True)
check(got == json.loads(doc), f"python3-msgpack reads {got}")
check(isinstance(got["f"][1], float) and isinstance(got["n"][6], int), "number kinds kept")

# Values python3-msgpack writes that JSON cannot show: stored, cat refuses.
with open(path, "wb") as f:
    f.write(msgpack.packb({"b": b"\x00\x01", 1: 2}))
cairn("put", "mp/bin", "--format", "msgpack", "--input", path)
p = cairn("cat", "mp/bin", ok=False)
check(p.returncode == 5 and b"no JSON form" in p.stderr or b"not a string" in p.stderr,
      f"cat of binary msgpack: exit {p.returncode} {p.stderr}")
# Two objects are not one value.
with open(path, "wb") as f:
    f.write(msgpack.packb(1) + msgpack.packb(2))
p = cairn("put", "mp/two", "--format", "msgpack", "--input", path, ok=False)
check(p.returncode == 5 and b"after the object" in p.stderr, f"two objects: {p.stderr}")

# ---- the other formats through the CLI ----

path = os.path.join(tmp, "t.txt")
with open(path, "wb") as f:
    f.write("caf\u00e9\n".encode())
cairn("put", "txt/a", "--format", "text", "--input", path)
check(cairn("cat", "txt/a").stdout == "caf\u00e9\n".encode(), "cat of text")
with open(path, "wb") as f:
    f.write(b"\xff")
p = cairn("put", "txt/b", "--format", "text", "--input", path, ok=False)
check(p.returncode == 5 and b"UTF-8" in p.stderr, f"invalid text: {p.returncode} {p.stderr}")
p = cairn("put", "txt/c", "x", "--input", path, ok=False)
check(p.returncode == 2, f"a value and --input together: exit {p.returncode}")
cairn("put", "bin/a", "--format", "bytes", "-", stdin=bytes(range(20)))
dump = cairn("cat", "bin/a").stdout.decode()
check(dump == "00000000: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................\n"
              "00000010: 1011 1213                                ....\n",
      f"hex dump: {dump!r}")
cairn("put", "js/a", '{"a": 1}')
check(cairn("cat", "js/a").stdout == b'{"a": 1}\n', "cat of json")
meta = json.loads(cairn("get", "--meta", "np/f8_2d").stdout)
check(meta["format"] == "npy", f"get --meta format {meta['format']}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{checks - failures} of {checks} checks passed ({backend})")
sys.exit(1 if failures else 0)
