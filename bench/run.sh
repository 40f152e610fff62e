#!/usr/bin/env bash
# bench/run.sh: reproducible end-to-end benchmark of flowdiag (issue 7).
#
# Builds flowdiag and flowgen into bench/out/, generates (once, cached by
# seed, size and generator build) synthetic VPC flow log dumps with their
# topology, runs flowdiag on each with and without --topology, and prints
# wall time, records/s, MB/s and peak RSS. See bench/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/run.sh [flags]

  --cmd explain|records   what to time (default explain). records runs
                          `flowdiag records --format json > /dev/null`, a
                          parser-only baseline (no topology runs).
  --sizes "1M 10M"        dataset sizes (suffix K or M; default "1M 10M")
  --large                 also generate and run a 30M plain v2 dump
                          (flat-memory check: its peak RSS vs the 10M one)
  --scan                  also run a 3M-record scan flood: 95% port-scan
                          probes, 10,000 records/s, so about 2.8M one-record
                          conversations fall within one horizon (memory bound
                          under a scan; kind "flood")
  --only LIST             dataset kinds to run, comma separated, from
                          v2,v2gz,v2s3,v5,flood (default v2,v2gz,v2s3,v5)
  --workers "1 2"         worker counts to run when flowdiag explain has
                          --workers (default "1 2"); outputs are compared
  --seed N                generator seed (default 1)
  --timeout SEC           limit per flowdiag run (default 900)
  --data DIR              where datasets are cached (default bench/out/data,
                          or $FLOWDIAG_BENCH_DATA)
  --install-time          apt-get install GNU time if /usr/bin/time -v is
                          missing (the only step that may use the network)
  --no-build              use the binaries already in bench/out/
  -h, --help              this help
EOF
}

die() {
	echo "bench: error: $*" >&2
	exit 2
}
log() { echo "bench: $*" >&2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/bench/out"
cmd=explain
sizes="1M 10M"
large=0
scan=0
only="v2,v2gz,v2s3,v5"
workers="1 2"
seed=1
timeout_s=900
data="${FLOWDIAG_BENCH_DATA:-$out/data}"
install_time=0
build=1

while [[ $# -gt 0 ]]; do
	case "$1" in
	--cmd) cmd=${2:?--cmd needs explain or records}; shift 2 ;;
	--sizes) sizes=${2:?--sizes needs a list}; shift 2 ;;
	--large) large=1; shift ;;
	--scan) scan=1; shift ;;
	--only) only=${2:?--only needs a list}; shift 2 ;;
	--workers) workers=${2:?--workers needs a list}; shift 2 ;;
	--seed) seed=${2:?--seed needs a number}; shift 2 ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
	--data) data=${2:?--data needs a directory}; shift 2 ;;
	--install-time) install_time=1; shift ;;
	--no-build) build=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

case "$cmd" in explain | records) ;; *) die "--cmd: \"$cmd\": want explain or records" ;; esac
[[ "$seed" =~ ^[0-9]+$ ]] || die "--seed: \"$seed\" is not a number"
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout: \"$timeout_s\" is not a number of seconds"
for w in $workers; do [[ "$w" =~ ^[1-9][0-9]*$ ]] || die "--workers: \"$w\" is not a positive number"; done

# records parses a size like 1M, 500K or 2500000 into a number of records.
records() {
	case "$1" in
	*M) echo $((${1%M} * 1000000)) ;;
	*K) echo $((${1%K} * 1000)) ;;
	*[!0-9]* | '') die "--sizes: \"$1\": want a number with optional K or M suffix" ;;
	*) echo "$1" ;;
	esac
}
for s in $sizes; do records "$s" >/dev/null; done
IFS=, read -r -a kinds <<<"$only"
for k in "${kinds[@]}"; do
	case "$k" in v2 | v2gz | v2s3 | v5 | flood) ;; *) die "--only: \"$k\": want v2, v2gz, v2s3, v5 or flood" ;; esac
done

mkdir -p "$out" "$data" "$out/results"

# --- build ------------------------------------------------------------------
if [[ $build == 1 ]]; then
	command -v go >/dev/null || die "go not found in PATH (Go 1.26 is needed to build flowdiag)"
	log "building flowdiag and flowgen into $out"
	(cd "$root" && go build -o "$out/flowdiag" ./cmd/flowdiag) || die "go build ./cmd/flowdiag failed"
	(cd "$root" && go build -o "$out/flowgen" ./cmd/flowgen) || die "go build ./cmd/flowgen failed"
fi
fd="$out/flowdiag"
fg="$out/flowgen"
[[ -x "$fd" && -x "$fg" ]] || die "missing $fd or $fg (run without --no-build)"

# --- how to measure -----------------------------------------------------------
gnutime=""
if [[ -n ${BENCH_NO_GNU_TIME:-} ]]; then
	log "BENCH_NO_GNU_TIME set: peak RSS comes from polling /proc/PID/status VmHWM"
