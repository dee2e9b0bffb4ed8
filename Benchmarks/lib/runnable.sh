# Sourced by the benchmarks that compare the backbone's precisions: `runnable DPCL P...`
# prints the precisions this CPU runs (a one-forward load of each, as the benchmark will load
# it) and says on stderr which it leaves out and why, so that a CPU without bf16 still gets
# the other rows instead of an aborted run.
runnable() {
    local dpcl=$1 precision reason
    shift
    for precision in "$@"; do
        if reason=$("$dpcl" bench backbone --size 28 --layer 0 --iterations 1 --warm-up 0 \
                    --precision "$precision" 2>&1 >/dev/null); then
            echo "$precision"
        else
            echo "${0##*/}: $precision left out: ${reason#Error: }" >&2
        fi
    done
}
