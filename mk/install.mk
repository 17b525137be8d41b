# make install / uninstall / deb (included last by the top-level Makefile).
#   make install [PREFIX=/usr/local] [DESTDIR=]   build dmmd, dmmctl, dmmprobe
#                                                 if needed, then install
#   make uninstall [PREFIX=...] [DESTDIR=]        remove what install put
#   make deb                                      build/deb/dmm_*.deb (+ lintian)
#   make deb-check                                and apt install it in a throwaway
#                                                 overlay of / (mk/deb-check.sh)
#   make unit-check                               and boot that overlay under
#                                                 systemd-nspawn: dmmd@ units live
#
# What goes where (PREFIX=/usr/local by default; the Debian package uses /usr):
#   $(SBINDIR)   dmmd, dmmctl, dmm-keygen            PREFIX/sbin
#   $(BINDIR)    dmmprobe                            PREFIX/bin
#   $(MANDIR)    man5, man8 (man1/dmmprobe.1 when man/dmmprobe.1 exists)
#   $(DOCDIR)    README.md, docs/*.md, docs/dmmctl.schema.json, examples/figure1/*
#   $(DATADIR)   wireshark/dmm.lua, the Lua dissector: not in Wireshark's
#                global plugin folder, where every tshark (as root too)
#                would load it and a `-X lua_script:` of another copy would
#                register the protocol twice; load or link it from here
#                (docs/PROTOCOL.md)
#   $(SYSCONFDIR)/dmm/dmmd.conf  the commented default (etc/dmmd.conf), only
#                if there is none; /etc/dmm mode 0750 when created
#   $(UNITDIR)   dmmd@.service, ExecStart pointing at $(SBINDIR)/dmmd
#                (/lib/systemd/system for PREFIX=/usr as Debian 12 has it,
#                else PREFIX/lib/systemd/system, which systemd also reads)
# The BPF programs are compiled into dmmd (bpftool skeletons,
# dataplane/build.mk): there is no BPF object to install.
# The user dmmd drops to (_dmmd, else nobody) is not created by make
# install; the Debian package creates it (README, "Installing").

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/dmm
DATADIR ?= $(PREFIX)/share/dmm
SYSCONFDIR ?= /etc
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
INSTALL ?= install

