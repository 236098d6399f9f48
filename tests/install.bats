#!/usr/bin/env bats
# make install honours PREFIX and DESTDIR, and what it installs works.
load helper

setup() { setup_repo; }
teardown() { teardown_repo; }

@test "make install puts every tool and man page under DESTDIR/PREFIX, and they run from there" {
	make -s -C "$BS_ROOT" install PREFIX=/opt/bs DESTDIR="$T/root" >/dev/null
	for t in bs-walk bs-chunk bs-store bs-index bs-cat bs-ls bs-expire bs-init bs-check backshift; do
		[ -x "$T/root/opt/bs/bin/$t" ]
		[ -f "$T/root/opt/bs/share/man/man1/$t.1" ]
	done
	[ -f "$T/root/opt/bs/share/man/man5/bs-formats.5" ]
	mkdir -p "$T/src"; printf 'installed\n' > "$T/src/f"
	PATH=/usr/bin:/bin "$T/root/opt/bs/bin/backshift" save -r "$R" -H testhost "$T/src" 2>/dev/null
	PATH=/usr/bin:/bin "$T/root/opt/bs/bin/backshift" restore -r "$R" -C "$T/out" latest
	cmp "$T/src/f" "$T/out$T/src/f"
}
