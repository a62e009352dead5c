# SPDX-License-Identifier: GPL-3.0-or-later
# bloc-sim: an agent-based simulator of a sanctioned bloc's war-goods trade.
#   make            build build/sim
#   make test       build and run the whole test suite (cmocka + tool checks)
#   make bench      print speed figures
#   make run        run the baseline scenario
#   make lint       cppcheck and clang-tidy on sim/ (warnings are errors)
#   make valgrind   a baseline run, an ensemble, a batch of scenarios (one bad),
#                   a comparison of three, a sweep, two shards and their merge,
#                   a small calibration and runs drawing from it under memcheck
#   make plots      run the baseline, an ensemble, a sweep and a comparison and
#                   draw every figure of analysis/ into $(BUILD)/plots
#   make readme     rewrite the README's blocks of program output (the quick
#                   start's, the calibration and scenario tables) from the
#                   program, after a change of the model (make test checks them)
#   make install    sim, sim-mpi, the manual page sim(1), the bash completion,
#                   and configs/, scenarios/ and analysis/ under
#                   $(PREFIX)/share/bloc-sim (honours PREFIX and DESTDIR)
#   make uninstall  remove what make install installed
# Overridable: CC, CFLAGS, PYTHON, SANITIZE=1, BUILD, PREFIX, DESTDIR,
#   HDF5_LINK=static|dynamic.

CC      ?= cc
PYTHON  ?= /usr/bin/python3
ifeq ($(SANITIZE),1)
  BUILD ?= build/sanitize
else
  BUILD ?= build
endif
PKGS    := gsl libconfig hdf5 libdeflate
# H5DS (dimension scales) is in HDF5's high-level library, which pkg-config
# does not name.
HDF5_LIBDIR := $(shell pkg-config --libs-only-L hdf5 2>/dev/null)
# HDF5 is linked statically when Debian's static libraries are there
# (libhdf5-dev ships libhdf5.a and libhdf5_hl.a): loading the shared
# library and the forty it pulls in is most of the start of a short run.
# HDF5_LINK=dynamic links the shared libraries instead.
HDF5_LIBPATH := $(patsubst -L%,%,$(firstword $(HDF5_LIBDIR)))
HDF5_STATIC  := $(wildcard $(HDF5_LIBPATH)/libhdf5_hl.a $(HDF5_LIBPATH)/libhdf5.a)
HDF5_LINK    ?= $(if $(word 2,$(HDF5_STATIC)),static,dynamic)
ifeq ($(HDF5_LINK),static)
  # what libhdf5.a needs: szip (libaec), zlib, dlopen
  HDF5_LIBS := $(HDF5_LIBPATH)/libhdf5_hl.a $(HDF5_LIBPATH)/libhdf5.a \
               -Wl,--as-needed -lsz -lz -ldl -Wl,--no-as-needed
else
  HDF5_LIBS := $(shell pkg-config --libs hdf5) $(HDF5_LIBDIR) -lhdf5_hl
endif

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla -Werror \
           -Wno-format-truncation
OPT     ?= -O2 -g
CFLAGS  ?= $(OPT)
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS)) -Isim -I$(BUILD)/gen -MMD -MP
LDLIBS  := $(shell pkg-config --libs gsl libconfig libdeflate) $(HDF5_LIBS) -lm -pthread
ifeq ($(SANITIZE),1)
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS    += -fsanitize=address,undefined
endif

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
GIT_DIRTY  := $(shell git diff --quiet HEAD -- sim configs scenarios 2>/dev/null || echo -dirty)
VERSION    := 0.2.0
PREFIX     ?= /usr/local
DATADIR    := $(PREFIX)/share/bloc-sim

