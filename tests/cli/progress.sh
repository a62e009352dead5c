#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# progress.sh - the progress report of long commands.  On a terminal (a
# pty made by Python's pty module): one line redrawn with \r at most 4
# times a second, with percentage, bar, rate and ETA, and a last line
# ending in a newline.  Off a terminal with --progress (a pipe): only
# newline-terminated lines, one every --progress-every seconds (10 by
# default) and one at the end, so that a 7,168-run sweep logs one line,
# not a third of a megabyte.  Without --progress, or with -q on a
# terminal: nothing.  The same for a batch of runs, compare and calibrate.
. "$(dirname "$0")/common.inc"

SWEEP=$ROOT/configs/sweeps/sensitivity.cfg
# report WHAT TTY ARGS... : run sim ARGS in $W with stderr on a pty (TTY=1)
# or a pipe (TTY=0); print a summary of stderr and check its lines:
#   elapsed=S bytes=N redraws=N lines=N
# then the stderr lines, \r shown as a line break
report() {
    what=$1 tty=$2
    shift 2
    (cd "$W" && "$PYTHON" - "$tty" "$SIM" "$@") <<'PY' >"$T/log/report" 2>&1
import os, pty, subprocess, sys, time
tty, argv = sys.argv[1] == "1", sys.argv[2:]
t0 = time.monotonic()
if tty:
    # stderr on a pty, stdout to /dev/null
    pid, fd = pty.fork()
    if pid == 0:
        out = os.open(os.devnull, os.O_WRONLY)
        os.dup2(out, 1)
        os.execv(argv[0], ["sim"] + argv[1:])
    data = b""
    while True:
        try:
            d = os.read(fd, 65536)
        except OSError:
            break
        if not d:
            break
        data += d
    rc = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    data = data.replace(b"\r\n", b"\n")  # the pty's own line ends
else:
    p = subprocess.run(["sim"] + argv[1:], executable=argv[0], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    rc, data = p.returncode, p.stderr
el = time.monotonic() - t0
text = data.decode()
cr, nl = data.count(b"\r"), data.count(b"\n")
print(f"rc={rc} elapsed={el:.3f} bytes={len(data)} redraws={cr} lines={nl}")
sys.stdout.write(text.replace("\r", "\n<CR>"))
PY
    summary=$(head -n 1 "$T/log/report")
    for kv in $summary; do
        eval "${kv%%=*}=${kv#*=}"
    done
    # shellcheck disable=SC2154 # set by eval
    if [ "$rc" -ne 0 ]; then
        not_ok "$what: exit $rc"
        show "$T/log/report"
    fi
}
# lines_match WHAT REGEX : every line of the report after the summary
# (and after a \r) matches REGEX
lines_match() {
    bad=$(sed 1d "$T/log/report" | sed 's/^<CR>//' | grep -v '^$' | grep -cvE "$2")
    if [ "$bad" -eq 0 ]; then ok "$1"; else
        not_ok "$1 ($bad lines do not match)"
        show "$T/log/report"
    fi
}
# at_most WHAT GOT MAX
at_most() {
    if awk -v g="$2" -v m="$3" 'BEGIN { exit !(g <= m) }'; then ok "$1 ($2 <= $3)"; else
        not_ok "$1 ($2 > $3)"
        show "$T/log/report"
    fi
}

# ---- a sweep off a terminal ------------------------------------------------------------
rm -rf "$W"/s.h5*
report "sweep --progress to a pipe" 0 sweep "$SWEEP" -o s.h5 --progress -q
# shellcheck disable=SC2154
echo "# sweep of 7168 runs to a pipe: $elapsed s, $bytes bytes, $lines lines"
most=$(awk -v e="$elapsed" 'BEGIN { printf "%d", e / 10 + 1 }')
at_most "a line every 10 s at most, and the last" "$lines" "$most"
if awk -v e="$elapsed" 'BEGIN { exit !(e < 10) }'; then
    [ "$lines" -eq 1 ] && ok "a sweep of under 10 s logs one line (got $lines)" ||
        not_ok "a sweep of under 10 s logs one line (got $lines)"
fi
[ "$redraws" -eq 0 ] && ok "no carriage return off a terminal" || not_ok "$redraws carriage returns in a log"
at_most "the log of 7168 runs is small" "$bytes" $((100 * lines))
tail -n 1 "$T/log/report" | grep -Eq '^sweep: 100% 7168/7168 runs in [0-9.:]+( s)?, [0-9.e+]+ runs/s$' &&
    ok "the last line: percentage, counts, time and rate" ||
    { not_ok "the last line: $(tail -n 1 "$T/log/report")"; show "$T/log/report"; }
lines_match "every line: a periodic line or the last" \
    '^sweep: ([0-9]|[1-9][0-9])% [0-9]+/7168 runs, ([0-9.e+]+|--) runs/s, [0-9.:]+( s)? elapsed, ETA ([0-9.:]+( s)?|--)$|^sweep: 100% 7168/7168 runs in '

rm -rf "$W"/s.h5*
report "sweep --progress-every 0.25 to a pipe" 0 sweep "$SWEEP" -o s.h5 --progress-every 0.25 -q
echo "# the same, a line every 0.25 s: $elapsed s, $bytes bytes, $lines lines"
most=$(awk -v e="$elapsed" 'BEGIN { printf "%d", e / 0.25 + 1 }')
at_most "a line every 0.25 s at most, and the last" "$lines" "$most"
[ "$lines" -ge 2 ] && ok "periodic lines before the last ($lines lines)" ||
    not_ok "no periodic line in $elapsed s ($lines lines)"
[ "$redraws" -eq 0 ] && ok "no carriage return with --progress-every" || not_ok "$redraws carriage returns"
lines_match "each line: percentage, counts, rate, elapsed time and ETA" \
    '^sweep: ([0-9]|[1-9][0-9])% [0-9]+/7168 runs, ([0-9.e+]+|--) runs/s, [0-9.:]+( s)? elapsed, ETA ([0-9.:]+( s)?|--)$|^sweep: 100% 7168/7168 runs in '

rm -rf "$W"/s.h5*
report "sweep without --progress to a pipe" 0 sweep "$SWEEP" -o s.h5 -q
[ "$bytes" -eq 0 ] && ok "no progress off a terminal without --progress" ||
    not_ok "$bytes bytes on stderr without --progress"

# ---- a sweep on a terminal --------------------------------------------------------------
rm -rf "$W"/s.h5*
report "sweep on a terminal" 1 sweep "$SWEEP" -o s.h5
echo "# the sweep on a terminal: $elapsed s, $bytes bytes, $redraws redraws, $lines lines"
most=$(awk -v e="$elapsed" 'BEGIN { printf "%d", 4 * e + 1 }')
at_most "at most 4 redraws a second, and the last" "$redraws" "$most"
[ "$redraws" -ge 2 ] && ok "the line is redrawn ($redraws times)" || not_ok "no redraw in $elapsed s"
[ "$lines" -eq 1 ] && ok "one line: it ends in a newline once (and stdout went elsewhere)" ||
    not_ok "$lines newlines on the terminal"
lines_match "each redraw: percentage, bar, counts, rate and ETA" \
    '^sweep +[0-9]+% \[[#-]{24}\] [0-9]+/7168 runs, ([0-9.e+]+|--) runs/s, ETA ([0-9.:]+( s)?|--) *$|^sweep 100% \[#{24}\] 7168/7168 runs in [0-9.:]+( s)?, [0-9.e+]+ runs/s *$'
rm -rf "$W"/s.h5*
report "sweep -q on a terminal" 1 sweep "$SWEEP" -o s.h5 -q
[ "$bytes" -eq 0 ] && ok "-q on a terminal: no progress" || not_ok "-q on a terminal: $bytes bytes"
rm -rf "$W"/s.h5*
report "a 24 ms run on a terminal" 1 run -o r.h5
[ "$bytes" -eq 0 ] && ok "a job done within a quarter of a second draws nothing" ||
    not_ok "a quick run drew $bytes bytes"

# ---- the other long commands ------------------------------------------------------------
report "a batch of two scenarios with --progress" 0 run baseline dedollarisation \
    --replicates 20 --jobs 2 --outdir . --progress -q
lines_match "run: the last line counts the runs of every scenario" '^run: 100% 40/40 runs in '
report "compare of three scenarios with --progress" 0 compare baseline dedollarisation \
    sanctions_relief --months 24 --replicates 5 -o c.h5 --progress -q
lines_match "compare: the last line counts every scenario's runs" '^compare: 100% 15/15 runs in '
report "calibrate with --progress" 0 calibrate --targets "$ROOT/configs/targets.cfg" \
    --particles 40 --tolerance 1e9 --draws 5 -o fit.h5 --progress -q
lines_match "calibrate: a line per generation, counting its particles, with its convergence" \
    '^calibrate: 100% 40/40 particles in .*, [0-9]+ particles/s, generation [01]: tolerance (inf|1e\+09), acceptance [0-9.e+-]+, ESS [0-9]+$'
finish
