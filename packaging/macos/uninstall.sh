#!/bin/sh
# Removes everything bpclient_mac.pkg installed:
#   sudo /Applications/BPClient.app/Contents/Resources/uninstall.sh
set -u
if [ "$(id -u)" -ne 0 ]; then echo "run with sudo" >&2; exit 1; fi
label=org.openbpclient.bpclient.agent
# Every user's agent: launchd-managed or started by a browser.
for uid in $(ps -axo uid=,comm= | awk '/BPClient.app\/Contents\/MacOS\/bpclient$/ {print $1}' | sort -u); do
	launchctl bootout "gui/$uid/$label" 2>/dev/null || true
	launchctl asuser "$uid" sudo -u "#$uid" sh -c 'TMPDIR=$(getconf DARWIN_USER_TEMP_DIR) exec /Applications/BPClient.app/Contents/MacOS/bpclient stop' >/dev/null 2>&1 || true
done
console=$(stat -f %u /dev/console 2>/dev/null || echo 0)
[ "$console" -ne 0 ] && launchctl bootout "gui/$console/$label" 2>/dev/null
name=org.openbpclient.bpclient.json
rm -f "/Library/LaunchAgents/$label.plist" \
	"/Library/Google/Chrome/NativeMessagingHosts/$name" \
	"/Library/Application Support/Chromium/NativeMessagingHosts/$name" \
	"/Library/Microsoft/Edge/NativeMessagingHosts/$name" \
	"/Library/Application Support/Mozilla/NativeMessagingHosts/$name"
rm -rf /Applications/BPClient.app
pkgutil --forget org.openbpclient.bpclient >/dev/null 2>&1 || true
echo "BPClient removed. Each user's own settings stay in ~/Library/Application Support/BPClient and logs in ~/Library/Logs/BPClient."
