#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# install.sh - `make install` into a temporary DESTDIR, then the installed
# program: it runs from any directory and finds its shared scenarios,
# sweeps and targets; `man -l` renders its manual page sim(1) without a
# warning, with a section per command; its bash completion completes
# commands, options and their values; an installed analysis script runs;
# `make uninstall` removes every file again.  `make -n` shows that PREFIX
# and DESTDIR choose every path.
. "$(dirname "$0")/common.inc"

D=$T/root
BUILD_DIR=${BUILD:-build}
# the same build as the program under test (SANITIZE=1 builds elsewhere)
mk() {
    make -s -C "$ROOT" BUILD="$BUILD_DIR" ${SIM_SANITIZE:+SANITIZE=$SIM_SANITIZE} "$@"
}

# ---- make install ------------------------------------------------------------------------
if mk install DESTDIR="$D" >"$T/log/install" 2>&1; then
    ok "make install DESTDIR=... (PREFIX /usr/local)"
else
    not_ok "make install failed"
    show "$T/log/install"
    finish
fi
P=$D/usr/local
for f in bin/sim share/man/man1/sim.1 share/bash-completion/completions/sim \
    share/bloc-sim/configs/default.cfg share/bloc-sim/configs/targets.cfg \
    share/bloc-sim/configs/sweeps/example.cfg share/bloc-sim/configs/slurm/submit_sweep.sh \
    share/bloc-sim/scenarios/baseline.cfg share/bloc-sim/scenarios/sanctions_relief.cfg \
    share/bloc-sim/analysis/plot_run.py share/bloc-sim/analysis/resultlib.py \
    share/doc/bloc-sim/COPYING share/doc/bloc-sim/CHANGELOG; do
    [ -s "$P/$f" ] || missing="${missing:-} $f"
done
[ -z "${missing:-}" ] && ok "the program, manual, completion, licence and shared data are installed" ||
    not_ok "not installed:$missing"
if command -v mpicc >/dev/null 2>&1; then
    [ -x "$P/bin/sim-mpi" ] && ok "sim-mpi installed" || not_ok "sim-mpi not installed"
fi
[ -x "$P/bin/sim" ] && [ -x "$P/share/bloc-sim/analysis/plot_run.py" ] &&
    ok "the program and the analysis scripts are executable" || not_ok "not executable"
n_cfg=$(find "$ROOT/scenarios" -name '*.cfg' | wc -l)
n_inst=$(find "$P/share/bloc-sim/scenarios" -name '*.cfg' | wc -l)
[ "$n_cfg" -eq "$n_inst" ] && ok "every scenario installed ($n_inst)" ||
    not_ok "$n_inst of $n_cfg scenarios installed"

# ---- the installed program, from another directory -----------------------------------------
ISIM=$P/bin/sim
mkdir "$T/elsewhere"
run_i() { (cd "$T/elsewhere" && exec timeout -k 5 120 "$ISIM" "$@") >"$OUT" 2>"$ERR"; RC=$?; }
run_i --version
expect_rc "installed sim --version" 0
has "it names its shared data directory" "$OUT" "shared data: $P/share/bloc-sim"
run_i run sanctions_relief -q
expect_rc "installed sim run sanctions_relief (a shared scenario by name), elsewhere" 0
[ -s "$T/elsewhere/sanctions_relief.h5" ] && ok "it wrote sanctions_relief.h5 there" ||
    not_ok "no sanctions_relief.h5"
run_i run "$ROOT/scenarios/sanctions_relief.cfg" -q -o "$T/tree.h5"
(cd "$T" && "$PYTHON" "$CHECK_RESULT" --compare elsewhere/sanctions_relief.h5 tree.h5) >"$T/log/cmp" 2>&1 &&
    ok "the shared scenario is the tree's scenario (same data)" || not_ok "data differ"
run_i sweep example --dry-run
expect_rc "installed sim sweep example --dry-run (a shared sweep by name)" 0
has "the shared sweep file is found" "$OUT" "$P/share/bloc-sim/configs/sweeps/example.cfg"
run_i calibrate --targets targets --check --replicates 2 -q
case $RC in 0 | 4) ok "installed sim calibrate --targets targets (shared targets): exit $RC" ;;
*) not_ok "installed calibrate --targets targets: exit $RC"; show "$ERR" ;;
esac
run_i run nosuch_scenario
expect_rc "a scenario that is nowhere" 2
has "it is named as given" "$ERR" "sim: nosuch_scenario: cannot open"
if [ "${SIM_SANITIZE:-}" != 1 ]; then
    (cd "$T/elsewhere" && "$PYTHON" "$P/share/bloc-sim/analysis/plot_run.py" sanctions_relief.h5) \
        >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "the installed plot_run.py draws the file" 0
    [ -s "$T/elsewhere/sanctions_relief.run.png" ] && ok "it names its figure after its input" ||
        not_ok "no sanctions_relief.run.png ($(ls "$T/elsewhere" | tr '\n' ' '))"
