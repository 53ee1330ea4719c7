#!/usr/bin/env python3
"""Write the seed corpus of fuzz_target (tests/fuzz/corpus/target/).

Each seed encodes a small revision graph, a current state and a target in
the byte format described at the top of fuzz_target.c.  Revision i is named
ID_POOL[i]: a1 b1 c1 a2 b2 c2 abcd1 abcd2 abce ab12cd ab12ce d1 ...
"""
import os
import sys

ID_POOL = ["a1", "b1", "c1", "a2", "b2", "c2", "abcd1", "abcd2", "abce", "ab12cd", "ab12ce", "d1", "e1",
           "lib1", "x1", "base1"]
LABEL_POOL = ["lib1", "lib2", "br", "main", "a1", "lib.v2", "br-x", "rel-1"]


def rev(down=(), deps=(), label=None):
    """down/deps: indices of earlier revisions; deps may also be label names."""
    return (list(down), list(deps), label)


def encode(revs, cur=(), target="head", raw=False, purge=False):
    out = bytearray([len(revs) - 1])
    for i, (down, deps, label) in enumerate(revs):
        f = len(down) | (len(deps) << 2) | (0x10 if label else 0)
        out.append(f)
        for d in down:
            assert d < i
            out.append(d)  # b % i == d since d < i <= 12
        for d in deps:
            if isinstance(d, str):
                out.append(0x80 | LABEL_POOL.index(d))
            else:
                assert d < i
                out.append(d)
        if label:
            out.append(LABEL_POOL.index(label))
    out.append(len(cur) | (4 if raw else 0) | (8 if purge else 0))
    out.extend(cur)
    out.extend(target.encode())
    return bytes(out)


# a1 -> b1 -> c1 -> a2 (linear, labelled at the base)
LINEAR = [rev(label="main"), rev([0]), rev([1]), rev([2])]
# a1 -> b1 -> {c1, a2}; c1 labelled lib1, a2 labelled lib2; b2 merges them
BRANCHES = [rev(), rev([0]), rev([1], label="lib2"), rev([1], label="br"), rev([2, 3])]
# two roots, a dependency across them (Alembic DependsOnBranchTestOne)
DEPENDS = [rev(label="lib2"), rev([0]), rev([1]), rev(), rev([3]), rev([4], [2]), rev([2])]
# a forest with a label dependency
FOREST = [rev(label="br"), rev([0]), rev(), rev([2], ["br"]), rev([3], label="main")]

TARGETS = ["head", "heads", "base", "+1", "-1", "+2", "-2", "a1+1", "b1-1", "abcd", "abcd1", "ab12",
           "main@head", "main@base", "main@+1", "br@-1", "lib2@head", "lib2@heads", "base+2", "heads-1",
           "head-1", "c1@head", "main", "br", "x@-1", "lib2@c1", "a1 b2", "abce,a2", "", "@head", "b1@",
           "+0", "a1+99999999999", "lib2@b1+1"]


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "target")
    os.makedirs(d, exist_ok=True)
    n = 0
    for gname, g, states in [("linear", LINEAR, [(), (1,), (3,)]),
                             ("branches", BRANCHES, [(), (2,), (2, 3), (4,)]),
                             ("depends", DEPENDS, [(), (5, 6), (2,), (1, 4)]),
                             ("forest", FOREST, [(), (1, 3), (4,)])]:
        for si, st in enumerate(states):
            for t in TARGETS:
                if (n % 3) and t not in ("head", "heads", "base", "+1", "-1"):
                    n += 1
                    continue
                safe = "".join(c if c.isalnum() else "_" for c in t) or "empty"
                with open(os.path.join(d, f"{gname}_s{si}_{safe}"), "wb") as f:
                    f.write(encode(g, st, t))
                n += 1
    # a cycle and a missing parent: errors, not crashes
    with open(os.path.join(d, "cycle"), "wb") as f:
        f.write(bytes([1, 0x01, 0xE1, 0x01, 0x00, 0x00]) + b"heads")
    with open(os.path.join(d, "missing"), "wb") as f:
        f.write(bytes([0, 0x01, 0xEF, 0x00]) + b"head")


if __name__ == "__main__":
    main()
