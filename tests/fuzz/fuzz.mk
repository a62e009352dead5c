# SPDX-License-Identifier: GPL-3.0-or-later
# tests/fuzz/fuzz.mk - libFuzzer harnesses (included by the Makefile).
#   make fuzz          build the harnesses and, for each, replay its
#                      regression cases and fuzz it for FUZZ_SECONDS
#                      (default 60) on its seed corpus and regression cases;
#                      fails on any crash, leak, UB, timeout or OOM
#   make fuzz-regress  replay tests/fuzz/regressions/<harness>/ only (quick)
#   make fuzz-build    build the harnesses only
#   make fuzz-corpus   build the seed corpora and dictionaries only
# Needs clang and its runtime (Debian: clang libclang-rt-14-dev).  Built
# with clang into $(BUILD)/fuzz (objects, harnesses, corpus/, logs/,
# artifacts/, tmp/), apart from the gcc objects in $(BUILD)/obj.  The seed
# corpora are made with the gcc program $(BUILD)/sim.  See
# tests/fuzz/README.md.
# Overridable: FUZZ_CC, FUZZ_SECONDS, FUZZ_FLAGS (more libFuzzer flags).

# Read once, even when also given with -f.
ifndef FUZZ_MK_INCLUDED
FUZZ_MK_INCLUDED := 1

# Keep the including Makefile's default goal (`all`).
fuzz_saved_goal := $(.DEFAULT_GOAL)

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_NAMES   ?= fuzz_config fuzz_set fuzz_include fuzz_result fuzz_export fuzz_merge
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
# The Makefile's WARN is gcc's (-Werror, -Wno-format-truncation); clang
# warns here without failing: `make lint` is the warnings gate.
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -pthread -g -O1 \
                -Wall -Wextra $(FUZZ_SAN) $(shell pkg-config --cflags $(PKGS)) \
                -Isim -I$(BUILD)/gen
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(patsubst $(BUILD)/%,%,$(LIB_SRC)))

.PHONY: fuzz fuzz-regress fuzz-build fuzz-corpus
fuzz-build: $(FUZZ_BINS)

# the library, instrumented for coverage (no libFuzzer main)
$(FUZZ_DIR)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libsim.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libsim.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -o $@ $< \
	  $(FUZZ_DIR)/libsim.a $(LDLIBS)

# seed corpora and dictionaries (built with the gcc program $(BUILD)/sim)
$(FUZZ_DIR)/corpus.stamp: tests/fuzz/make_corpus.sh $(BUILD)/sim \
                          $(wildcard configs/*.cfg scenarios/*.cfg \
                                     configs/sweeps/example.cfg)
	sh tests/fuzz/make_corpus.sh $(BUILD)/sim $(FUZZ_DIR)
	@touch $@
fuzz-corpus: $(FUZZ_DIR)/corpus.stamp

fuzz: $(FUZZ_BINS) $(FUZZ_DIR)/corpus.stamp
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_FLAGS='$(FUZZ_FLAGS)' \
	  sh tests/fuzz/run_fuzz.sh fuzz $(FUZZ_DIR) $(FUZZ_NAMES)

fuzz-regress: $(FUZZ_BINS)
	@sh tests/fuzz/run_fuzz.sh regress $(FUZZ_DIR) $(FUZZ_NAMES)

-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)

.DEFAULT_GOAL := $(fuzz_saved_goal)

endif
