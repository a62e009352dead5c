#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# r_hdf5r.sh - the README's R example runs as written: its ```r block
# (between <!-- r-example --> markers) is run by Rscript with Debian's
# r-cran-hdf5r on a fresh baseline.h5 and a sweep, and what R reads equals
# what h5py reads (the dimensions reversed, the values bit for bit, the
# configuration text).  Skipped, saying so, where Rscript or hdf5r is
# missing (the README's quick start installs them).
. "$(dirname "$0")/common.inc"

if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(hdf5r)' >/dev/null 2>&1; then
    ok "R # skipped: Rscript or r-cran-hdf5r is not installed"
    finish
fi
sed -n '/^<!-- r-example -->/,/^<!-- \/r-example -->/p' "$ROOT/README.md" |
    sed '/^<!--/d; /^```/d' >"$W/example.R"
[ -s "$W/example.R" ] && ok "the README has its R example" || { not_ok "no R example in the README"; finish; }
sim run -q -o baseline.h5
expect_rc "sim run" 0
# the example as written, then what it read, at full precision
cat "$W/example.R" - >"$W/check.R" <<'R'
cat("DIM", dim(stock), "\n")
cat("AGENTS", agents, "\n")
cat("SHELLS", sprintf("%.17g", rus_shells), "\n")
cat("CONFIG", nchar(config), "\n")
R
(cd "$W" && timeout 120 Rscript check.R) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "Rscript runs the README's example" 0
has "it prints the dimensions and the first months" "$OUT" "[1]" "date" "shells"
"$PYTHON" - "$W/baseline.h5" >"$T/want" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    st = f["stock"]
    agents = list(f["agent"].asstr()[:])
    goods = list(f["good"].asstr()[:])
    print("DIM", *reversed(st.shape))
    print("AGENTS", *agents)
    v = st[0, :, agents.index("RUS"), goods.index("shells")]
    print("SHELLS", *["%.17g" % x for x in v])
    print("CONFIG", len(f.attrs["config"].decode()))
PY
for key in DIM AGENTS SHELLS CONFIG; do
    got=$(grep "^$key " "$OUT" | tr -s ' ' | sed 's/ $//')
    want=$(grep "^$key " "$T/want" | tr -s ' ' | sed 's/ $//')
    # R prints integers in %.17g without a trailing .0, as Python does
    if [ -n "$got" ] && [ "$got" = "$want" ]; then
        ok "R reads what h5py reads: $key"
    else
        not_ok "R and h5py differ on $key"
        echo "#   R:    $(echo "$got" | cut -c1-150)"
        echo "#   h5py: $(echo "$want" | cut -c1-150)"
    fi
done

# a sweep: param_value is param x run in R
printf 'sweep = { scenario = "%s/scenarios/baseline.cfg"; design = "grid"; replicates = 2;\n  variables = ["cohesion"]; };\naxes = ( { path = "agents.CHN.secondary"; values = [0.1, 0.5]; },\n  { path = "routes.caspian.interdiction"; values = [0.2, 0.4]; } );\n' \
    "$ROOT" >"$W/s.cfg"
sim sweep s.cfg -o s.h5 -q
expect_rc "a sweep of 4 points x 2 replicates, 2 parameters" 0
cat >"$W/sweep.R" <<'R'
library(hdf5r)
f <- H5File$new("s.h5", mode = "r")
pv <- f[["param_value"]][,]
cat("PV", dim(pv), "\n")
cat("VALUES", sprintf("%.17g", pv), "\n")
f$close_all()
R
(cd "$W" && timeout 120 Rscript sweep.R) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "Rscript reads the sweep" 0
# R's column-major param x run is C's run x param, element for element
want=$("$PYTHON" -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r"); v = f["param_value"][...]; print("VALUES", *["%.17g" % x for x in v.ravel()])' "$W/s.h5")
got=$(grep '^VALUES ' "$OUT" | tr -s ' ' | sed 's/ $//')
has "param_value is param x run in R (2 x 8)" "$OUT" "PV 2 8"
[ "$got" = "$want" ] && ok "the sweep's parameter values read by R equal h5py's" ||
    not_ok "param_value: R '$got', h5py '$want'"
finish