LIB_SRC  := $(wildcard sim/model/*.c sim/io/*.c sim/io/*/*.c sim/exp/*.c sim/cmd/*.c) \
            $(BUILD)/gen/embedded.c \
            $(BUILD)/gen/version.c
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(patsubst $(BUILD)/%,%,$(LIB_SRC)))
MAIN_OBJ := $(BUILD)/obj/sim/main.o
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all test bench run clean lint valgrind plots install uninstall docs readme FORCE
# build/sim-mpi too when Open MPI's compiler wrapper is installed
MPICC   ?= $(shell command -v mpicc 2>/dev/null)
all: $(BUILD)/sim $(if $(MPICC),$(BUILD)/sim-mpi)

$(BUILD)/sim: $(MAIN_OBJ) $(BUILD)/libsim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sim-mpi: sim/mpi_main.c $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	OMPI_CC=$(CC) $(MPICC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsim.a $(LDLIBS)

$(BUILD)/libsim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The baseline scenario (with the default configuration, the @include
# resolved) and the headline measures, compiled in so that `sim run` and
# `sim compare` work from any directory.
$(BUILD)/gen/embedded.c: scenarios/baseline.cfg configs/default.cfg configs/calibrated.cfg configs/headlines.cfg sim/embed.awk
	@mkdir -p $(dir $@)
	{ awk -v dir=scenarios -v file=scenarios/baseline.cfg -v var=sim_embedded_baseline -f sim/embed.awk && \
	  awk -v dir=configs -v file=configs/headlines.cfg -v var=sim_embedded_headlines -f sim/embed.awk; } > $@.tmp && mv $@.tmp $@

# The version and commit, rewritten only when they change (checked on
# every make): a new commit relinks with the new strings.
$(BUILD)/gen/version.c: FORCE
	@mkdir -p $(dir $@)
	@printf '#include "version.h"\nconst char sim_version[] = "%s";\nconst char sim_commit[] = "%s";\nconst char sim_datadir[] = "%s";\n' \
	  '$(VERSION)' '$(GIT_COMMIT)$(GIT_DIRTY)' '$(DATADIR)' > $@.tmp.$$$$ && \
	if cmp -s $@.tmp.$$$$ $@; then rm -f $@.tmp.$$$$; else mv $@.tmp.$$$$ $@; fi
FORCE:

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libsim.a $(LDLIBS) -lcmocka

test: all $(TEST_BIN)
	@PYTHON=$(PYTHON) SIM=$(BUILD)/sim BUILD=$(BUILD) SIM_SANITIZE=$(SANITIZE) sh tests/run_tests.sh $(TEST_BIN)

bench: $(BUILD)/sim $(BUILD)/tests/bench_step
	@SIM=$(BUILD)/sim BUILD=$(BUILD) sh tests/bench.sh

$(BUILD)/tests/bench_step: tests/bench_step.c $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libsim.a $(LDLIBS)

run: $(BUILD)/sim
	$(BUILD)/sim run

readme: $(BUILD)/sim
	@README_UPDATE=1 SIM=$(BUILD)/sim PYTHON=$(PYTHON) sh tests/cli/readme.sh

plots: $(BUILD)/sim
	@SIM=$(BUILD)/sim PYTHON=$(PYTHON) OUT=$(BUILD)/plots sh analysis/make_plots.sh

SRC_ALL := $(wildcard sim/*.c sim/*/*.c sim/*/*/*.c)
lint: $(BUILD)/gen/embedded.c
	cppcheck --enable=warning,style,performance,portability --std=c11 \
	  --inline-suppr --quiet --error-exitcode=1 -Isim -I$(BUILD)/gen sim
	@for f in $(SRC_ALL); do \
	  clang-tidy --quiet $$f -- -std=c11 -D_POSIX_C_SOURCE=200809L -pthread \
	    $(shell pkg-config --cflags $(PKGS)) -Isim -I$(BUILD)/gen \
	    $(if $(MPICC),$(shell $(MPICC) --showme:compile)) || exit 1; \
	done
	@echo "lint: cppcheck and clang-tidy clean"

