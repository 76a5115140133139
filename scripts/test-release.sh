#!/usr/bin/env bash
# make test-release: builds two releases (an old and a new version, signed
# with a throwaway certificate) and checks them:
#   - every signature verifies (osslsigncode verify)
#   - under wine, in a private prefix: BPClientSetup.exe /S installs, the
#     keys and manifests are where Chrome, Edge and Firefox look, the
#     installed bpclient.exe runs, bpclient-host.exe answers helper.hello
#     from the agent the installer started, an upgrade over the running
#     agent leaves one agent of the new version, /S uninstall leaves no key
#     and no file; the same for the per-user MSI (msiexec /qn) and, more
#     briefly, the per-machine MSI
#   - the agent has audio: under wine, the installed bpclient.exe finds
#     devices and offers Opus and G.729 (`bpclient version --verbose`); so does the
#     .deb's bpclient, which needs no libportaudio, libjack or libstdc++
#   - every package carries bpclient-screen next to bpclient (Windows: a
#     GUI-subsystem exe; .deb: libvpx linked statically, it runs)
#   - every package carries bpclient-chart next to bpclient, and it draws a
#     PNG from a call's samples (under wine for the Windows installs)
#   - every package carries THIRD_PARTY_NOTICES.txt; the Windows installs'
#     names the mingw-w64 runtime, the .deb's and the mac pkg's do not
#   - the .deb installs and removes cleanly (as root, when bpclient is not
#     already installed from elsewhere)
#   - under wine, the installed agent's named pipe serves the desktop API
#     to a Windows Go program (desktopclient's TestDesktopAPIOverTheAgentPipe)
#   - every package carries the desktop API's .NET client in sdk/dotnet
#     (BPClient.Desktop.dll, signed, its XML docs, Sample.cs, Sample.exe);
#     the Sample.exe each install put there (NSIS, both MSIs under wine,
#     the .deb) runs under mono against the .deb's real agent with a fake
#     Agent Desktop attached: it sees the page attach, makes a call, gets
#     the page's answer and the call's events; uninstalls remove it
# Prints one line per check; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps-release.sh

t0=$(date +%s)
work=$(mktemp -d)
export WINEPREFIX=$work/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
  # Only this test's own prefix: its wineserver ends every process in it.
  if [[ -d $WINEPREFIX ]]; then wineserver -k 2>/dev/null || true; fi
  # A .deb this test installed and could not remove itself (a failed check).
  if ((deb_installed)); then dpkg -r bpclient >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
deb_installed=0
trap cleanup EXIT

