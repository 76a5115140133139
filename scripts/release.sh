#!/usr/bin/env bash
# Builds every release artifact into dist/ with SHA-256 checksums:
#   scripts/release.sh VERSION
#
#   bpclient.exe, bpclient-host.exe      Windows x64, with version resources
#   bpclient-chart.exe                   the support bundle's quality picture (pure Go)
#   bpclient-screen.exe                  screen recording and live monitoring (cgo, libvpx), GUI subsystem
#   bpclient-agent.exe                   bpclient.exe for the GUI subsystem (login start)
#   BPClientSetup.exe                    NSIS, per-user, no admin
#   BPClient-VERSION-user.msi            wixl, per-user
#   BPClient-VERSION-machine.msi         wixl, per-machine (Program Files, HKLM)
#   bpclient_VERSION_amd64.deb           binaries, system-wide manifests, user unit
#   bpclient-VERSION-darwin-{amd64,arm64}.tar.gz   the darwin binaries
#   bpclient_mac.pkg                     BPClient.app, LaunchAgent, manifests
#   SHA256SUMS
#
# The desktop API's .NET client (dotnet/) is compiled with Debian's mono
# compiler (mcs) into sdk/dotnet: BPClient.Desktop.dll, its XML docs, and
# the sample (Sample.cs and Sample.exe, which runs beside the DLL). Every
# package carries that folder in its install folder (Windows:
# <install dir>\sdk\dotnet; .deb: /usr/lib/bpclient/sdk/dotnet;
# macOS: BPClient.app/Contents/Resources/sdk/dotnet), so a developer finds
# the DLL for the version of the agent the machine runs.
#
# Signing: with BPCLIENT_SIGN_PFX and BPCLIENT_SIGN_PASSWORD set (see
# scripts/sign.sh) every exe, the installer, its uninstaller and the MSIs
# are Authenticode-signed; without them the build is unsigned and says so.
# BPCLIENT_REQUIRE_SIGNING=1 makes a missing certificate an error.
#
# Audio: the agent (bpclient, bpclient.exe, bpclient-agent.exe) is built
# with cgo and -tags opus against static PortAudio and libopus built from
# Debian's sources (scripts/build-audio-libs.sh, cached in
# ${XDG_CACHE_HOME:-~/.cache}/bpclient/audio-libs/TARGET): on Linux it then
# needs only libc and libm, loading libasound when audio starts (no
# libportaudio, JACK or libstdc++), on
# Windows no DLL at all. G.729 is in every package: it is our own pure-Go
# G.729 Annex A (audio/codec/g729, MIT), in every build without a tag.
# The g729 tag is left out on purpose: it adds only bcg729 (GPL-3.0), a
# test-only reference that bpclient's MIT releases must not link. bpclient-host
# and bpclient-chart stay pure Go; bpclient-chart, which `bpclient logs
# collect` runs from bpclient's own folder, goes next to bpclient in every
# package (it holds the plotting library, so that bpclient does not).
# bpclient-screen, which the agent starts from its own folder when a page
# asks for screen recording or live monitoring (helper/screenproxy), goes
# next to bpclient in every package too: it holds libvpx (cgo, -tags vpx,
# static like the agent's libraries) and pion's WebRTC, so that the agent
# does not. THIRD_PARTY_NOTICES.txt (scripts/notices.sh) goes with
# every package: the licenses of the statically linked C libraries and of
# the Go modules the binaries contain; the Windows packages' also those of
# the mingw-w64 runtime linked into the cgo exes.
#
# DIST=dir overrides dist/. Tools: go, gcc, libasound2-dev, mcs (mono-mcs),
# x86_64-w64-mingw32-windres and -gcc, makensis, wixl, osslsigncode,
# dpkg-deb, bsdtar (scripts/deps-release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=${1:-}
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: scripts/release.sh MAJOR.MINOR.PATCH" >&2; exit 2
fi
dist=${DIST:-$root/dist}
publisher=${BPCLIENT_PUBLISHER:-openbpclient}
start=$(date +%s)

work=$(mktemp -d)
sysos=()
cleanup() { rm -f "${sysos[@]}"; rm -rf "$work"; }
trap cleanup EXIT
rm -rf "$dist" && mkdir -p "$dist"

signing=0
if [[ -n ${BPCLIENT_SIGN_PFX:-} ]]; then
  signing=1
elif [[ ${BPCLIENT_REQUIRE_SIGNING:-0} == 1 ]]; then
  echo "release: BPCLIENT_SIGN_PFX is not set and BPCLIENT_REQUIRE_SIGNING=1" >&2; exit 1
