#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; re-run only to change them).

Small valid examples of each input, so the fuzzers start from inputs that get deep into the
parsers: layer tars with a symlink, hard links, whiteouts, xattrs and devices (plain, gzip,
two layers), sensor reports, HTTP answers (length, chunked, interim, upgrade), multiplexed
streams and images/load messages, and small real ELF files (shared objects from this system).
"""
import gzip
import io
import json
import os
import struct
import sys
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SEPARATOR = b"\n--slim-fuzz-layer--\n"


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar(members, fmt=tarfile.GNU_FORMAT):
    """members: (name, type, extra dict) -> tar bytes, deterministic."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, extra in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.mode = extra.get("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
            info.type = kind
            data = extra.get("data", b"")
            if kind == tarfile.REGTYPE:
                info.size = len(data)
            for key in ("linkname", "devmajor", "devminor", "uid", "gid", "uname", "gname"):
                if key in extra:
                    setattr(info, key, extra[key])
            if "pax" in extra:
                info.pax_headers = extra["pax"]
            t.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buf.getvalue()


D, F, L, H, C, B, P = (tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
                       tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE)


def layers():
    base = tar([
        ("bin", D, {}),
        ("bin/busybox", F, {"data": b"\x7fELF busybox", "mode": 0o4755}),
        ("bin/sh", L, {"linkname": "busybox"}),
        ("bin/ls", H, {"linkname": "bin/busybox"}),
        ("etc", D, {}),
        ("etc/passwd", F, {"data": b"root:x:0:0:root:/root:/bin/sh\n"}),
        ("etc/alternatives", D, {}),
        ("etc/alternatives/sh", L, {"linkname": "/bin/sh"}),
        ("usr/lib/libc.so.6", F, {"data": b"\x7fELF libc"}),
        ("lib", L, {"linkname": "usr/lib"}),
        ("var/cache/apt/pkgcache.bin", F, {"data": b"cache" * 20}),
    ])
    write("layer", "base.tar", base)
    write("layer", "base.tar.gz", gzip.compress(base, mtime=0))
    upper = tar([
        ("etc/.wh.passwd", F, {}),
        ("var/cache/apt/.wh..wh..opq", F, {}),
        ("bin/cat", H, {"linkname": "bin/busybox"}),
        ("etc/passwd", F, {"data": b"root:x:0:0::/:/bin/false\n"}),
    ])
    write("layer", "two_layers.tar", base + SEPARATOR + upper)
    pax = tar([
        ("usr/bin/ping", F, {"data": b"ping", "mode": 0o755,
                             "pax": {"SCHILY.xattr.security.capability":
                                     "\x01\x00\x00\x02\x00\x20\x00\x00"}}),
        ("dev/null", C, {"devmajor": 1, "devminor": 3, "mode": 0o666}),
        ("dev/sda", B, {"devmajor": 8, "devminor": 0}),
        ("run/fifo", P, {}),
        ("../../escape", F, {"data": b"x"}),
        ("/abs/file", F, {"data": b"y"}),
        ("loop/a", L, {"linkname": "b"}),
        ("loop/b", L, {"linkname": "a"}),
        ("up", L, {"linkname": "../../../etc/shadow"}),
        ("name\nwith newline \xff", F, {"data": b"z", "uname": "user", "gname": "group",
                                        "uid": 1000, "gid": 1000}),
    ], fmt=tarfile.PAX_FORMAT)
    write("layer", "pax_special.tar", pax)


def reports():
    report = {
        "version": 1, "arch": "x86_64", "sensor": {"version": "0.1.0", "mode": "both"},
        "target": {"argv": ["/usr/bin/python3", "-m", "http.server"], "user": "0:0",
                   "exit_status": None},
        "files": [
            {"path": "/usr/bin/python3", "ops": ["exec", "open", "read"], "from_exec": False},
            {"path": "/etc/ld.so.cache", "ops": ["open", "read", "stat"]},
            {"path": "/tmp/../etc/x", "ops": ["notfound", "future-op"], "from_exec": True},
        ],
        "syscalls": ["brk", "read", "openat", "execve"],
        "warnings": ["fanotify: queue overflow"],
    }
    write("sensor_report", "full.json", json.dumps(report).encode())
    minimal = {"version": 1, "arch": "aarch64", "files": [], "syscalls": []}
    write("sensor_report", "minimal.json", json.dumps(minimal).encode())
    write("sensor_report", "utf8.json",
          json.dumps({"version": 1, "arch": "x86_64", "target": {"exit_status": 3},
                      "files": [{"path": "/caf\u00e9/\u65e5\u672c", "ops": ["readdir"]}],
                      "syscalls": []}, ensure_ascii=False).encode())


