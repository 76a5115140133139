; BPClientSetup.exe: per-user installer, no administrator rights.
;
; Built by scripts/release.sh:
;   makensis -V2 -DVERSION=1.2.3 -DSTAGE=dir-with-exes -DOUTFILE=out.exe [-DSIGN_CMD=signer] bpclient.nsi
;
; What it does (and the uninstaller undoes):
;   files        %LOCALAPPDATA%\Programs\BPClient\{bpclient,bpclient-agent,bpclient-host,bpclient-chart,bpclient-screen}.exe,
;                THIRD_PARTY_NOTICES.txt, and the desktop API's .NET client in
;                sdk\dotnet (BPClient.Desktop.dll, its XML docs, Sample.cs and
;                Sample.exe; STAGE\sdk\dotnet, built by release.sh)
;                (bpclient-agent.exe is bpclient.exe built for the GUI subsystem:
;                the agent started at login opens no console window; bpclient-chart.exe
;                draws the support bundle's quality picture for `bpclient logs collect`;
;                bpclient-screen.exe records and streams the screen, started by the agent)
;   registration `bpclient.exe install`: the host manifests and HKCU keys for
;                Chrome, Chromium, Edge and Firefox (Brave and Vivaldi read
;                Chrome's), and the HKCU Run value that starts the agent at login
;   agent        started right after install (`bpclient.exe start`)
;   Uninstall    HKCU\...\Uninstall\BPClient, with QuietUninstallString (/S)
;
; Registration is left to bpclient.exe so that the installer, the MSI and a
; user running `bpclient install` by hand write the same manifests and keys,
; and `bpclient uninstall` removes exactly what was written.
;
; Installing over a running version: the old bpclient.exe stops the agent,
; the old files are renamed out of the way (Windows lets a running exe be
; renamed, not overwritten: a browser may hold bpclient-host.exe open), the
; new ones are written, any agent a browser restarted meanwhile is stopped
; again, and the new agent is started: one agent, of the new version.

Unicode true
Target amd64-unicode          ; 64-bit stub: x64 Windows (and a 64-bit-only wine prefix)
SetCompressor /SOLID lzma
ManifestDPIAware true

!ifndef VERSION
  !error "define VERSION (major.minor.patch)"
!endif
!ifndef STAGE
  !error "define STAGE (the folder holding bpclient.exe and bpclient-host.exe)"
!endif
!ifndef OUTFILE
  !define OUTFILE "BPClientSetup.exe"
!endif
!ifndef SIZE_KB
  !define SIZE_KB 8192
!endif
!ifndef PUBLISHER
  !define PUBLISHER "openbpclient"
!endif

; Authenticode signing while building (NSIS >= 3.08). The uninstaller is
; written into the installer, so it is signed here, not afterwards.
!ifdef SIGN_CMD
  !finalize      '"${SIGN_CMD}" "%1" "BPClient Setup"' = 0
  !uninstfinalize '"${SIGN_CMD}" "%1" "BPClient Uninstaller"' = 0
!endif

!define APPNAME   "BPClient"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}"

Name "${APPNAME}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APPNAME}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName"     "${APPNAME}"
VIAddVersionKey "CompanyName"     "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${APPNAME} Setup"
VIAddVersionKey "FileVersion"     "${VERSION}"
VIAddVersionKey "ProductVersion"  "${VERSION}"
VIAddVersionKey "LegalCopyright"  "${PUBLISHER}"

!include "MUI2.nsh"
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Runs bpclient.exe with arguments, hidden, output to the details log.
; Leaves the exit code in $0.
!macro BPClient ARGS
  nsExec::ExecToLog '"$INSTDIR\bpclient.exe" ${ARGS}'
  Pop $0
!macroend

; Moves a file that may be running out of the way (rename works on a
; running exe; overwriting does not).
!macro Displace NAME
  Delete "$INSTDIR\${NAME}.old"
  IfFileExists "$INSTDIR\${NAME}" 0 +2
    Rename "$INSTDIR\${NAME}" "$INSTDIR\${NAME}.old"
!macroend

; Deletes a file that a process which has just exited may still hold for
; a moment (seen under wine right after `bpclient.exe uninstall` returned):
; up to 5 s of retries, then removal at the next reboot.
!macro DeleteSoon NAME
  Push $1
  StrCpy $1 0
  retry_${NAME}:
    ClearErrors
    Delete "$INSTDIR\${NAME}"
    IfErrors 0 done_${NAME}
    IntOp $1 $1 + 1
    IntCmp $1 50 later_${NAME}
    Sleep 100
    Goto retry_${NAME}
  later_${NAME}:
    Delete /REBOOTOK "$INSTDIR\${NAME}"
  done_${NAME}:
  Pop $1
!macroend

