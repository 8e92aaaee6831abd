# Makefile — the commands of the README. run and test install the Debian
# packages they need (as root, or with password-less sudo), then build.
#   make run    build in build/ and run the demo pipeline (twice: skips all)
#   make test   everything CI runs (scripts/test.sh), ends "N passed, M failed"
#   make check  the edit-test loop, < 2 min: -Werror build in build-check/, unit
#               and local conformance cases (scripts/check.sh; no servers)

.PHONY: run test check deps deps-test build clean help

run:
	@scripts/run.sh

test:
	@scripts/test.sh

check:
	@scripts/check.sh

# Only the packages.
deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

# Only the build (build/, tests included).
build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_BUILD_TESTS=ON
	cmake --build build -j $$(nproc)

# Removes the build dirs these targets make; never the store ./cairn-data.
clean:
	rm -rf build build-test build-asan build-fuzz build-tsan build-check

help:
	@sed -n '2,7p' Makefile
