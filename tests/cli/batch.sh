#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# batch.sh - batches of scenarios.
#   sim run A.cfg B.cfg ...: each scenario into its own <name>.h5 (or
#   --outdir DIR), the runs of all of them over --jobs; the data are those
#   of each scenario run alone; one that fails (bad input, or an output
#   that cannot be written) loses nothing of the others, and the exit code
#   and the last line name it.
#   sim compare BASE S1 S2 ...: one table of paired differences from the
#   base (text, Markdown, CSV; --table FILE), each scenario's figures the
#   same as in a two-scenario comparison, and one result file with a
#   scenario axis of every scenario.
. "$(dirname "$0")/common.inc"

SC=$ROOT/scenarios

# ---- sim run with several scenarios -----------------------------------------------------
mkdir "$W/out" "$W/alone"
sim run "$SC/baseline.cfg" dedollarisation "$SC/sanctions_relief.cfg" --replicates 3 \
    --jobs 3 --outdir out
expect_rc "run three scenarios (one named from the shared scenarios) into --outdir" 0
for s in baseline dedollarisation sanctions_relief; do
    (cd "$W/alone" && "$SIM" run "$SC/$s.cfg" --replicates 3 -q) >/dev/null 2>&1
    if [ -s "$W/out/$s.h5" ]; then
        compare "batch: $s.h5 holds the data of $s run alone" same "out/$s.h5" "alone/$s.h5"
    else
        not_ok "batch: no out/$s.h5"
    fi
done
n=$(grep -c '^wrote out/' "$OUT")
[ "$n" -eq 3 ] && ok "a summary and a 'wrote' line for each scenario" || not_ok "$n 'wrote' lines"
expect_no_stderr "run three scenarios"