else
  echo "release: BPCLIENT_SIGN_PFX not set: the Windows files are NOT signed"
fi
sign() { if ((signing)); then scripts/sign.sh "$@"; fi; }

# Release builds choose their own build flags (make test exports tags).
export GOFLAGS=${BPCLIENT_RELEASE_GOFLAGS:-}
ldflags="-s -w -X github.com/openbpclient/bpclient/version.Version=$version"

# The identity the manifests carry, read from the one place that defines it.
nmconst() { sed -n "s/^const $1 = \"\(.*\)\"$/\1/p" nativemsg/manifest.go; }
host_name=$(nmconst HostName)
ext_id=$(nmconst ExtensionID)
addon_id=$(nmconst AddonID)
host_desc=$(nmconst HostDescription)
if [[ -z $host_name || -z $ext_id || -z $addon_id ]]; then
  echo "release: cannot read HostName/ExtensionID/AddonID from nativemsg/manifest.go" >&2; exit 1
fi
host_desc=${host_desc:-BPClient native-messaging host}
# manifest FAMILY PATH: the JSON a browser family reads (PATH JSON-safe).
manifest() {
  local allowed
  if [[ $1 == firefox ]]; then
    allowed="\"allowed_extensions\": [\"$addon_id\"]"
  else
    allowed="\"allowed_origins\": [\"chrome-extension://$ext_id/\"]"
  fi
  printf '{\n  "name": "%s",\n  "description": "%s",\n  "path": "%s",\n  "type": "stdio",\n  %s\n}\n' \
    "$host_name" "$host_desc" "$2" "$allowed"
}

# ---- Windows binaries -------------------------------------------------------
echo "== windows binaries"
win=$work/win && mkdir -p "$win"
IFS=. read -r vmaj vmin vpat <<<"$version"
for cmd in bpclient bpclient-host bpclient-chart bpclient-screen; do
  case $cmd in
    bpclient) desc="BPClient agent and command line" ;;
    bpclient-chart) desc="BPClient support bundle chart" ;;
    bpclient-screen) desc="BPClient screen recording" ;;
    *) desc="BPClient native-messaging host" ;;
  esac
  sed -e "s/@VERSION@/$version/g" -e "s/@VERSION_COMMAS@/$vmaj,$vmin,$vpat,0/g" \
      -e "s/@PUBLISHER@/$publisher/g" -e "s/@DESCRIPTION@/$desc/g" -e "s/@NAME@/$cmd/g" \
      packaging/windows/versioninfo.rc.in >"$work/$cmd.rc"
  syso=cmd/$cmd/zz_release_windows_amd64.syso
  sysos+=("$syso")
  x86_64-w64-mingw32-windres -O coff -o "$syso" "$work/$cmd.rc"
done
# The agent with audio: cgo, static PortAudio and libopus, -tags opus (not
# g729, which would add bcg729: GPL-3.0, see the top; G.729 itself is pure
# Go and always in), in the environment
# scripts/windows-agent-env.sh gives (the wine end-to-end test builds with
# it too).
winlibs=$(scripts/build-audio-libs.sh windows-amd64)
echo "   bpclient.exe with cgo, static PortAudio, libopus and libvpx from $winlibs"
# WINMM (PortAudio's MME) is not a KnownDLL: imported statically, it would be
# looked for first in the user-writable install folder. Its delay-import
# library (in $work/delayimp) makes it load at PortAudio's first call, from
# System32 only (helper/safedll has set that by then).
win_agent_vars=$(scripts/windows-agent-env.sh "$work/delayimp")
mapfile -t win_agent_env <<<"$win_agent_vars"
env "${win_agent_env[@]}" go build -trimpath -tags opus,vpx \
  -ldflags "$ldflags -extldflags -static" -o "$win/bpclient.exe" ./cmd/bpclient
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o "$win/bpclient-host.exe" ./cmd/bpclient-host
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o "$win/bpclient-chart.exe" ./cmd/bpclient-chart
# bpclient-agent.exe: the same program for the Windows GUI subsystem, so the
# agent started at login (HKCU Run) opens no console window. bpclient.exe
# stays a console program for the command line.
env "${win_agent_env[@]}" go build -trimpath -tags opus,vpx \
  -ldflags "$ldflags -H windowsgui -extldflags -static" -o "$win/bpclient-agent.exe" ./cmd/bpclient
# bpclient-screen.exe: libvpx with the agent's cgo environment, for the
# GUI subsystem too (the agent starts it with no console).
env "${win_agent_env[@]}" go build -trimpath -tags vpx \
  -ldflags "$ldflags -H windowsgui -extldflags -static" -o "$win/bpclient-screen.exe" ./cmd/bpclient-screen