elif /usr/bin/time -v true >/dev/null 2>&1; then
	gnutime=/usr/bin/time
elif [[ $install_time == 1 ]]; then
	log "GNU time missing: apt-get install -y time"
	if timeout 180 apt-get install -y time >/dev/null 2>&1 && /usr/bin/time -v true >/dev/null 2>&1; then
		gnutime=/usr/bin/time
	else
		log "could not install GNU time; falling back to /proc polling for peak RSS"
	fi
else
	log "GNU time (/usr/bin/time -v) not found: peak RSS comes from polling /proc/PID/status VmHWM (rerun with --install-time to use GNU time)"
fi

# --- datasets -----------------------------------------------------------------
stamp=$(sha256sum "$fg" | cut -c1-16) # regenerate when the generator changes

# bytes_per_record estimates text size, for the disk-space check.
bytes_per_record() {
	case "$1" in v2 | flood) echo 115 ;; v2gz | v2s3) echo 40 ;; v5) echo 240 ;; esac
}

# dataset KIND N: generate (or reuse) and print its directory.
dataset() {
	local kind=$1 n=$2 dir flags=()
	dir="$data/$kind-$n-seed$seed"
	case "$kind" in
	v2) flags=(--format v2) ;;
	v2gz) flags=(--format v2 --gzip) ;;
	v2s3) flags=(--format v2 --gzip --files 24) ;; # gzip objects in the S3 key layout
	v5) flags=(--format v5) ;;
	flood) flags=(--format v2 --rate 10000 --scan-share 0.95) ;;
	esac
	if [[ -f "$dir/.done" && "$(cat "$dir/.done")" == "$stamp" ]]; then
		echo "$dir"
		return
	fi
	local need avail
	need=$((n * $(bytes_per_record "$kind") / 1000000 + 50))
	avail=$(df -Pm "$data" | awk 'NR==2 {print $4}')
	if ((avail < need + 500)); then
		die "not enough disk space in $data for $kind $n records: need about ${need} MB (+500 MB margin), have ${avail} MB (use --data DIR)"
	fi
	rm -rf "$dir"
	log "generating $kind with $n records into $dir (about ${need} MB)"
	"$fg" --seed "$seed" --records "$n" "${flags[@]}" --out "$dir" >&2 || die "flowgen failed for $kind $n"
	echo "$stamp" >"$dir/.done"
	echo "$dir"
}

input_of() {
	if [[ -d "$1/AWSLogs" ]]; then
		echo "$1/AWSLogs"
	elif [[ -f "$1/flows.log.gz" ]]; then
		echo "$1/flows.log.gz"
	else
		echo "$1/flows.log"
	fi
}

# bytes_of PATH: size of a file, or of every file under a directory.
bytes_of() {
	find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'
}

# --- one measured run -----------------------------------------------------------
# measure NAME OUTFILE ARGS...: runs flowdiag ARGS > OUTFILE under a time
# limit, stderr to results/NAME.stderr; sets wall (s), rss (MB) and rc.
measure() {
	local name=$1 outfile=$2
	shift 2
	local errfile="$out/results/$name.stderr" timefile="$out/results/$name.time"
	local t0 t1
	load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
	cpu="?"
	t0=$(date +%s%N)
	rc=0
	if [[ -n $gnutime ]]; then
		timeout "$timeout_s" "$gnutime" -v -o "$timefile" "$fd" "$@" >"$outfile" 2>"$errfile" || rc=$?
		t1=$(date +%s%N)
		rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$timefile" 2>/dev/null || true)
		cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$timefile" 2>/dev/null || true)
	else
		local hwm=0 pid v
		timeout "$timeout_s" "$fd" "$@" >"$outfile" 2>"$errfile" &
		pid=$!
		# timeout runs flowdiag as its child; follow it.
		while kill -0 "$pid" 2>/dev/null; do
			for p in $pid $(pgrep -P "$pid" 2>/dev/null || true); do
				v=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
				((${v:-0} > hwm)) && hwm=$v
			done
			sleep 0.05
		done
		wait "$pid" || rc=$?
		t1=$(date +%s%N)
		rss=$((hwm / 1024))
	fi
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
	[[ -n ${rss:-} ]] || rss="?"
	if ((rc == 124)); then
		log "TIMEOUT after ${timeout_s}s: flowdiag $*"
	elif ((rc > 1)); then
		log "flowdiag exited $rc: flowdiag $*"
		tail -5 "$errfile" | sed 's/^/bench:   /' >&2
	fi
}

has_workers=0
if [[ $cmd == explain ]] && "$fd" explain --help 2>&1 | grep -q -- '--workers'; then
	has_workers=1