# one scenario with bad input: the others are kept, exit 2, the last line says which
printf 'scenario = { name = "x"\n' >"$W/bad.cfg"
rm -f "$W"/out/*
sim run "$SC/baseline.cfg" bad.cfg "$SC/dedollarisation.cfg" --outdir out --replicates 3 -q
expect_rc "a batch with one bad scenario" 2
[ -s "$W/out/baseline.h5" ] && [ -s "$W/out/dedollarisation.h5" ] &&
    ok "the good scenarios' files are written" || not_ok "a good scenario's file is missing"
last=$(tail -n 1 "$ERR")
[ "$last" = "sim: run: 1 of 3 scenarios failed: bad.cfg" ] &&
    ok "the last line names the scenario that failed" || not_ok "last line: '$last'"
grep -q '^sim: bad.cfg:2: ' "$ERR" && ok "the bad scenario's own error line is there" ||
    not_ok "no error line for bad.cfg"
compare "the batch's baseline is still the baseline run alone" same out/baseline.h5 alone/baseline.h5

# one scenario whose output is a directory: refused (exit 2, as any output
# that is not a regular file), the others kept, nothing under its name
rm -f "$W"/out/*
mkdir "$W/out/dedollarisation.h5"
sim run "$SC/baseline.cfg" "$SC/dedollarisation.cfg" "$SC/sanctions_relief.cfg" --outdir out \
    --replicates 3 -j2 -q
expect_rc "a batch with one output that is a directory" 2
[ -s "$W/out/baseline.h5" ] && [ -s "$W/out/sanctions_relief.h5" ] &&
    ok "the others' files are written" || not_ok "a file of the others is missing"
[ -d "$W/out/dedollarisation.h5" ] && [ -z "$(ls -A "$W/out/dedollarisation.h5")" ] &&
    ok "the directory in the way is left as it was" || not_ok "the directory in the way was touched"
[ -z "$(find "$W/out" -name '.*tmp*')" ] && ok "no temporary file left" || not_ok "temporary files left"
has "the last line names it" "$ERR" "1 of 3 scenarios failed: $SC/dedollarisation.cfg"
rmdir "$W/out/dedollarisation.h5"

# refusals
sim run a.cfg b.cfg -o x.h5
expect_rc "run A B -o FILE" 2
sim run "$SC/baseline.cfg" "$SC/baseline.cfg" --outdir out -q
expect_rc "two scenarios of one name" 2
has "two scenarios of one name: said, the first still written" "$ERR" \
    "would write out/baseline.h5, as $SC/baseline.cfg does"

# ---- sim compare with several scenarios -------------------------------------------------
sim compare "$SC/baseline.cfg" dedollarisation "$SC/sanctions_escalation.cfg" --replicates 6 \
    -j2 -o c3.h5 --format csv --table t3.md
expect_rc "compare a base with two scenarios (--format csv, --table)" 0
cp "$OUT" "$T/c3.csv"
cmp -s "$T/c3.csv" "$W/t3.md" && ok "--table writes what --format csv prints" ||
    not_ok "--table file differs from stdout"
head -n 1 "$T/c3.csv" | grep -qx 'figure,unit,base,scenario,base_mean,scenario_mean,difference,low,high,runs' &&
    ok "CSV header" || not_ok "CSV header: $(head -n 1 "$T/c3.csv")"
rows=$(sed 1d "$T/c3.csv" | wc -l)
nd=$(grep -c ',baseline,dedollarisation,' "$T/c3.csv")
ns=$(grep -c ',baseline,sanctions_escalation,' "$T/c3.csv")
[ "$nd" -gt 0 ] && [ "$nd" -eq "$ns" ] && [ "$rows" -eq $((nd + ns)) ] &&
    ok "one CSV row per figure and scenario ($nd figures x 2)" ||
    not_ok "$rows CSV rows: $nd and $ns for the two scenarios"
for s in dedollarisation sanctions_escalation; do
    sim compare "$SC/baseline.cfg" "$SC/$s.cfg" --replicates 6 -o "c_$s.h5" --format csv
    if [ "$(grep ",$s," "$T/c3.csv")" = "$(grep ",$s," "$OUT")" ]; then
        ok "$s: the same figures as in a comparison of two"
    else
        not_ok "$s: its rows differ from the two-scenario comparison"
        diff "$T/c3.csv" "$OUT" | sed -n '1,6s/^/#   /p'
    fi
done
got=$("$PYTHON" - "$W/c3.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    print(",".join(s.decode() if isinstance(s, bytes) else s for s in f["scenario"][...]),
          f["stock"].shape[1])  # stock(run, scenario, time, agent, good)
PY
)
[ "$got" = "baseline,dedollarisation,sanctions_escalation 3" ] &&
    ok "the result file has the three scenarios on its scenario axis" ||
    not_ok "scenario axis: '$got'"
sim compare "$SC/baseline.cfg" "$SC/dedollarisation.cfg" "$SC/sanctions_escalation.cfg" \
    --replicates 6 -o c3b.h5 --format md
expect_rc "compare of three, Markdown" 0
head -n 1 "$OUT" | grep -qF '| figure | baseline | dedollarisation | dedollarisation - baseline (95% interval) | sanctions_escalation | sanctions_escalation - baseline (95% interval) |' &&
    ok "Markdown header: the base, then each scenario's mean and difference" ||
    not_ok "Markdown header: $(head -n 1 "$OUT")"
sim compare "$SC/baseline.cfg" "$SC/dedollarisation.cfg" "$SC/sanctions_escalation.cfg" \
    --replicates 6 -o c3c.h5
expect_rc "compare of three, text" 0
has "text: one column per scenario" "$OUT" "base = baseline; 2 scenarios against it, 6 paired runs each" \
    "dedollarisation" "sanctions_escalation" "wrote c3c.h5"

# refusals: nothing written
cp "$SC/dedollarisation.cfg" "$W/keep.cfg"
before=$(md5sum <"$W/keep.cfg")
sim compare "$SC/baseline.cfg" keep.cfg --table keep.cfg -o k.h5
expect_rc "--table naming an input" 2
[ "$(md5sum <"$W/keep.cfg")" = "$before" ] && [ ! -e "$W/k.h5" ] &&
    ok "--table naming an input: the input untouched, nothing written" || not_ok "an input was touched"
sim compare "$SC/baseline.cfg" "$SC/dedollarisation.cfg" --table /dev/null -o k.h5
expect_rc "--table naming a device" 2
[ ! -e "$W/k.h5" ] && ok "--table naming a device: nothing run or written" || not_ok "k.h5 written"
sim compare "$SC/baseline.cfg"
expect_rc "compare with one scenario" 2
finish
