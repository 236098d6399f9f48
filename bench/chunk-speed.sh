#!/bin/bash
# shellcheck disable=SC2154  # the t_* figures are set by timeit (printf -v)
# bench/chunk-speed.sh - bs-chunk alone (chunking + SHA-256, one core) on a
# file in the page cache, and the sizes of the chunks it cuts.
#
#   bench/chunk-speed.sh            1 GiB of random data, 7 runs
#   SIZE_MB=2048 RUNS=9 bench/chunk-speed.sh
#
# Target: >= 1 GB/s (1e9 bytes a second).
. "$(dirname "$0")/common.sh"

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-7}

need_tools
need perl perl
need_space "${TMPDIR:-/tmp}" $((2 * SIZE_MB + 512))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bs-chunk-speed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
file=$tmp/random
bytes=$((SIZE_MB * 1048576))

note "writing $SIZE_MB MiB of random data to $file"
head -c "$bytes" /dev/urandom >"$file"
cat "$file" >/dev/null	# into the page cache
cat "$file" >/dev/null

note "timing: printf '%s\\0' $file | $BIN/bs-chunk > /dev/null  ($RUNS runs)"
timeit t "$RUNS" "printf '%s\\0' '$file' | '$BIN/bs-chunk' > /dev/null"

# The chunk sizes, from the stream's framing: a C header line, then exactly
# that many bytes.  (grep -a '^C <hex> ' alone misses every header that
# follows chunk bytes not ending in a newline: it undercounts.)
printf '%s\0' "$file" | "$BIN/bs-chunk" >"$tmp/stream"
greps=$(grep -a -c '^C [0-9a-f]\{64\} ' "$tmp/stream" || true)
perl -e '
	binmode STDIN;
	my (@s, $c);
	while (defined($c = getc STDIN)) {
		if ($c =~ /[a-z]/) { local $/ = "\0"; scalar <STDIN>; next }
		my $line = $c . do { local $/ = "\n"; scalar <STDIN> // "" };
		next unless $line =~ /^C [0-9a-f]{64} (\d+)\n\z/;
		my $left = $1;
		push @s, $1;
		while ($left > 0) {
			my $r = read(STDIN, my $junk, $left > 1048576 ? 1048576 : $left);
			die "truncated stream\n" unless $r;
			$left -= $r;
		}
	}
	@s = sort { $a <=> $b } @s;
	my $n = @s or die "no chunks\n";
	my $sum = 0; $sum += $_ for @s;
	my $mean = $sum / $n;
	my $var = 0; $var += ($_ - $mean) ** 2 for @s;
	my $at_max = grep { $_ == 4194304 } @s;
	printf "chunks:            %d\n", $n;
	printf "bytes:             %d\n", $sum;
	printf "mean size:         %.0f bytes (%.2f MiB)\n", $mean, $mean / 1048576;
	printf "median size:       %d bytes\n", $s[int($n / 2)];
	printf "min / max size:    %d / %d bytes\n", $s[0], $s[-1];
	printf "std deviation:     %.0f bytes\n", sqrt($var / $n);
	printf "cut at 4 MiB max:  %d\n", $at_max;
	my @edges = (262144, 524288, 1048576, 2097152, 4194304);
	my $lo = 0;
	for my $hi (@edges) {
		my $k = grep { $_ > $lo && $_ <= $hi } @s;
		printf "  (%4d KiB, %4d KiB]: %5d  %s\n", $lo / 1024, $hi / 1024, $k, "#" x int(60 * $k / $n);
		$lo = $hi;
	}
' <"$tmp/stream" >"$tmp/dist"

rate() { awk -v b="$bytes" -v t="$1" -v u="$2" 'BEGIN { printf "%.0f", b / t / u }'; }
verdict=$(awk -v m="$(rate "$t" 1e6)" 'BEGIN { print (m >= 1000) ? "met" : "NOT met" }')
cpu_verdict=$(awk -v m="$(rate "$t_cpu" 1e6)" 'BEGIN { print (m >= 1000) ? "met" : "NOT met" }')

cat <<EOT

== bs-chunk speed ($(uname -m), $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); load average $(cut -d' ' -f1-3 /proc/loadavg))
command:             printf '%s\0' FILE | bin/bs-chunk > /dev/null
file:                $SIZE_MB MiB of random data, in the page cache
wall times (s):      $t_all
cpu times (s):       $t_cpu_all   (user + system)
median wall:         $t s  ->  $(rate "$t" 1e6) MB/s ($(rate "$t" 1048576) MiB/s)   target >= 1000 MB/s: $verdict
median cpu:          $t_cpu s  ->  $(rate "$t_cpu" 1e6) MB/s of one core's time   target: $cpu_verdict

== chunk sizes (from the length-framed stream)
$(cat "$tmp/dist")
C headers found by grep -a '^C <hex> ': $greps (undercounts: headers after binary data)
EOT