def http():
    answers = {
        "length": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
        "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
        "interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nServer: x\r\n\r\n",
        "close": b"HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n"
                 b"{\"message\":\"No such container: abc\"}\n",
        "upgrade": b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                   b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
                   b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n\x02\x00\x00\x00\x00\x00\x00\x02e\n",
    }
    for name, body in answers.items():
        write("sensor_http", name, b"\x07" + body)
        write("engine_http", name, (b"\x0f" if name == "upgrade" else b"\x0e") + body)
    write("sensor_http", "head", b"\x83HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    write("sensor_http", "url", b"\x00http://[::1]:8080/path?q=1")
    write("engine_http", "chunked_mux",
          b"\x10HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n"
          b"Transfer-Encoding: chunked\r\n\r\nb\r\n\x01\x00\x00\x00\x00\x00\x00\x03ok\n\r\n0\r\n\r\n")


def frame(stream, payload):
    return struct.pack(">BxxxI", stream, len(payload)) + payload


def mux():
    write("mux_stream", "frames", b"\x05" + frame(1, b"stdout line\n") + frame(2, b"err\n") +
          frame(1, b"") + frame(0, b"stdin as out"))
    write("mux_stream", "systemerr", b"\x00" + frame(1, b"x") + frame(3, b"exec failed\n"))
    write("mux_stream", "truncated", b"\x03" + frame(2, b"cut here")[:-3])
    lines = [{"stream": "Loaded image: slim-fixture/app:latest\n"},
             {"stream": "Loaded image ID: sha256:" + "ab" * 32 + "\n"},
             {"errorDetail": {"message": "no space left on device"}, "error": "no space"}]
    write("mux_stream", "load_stream", b"\x11" + b"\r\n".join(json.dumps(l).encode() for l in lines))


def elf():
    for path, name in (("/lib/x86_64-linux-gnu/libdl.so.2", "libdl.so.2"),
                       ("/usr/bin/true", "true")):
        with open(path, "rb") as f:
            data = f.read()
        write("elf", name, data)
        write("elf", name + ".head", data[:2048])  # truncated: headers only


def source_stream():
    """Byte 0: even = index stream, odd = read answers; byte 1: the piece size fed."""
    index = (b"slim-source-index 1\n"
             b"d / 0755 0 0 1700000000 5\n"
             b"d /etc 0750 0 4 1700000001 0\n"
             b"f /etc/a%20b%0Ac 0644 1000 1000 -5 999999999 12 -\n"
             b"x security.capability 0100000200200000\n"
             b"x user.empty -\n"
             b"f /bin/x 4755 0 0 1 0 3 64:9\n"
             b"f /bin/y 4755 0 0 1 0 3 64:9\n"
             b"l /bin/sh 0777 0 0 1 0 busybox\n"
             b"l /up 0777 0 0 1 0 ../../..\n"
             b"c /dev-null 0666 0 0 1 0 1 3\n"
             b"b /loop 0660 0 6 1 0 7 9\n"
             b"p /fifo 0600 0 0 1 0\n"
             b"w cannot%20stat%20/x\n"
             b"end 11\n")
    write("source_stream", "index", b"\x00\x3f" + index)
    write("source_stream", "index_bytewise", b"\x02\x00" + index)
    write("source_stream", "index_cut", b"\x00\x07" + index[:-9])
    # Three requests of at most 5, 0 and 9 bytes: one answered, one error, one empty.
    data = (b"slim-source-data 1\n" b"D 5\nhello" b"E no%20such%20file\n" b"D 0\n" b"end 3\n")
    write("source_stream", "read", b"\x01\x3f\x03\x05\x09\x09" + data)
    write("source_stream", "read_bytewise", b"\x01\x00\x03\x05\x09\x09" + data)
    write("source_stream", "read_too_long", b"\x01\x3f\x01\x02" + b"slim-source-data 1\nD 5\nhello\nend 1\n")


if __name__ == "__main__":
    layers()
    reports()
    http()
    mux()
    elf()
    source_stream()
    sys.exit(0)
