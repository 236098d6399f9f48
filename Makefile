# backshift - build, test and install the suite.
# The suite's version: every tool's --version, and backshift's.
VERSION = 0.9.0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -Iinclude -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DBS_VERSION='"$(VERSION)"'
LDLIBS = -lgdbm -llzma -lcrypto -lzstd -lpthread

TOOLS = bs-walk bs-chunk bs-store bs-index bs-cat bs-ls bs-expire bs-init bs-check bs-serve bs-remote
LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:.c=.o)
HEADERS = $(wildcard include/*.h)
# the tools' own headers (tool.h, progress.h): never seen by lib/
CMDHEADERS = $(wildcard cmd/common/*.h)
CMDFLAGS = -Icmd/common

all: $(addprefix bin/,$(TOOLS)) bin/backshift

lib/libbackshift.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $^

lib/%.o: lib/%.c $(HEADERS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

cmd/%.o: cmd/%.c $(HEADERS) $(CMDHEADERS)
	$(CC) $(CMDFLAGS) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

cmd/common/%.o: cmd/common/%.c $(HEADERS) $(CMDHEADERS) Makefile
	$(CC) $(CMDFLAGS) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

COMMON = cmd/common/tool.o cmd/common/progress.o cmd/common/everyday.o

bin/%: cmd/%.o $(COMMON) lib/libbackshift.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(COMMON) lib/libbackshift.a $(LDLIBS)

bin/backshift: cmd/backshift.sh Makefile
	@mkdir -p bin
	sed 's/@VERSION@/$(VERSION)/' $< > $@
	chmod 755 $@

test: all
	sh tests/lint-bang.sh
	bats --tap tests

# Many hosts, one repository, on CephFS: a one-node cluster mounted twice
# (tests/lib/ceph.sh).  Needs root, /dev/fuse and `sh .ci/setup-ceph`.
test-ceph: all
	bats --tap tests/ceph

# The whole suite again under AddressSanitizer and UBSan, in a separate tree.
check-asan:
	rm -rf build-asan && mkdir -p build-asan
	cp -r Makefile lib cmd include tests man contrib build-asan/
	find build-asan -name '*.o' -o -name '*.a' | xargs rm -f
	$(MAKE) -C build-asan CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		LDFLAGS='-fsanitize=address,undefined' all
	cd build-asan && BS_TEST_CFLAGS='-fsanitize=address,undefined' ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1 bats --tap tests
	$(MAKE) check-asan-ssh

# tests/ssh.bats again, in the same tree, with leak detection on: bs-serve
# and bs-remote (and the tools they run) free what they allocate
# (tests/ssh/lsan.supp: the leaks left to other parts of the suite).  The
# reports go to files, from both ends of the ssh connections, and any is a
# failure: a server's end after its last answer is seen by no client.
ASANLOGS = $(CURDIR)/build-asan/sanitizer-logs
check-asan-ssh:
	rm -rf $(ASANLOGS) && mkdir -p $(ASANLOGS)
	cd build-asan && BS_TEST_CFLAGS='-fsanitize=address,undefined' \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(ASANLOGS)/asan \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/ssh/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1:log_path=$(ASANLOGS)/ubsan bats --tap tests/ssh.bats
	@if [ -n "$$(ls -A $(ASANLOGS))" ]; then cat $(ASANLOGS)/*; echo "check-asan-ssh: the sanitizers' reports above"; exit 1; fi

# The threaded code once under ThreadSanitizer: a few bats files that run
# bs-store with several threads, in a separate tree.
TSAN_TESTS = tests/bs-store.bats tests/codecs.bats tests/roundtrip-smoke.bats
check-tsan:
	rm -rf build-tsan && mkdir -p build-tsan
	cp -r Makefile lib cmd include tests man build-tsan/
	find build-tsan -name '*.o' -o -name '*.a' | xargs rm -f
	$(MAKE) -C build-tsan CFLAGS='-O1 -g -fsanitize=thread -fno-omit-frame-pointer' LDFLAGS='-fsanitize=thread' all
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:exitcode=66 bats --tap $(TSAN_TESTS)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS) backshift; do install -m 755 bin/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for m in man/*.1; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	install -m 644 man/bs-formats.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/bs-store-s3.7 $(DESTDIR)$(MANDIR)/man7/
	mkdir -p $(DESTDIR)$(COMPLETIONDIR)
	install -m 644 contrib/completion/backshift.bash $(DESTDIR)$(COMPLETIONDIR)/backshift
	for t in $(TOOLS); do ln -sf backshift $(DESTDIR)$(COMPLETIONDIR)/$$t; done

clean:
	rm -f lib/*.o lib/*.a cmd/*.o cmd/common/*.o bin/bs-* bin/backshift
	rm -rf build-asan build-tsan

.PHONY: all test test-ceph check-asan check-asan-ssh check-tsan install clean
.SECONDARY: $(LIBOBJ) $(COMMON) $(patsubst %,cmd/%.o,$(TOOLS))

# ---- torture and fuzzing (not part of `make test`) ----

# The torture scripts, each bounded by TORTURE_SECONDS (and TORTURE_ROUNDS).
TORTURE_SECONDS ?= 40
torture: all
	@st=0 n=0; for t in tests/torture/*.sh; do \
		case $$t in */lib.sh) continue;; esac; \
		n=$$((n + 1)); \
		if TORTURE_SECONDS=$(TORTURE_SECONDS) bash $$t; then echo "ok $$n torture $$t"; \
		else echo "not ok $$n torture $$t"; st=1; fi; \
	done; exit $$st

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) against the library built with
# clang and the sanitizers in build-fuzz/; `make fuzz FUZZ_SECONDS=60`
# runs each for that long from its seed corpus, tests/fuzz/corpus/NAME/.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
FUZZ_SECONDS ?= 20
FUZZERS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZLIBOBJ = $(patsubst lib/%.c,build-fuzz/lib/%.o,$(LIBSRC))

build-fuzz/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p build-fuzz/lib
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

build-fuzz/libbackshift.a: $(FUZZLIBOBJ)
	rm -f $@
	$(AR) rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libbackshift.a
	$(FUZZ_CC) $(CPPFLAGS) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-o $@ $< build-fuzz/libbackshift.a $(LDLIBS)

fuzz-build: $(patsubst %,build-fuzz/fuzz_%,$(FUZZERS))

fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

fuzz-clean:
	rm -rf build-fuzz

.PHONY: torture fuzz fuzz-build fuzz-clean