INST_MAN8 := man/dmmd.8 man/dmmctl.8 man/dmm-keygen.8
INST_MAN5 := man/dmmd.conf.5
INST_MAN1 := $(wildcard man/dmmprobe.1)
INST_DOCS := README.md $(sort $(wildcard docs/*.md docs/*.json))
INST_EXAMPLES := $(sort $(wildcard examples/figure1/*))

# Every file install puts, without DESTDIR (uninstall removes these).
INSTALLED_FILES := $(SBINDIR)/dmmd $(SBINDIR)/dmmctl $(SBINDIR)/dmm-keygen \
	$(BINDIR)/dmmprobe \
	$(INST_MAN8:man/%=$(MANDIR)/man8/%) $(INST_MAN5:man/%=$(MANDIR)/man5/%) \
	$(INST_MAN1:man/%=$(MANDIR)/man1/%) \
	$(INST_DOCS:%=$(DOCDIR)/%) $(INST_EXAMPLES:%=$(DOCDIR)/%) \
	$(DATADIR)/wireshark/dmm.lua $(UNITDIR)/dmmd@.service

# dpkg-buildflags' CPPFLAGS and LDFLAGS for the tools, whose rules use
# TOOLS_CFLAGS only (debian/rules sets PKG_TOOLS_FLAGS; empty otherwise).
$(B)/dmmprobe: TOOLS_CFLAGS += $(PKG_TOOLS_FLAGS)

install: $(B)/dmmd $(B)/dmmctl $(B)/dmmprobe
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/docs \
		$(DESTDIR)$(DOCDIR)/examples/figure1 $(DESTDIR)$(DATADIR)/wireshark \
		$(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(B)/dmmd $(B)/dmmctl scripts/dmm-keygen $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 $(B)/dmmprobe $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(INST_MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(INST_MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(if $(INST_MAN1),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1 && \
		$(INSTALL) -m 0644 $(INST_MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(filter docs/%,$(INST_DOCS)) $(DESTDIR)$(DOCDIR)/docs/
	$(INSTALL) -m 0644 $(INST_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/figure1/
	$(INSTALL) -m 0644 tools/wireshark/dmm.lua $(DESTDIR)$(DATADIR)/wireshark/
	sed 's|/usr/sbin/|$(SBINDIR)/|g' systemd/dmmd@.service >$(DESTDIR)$(UNITDIR)/dmmd@.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/dmmd@.service.tmp
	mv -f $(DESTDIR)$(UNITDIR)/dmmd@.service.tmp $(DESTDIR)$(UNITDIR)/dmmd@.service
	@d='$(DESTDIR)$(SYSCONFDIR)/dmm'; \
	[ -d "$$d" ] || $(INSTALL) -d -m 0750 "$$d"; \
	if [ -e "$$d/dmmd.conf" ]; then \
		echo "install: $$d/dmmd.conf exists, kept (the default is etc/dmmd.conf)"; \
	else \
		echo "$(INSTALL) -m 0644 etc/dmmd.conf $$d/dmmd.conf"; \
		$(INSTALL) -m 0644 etc/dmmd.conf "$$d/dmmd.conf"; \
	fi; \
	[ -e "$$d/keys" ] || echo "install: no key file yet: $(SBINDIR)/dmm-keygen $(SYSCONFDIR)/dmm/keys"

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	@d='$(DESTDIR)$(SYSCONFDIR)/dmm'; \
	if [ -f "$$d/dmmd.conf" ]; then \
		if cmp -s etc/dmmd.conf "$$d/dmmd.conf"; then \
			echo "rm -f $$d/dmmd.conf"; rm -f "$$d/dmmd.conf"; \
		else \
			echo "uninstall: $$d/dmmd.conf was changed, kept"; \
		fi; \
	fi; \
	for x in "$$d" $(DESTDIR)$(DOCDIR)/examples/figure1 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)/wireshark \
		$(DESTDIR)$(DATADIR); do \
		[ -d "$$x" ] && rmdir "$$x" 2>/dev/null || true; \
	done

# The Debian package, built from a copy of the work tree (the files git
# tracks or would track, as they are now) under build/deb/, so that
# debian/rules clean never touches this tree's build/ and the .deb lands in
# build/deb/ rather than in the parent directory. Installs what the build
# needs first (scripts/deps.sh, then debhelper and lintian), runs lintian.
DEB_DIR := $(B)/deb
DEB_PKGS := debhelper lintian dpkg-dev
deb: deps
	@missing=; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "deb: missing packages:$$missing (run as root to install them)" >&2; \
			exit 1; \
		fi; \
		echo "deb: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends \
			$$missing >/dev/null || exit 1; \
	fi
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	@if [ -d .git ] && command -v git >/dev/null; then \
		git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | \
		tar -C $(DEB_DIR)/src -xf -; \
	else \
		tar --exclude=./$(B) -cf - . | tar -C $(DEB_DIR)/src -xf -; \
	fi
	cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc
	@cd $(DEB_DIR) && ls -l *.deb && echo "lintian:" && \
		lintian --info --display-info --fail-on error *.changes

# The package installed with apt into a throwaway overlay of / (root;
# nothing on this machine changes), its smoke test, then purged.
deb-check: deb
	mk/deb-check.sh

# The dmmd@ units of the package under a real systemd (root): the overlay
# booted under systemd-nspawn into one test service (mk/unit-check.sh).
unit-check: deb
	mk/unit-check.sh

.PHONY: install uninstall deb deb-check unit-check
