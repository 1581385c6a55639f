# tests/install/test_exports.py: libsconv.so exports exactly the functions include/ declares
#   /usr/bin/python3 test_exports.py NM LIBSCONV_SO INCLUDE_DIR
# Parses every header under INCLUDE_DIR for its top-level function declarations, checks each
# carries SC_API (static inline helpers excepted), and compares those names with the defined
# dynamic symbols `nm -D` lists: an internal leaking out or a public function missing fails.
# Prints one line per check and "N passed, M failed" last; exits 1 on any failure.
import os
import re
import subprocess
import sys

NM, LIB, INCLUDE = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
# Symbols some linkers define in every shared object; not the library's own.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}
CHECKS = []


def check(name, good, detail=""):
    CHECKS.append(good)
    print(f"{'ok  ' if good else 'FAIL'} {name}" + ("" if good else f": {detail}"))


def c_only(text):
    """The header as a C compiler sees it: no comments, no directives, no C++-only blocks."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"\\\n", " ", text)
    kept, cxx_depth = [], 0
    for line in text.split("\n"):
        directive = line.strip()
        if cxx_depth:
            if directive.startswith("#if"):
                cxx_depth += 1
            elif directive.startswith("#endif"):
                cxx_depth -= 1
            continue
        if re.match(r"#\s*ifdef\s+__cplusplus\b", directive):
            cxx_depth = 1
            continue
        if not directive.startswith("#"):
            kept.append(line)
    return "\n".join(kept)


def declarations(text):
    """Top-level statements, whitespace folded, with brace bodies (structs, enums) dropped;
    an inline function's body ends its statement as a ';' would."""
    statements, current, depth = [], [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and "(" in "".join(current):
                statements.append("".join(current))
                current = []
        elif depth == 0:
            if ch == ";":
                statements.append("".join(current))
                current = []
            else:
                current.append(ch)
    return [" ".join(s.split()) for s in statements if s.strip()]


def public_functions():
    """(exported names, names declared without SC_API) over every header in INCLUDE."""
    exported, unmarked = {}, []
    for root, _, files in os.walk(INCLUDE):
        for name in sorted(files):
            if not name.endswith(".h"):
                continue
            path = os.path.join(root, name)
            with open(path) as f:
                for decl in declarations(c_only(f.read())):
                    if decl.startswith("typedef") or "(" not in decl:
                        continue
                    words = decl.split("(")[0].split()
                    if "static" in words:
                        continue
                    fn = words[-1].lstrip("*")
                    where = os.path.relpath(path, os.path.dirname(INCLUDE))
                    if "SC_API" in words:
                        exported[fn] = where
                    else:
                        unmarked.append(f"{fn} ({where})")
    return exported, unmarked


def dynamic_symbols():
    out = subprocess.run([NM, "-D", "--defined-only", LIB], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    names = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
    return names - LINKER_SYMBOLS


def main():
    exported, unmarked = public_functions()
    symbols = dynamic_symbols()
    check("headers declare public functions", len(exported) > 0, f"none found under {INCLUDE}")
    check("every public declaration carries SC_API", not unmarked, ", ".join(unmarked))
    extra = sorted(symbols - set(exported))
    missing = sorted(set(exported) - symbols)
    check(f"libsconv.so exports nothing beyond include/ ({len(symbols)} symbols)", not extra,
          f"{len(extra)} internal symbols exported: {' '.join(extra)}")
    check(f"libsconv.so exports every SC_API function ({len(exported)} declared)", not missing,
          " ".join(f"{m} ({exported[m]})" for m in missing))
    check("the allocation-failure test hook is not exported", "sc_alloc_fail_at" not in symbols)
    failed = CHECKS.count(False)
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