fi
if "$fd" "$cmd" --help 2>&1 | grep -q 'not built yet'; then
	if [[ $cmd == explain ]]; then
		die "flowdiag explain is not built yet in this checkout; use --cmd records for the parser-only baseline"
	fi
	die "flowdiag $cmd is not built yet in this checkout"
fi
[[ $has_workers == 1 ]] || workers="-"

# --- runs -------------------------------------------------------------------------
results="$out/results/results-$cmd.tsv"
printf 'dataset\trecords\tsize_mb\ttopology\tworkers\twall_s\trecords_per_s\tmb_per_s\tpeak_rss_mb\texit\tcpu_s\tload1\n' >"$results"

runs=()
for s in $sizes; do
	for k in "${kinds[@]}"; do runs+=("$k:$(records "$s")"); done
done
[[ $large == 1 ]] && runs+=("v2:30000000")
[[ $scan == 1 ]] && runs+=("flood:3000000")

compare_notes=()
for r in "${runs[@]}"; do
	kind=${r%%:*}
	n=${r#*:}
	dir=$(dataset "$kind" "$n")
	in=$(input_of "$dir")
	size_mb=$(awk -v b="$(bytes_of "$in")" 'BEGIN {printf "%.1f", b / 1e6}')
	find "$in" -type f -exec cat {} + >/dev/null # warm the page cache
	topos="n"
	[[ $cmd == explain ]] && topos="n y"
	for topo in $topos; do
		for w in $workers; do
			args=()
			if [[ $cmd == explain ]]; then
				args=(explain --format json)
				[[ $topo == y ]] && args+=(--topology "$dir/topology.yaml")
				[[ $w != "-" ]] && args+=(--workers "$w")
			else
				args=(records --format json)
			fi
			name="$kind-$n-topo$topo-w$w"
			o="$out/results/$name.out"
			[[ $cmd == records ]] && o=/dev/null
			[[ $o != /dev/null ]] && rm -f "$o" # never compare a previous run's output
			measure "$name" "$o" "${args[@]}" "$in"
			rps=$(awk -v n="$n" -v w="$wall" 'BEGIN {if (w > 0) printf "%.0f", n / w; else print "-"}')
			mbps=$(awk -v m="$size_mb" -v w="$wall" 'BEGIN {if (w > 0) printf "%.1f", m / w; else print "-"}')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$n" "$size_mb" "$topo" "$w" "$wall" "$rps" "$mbps" "$rss" "$rc" "$cpu" "$load1" >>"$results"
			log "$(printf '%-5s %9s topo=%s workers=%s: %6ss %10s rec/s %7s MB/s %6s MB RSS (exit %s)' "$kind" "$n" "$topo" "$w" "$wall" "$rps" "$mbps" "$rss" "$rc")"
		done
		# 1 worker vs 2 workers: same output after sorting lines (both run
		# just now: outputs of earlier runs, perhaps of another build, are
		# not compared).
		if [[ $cmd == explain && $has_workers == 1 && " $workers " == *" 1 "* && " $workers " == *" 2 "* ]]; then
			a="$out/results/$kind-$n-topo$topo-w1.out"
			b="$out/results/$kind-$n-topo$topo-w2.out"
			if [[ -f $a && -f $b ]]; then
				if cmp -s "$a" "$b"; then
					compare_notes+=("$kind $n topology=$topo: 1-worker and 2-worker outputs byte-identical (unsorted)")
				elif cmp -s <(sort "$a") <(sort "$b"); then
					compare_notes+=("$kind $n topology=$topo: 1-worker and 2-worker outputs identical (sorted)")
				else
					compare_notes+=("$kind $n topology=$topo: 1-worker and 2-worker outputs DIFFER: diff <(sort $a) <(sort $b)")
				fi
			fi
		fi
	done
done

# --- report -----------------------------------------------------------------------
echo
how="/proc VmHWM polling"
[[ -n $gnutime ]] && how="GNU time -v"
echo "flowdiag $cmd benchmark (seed $seed, $(nproc) CPUs, $(uname -m)); peak RSS from $how"
column -t -s $'\t' "$results" 2>/dev/null || cat "$results"
for note in "${compare_notes[@]+"${compare_notes[@]}"}"; do echo "$note"; done
if [[ $large == 1 ]]; then
	# Per topology setting and worker count: the 30M run's peak RSS over the 10M run's.
	awk -F'\t' '$1 == "v2" && ($2 == 10000000 || $2 == 30000000) {rss[$4 " " $5 " " $2] = $9; k[$4 " " $5] = 1}
		END {for (x in k) if (rss[x " 10000000"] && rss[x " 30000000"]) {split(x, f, " ")
			printf "flat memory (topology=%s workers=%s): peak RSS 30M / 10M = %.2f (want <= 1.10)\n", f[1], f[2], rss[x " 30000000"] / rss[x " 10000000"]}}' "$results"
fi
echo "results: $results"