fi

# ---- the manual page -------------------------------------------------------------------------
MAN=$P/share/man/man1/sim.1
if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man -l --warnings "$MAN" >"$T/man.txt" 2>"$T/man.err"
    RC=$?
    expect_rc "man -l sim.1" 0
    [ ! -s "$T/man.err" ] && ok "man -l --warnings: no warning" || { not_ok "man warnings"; show "$T/man.err"; }
    has "the manual has its sections" "$T/man.txt" NAME SYNOPSIS DESCRIPTION COMMANDS \
        "EXIT STATUS" ENVIRONMENT FILES EXAMPLES COPYRIGHT GPL-3.0-or-later
    has "a section per command, and sim-mpi" "$T/man.txt" "   sim run" "   sim check" "   sim info" \
        "   sim compare" "   sim calibrate" "   sim sweep" "   sim merge" "   sim export" \
        "   mpirun -n K sim-mpi sweep"
    # every option of every command's --help is in the manual
    missing=""
    for cmd in run check info compare calibrate sweep merge export; do
        "$ISIM" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u >"$T/opts"
        while read -r o; do
            grep -qF -- "$o" "$T/man.txt" || missing="$missing $cmd:$o"
        done <"$T/opts"
    done
    [ -z "$missing" ] && ok "every option of every --help is in the manual" ||
        not_ok "options missing from the manual:$missing"
else
    not_ok "man is not installed (Debian: man-db, in the README's quick start)"
fi

# ---- bash completion -------------------------------------------------------------------------
COMP=$P/share/bash-completion/completions/sim
complete_words() { # complete_words WORD... : what completing the last word offers
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); cd "$0";
             _sim; printf "%s\n" "${COMPREPLY[@]}"' "$T/elsewhere" "$COMP" "$@" |
        grep -v '^$' | sort | tr '\n' ' '
}
got=$(bash -c '. "$1"; complete -p sim sim-mpi' _ "$COMP" 2>&1)
case $got in
*"complete -F _sim sim"*"complete -F _sim_mpi sim-mpi"*) ok "complete -p: _sim for sim, _sim_mpi for sim-mpi" ;;
*) not_ok "complete -p: '$got'" ;;
esac
got=$(complete_words sim "")
[ "$got" = "--bash-completion --help --man --version calibrate check compare export help info merge run sweep " ] &&
    ok "sim <TAB>: the commands and the program's options" || not_ok "sim <TAB>: '$got'"
got=$(complete_words sim swe)
[ "$got" = "sweep " ] && ok "sim swe<TAB>: sweep" || not_ok "sim swe<TAB>: '$got'"
got=$(complete_words sim sweep --sh)
[ "$got" = "--shard " ] && ok "sim sweep --sh<TAB>: --shard" || not_ok "sim sweep --sh<TAB>: '$got'"
got=$(complete_words sim run --pro)
[ "$got" = "--progress --progress-every " ] && ok "sim run --pro<TAB>: --progress --progress-every" ||
    not_ok "sim run --pro<TAB>: '$got'"
got=$(complete_words sim compare a.cfg b.cfg --format "")
[ "$got" = "csv md text " ] && ok "sim compare --format <TAB>: csv md text" ||
    not_ok "sim compare --format <TAB>: '$got'"
got=$(complete_words sim info san)
[ "$got" = "sanctions_relief.h5 " ] && ok "sim info <TAB>: result files" || not_ok "sim info san<TAB>: '$got'"
got=$(complete_words sim check --shard)
[ -z "$got" ] && ok "sim check --sh<TAB>: nothing (check takes no --shard)" || not_ok "sim check --shard<TAB>: '$got'"

# ---- PREFIX and DESTDIR choose every path; make uninstall ----------------------------------
mk -n install PREFIX=/opt/bs DESTDIR="$T/other" >"$T/log/dry" 2>&1
bad=$(grep -E '(install|ln) ' "$T/log/dry" | grep -c '/usr/local')
if [ "$bad" -eq 0 ] && grep -qF "$T/other/opt/bs/bin/sim" "$T/log/dry" &&
    grep -qF "$T/other/opt/bs/share/bloc-sim" "$T/log/dry" &&
    grep -qF "$T/other/opt/bs/share/man/man1/sim.1" "$T/log/dry"; then
    ok "make -n install PREFIX=/opt/bs DESTDIR=...: every path under DESTDIR/opt/bs"
else
    not_ok "PREFIX or DESTDIR not honoured"
    show "$T/log/dry"
fi
if mk uninstall DESTDIR="$D" >"$T/log/uninstall" 2>&1; then
    left=$(find "$D" -type f -o -type l | wc -l)
    [ "$left" -eq 0 ] && ok "make uninstall removes every installed file" ||
        not_ok "$left files left after make uninstall: $(find "$D" -type f -o -type l | head -5)"
else
    not_ok "make uninstall failed"
    show "$T/log/uninstall"
fi
finish