VALGRIND := valgrind --quiet --error-exitcode=9 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect
valgrind: $(BUILD)/sim
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	$(VALGRIND) $(BUILD)/sim run -q -o $$dir/b.h5 && \
	$(VALGRIND) $(BUILD)/sim run -q --replicates 4 --jobs 2 -o $$dir/e.h5 && \
	$(VALGRIND) $(BUILD)/sim compare scenarios/baseline.cfg scenarios/dedollarisation.cfg \
	  scenarios/sanctions_escalation.cfg --replicates 3 --jobs 2 -q -o $$dir/c.h5 --table $$dir/c.csv && \
	printf 'scenario = { name = "x"\n' > $$dir/bad.cfg && \
	{ $(VALGRIND) $(BUILD)/sim run scenarios/baseline.cfg $$dir/bad.cfg scenarios/dedollarisation.cfg \
	  --replicates 2 --jobs 2 -q --outdir $$dir 2>/dev/null; test $$? -eq 2; } && \
	printf 'sweep = { scenario = "%s/scenarios/baseline.cfg"; design = "lhs"; points = 6;\n  replicates = 2; events = true; };\naxes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; } );\n' \
	  "$$(pwd)" > $$dir/s.cfg && \
	$(VALGRIND) $(BUILD)/sim sweep $$dir/s.cfg -q --jobs 2 -o $$dir/s.h5 && \
	$(VALGRIND) $(BUILD)/sim sweep $$dir/s.cfg -q --shard 0/2 -o $$dir/s0.h5 && \
	$(VALGRIND) $(BUILD)/sim sweep $$dir/s.cfg -q --shard 1/2 -o $$dir/s1.h5 && \
	$(VALGRIND) $(BUILD)/sim merge -o $$dir/m.h5 $$dir/s0.h5 $$dir/s1.h5 >/dev/null && \
	$(VALGRIND) $(BUILD)/sim calibrate --targets configs/targets.cfg --particles 40 \
	  --tolerance 1e9 --draws 5 --predictive 4 --jobs 2 -q -o $$dir/p.h5 && \
	$(VALGRIND) $(BUILD)/sim run -q --replicates 3 --jobs 2 --posterior $$dir/p.h5 -o $$dir/pr.h5 && \
	echo "valgrind: no errors, no leaks"

# ---- the manual page and the bash completion, generated from the option table
docs: $(BUILD)/sim.1 $(BUILD)/sim.bash
$(BUILD)/sim.1: $(BUILD)/sim
	$(BUILD)/sim --man > $@.tmp && mv $@.tmp $@
$(BUILD)/sim.bash: $(BUILD)/sim
	$(BUILD)/sim --bash-completion > $@.tmp && mv $@.tmp $@

# ---- install -----------------------------------------------------------------
INSTALL  ?= install
BINDIR   := $(PREFIX)/bin
MANDIR   := $(PREFIX)/share/man/man1
COMPDIR  := $(PREFIX)/share/bash-completion/completions
DOCDIR   := $(PREFIX)/share/doc/bloc-sim
# what goes under DATADIR, as in the source tree (scenarios include
# ../configs/default.cfg; sweeps name ../../scenarios/...)
SHARE_DATA := $(wildcard configs/*.cfg configs/sweeps/*.cfg scenarios/*.cfg)
SHARE_EXEC := $(wildcard configs/slurm/* analysis/*.py analysis/*.sh)
install: all docs
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(COMPDIR) \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)
	$(INSTALL) -m 755 $(BUILD)/sim $(DESTDIR)$(BINDIR)/sim
	$(if $(MPICC),$(INSTALL) -m 755 $(BUILD)/sim-mpi $(DESTDIR)$(BINDIR)/sim-mpi)
	$(INSTALL) -m 644 $(BUILD)/sim.1 $(DESTDIR)$(MANDIR)/sim.1
	$(INSTALL) -m 644 $(BUILD)/sim.bash $(DESTDIR)$(COMPDIR)/sim
	ln -sf sim $(DESTDIR)$(COMPDIR)/sim-mpi
	$(INSTALL) -m 644 README.md sim/COPYING sim/CHANGELOG $(DESTDIR)$(DOCDIR)/
	@for f in $(SHARE_DATA); do \
	  $(INSTALL) -D -m 644 $$f $(DESTDIR)$(DATADIR)/$$f || exit 1; done
	@for f in $(SHARE_EXEC); do \
	  $(INSTALL) -D -m 755 $$f $(DESTDIR)$(DATADIR)/$$f || exit 1; done
	@echo "installed sim in $(DESTDIR)$(BINDIR), its data in $(DESTDIR)$(DATADIR)"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sim $(DESTDIR)$(BINDIR)/sim-mpi \
	  $(DESTDIR)$(MANDIR)/sim.1 $(DESTDIR)$(COMPDIR)/sim $(DESTDIR)$(COMPDIR)/sim-mpi
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)

# libFuzzer harnesses: make fuzz, make fuzz-regress (tests/fuzz/README.md)
-include tests/fuzz/fuzz.mk
