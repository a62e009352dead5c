#!/bin/sh
# licence.sh - the licence is stated and kept: sim/COPYING holds the GPL
# version 3; every source file of the repository (C and headers, Python,
# shell, awk, make files, Slurm scripts, CI), including those added later,
# carries `SPDX-License-Identifier: GPL-3.0-or-later` in its first lines;
# the version in the Makefile has its entry in sim/CHANGELOG and the
# README's "Changes" names it.
. "$(dirname "$0")/common.inc"

SPDX='SPDX-License-Identifier: GPL-3.0-or-later'
if grep -q 'GNU GENERAL PUBLIC LICENSE' "$ROOT/sim/COPYING" 2>/dev/null &&
    grep -q 'Version 3, 29 June 2007' "$ROOT/sim/COPYING"; then
    ok "sim/COPYING is the GPL, version 3"
else
    not_ok "sim/COPYING is missing or not the GPL-3 text"
fi

# the source files: tracked or new (not ignored), else every file
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$ROOT" ls-files --cached --others --exclude-standard >"$T/all"
else
    (cd "$ROOT" && find . -path ./build -prune -o -type f -print | sed 's|^\./||') >"$T/all"
fi
# by name, and scripts by their first line
while IFS= read -r f; do
    [ -f "$ROOT/$f" ] || continue
    case $f in
    tests/bad_inputs/* | tests/fuzz/regressions/* | tests/fuzz/hdf5-known/* | tests/fuzz/pending/*)
        continue ;; # inputs of tests, not source
    *.c | *.h | *.py | *.sh | *.inc | *.awk | *.mk | *.sbatch | Makefile | */Makefile) echo "$f" ;;
    *)
        head -c 2 "$ROOT/$f" | grep -q '^#!' && echo "$f" ;;
    esac
done <"$T/all" | sort -u >"$T/sources"
n=$(wc -l <"$T/sources")
missing=""
while IFS= read -r f; do
    head -n 5 "$ROOT/$f" | grep -qF "$SPDX" || missing="$missing $f"
done <"$T/sources"
if [ -z "$missing" ]; then
    ok "every source file carries '$SPDX' ($n files)"
else
    not_ok "source files without '$SPDX' in their first 5 lines:$missing"
fi
[ "$n" -ge 50 ] && ok "the check saw the C, Python and shell sources ($n files)" ||
    not_ok "only $n source files found"
for kind in '\.c$' '\.h$' '\.py$' '\.sh$' '\.awk$' '^Makefile$' '\.sbatch$'; do
    grep -q "$kind" "$T/sources" || not_ok "no file matching $kind among the sources"
done

VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
grep -q "^$VERSION " "$ROOT/sim/CHANGELOG" && ok "sim/CHANGELOG has an entry for version $VERSION" ||
    not_ok "sim/CHANGELOG has no entry for version $VERSION (the Makefile's)"
sed -n '/^## Changes/,$p' "$ROOT/README.md" | grep -qF "$VERSION" &&
    ok "the README's Changes names version $VERSION" || not_ok "the README's Changes does not name $VERSION"
for section in '## Licence' '## How to cite' '## Changes'; do
    grep -qx "$section" "$ROOT/README.md" && ok "README section '$section'" || not_ok "no README section '$section'"
done
finish