rm -f "${sysos[@]}"; sysos=()
sign "$win/bpclient.exe" "BPClient"
sign "$win/bpclient-agent.exe" "BPClient agent"
sign "$win/bpclient-host.exe" "BPClient native-messaging host"
sign "$win/bpclient-chart.exe" "BPClient support bundle chart"
sign "$win/bpclient-screen.exe" "BPClient screen recording"
cp "$win/bpclient.exe" "$win/bpclient-agent.exe" "$win/bpclient-host.exe" "$win/bpclient-chart.exe" "$win/bpclient-screen.exe" "$dist/"

# ---- Linux and darwin binaries -------------------------------------------------
echo "== linux and darwin binaries"
linux=$work/linux && mkdir -p "$linux"
linuxlibs=$(scripts/build-audio-libs.sh linux-amd64)
echo "   bpclient with cgo, static PortAudio (ALSA only), libopus and libvpx from $linuxlibs"
CGO_ENABLED=1 PKG_CONFIG_LIBDIR="$linuxlibs/lib/pkgconfig" PKG_CONFIG_PATH= CGO_CPPFLAGS="-DBPCLIENT_AUDIO_LIBS=$(cat "$linuxlibs/id")" \
  GOOS=linux GOARCH=amd64 go build -trimpath -tags opus,vpx -ldflags "$ldflags" -o "$linux/bpclient" ./cmd/bpclient
CGO_ENABLED=1 PKG_CONFIG_LIBDIR="$linuxlibs/lib/pkgconfig" PKG_CONFIG_PATH= CGO_CPPFLAGS="-DBPCLIENT_AUDIO_LIBS=$(cat "$linuxlibs/id")" \
  GOOS=linux GOARCH=amd64 go build -trimpath -tags vpx -ldflags "$ldflags" -o "$linux/bpclient-screen" ./cmd/bpclient-screen
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o "$linux/" ./cmd/bpclient-host ./cmd/bpclient-chart
# What ships must not pull in the libraries the static PortAudio avoids.
for b in bpclient bpclient-screen; do
  if readelf -d "$linux/$b" | grep -E 'NEEDED.*(portaudio|jack|stdc\+\+|asound|vpx)'; then
    echo "release: the Linux $b needs a library it must not" >&2; exit 1
  fi
done
for arch in amd64 arm64; do
  d=$work/darwin-$arch && mkdir -p "$d"
  CGO_ENABLED=0 GOOS=darwin GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$d/" ./cmd/bpclient ./cmd/bpclient-host ./cmd/bpclient-chart ./cmd/bpclient-screen
done
# THIRD_PARTY_NOTICES.txt: the C libraries' licenses and the Go modules of
# all the binaries; the Windows packages' also the mingw-w64 runtime's
# (--windows), which only the Windows exes contain.
notices=$work/THIRD_PARTY_NOTICES.txt
allbins=("$win/bpclient.exe" "$win/bpclient-host.exe" "$win/bpclient-chart.exe" "$win/bpclient-screen.exe" "$linux/bpclient" "$linux/bpclient-host" "$linux/bpclient-chart" "$linux/bpclient-screen" "$work"/darwin-*/bpclient*)
scripts/notices.sh "$notices" "$linuxlibs" "${allbins[@]}"
scripts/notices.sh --windows "$win/THIRD_PARTY_NOTICES.txt" "$winlibs" "${allbins[@]}"