fail() { echo "FAIL $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
secs() { echo $(( $(date +%s%N) / 1000000 )); }
timed() { # timed VAR CMD...: runs CMD, puts its wall time in ms into VAR
  local __var=$1; shift; local s; s=$(secs); "$@"; printf -v "$__var" '%d' $(( $(secs) - s ));
}

old=9.0.1 new=9.0.2
go build -o "$work/releasetest" ./internal/cmd/releasetest
go build -o "$work/pkgtool" ./packaging/macos/pkgtool
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go test -c -o "$work/ipc.test.exe" ./helper/ipc
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go test -c -o "$work/policy.test.exe" ./helper/policy
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go test -c -o "$work/desktopclient.test.exe" ./desktopclient
eval "$(scripts/make-test-cert.sh "$work/cert" | sed 's/^/export /')"
export BPCLIENT_REQUIRE_SIGNING=1
timed build_old env DIST="$work/old" scripts/release.sh $old >"$work/release-old.log"
timed build_new env DIST="$work/new" scripts/release.sh $new >"$work/release-new.log"
ok "release.sh built $old in ${build_old}ms and $new in ${build_new}ms"
# The .deb's files without installing it: its Linux agent is the real
# agent the installed .NET samples talk to (as root or not).
debroot=$work/debroot
dpkg-deb -x "$work/new/bpclient_${new}_amd64.deb" "$debroot"
linux_agent=$debroot/usr/lib/bpclient/bpclient
(cd "$work/new" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS"
ok "SHA256SUMS"
# Only KnownDLLs may be imported statically: the loader looks for any other
# in the program's (user-writable) folder first, before our code can say
# otherwise. WINMM is delay-loaded instead (scripts/delayimp-libs.sh).
imports=$("$work/releasetest" knowndlls "$work/new/bpclient.exe" "$work/new/bpclient-agent.exe" "$work/new/bpclient-host.exe" "$work/new/bpclient-chart.exe" "$work/new/bpclient-screen.exe") \
  || fail "static DLL imports: $imports"
ok "Windows exes import only KnownDLLs statically: $(paste -sd';' <<<"${imports//$work\/new\//}")"

verify() {
  osslsigncode verify -CAfile "$work/cert/test-codesign.crt" -in "$1" >"$work/verify.log" 2>&1 \
    && grep -q "Signature verification: ok" "$work/verify.log" || { cat "$work/verify.log"; fail "signature of $(basename "$1")"; }
}
for f in bpclient.exe bpclient-agent.exe bpclient-host.exe bpclient-chart.exe bpclient-screen.exe BPClientSetup.exe BPClient-$new-user.msi BPClient-$new-machine.msi; do
  verify "$work/new/$f"
done
for f in BPClient.Desktop.dll Sample.exe; do verify "$debroot/usr/lib/bpclient/sdk/dotnet/$f"; done
ok "signatures verify: exes, BPClientSetup.exe, both MSIs, the .NET client's DLL and sample"
[[ $(x86_64-w64-mingw32-objdump -p "$work/new/bpclient-agent.exe") == *"(Windows GUI)"* ]] || fail "bpclient-agent.exe is not a GUI-subsystem exe"
[[ $(x86_64-w64-mingw32-objdump -p "$work/new/bpclient.exe") == *"(Windows CUI)"* ]] || fail "bpclient.exe is not a console exe"
[[ $(x86_64-w64-mingw32-objdump -p "$work/new/bpclient-screen.exe") == *"(Windows GUI)"* ]] || fail "bpclient-screen.exe is not a GUI-subsystem exe"
ok "bpclient-agent.exe (login start) and bpclient-screen.exe (started by the agent) without a console window; bpclient.exe a console program"
for f in bpclient.exe bpclient-agent.exe bpclient-host.exe bpclient-chart.exe bpclient-screen.exe; do
  res=$(strings -el "$work/new/$f")
  grep -qx "$new" <<<"$res" && grep -qx BPClient <<<"$res" \
    || fail "$f has no version resource with BPClient $new"
done
ok "version resources on bpclient.exe, bpclient-agent.exe, bpclient-host.exe, bpclient-chart.exe and bpclient-screen.exe"

# chart_ok WHAT CMD...: CMD (an installed bpclient-chart) turns one call's
# samples on stdin into a PNG on stdout.
chart_calls='{"calls":[{"callId":"c1","started":"2026-12-03T10:00:00Z","samples":[{"at":"2026-12-03T10:00:05Z","mos":4.2,"lossPct":1,"jitterMs":6,"rttMs":40},{"at":"2026-12-03T10:00:10Z","mos":3.9,"lossPct":2,"jitterMs":9,"rttMs":45}]}]}'
chart_ok() {
  local what=$1; shift
  "$@" <<<"$chart_calls" >"$work/chart.png" 2>"$work/chart.err" || fail "$what: bpclient-chart failed: $(cat "$work/chart.err")"
  [[ $(od -An -tx1 -N8 "$work/chart.png" | tr -d ' ') == 89504e470d0a1a0a ]] || fail "$what: bpclient-chart wrote no PNG"
}

# ---- macOS pkg (what can be checked without a Mac) ---------------------------
pkgdir=$work/pkg && mkdir -p "$pkgdir/payload"
(cd "$pkgdir" && bsdtar -xf "$work/new/bpclient_mac.pkg")
for f in Distribution bpclient.pkg/PackageInfo bpclient.pkg/Bom bpclient.pkg/Payload bpclient.pkg/Scripts; do
  [[ -f $pkgdir/$f ]] || fail "bpclient_mac.pkg: no $f in the xar archive"
done
gzip -dc "$pkgdir/bpclient.pkg/Payload" | (cd "$pkgdir/payload" && bsdtar -xf -)
"$work/pkgtool" lsbom "$pkgdir/bpclient.pkg/Bom" >"$pkgdir/bom.txt" || fail "bpclient_mac.pkg: Bom unreadable"
diff <(cut -f1 "$pkgdir/bom.txt" | sort) <(gzip -dc "$pkgdir/bpclient.pkg/Payload" | bsdtar -tf - | sed 's#/$##' | sort) \
  || fail "bpclient_mac.pkg: Bom and Payload list different paths"
app=Applications/BPClient.app/Contents
for b in bpclient bpclient-host bpclient-chart bpclient-screen; do
  want=$(awk -F'\t' -v p="./$app/MacOS/$b" '$1 == p {print $5 " " $4}' "$pkgdir/bom.txt")
  [[ $(cksum <"$pkgdir/payload/$app/MacOS/$b" | cut -d' ' -f1,2) == "$want" ]] || fail "bpclient_mac.pkg: Bom checksum of $b"
  [[ $(od -An -tx1 -N4 "$pkgdir/payload/$app/MacOS/$b" | tr -d ' ') == cafebabe ]] || fail "$b is not a universal binary"
done
gzip -dc "$pkgdir/bpclient.pkg/Scripts" | bsdtar -tf - | grep -q '^\./postinstall$' || fail "bpclient_mac.pkg: no postinstall"
"$work/releasetest" xmlok "$pkgdir/Distribution" "$pkgdir/bpclient.pkg/PackageInfo" "$pkgdir/payload/$app/Info.plist" \
  "$pkgdir/payload/Library/LaunchAgents/org.openbpclient.bpclient.agent.plist" || fail "bpclient_mac.pkg: XML"
grep -q NSMicrophoneUsageDescription "$pkgdir/payload/$app/Info.plist" || fail "Info.plist: no NSMicrophoneUsageDescription"
for d in "Google/Chrome" "Application Support/Chromium" "Microsoft/Edge" "Application Support/Mozilla"; do
  grep -q '"path": "/Applications/BPClient.app/Contents/MacOS/bpclient-host"' \
    "$pkgdir/payload/Library/$d/NativeMessagingHosts/org.openbpclient.bpclient.json" || fail "bpclient_mac.pkg: $d manifest"
done
notices_ok() { # notices_ok FILE WHAT WINDOWS: the notices name the static C libraries and the Go
  # modules, and the mingw-w64 runtime (in the Windows exes only) if and only if WINDOWS is 1
  grep -q "^PortAudio" "$1" && grep -q "^Opus" "$1" && grep -q "^github.com/emiago/sipgo .*BSD" "$1" \
    || fail "$2: THIRD_PARTY_NOTICES.txt missing or incomplete ($1)"
  # bpclient-chart's plotting library: the fonts it embeds (SIL OFL) and
  # freetype (its FreeType License choice).
  grep -q "^gonum.org/v1/plot .*BSD" "$1" && grep -q "^codeberg.org/go-fonts/liberation .*OFL-1.1" "$1" \
    && grep -q "^github.com/golang/freetype .*FTL" "$1" && grep -q "^Portions of this software are copyright (c) 2010 The FreeType Project" "$1" \
    || fail "$2: THIRD_PARTY_NOTICES.txt does not cover bpclient-chart's gonum/plot, Liberation fonts and freetype ($1)"
  # bpclient-screen's WebRTC and WebM muxer.
  grep -q "^github.com/pion/webrtc/v4 " "$1" && grep -q "^github.com/at-wat/ebml-go " "$1" \
    || fail "$2: THIRD_PARTY_NOTICES.txt does not cover bpclient-screen's pion/webrtc and ebml-go ($1)"
  if (($3)); then
    grep -q "^mingw-w64 runtime" "$1" && grep -q "^License: ZPL-2.1" "$1" \
      || fail "$2: THIRD_PARTY_NOTICES.txt does not give the mingw-w64 runtime's notices ($1)"
  elif grep -qi mingw "$1"; then
    fail "$2: THIRD_PARTY_NOTICES.txt names mingw-w64, which is only in the Windows exes ($1)"
  fi
}
notices_ok "$pkgdir/payload/$app/Resources/THIRD_PARTY_NOTICES.txt" bpclient_mac.pkg 0
# dotnet_sdk_ok DIR WHAT: the .NET client is in DIR, and its sample runs
# under mono against the real agent (releasetest desktopsample).
dotnet_sdk_ok() {
  local dir=$1 what=$2 f out
  for f in BPClient.Desktop.dll BPClient.Desktop.xml Sample.cs Sample.exe; do
    [[ -f $dir/$f ]] || fail "$what: no sdk/dotnet/$f"
  done
  grep -q '<member name="T:BPClient.Desktop.DesktopClient">' "$dir/BPClient.Desktop.xml" || fail "$what: BPClient.Desktop.xml documents no DesktopClient"
  out=$("$work/releasetest" desktopsample -agent "$linux_agent" -- mono "$dir/Sample.exe" 2>"$work/sample.err") \
    || fail "$what: the installed Sample.exe under mono: $(cat "$work/sample.err")"
  ok "$what: sdk/dotnet has BPClient.Desktop.dll, .xml, Sample.cs, Sample.exe; the installed Sample.exe under mono against the real agent: $out"
}
for f in BPClient.Desktop.dll BPClient.Desktop.xml Sample.cs Sample.exe; do
  grep -qx "\./$app/Resources/sdk/dotnet/$f" <(cut -f1 "$pkgdir/bom.txt") || fail "bpclient_mac.pkg: no Resources/sdk/dotnet/$f"
done
for arch in amd64 arm64; do
  bsdtar -tzf "$work/new/bpclient-$new-darwin-$arch.tar.gz" | grep -qx bpclient-chart || fail "bpclient-$new-darwin-$arch.tar.gz: no bpclient-chart"
  bsdtar -tzf "$work/new/bpclient-$new-darwin-$arch.tar.gz" | grep -qx bpclient-screen || fail "bpclient-$new-darwin-$arch.tar.gz: no bpclient-screen"
done
ok "bpclient_mac.pkg: xar with Distribution, PackageInfo, Bom, Payload, Scripts; Bom lists the payload (paths, checksums); universal binaries (bpclient, bpclient-host, bpclient-chart, bpclient-screen); plists; THIRD_PARTY_NOTICES.txt (no mingw-w64); the .NET client in Resources/sdk/dotnet; darwin tarballs with bpclient-chart and bpclient-screen"

# ---- wine prefix --------------------------------------------------------------
mkdir -p "$work/planted"
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$work/bcryptprimitives.dll" packaging/test/processprng.c -ladvapi32
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$work/planted/WINMM.dll" packaging/test/plantedwinmm.c
# Wine's own HOME, whose .asoundrc gives its ALSA driver a null device: with
# no sound card PortAudio (MME, WASAPI) then finds devices at once. No go
# command runs after this point (their caches live under the real HOME).
export HOME=$work/home && mkdir -p "$HOME"
printf 'pcm.!default { type null }\n' >"$HOME/.asoundrc"
timed t_boot wineboot -i >/dev/null 2>&1
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
ok "wine prefix in ${t_boot}ms"
# The agent's Windows pipe (helper/ipc) under wine: listener, ACL, one owner.
(cd "$work" && wine ipc.test.exe -test.v -test.timeout 3m >"$work/ipc.log" 2>&1) || { cat "$work/ipc.log"; fail "helper/ipc tests under wine"; }
ok "helper/ipc tests under wine: $(grep -c '^--- PASS' "$work/ipc.log") passed"
# The admin policy as Group Policy writes it (HKLM\Software\BPClient), in
# this prefix's own registry.
(cd "$work" && BPCLIENT_TEST_HKLM=1 wine policy.test.exe -test.v -test.timeout 3m -test.run TestRegistryAdminPolicy >"$work/policy.log" 2>&1) \
  && grep -q '^--- PASS: TestRegistryAdminPolicy' "$work/policy.log" || { cat "$work/policy.log"; fail "the registry's admin policy under wine"; }
ok "the registry's admin policy under wine (allowRemoteTransfer, usersCanManageDomains, domains)"

# When wine's loader cannot start a program it hands it to start.exe, which
# prints "ShellExecuteEx failed" on stdout. In CI that happened once to a
# plain winepath call under load, so win retries such a start (saying so),
# and paths are mapped without starting wine at all.
win() { # win ARGS...: wine ARGS, its stdout without CRs, its exit status
  local out rc i
  for i in 1 2 3; do
    rc=0; out=$(wine "$@" 2>/dev/null) || rc=$?
    [[ $out == *"ShellExecuteEx failed"* ]] || { [[ -z $out ]] || printf '%s\n' "${out//$'\r'/}"; return $rc; }
    echo "note: wine could not start $1 (attempt $i of 3)" >&2
    sleep 1
  done
  return 1
}
unixpath() { # unixpath 'C:\x\y': the file under the prefix's drive, as winepath -u
  [[ $1 =~ ^([A-Za-z]):(.*)$ ]] || { echo "$1"; return; }
  local p="$WINEPREFIX/dosdevices/${BASH_REMATCH[1],,}:${BASH_REMATCH[2]//\\//}"
  # Windows names are case-blind; winepath finds the real spelling.
  local q; [[ -e $p ]] || { q=$(win winepath -u "$1") && [[ -n $q ]] && p=$q; } || true
  echo "$p"
}
winpath() { # winpath /abs/file: its name on wine's Z: drive, as winepath -w
  local p; p=$(realpath -m "$1"); echo "Z:${p//\//\\}"
}
localappdata=$(win cmd /c echo %LOCALAPPDATA%)
appdata=$(win cmd /c echo %APPDATA%)
instdir="$localappdata\\Programs\\BPClient"
hostname=org.openbpclient.bpclient
browser_keys=(
  "Software\\Google\\Chrome\\NativeMessagingHosts\\$hostname"
  "Software\\Chromium\\NativeMessagingHosts\\$hostname"
  "Software\\Microsoft\\Edge\\NativeMessagingHosts\\$hostname"
  "Software\\Mozilla\\NativeMessagingHosts\\$hostname"
)
run_key='Software\Microsoft\Windows\CurrentVersion\Run'

regval() { # regval HIVE\KEY [NAME]: the value's data, or fails
  local out
  if [[ -n ${2:-} ]]; then out=$(win reg query "$1" /v "$2") || return 1
  else out=$(win reg query "$1" /ve) || return 1; fi
  echo "$out" | awk -F'    ' 'NF>=4 {print $4; exit}'
}
agents() { # the bpclient.exe agent processes in this prefix, one "pid" per line
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "WINEPREFIX=$WINEPREFIX" || continue
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qiE 'bpclient\.exe +agent' && echo "${p#/proc/}"
  done
  return 0
}
wait_agents() { # wait_agents N: until N agents run (5 s)
  local i
  for i in $(seq 50); do [[ $(agents | wc -l) == "$1" ]] && return 0; sleep 0.1; done
  return 1
}
check_installed() { # check_installed HIVE DIR VERSION WHAT
  local hive=$1 dir=$2 ver=$3 what=$4 k json host
  for k in "${browser_keys[@]}"; do
    json=$(regval "$hive\\$k") || fail "$what: $hive\\$k missing"
    [[ -f $(unixpath "$json") ]] || fail "$what: $hive\\$k names $json, which does not exist"
    grep -q "\"name\": *\"$hostname\"" "$(unixpath "$json")" || fail "$what: $json is not our manifest"
    host=$(sed -n 's/.*"path": *"\(.*\)".*/\1/p' "$(unixpath "$json")" | sed 's/\\\\/\\/g')
    [[ $host == *bpclient-host.exe ]] || fail "$what: $json: path $host"
    [[ $host == *:* ]] || host="$(dirname "$(unixpath "$json")")/$host"   # relative to the manifest
    [[ -f $(unixpath "$host") || -f $host ]] || fail "$what: host $host missing"
  done
  regval "$hive\\$run_key" BPClient | grep -qi 'bpclient-agent.exe" agent' || fail "$what: Run value"
  [[ -f $(unixpath "$dir\\bpclient-chart.exe") ]] || fail "$what: no bpclient-chart.exe beside bpclient.exe"
  [[ -f $(unixpath "$dir\\bpclient-screen.exe") ]] || fail "$what: no bpclient-screen.exe beside bpclient.exe"
  notices_ok "$(unixpath "$dir\\THIRD_PARTY_NOTICES.txt")" "$what" 1
  dotnet_sdk_ok "$(unixpath "$dir\\sdk\\dotnet")" "$what"
  local v; v=$(win "$dir\\bpclient.exe" version)
  [[ $v == "bpclient $ver "* ]] || fail "$what: bpclient.exe version says: $v"
  ok "$what: keys for Chrome, Chromium, Edge, Firefox; manifests; Run value; bpclient-chart.exe, bpclient-screen.exe; THIRD_PARTY_NOTICES.txt with mingw-w64; '$v'"
}
check_agent() { # check_agent DIR VERSION WHAT: one agent, answering as VERSION
  local dir=$1 ver=$2 what=$3 got
  wait_agents 1 || fail "$what: $(agents | wc -l) agents running, want 1"
  got=$("$work/releasetest" hello -timeout 30s -- wine "$dir\\bpclient-host.exe" "chrome-extension://ohcdnckkmmffiobblhcjgmealjgpgeen/" 2>/dev/null) \
    || fail "$what: bpclient-host.exe did not answer helper.hello"
  [[ $got == "$ver" ]] || fail "$what: helper.hello answered by version $got, want $ver"
  [[ $(agents | wc -l) == 1 ]] || fail "$what: $(agents | wc -l) agents after hello"
  ok "$what: one agent; bpclient-host.exe answers helper.hello as $ver"
}
check_gone() { # check_gone HIVE DIR WHAT
  local hive=$1 dir=$2 what=$3 k
  for k in "${browser_keys[@]}" "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\BPClient" "Software\\BPClient"; do
    win reg query "$hive\\$k" >/dev/null && fail "$what: $hive\\$k left behind"
  done
  regval "$hive\\$run_key" BPClient >/dev/null && fail "$what: Run value left behind"
  [[ -e $(unixpath "$dir") ]] && fail "$what: $dir left behind: $(ls "$(unixpath "$dir")")"
  wait_agents 0 || fail "$what: agent still running"
  ok "$what: no key, no file, no agent"
}

# ---- NSIS ---------------------------------------------------------------------
timed t_nsis_install win "$work/old/BPClientSetup.exe" /S
check_installed HKCU "$instdir" $old "NSIS install $old"
regval "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\BPClient" QuietUninstallString | grep -q 'uninstall.exe" /S' \
  || fail "NSIS: Uninstall entry"
verify "$(unixpath "$instdir\\uninstall.exe")"
ok "NSIS: Uninstall entry; uninstall.exe signed"
check_agent "$instdir" $old "NSIS install $old"
chart_ok "NSIS install $old" wine "$instdir\\bpclient-chart.exe"
ok "NSIS install $old: bpclient-chart.exe under wine draws a PNG from a call's samples"
timed t_nsis_upgrade win "$work/new/BPClientSetup.exe" /S
check_installed HKCU "$instdir" $new "NSIS upgrade to $new"
# audio_ok WHAT OUTPUT: `bpclient version --verbose` found devices and offers Opus
# and G.729 (pure Go, in every release since issue 17).
audio_ok() {
  grep -q '^audio: available: PortAudio' <<<"$2" && grep -q '^codecs:.* opus/48000' <<<" $2" \
    && grep -q '^codecs:.* G729/8000' <<<"$2" \
    || fail "$1: no audio, no Opus or no G.729 in 'bpclient version --verbose': $2"
  ok "$1: $(grep -E '^(audio|codecs):' <<<"$2" | sed 's/, revision [0-9a-f]*//' | paste -sd'|' | sed 's/|/; /')"
}
audio_ok "bpclient.exe under wine (MME, WASAPI)" "$(win "$instdir\\bpclient.exe" version --verbose)"
# A WINMM.dll planted in the per-user install folder is not loaded: winmm=n,b
# makes wine prefer a DLL it finds on the search path over its own, as
# Windows does for every DLL that is not a KnownDLL. The planted one exits
# the process with 86 and leaves a marker file when it is loaded.
planted=$(unixpath "$instdir")
cp "$work/planted/WINMM.dll" "$planted/"
rc=0; out=$(WINEDLLOVERRIDES="$WINEDLLOVERRIDES;winmm=n,b" win "$instdir\\bpclient.exe" version --verbose) || rc=$?
[[ $rc == 0 && ! -e $planted/planted-dll-loaded ]] \
  || fail "a WINMM.dll planted beside bpclient.exe was loaded (exit $rc, marker $(ls "$planted" | grep -c planted-dll-loaded)): $out"
audio_ok "bpclient.exe beside a planted WINMM.dll (System32's is used)" "$out"
rm -f "$planted/WINMM.dll" "$planted/planted-dll-loaded"
check_agent "$instdir" $new "NSIS upgrade over the running agent"
# The desktop API over the installed agent's named pipe, as a Windows
# desktop application reaches it: malformed frames, a fake Agent Desktop,
# the Go client's call and events.
(cd "$work" && BPCLIENT_TEST_AGENT_PIPE=1 wine desktopclient.test.exe -test.v -test.timeout 2m -test.run TestDesktopAPIOverTheAgentPipe >"$work/pipe.log" 2>&1) \
  && grep -q '^--- PASS: TestDesktopAPIOverTheAgentPipe' "$work/pipe.log" || { cat "$work/pipe.log"; fail "the desktop API over the installed agent's pipe under wine"; }
ok "the desktop API over the installed agent's named pipe under wine: malformed and oversized frames refused, a fake Agent Desktop attached, the Go client's makeCall answered, its events in order"
[[ $(regval "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\BPClient" DisplayVersion) == "$new" ]] || fail "NSIS: DisplayVersion"
s=$(secs)
win "$instdir\\uninstall.exe" /S
# The uninstaller re-runs itself from %TEMP% and returns at once: wait for
# it (the agent it stops is the only other process); its last step
# removes the folder.
for _ in $(seq 300); do [[ -e $(unixpath "$instdir") ]] || break; sleep 0.1; done
t_nsis_uninstall=$(( $(secs) - s ))
check_gone HKCU "$instdir" "NSIS /S uninstall"
[[ -e $(unixpath "$localappdata\\BPClient") ]] && fail "NSIS uninstall: %LOCALAPPDATA%\\BPClient left behind"
[[ -e $(unixpath "$appdata\\BPClient") ]] && fail "NSIS uninstall: %APPDATA%\\BPClient left behind"
ok "NSIS uninstall: manifests' and settings' folders removed"

# ---- MSI, per user ------------------------------------------------------------
msi() { win msiexec "$@" /qn >/dev/null; }
timed t_msi_install msi /i "$(winpath "$work/old/BPClient-$old-user.msi")"
check_installed HKCU "$instdir" $old "MSI (per-user) install $old"
check_agent "$instdir" $old "MSI (per-user) install $old"
timed t_msi_upgrade msi /i "$(winpath "$work/new/BPClient-$new-user.msi")"
check_installed HKCU "$instdir" $new "MSI (per-user) major upgrade to $new"
check_agent "$instdir" $new "MSI (per-user) upgrade over the running agent"
timed t_msi_uninstall msi /x "$(winpath "$work/new/BPClient-$new-user.msi")"
check_gone HKCU "$instdir" "MSI (per-user) msiexec /x"

# ---- MSI, per machine ---------------------------------------------------------
pf=$(win cmd /c echo %ProgramW6432%)
machdir="$pf\\BPClient"
msi /i "$(winpath "$work/old/BPClient-$old-machine.msi")"
check_installed HKLM "$machdir" $old "MSI (per-machine) install $old"
msi /i "$(winpath "$work/new/BPClient-$new-machine.msi")"
check_installed HKLM "$machdir" $new "MSI (per-machine) major upgrade to $new"
msi /x "$(winpath "$work/new/BPClient-$new-machine.msi")"
check_gone HKLM "$machdir" "MSI (per-machine) msiexec /x"

# ---- .deb ---------------------------------------------------------------------
deb="$work/new/bpclient_${new}_amd64.deb"
# One .deb test at a time on a machine (parallel `make test` runs would
# otherwise meet on dpkg's lock or on each other's package).
if [[ $(id -u) -eq 0 ]]; then
  exec 9>"${TMPDIR:-/tmp}/bpclient-test-release-deb.lock"
  flock -w 600 9 || fail ".deb: another test-release held the lock for 10 minutes"
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "skip .deb install: needs root (dpkg -i)"
elif dpkg-query -W -f='${Status}' bpclient 2>/dev/null | grep -q "install ok installed"; then
  echo "skip .deb install: a bpclient package is already installed on this machine"
else
  timed t_deb_install dpkg -i "$deb" >/dev/null
  deb_installed=1
  for f in /usr/lib/bpclient/bpclient /usr/lib/bpclient/bpclient-host /usr/lib/bpclient/bpclient-chart /usr/lib/bpclient/bpclient-screen /usr/bin/bpclient \
           /usr/lib/systemd/user/bpclient.service /etc/systemd/user/default.target.wants/bpclient.service \
           /etc/opt/chrome/native-messaging-hosts/$hostname.json /etc/chromium/native-messaging-hosts/$hostname.json \
           /etc/opt/edge/native-messaging-hosts/$hostname.json /usr/lib/mozilla/native-messaging-hosts/$hostname.json; do
    [[ -e $f ]] || { dpkg -r bpclient >/dev/null; fail ".deb: $f missing"; }
  done
  linux_agent=/usr/lib/bpclient/bpclient dotnet_sdk_ok /usr/lib/bpclient/sdk/dotnet ".deb install"
  [[ $(bpclient version) == "bpclient $new "* ]] || { dpkg -r bpclient >/dev/null; fail ".deb: bpclient version"; }
  # The agent links PortAudio (ALSA only) and libopus statically: no
  # libportaudio, and none of what it would bring (JACK, libstdc++);
  # libasound is loaded when audio starts (the device list below proves it).
  needed=$(readelf -d /usr/lib/bpclient/bpclient | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
  [[ $needed != *portaudio* && $needed != *jack* && $needed != *stdc++* && $needed != *asound* && $needed != *vpx* ]] \
    || { dpkg -r bpclient >/dev/null; fail ".deb: bpclient needs $needed"; }
  ok ".deb: bpclient needs only $needed"
  # bpclient-screen links libvpx statically too, and runs.
  needed=$(readelf -d /usr/lib/bpclient/bpclient-screen | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
  [[ $needed != *vpx* && $needed != *stdc++* ]] || { dpkg -r bpclient >/dev/null; fail ".deb: bpclient-screen needs $needed"; }
  [[ $(/usr/lib/bpclient/bpclient-screen version) == "bpclient-screen $new" ]] || { dpkg -r bpclient >/dev/null; fail ".deb: bpclient-screen version"; }
  ok ".deb: bpclient-screen needs only $needed and says its version"
  # $HOME/.asoundrc (above) gives ALSA a null device, as a sound card would.
  out=$(/usr/lib/bpclient/bpclient version --verbose 2>/dev/null) || true
  audio_ok ".deb: /usr/lib/bpclient/bpclient" "$out"
  # Without libasound (hidden in a mount namespace of its own) the agent
  # still runs, and says what is missing.
  asound=$(ldconfig -p | sed -n 's/.*libasound\.so\.2 .*=> //p' | head -1)
  if [[ -n $asound ]] && unshare -m sh -c 'mount --bind /dev/null "$1"' - "$(realpath "$asound")" 2>/dev/null; then
    out=$(unshare -m sh -c 'mount --bind /dev/null "$1" && /usr/lib/bpclient/bpclient version --verbose' - "$(realpath "$asound")" 2>&1) \
      || fail ".deb: without libasound, bpclient version --verbose failed: $out"
    grep -q '^audio: unavailable: .*libasound' <<<"$out" || fail ".deb: without libasound: $out"
    ok ".deb: without libasound the agent runs and says: $(grep '^audio:' <<<"$out" | sed 's/.*: \(Host API not found.*\)/\1/')"
  else
    echo "skip .deb without libasound: no libasound.so.2, or no bind mount in a mount namespace here"
  fi
  notices_ok /usr/share/doc/bpclient/THIRD_PARTY_NOTICES.txt .deb 0
  chart_ok ".deb" /usr/lib/bpclient/bpclient-chart
  # The packaged manifests say what `bpclient install` writes for a user.
  h=$work/home && mkdir -p "$h"
  HOME=$h XDG_CONFIG_HOME= /usr/lib/bpclient/bpclient install --no-autostart --browsers chrome,firefox >/dev/null
  "$work/releasetest" jsoneq "$h/.config/google-chrome/NativeMessagingHosts/$hostname.json" /etc/opt/chrome/native-messaging-hosts/$hostname.json \
    && "$work/releasetest" jsoneq "$h/.mozilla/native-messaging-hosts/$hostname.json" /usr/lib/mozilla/native-messaging-hosts/$hostname.json \
    || { dpkg -r bpclient >/dev/null; fail ".deb: manifests differ from what bpclient install writes"; }
  ok ".deb install: binaries (bpclient-chart draws a PNG), unit enabled for all users, manifests for Chrome, Chromium, Edge, Firefox, THIRD_PARTY_NOTICES.txt (no mingw-w64)"
  timed t_deb_remove dpkg -r bpclient >/dev/null
  deb_installed=0
  for f in /usr/lib/bpclient /usr/bin/bpclient /usr/lib/systemd/user/bpclient.service /usr/share/doc/bpclient \
           /etc/systemd/user/default.target.wants/bpclient.service \
           /etc/opt/chrome/native-messaging-hosts/$hostname.json /etc/chromium/native-messaging-hosts/$hostname.json \
           /etc/opt/edge/native-messaging-hosts/$hostname.json /usr/lib/mozilla/native-messaging-hosts/$hostname.json; do
    [[ -e $f || -L $f ]] && fail ".deb remove: $f left behind"
  done
  dpkg-query -W -f='${Status}' bpclient 2>/dev/null | grep -q "not-installed\|config-files" || true
  ok ".deb remove: nothing left (install ${t_deb_install}ms, remove ${t_deb_remove}ms)"
fi

echo
echo "sizes (bytes):"
(cd "$work/new" && for f in BPClientSetup.exe BPClient-$new-user.msi BPClient-$new-machine.msi bpclient_${new}_amd64.deb \
   bpclient_mac.pkg bpclient.exe bpclient-host.exe bpclient-chart.exe bpclient-screen.exe bpclient-$new-darwin-amd64.tar.gz bpclient-$new-darwin-arm64.tar.gz; do
   printf '  %-36s %9d\n' "$f" "$(stat -c %s "$f")"; done)
echo "times under wine (ms): NSIS install $t_nsis_install, upgrade $t_nsis_upgrade, uninstall $t_nsis_uninstall;" \
     "MSI install $t_msi_install, upgrade $t_msi_upgrade, uninstall $t_msi_uninstall"
echo "test-release: all checks passed in $(( $(date +%s) - t0 ))s"