Section "Install"
  SetOutPath "$INSTDIR"

  IfFileExists "$INSTDIR\bpclient.exe" 0 fresh
    DetailPrint "Stopping the running agent"
    !insertmacro BPClient "stop"
  fresh:

  !insertmacro Displace "bpclient.exe"
  !insertmacro Displace "bpclient-agent.exe"
  !insertmacro Displace "bpclient-host.exe"
  !insertmacro Displace "bpclient-chart.exe"
  !insertmacro Displace "bpclient-screen.exe"
  File "/oname=bpclient.exe" "${STAGE}\bpclient.exe"
  File "/oname=bpclient-agent.exe" "${STAGE}\bpclient-agent.exe"
  File "/oname=bpclient-host.exe" "${STAGE}\bpclient-host.exe"
  File "/oname=bpclient-chart.exe" "${STAGE}\bpclient-chart.exe"
  File "/oname=bpclient-screen.exe" "${STAGE}\bpclient-screen.exe"
  File "/oname=THIRD_PARTY_NOTICES.txt" "${STAGE}\THIRD_PARTY_NOTICES.txt"
  Delete "$INSTDIR\bpclient.exe.old"        ; fails quietly while still running;
  Delete "$INSTDIR\bpclient-agent.exe.old"  ; the next install or the uninstaller
  Delete "$INSTDIR\bpclient-host.exe.old"   ; removes it
  Delete "$INSTDIR\bpclient-chart.exe.old"
  Delete "$INSTDIR\bpclient-screen.exe.old"

  ; The .NET client for desktop applications. A running sample holds its
  ; files open: they are displaced like the exes.
  SetOutPath "$INSTDIR\sdk\dotnet"
  !insertmacro Displace "sdk\dotnet\BPClient.Desktop.dll"
  !insertmacro Displace "sdk\dotnet\Sample.exe"
  File "/oname=BPClient.Desktop.dll" "${STAGE}\sdk\dotnet\BPClient.Desktop.dll"
  File "/oname=BPClient.Desktop.xml" "${STAGE}\sdk\dotnet\BPClient.Desktop.xml"
  File "/oname=Sample.cs" "${STAGE}\sdk\dotnet\Sample.cs"
  File "/oname=Sample.exe" "${STAGE}\sdk\dotnet\Sample.exe"
  Delete "$INSTDIR\sdk\dotnet\BPClient.Desktop.dll.old"
  Delete "$INSTDIR\sdk\dotnet\Sample.exe.old"
  SetOutPath "$INSTDIR"

  DetailPrint "Registering with the browsers"
  !insertmacro BPClient 'install --agent "$INSTDIR\bpclient-agent.exe"'
  StrCmp $0 0 registered
    SetErrorLevel 2
    MessageBox MB_ICONSTOP "bpclient.exe install failed (exit code $0)." /SD IDOK
    Abort
  registered:

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr   HKCU "${UNINSTKEY}" "DisplayName"          "${APPNAME}"
  WriteRegStr   HKCU "${UNINSTKEY}" "DisplayVersion"       "${VERSION}"
  WriteRegStr   HKCU "${UNINSTKEY}" "Publisher"            "${PUBLISHER}"
  WriteRegStr   HKCU "${UNINSTKEY}" "DisplayIcon"          "$INSTDIR\bpclient.exe"
  WriteRegStr   HKCU "${UNINSTKEY}" "InstallLocation"      "$INSTDIR"
  WriteRegStr   HKCU "${UNINSTKEY}" "UninstallString"      '"$INSTDIR\uninstall.exe"'
  WriteRegStr   HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" ${SIZE_KB}

  ; A browser may have started the old agent while the files were replaced.
  !insertmacro BPClient "stop"
  DetailPrint "Starting the agent"
  !insertmacro BPClient "start"
SectionEnd

Section "Uninstall"
  ; Stops the agent, removes the manifests, their keys and the Run value.
  IfFileExists "$INSTDIR\bpclient.exe" 0 +3
    nsExec::ExecToLog '"$INSTDIR\bpclient.exe" uninstall'
    Pop $0
  RMDir /r "$LOCALAPPDATA\${APPNAME}"        ; manifests' folder: ours alone
  Delete "$LOCALAPPDATA\Temp\logs\BPClient.log*"
  RMDir "$LOCALAPPDATA\Temp\logs"            ; only if nothing else logs there
  RMDir /r "$APPDATA\${APPNAME}"            ; the user's own allow-list (policy.json)
  DeleteRegKey HKCU "${UNINSTKEY}"
  !insertmacro DeleteSoon "bpclient.exe"
  !insertmacro DeleteSoon "bpclient-agent.exe"
  !insertmacro DeleteSoon "bpclient-host.exe"
  !insertmacro DeleteSoon "bpclient-chart.exe"
  !insertmacro DeleteSoon "bpclient-screen.exe"
  Delete /REBOOTOK "$INSTDIR\bpclient.exe.old"
  Delete /REBOOTOK "$INSTDIR\bpclient-agent.exe.old"
  Delete /REBOOTOK "$INSTDIR\bpclient-host.exe.old"
  Delete /REBOOTOK "$INSTDIR\bpclient-chart.exe.old"
  Delete /REBOOTOK "$INSTDIR\bpclient-screen.exe.old"
  Delete "$INSTDIR\THIRD_PARTY_NOTICES.txt"
  Delete /REBOOTOK "$INSTDIR\sdk\dotnet\BPClient.Desktop.dll"
  Delete /REBOOTOK "$INSTDIR\sdk\dotnet\BPClient.Desktop.dll.old"
  Delete "$INSTDIR\sdk\dotnet\BPClient.Desktop.xml"
  Delete "$INSTDIR\sdk\dotnet\Sample.cs"
  Delete /REBOOTOK "$INSTDIR\sdk\dotnet\Sample.exe"
  Delete /REBOOTOK "$INSTDIR\sdk\dotnet\Sample.exe.old"
  RMDir "$INSTDIR\sdk\dotnet"              ; only when empty: a developer's
  RMDir "$INSTDIR\sdk"                      ; own files there stay
  Delete "$INSTDIR\uninstall.exe"
  RMDir /REBOOTOK "$INSTDIR"                 ; only when empty
SectionEnd
