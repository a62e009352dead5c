# SPDX-License-Identifier: GPL-3.0-or-later
# embed.awk - flatten a scenario file (resolving @include, relative to the
# top file's directory as libconfig does) into a C string, so the baseline
# is compiled into the binary.
#   awk -v dir=scenarios -v file=scenarios/baseline.cfg -v var=NAME -f sim/embed.awk
function emit(path,    line, inc, n) {
    n = 0
    while ((getline line < path) > 0) {
        n++
        if (line ~ /^[ \t]*@include[ \t]+"[^"]+"/) {
            inc = line
            sub(/^[ \t]*@include[ \t]+"/, "", inc)
            sub(/".*$/, "", inc)
            emit(dir "/" inc)
            continue
        }
        gsub(/\\/, "\\\\", line)
        gsub(/"/, "\\\"", line)
        print "    \"" line "\\n\""
    }
    if (n == 0) {
        print "embed.awk: cannot read " path > "/dev/stderr"
        exit 1
    }
    close(path)
}
BEGIN {
    print "/* Generated from " file " by sim/embed.awk: do not edit. */"
    print "const char " var "[] ="
    emit(file)
    print "    \"\";"
    exit 0
}
