#!/bin/sh
# analysis.sh - plot_shells.py runs on a result and writes what it
# promises: a PNG of the expected size; it refuses an unknown agent.
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

finish
