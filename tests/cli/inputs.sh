#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# inputs.sh - how configuration files are read: @include as C's
# #include "..." (from the directory of the file that holds it, absolute
# paths too), a scenario given as a pipe read once, a UTF-8 byte-order
# mark accepted, too few file descriptors an exit 1 (the machine, not the
# input), and a calibrated.cfg written to a path with a quote still loading.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  unused
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

# the shipped files in a copy of the repository layout, and the user's own
# folder elsewhere
mkdir -p "$W/repo" "$W/mine/deeper"
cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/repo/"
"$SIM" check >"$T/builtin.cfg" 2>"$ERR" || not_ok "sim check of the built-in baseline"

# ---- includes: relative to the including file, absolute allowed ------------------------
# mine/deeper/x.cfg includes the shipped baseline; the baseline's own
# includes (../configs/...) are taken from scenarios/, not from mine/deeper/
cat >"$W/mine/deeper/x.cfg" <<'EOF'
# a user's scenario, kept apart from the shipped files
@include "../../repo/scenarios/baseline.cfg"
EOF
sim check mine/deeper/x.cfg
expect_rc "a scenario in the user's folder includes the shipped baseline" 0
cp "$OUT" "$T/x.cfg"
if cmp -s "$T/x.cfg" "$T/builtin.cfg"; then
    ok "... and resolves to the built-in baseline, parameter for parameter"
else
    not_ok "the included baseline differs from the built-in one"
    diff "$T/builtin.cfg" "$T/x.cfg" | head -n 5 | sed 's/^/#   /'
fi
printf '@include "%s/repo/scenarios/baseline.cfg"\n' "$W" >"$W/mine/abs.cfg"
sim check mine/abs.cfg
expect_rc "an absolute @include" 0
cmp -s "$OUT" "$T/builtin.cfg" && ok "... reads the same baseline" ||
    not_ok "the absolute include resolved to another text"
# an error in an included file is placed there, at its own line
sed 's/^  months = 24;/  months = 0;/' "$W/repo/scenarios/baseline.cfg" >"$W/repo/scenarios/zero.cfg"
printf '@include "../../repo/scenarios/zero.cfg"\n' >"$W/mine/deeper/z.cfg"
line=$(lineof "$W/repo/scenarios/zero.cfg" "months = 0;")
sim check mine/deeper/z.cfg
expect_rc "an error in an included file" 2
message_is "mine/deeper/../../repo/scenarios/zero.cfg:$line: scenario.months: must be between 1 and 1200 (got 0)" &&
    ok "... names the included file and its own line ($line)" || { not_ok "message"; show "$ERR"; }

# ---- a pipe is read once -------------------------------------------------------------------
# relative includes of a pipe are taken from the current directory (there
# is no other), as for C read from stdin
(cd "$W/repo/scenarios" && cat baseline.cfg | "$SIM" check /dev/stdin) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "sim check /dev/stdin fed by a pipe" 0
cmp -s "$OUT" "$T/builtin.cfg" && ok "... reads the file once, whole (it read it twice: 'goods: missing required group')" ||
    { not_ok "/dev/stdin resolved to another text"; show "$ERR"; }
if command -v bash >/dev/null 2>&1; then
    (cd "$W/repo/scenarios" && bash -c '"$0" run -q --months 2 -o "$1" <(cat baseline.cfg)' \
        "$SIM" "$W/piped.h5") >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "sim run <(...) (process substitution)" 0
    [ -s "$W/piped.h5" ] && ok "... writes the run" || not_ok "sim run <(...) wrote nothing"
fi

# ---- a UTF-8 byte-order mark is accepted ---------------------------------------------------
printf '\357\273\277' >"$W/repo/scenarios/bom.cfg"
cat "$W/repo/scenarios/baseline.cfg" >>"$W/repo/scenarios/bom.cfg"
sim check repo/scenarios/bom.cfg
expect_rc "a scenario that starts with a UTF-8 byte-order mark" 0
cmp -s "$OUT" "$T/builtin.cfg" && ok "... reads as without it" || not_ok "the BOM changed the text"

# ---- resources: the machine's failure is exit 1, not bad input ----------------------------
# 0, 1, 2 and the scenario leave no descriptor for its include
(cd "$W" && ulimit -n 4 && exec "$SIM" check repo/scenarios/baseline.cfg) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "too few file descriptors for an @include (ulimit -n 4)" 1
message_is "repo/scenarios/baseline.cfg:" "Too many open files" &&
    ok "... says so, with the file and line" || { not_ok "message"; show "$ERR"; }

# ---- integers are exact at 64 bits ---------------------------------------------------------
sed 's/^  seed = 20230101;.*$/  seed = 9007199254740992;/' "$W/repo/scenarios/baseline.cfg" \
    >"$W/repo/scenarios/bigseed.cfg"
sim check repo/scenarios/bigseed.cfg
expect_rc "seed = 2^53, beyond 32 bits, without an L" 0
has "... is read exactly (libconfig 1.5 kept 32 bits of it)" "$OUT" "seed = 9007199254740992.0;"

# ---- every config the program writes loads back ---------------------------------------------
# a calibration written to a path holding a quote: its command (which
# holds the path) is escaped
mkdir -p "$W/q\"dir"
cat >"$W/t.cfg" <<'EOF'
targets = (
  { name = "oil"; variables = ["flow"]; agents = ["RUS"]; partners = ["CHN"];
    goods = ["oil"]; reduce = "sum"; scale = 1.0e6; value = 10.0;
    range = [0.0, 1.0e9]; }
);
free = ( { path = "goods.oil.discount"; min = 0.35; max = 0.5; } );
EOF
# (a fit that converges at once: its tolerance is met by any draw)
sim calibrate --targets t.cfg --months 2 --particles 20 --tolerance 1e9 --draws 0 -q \
    -o 'q"dir/cal.h5' --write-config 'q"dir/cal.cfg'
expect_rc "sim calibrate --write-config 'q\"dir/cal.cfg'" 0
has "the command is written escaped" "$W/q\"dir/cal.cfg" 'q\"dir/cal.cfg'
cp "$W/repo/configs/default.cfg" "$W/q\"dir/default.cfg"
cat >"$W/q\"dir/scen.cfg" <<'EOF'
@include "default.cfg"
@include "cal.cfg"
scenario = { name = "cal"; start = "2023-01"; months = 2; seed = 1; focus = "RUS"; };
EOF
sim check 'q"dir/scen.cfg'
expect_rc "a scenario including that calibrated.cfg passes sim check" 0
finish
