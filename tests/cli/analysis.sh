#!/bin/sh
# analysis.sh - the scripts in analysis/ run on a result and write what
# they promise: plot_shells.py a non-empty PNG of the expected size, and
# calibration.py its table; both refuse a file that is not a result.
. "$(dirname "$0")/common.inc"

(cd "$W" && timeout 60 "$SIM" run -q -o base.h5) && ok "baseline runs" || not_ok "baseline run failed"

if timeout 120 "$PYTHON" "$ROOT/analysis/plot_shells.py" "$W/base.h5" -o "$W/shells.png" >"$OUT" 2>"$ERR"; then
    ok "plot_shells.py exits 0"
else
    not_ok "plot_shells.py failed"; show "$ERR"
fi
if "$PYTHON" - "$W/shells.png" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1440, 660), (w, h)
assert len(data) > 20000, len(data)
PY
then ok "plot_shells.py wrote a 1440x660 PNG"; else not_ok "plot_shells.py output is not the expected PNG"; fi

if timeout 60 "$PYTHON" "$ROOT/analysis/plot_shells.py" "$W/base.h5" --agent XYZ -o "$W/x.png" >"$OUT" 2>"$ERR"; then
    not_ok "plot_shells.py accepted an unknown agent"
else
    grep -q "no agent 'XYZ'" "$ERR" && ok "plot_shells.py names an unknown agent" || { not_ok "unclear message"; show "$ERR"; }
fi
[ ! -e "$W/x.png" ] && ok "no image for a failed plot" || not_ok "an image was written for a failed plot"

echo "not hdf5" >"$W/fake.h5"
if timeout 60 "$PYTHON" "$ROOT/analysis/calibration.py" "$W/fake.h5" >"$OUT" 2>"$ERR"; then
    not_ok "calibration.py accepted a non-result file"
else
    ok "calibration.py refuses a non-result file"
fi
timeout 60 "$PYTHON" "$ROOT/analysis/calibration.py" "$W/base.h5" >"$OUT" 2>"$ERR"
[ "$(grep -c ' inside$' "$OUT")" -eq 15 ] && ok "calibration.py prints 15 rows inside their range" ||
    { not_ok "calibration.py table"; show "$OUT" "$ERR"; }
finish
