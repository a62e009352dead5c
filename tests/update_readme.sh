#!/bin/sh
# update_readme.sh - rewrite the tables of README.md that tests/cli/readme.sh
# checks: the calibration table (<!-- calibration -->) and each scenario
# table (<!-- compare ARGS -->), from what the program prints now.
#   sh tests/update_readme.sh [build/sim]
set -eu
SIM=${1:-build/sim}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$SIM" calibrate --targets configs/targets.cfg --check --markdown > "$tmp/cal.md" || true
awk -v sim="$SIM" -v tmp="$tmp" '
    /^<!-- calibration -->/ { print; while ((getline l < (tmp "/cal.md")) > 0) print l; skip = 1; next }
    /^<!-- \/calibration -->/ { skip = 0 }
    /^<!-- compare / {
        print
        args = $0; sub(/^<!-- compare /, "", args); sub(/ -->$/, "", args)
        cmd = sim " compare scenarios/baseline.cfg " args " --replicates 30 --markdown -o " tmp "/c.h5"
        while ((cmd | getline l) > 0) print l
        close(cmd)
        skip = 1; next
    }
    /^<!-- \/compare -->/ { skip = 0 }
    !skip { print }
' README.md > "$tmp/README.md"
mv "$tmp/README.md" README.md