# ---- the .NET client ----------------------------------------------------------
# One build for every package: CIL, signed like the exes (Authenticode on
# the DLL and the sample), staged in $win/sdk/dotnet, where the NSIS
# script and the MSI find it.
echo "== .NET client"
sdk=$win/sdk/dotnet && mkdir -p "$sdk"
# Without -debug mcs writes no symbol file, so no path of this machine
# goes into them. mcs's default profile is .NET Framework 4.5's, which
# .NET Framework 4.x and current .NET both load.
mcs -nologo -warnaserror -target:library -out:"$sdk/BPClient.Desktop.dll" \
  -doc:"$sdk/BPClient.Desktop.xml" dotnet/BPClient.Desktop/*.cs
cp dotnet/sample/Sample.cs "$sdk/"
(cd "$sdk" && mcs -nologo -warnaserror -r:BPClient.Desktop.dll -out:Sample.exe Sample.cs)
sign "$sdk/BPClient.Desktop.dll" "BPClient desktop API client"
sign "$sdk/Sample.exe" "BPClient desktop API sample"

# ---- BPClientSetup.exe (NSIS) -----------------------------------------------
echo "== BPClientSetup.exe"
size_kb=$(( ($(stat -c %s "$win/bpclient.exe") + $(stat -c %s "$win/bpclient-agent.exe") + $(stat -c %s "$win/bpclient-host.exe") + $(stat -c %s "$win/bpclient-chart.exe") + $(stat -c %s "$win/bpclient-screen.exe")) / 1024 + $(du -sk "$win/sdk" | cut -f1) ))
nsis_sign=()
if ((signing)); then nsis_sign=(-DSIGN_CMD="$root/scripts/sign.sh"); fi
makensis -V2 -DVERSION="$version" -DSTAGE="$win" -DOUTFILE="$dist/BPClientSetup.exe" \
  -DPUBLISHER="$publisher" -DSIZE_KB="$size_kb" "${nsis_sign[@]}" packaging/windows/bpclient.nsi

# ---- MSI (wixl), per-user and per-machine ------------------------------------
echo "== MSI"
manifest chromium bpclient-host.exe >"$win/$host_name.chromium.json"
manifest firefox bpclient-host.exe >"$win/$host_name.firefox.json"
for scope in perUser perMachine; do
  case $scope in perUser) out=BPClient-$version-user.msi ;; *) out=BPClient-$version-machine.msi ;; esac
  # wixl resolves Source paths relative to the current folder only.
  cp packaging/windows/bpclient.wxs "$win/"
  (cd "$win" && wixl -a x64 -D Version="$version" -D Scope="$scope" -D Publisher="$publisher" \
    -o "$dist/$out" bpclient.wxs)
  sign "$dist/$out" "BPClient installer"
done

# ---- .deb -------------------------------------------------------------------
echo "== deb"
deb=$work/deb
mkdir -p "$deb/DEBIAN" "$deb/usr/lib/bpclient" "$deb/usr/bin" "$deb/usr/lib/systemd/user" "$deb/usr/share/doc/bpclient"
cp "$linux/bpclient" "$linux/bpclient-host" "$linux/bpclient-chart" "$linux/bpclient-screen" "$deb/usr/lib/bpclient/"
mkdir -p "$deb/usr/lib/bpclient/sdk" && cp -r "$sdk" "$deb/usr/lib/bpclient/sdk/"
install -m 644 "$notices" "$deb/usr/share/doc/bpclient/"
ln -s ../lib/bpclient/bpclient "$deb/usr/bin/bpclient"
install -m 644 packaging/linux/bpclient.service "$deb/usr/lib/systemd/user/bpclient.service"
# The system-wide places each browser reads on Linux.
for d in etc/opt/chrome etc/chromium etc/opt/edge; do
  mkdir -p "$deb/$d/native-messaging-hosts"
  manifest chromium /usr/lib/bpclient/bpclient-host >"$deb/$d/native-messaging-hosts/$host_name.json"
done
mkdir -p "$deb/usr/lib/mozilla/native-messaging-hosts"
manifest firefox /usr/lib/bpclient/bpclient-host >"$deb/usr/lib/mozilla/native-messaging-hosts/$host_name.json"
deb_kb=$(du -sk --exclude=DEBIAN "$deb" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/amd64/" -e "s/@PUBLISHER@/$publisher/" -e "s/@SIZE_KB@/$deb_kb/" \
  packaging/linux/control.in >"$deb/DEBIAN/control"
install -m 755 packaging/linux/postinst packaging/linux/prerm packaging/linux/postrm "$deb/DEBIAN/"
chmod -R u=rwX,go=rX "$deb"
dpkg-deb --root-owner-group -Zxz --build "$deb" "$dist/bpclient_${version}_amd64.deb" >/dev/null

# ---- macOS ------------------------------------------------------------------
# bpclient_mac.pkg: BPClient.app (universal binaries, Info.plist with
# NSMicrophoneUsageDescription) in /Applications, a LaunchAgent for every
# user, system-wide host manifests, pre/postinstall scripts. On macOS,
# pkgbuild and productbuild assemble it; elsewhere pkgtool writes the Bom
# and universal binaries, and bsdtar the cpio payload and the xar archive.
echo "== darwin"
for arch in amd64 arm64; do
  cp "$notices" "$work/darwin-$arch/"
  tar -C "$work/darwin-$arch" -czf "$dist/bpclient-$version-darwin-$arch.tar.gz" bpclient bpclient-host bpclient-chart bpclient-screen THIRD_PARTY_NOTICES.txt
done
mac=$work/mac && macroot=$mac/root
appdir=$macroot/Applications/BPClient.app/Contents
mkdir -p "$appdir/MacOS" "$appdir/Resources" "$macroot/Library/LaunchAgents"
go build -o "$work/pkgtool" ./packaging/macos/pkgtool
for b in bpclient bpclient-host bpclient-chart bpclient-screen; do
  if command -v lipo >/dev/null && [[ $(uname -s) == Darwin ]]; then
    lipo -create -output "$appdir/MacOS/$b" "$work/darwin-amd64/$b" "$work/darwin-arm64/$b"
  else
    "$work/pkgtool" lipo -o "$appdir/MacOS/$b" "$work/darwin-amd64/$b" "$work/darwin-arm64/$b"
  fi
done
sed -e "s/@VERSION@/$version/g" -e "s/@PUBLISHER@/$publisher/g" packaging/macos/Info.plist.in >"$appdir/Info.plist"
install -m 755 packaging/macos/uninstall.sh "$appdir/Resources/uninstall.sh"
install -m 644 "$notices" "$appdir/Resources/THIRD_PARTY_NOTICES.txt"
mkdir -p "$appdir/Resources/sdk" && cp -r "$sdk" "$appdir/Resources/sdk/"
install -m 644 packaging/macos/org.openbpclient.bpclient.agent.plist "$macroot/Library/LaunchAgents/"
machost=/Applications/BPClient.app/Contents/MacOS/bpclient-host
for d in "Google/Chrome" "Application Support/Chromium" "Microsoft/Edge"; do
  mkdir -p "$macroot/Library/$d/NativeMessagingHosts"
  manifest chromium "$machost" >"$macroot/Library/$d/NativeMessagingHosts/$host_name.json"
done
mkdir -p "$macroot/Library/Application Support/Mozilla/NativeMessagingHosts"
manifest firefox "$machost" >"$macroot/Library/Application Support/Mozilla/NativeMessagingHosts/$host_name.json"
find "$macroot" -type d -exec chmod 755 {} + && find "$macroot" -type f -exec chmod 644 {} +
chmod 755 "$appdir/MacOS/"* "$appdir/Resources/uninstall.sh" && chmod 775 "$macroot/Applications"
mkdir -p "$mac/scripts" && install -m 755 packaging/macos/scripts/preinstall packaging/macos/scripts/postinstall "$mac/scripts/"
mac_kb=$(du -sk "$macroot" | cut -f1)
mac_files=$(find "$macroot" | wc -l)
sed -e "s/@VERSION@/$version/g" -e "s/@KBYTES@/$mac_kb/g" packaging/macos/Distribution.in >"$mac/Distribution"
if [[ $(uname -s) == Darwin ]]; then
  pkgbuild --root "$macroot" --scripts "$mac/scripts" --identifier org.openbpclient.bpclient \
    --version "$version" --install-location / --ownership recommended "$mac/bpclient.pkg"
  productbuild --distribution "$mac/Distribution" --package-path "$mac" \
    ${BPCLIENT_MAC_INSTALLER_IDENTITY:+--sign "$BPCLIENT_MAC_INSTALLER_IDENTITY"} "$dist/bpclient_mac.pkg"
else
  flat=$mac/flat/bpclient.pkg && mkdir -p "$flat"
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
  "$work/pkgtool" payload -root "$macroot" -bom "$flat/Bom" -mtree "$mac/payload.mtree" -mtime "$epoch"
  bsdtar --format cpio -cf - "@$mac/payload.mtree" | gzip -9n >"$flat/Payload"
  (cd "$mac/scripts" && bsdtar --format cpio --uid 0 --gid 0 -cf - .) | gzip -9n >"$flat/Scripts"
  sed -e "s/@VERSION@/$version/g" -e "s/@KBYTES@/$mac_kb/g" -e "s/@FILES@/$mac_files/g" \
    packaging/macos/PackageInfo.in >"$flat/PackageInfo"
  cp "$mac/Distribution" "$mac/flat/"
  (cd "$mac/flat" && bsdtar --format xar --options xar:compression=none -cf "$dist/bpclient_mac.pkg" Distribution bpclient.pkg)
  echo "   bpclient_mac.pkg assembled without pkgbuild (unsigned; see packaging/README.md)"
fi

# ---- checksums --------------------------------------------------------------
(cd "$dist" && sha256sum -- * >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
echo "== dist ($(( $(date +%s) - start ))s)"
(cd "$dist" && ls -l --time-style=+ -- * | awk '{printf "   %10d  %s\n", $5, $NF}')
