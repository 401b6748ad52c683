<#
.SYNOPSIS
  Install Calmline's MSI silently, check the installed program, uninstall, check nothing is left.
.DESCRIPTION
  What the release workflow's Windows job runs on a real Windows runner (as an administrator),
  and what IT can run on a test machine before a rollout. Steps:
  1. msiexec /i MSI /qn with public properties (SYNC_URL, HOTKEY_QUICK_NOTE, AUTOSTART);
  2. the installed calmline-cli.exe --self-test;
  3. calmline-cli.exe doctor: the properties show as locked machine policy;
  4. msiexec /x MSI /qn;
  5. nothing left: the program folder, the shortcut, the Run entry, the policy key, the
     Add/Remove Programs entry.
.EXAMPLE
  .\installers\windows\check-install.ps1 -Msi dist\Calmline-0.1.0-x64.msi
#>
[CmdletBinding()]
param([Parameter(Mandatory = $true)][string]$Msi)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Msi = (Resolve-Path $Msi).Path
$Installed = Join-Path $env:ProgramFiles "Calmline"
$Cli = Join-Path $Installed "calmline-cli.exe"
$Shortcut = Join-Path $env:ProgramData "Microsoft\Windows\Start Menu\Programs\Calmline.lnk"
$PolicyKey = "HKLM:\Software\Policies\Calmline"
$RunKey = "HKLM:\Software\Microsoft\Windows\CurrentVersion\Run"
$Url = "https://calmline.example.com/api/records"
$Failures = @()

function Invoke-Msiexec([string[]]$Arguments, [string]$Log) {
    $p = Start-Process msiexec.exe -ArgumentList ($Arguments + @("/l*v", $Log)) -Wait -PassThru
    if ($p.ExitCode -ne 0) {
        Get-Content $Log -Tail 60 | Write-Host
        throw "msiexec $($Arguments -join ' ') failed with exit code $($p.ExitCode)"
    }
}

function Test-Check([string]$What, [bool]$Ok) {
    if ($Ok) { Write-Host "[pass] $What" } else { Write-Host "[FAIL] $What"; $script:Failures += $What }
}

Write-Host "== install $Msi silently"
Invoke-Msiexec @("/i", "`"$Msi`"", "/qn", "SYNC_URL=$Url", "HOTKEY_QUICK_NOTE=Ctrl+Shift+F10",
    "AUTOSTART=1") "install.log"
Test-Check "program installed in $Installed" (Test-Path (Join-Path $Installed "Calmline.exe"))
Test-Check "Start-menu shortcut" (Test-Path $Shortcut)
Test-Check "third-party notices installed" (Test-Path (Join-Path $Installed "THIRD-PARTY-NOTICES.txt"))

Write-Host "== self-test of the installed program"
$Home_ = Join-Path $env:RUNNER_TEMP "calmline-home"
New-Item -ItemType Directory -Force -Path $Home_ | Out-Null
$env:CALMLINE_HOME = $Home_
$env:QT_QPA_PLATFORM = "offscreen"
& $Cli --self-test
Test-Check "installed calmline-cli --self-test" ($LASTEXITCODE -eq 0)

Write-Host "== the MSI's properties, read back as machine policy"
$Doctor = & $Cli doctor | Out-String
Write-Host $Doctor
Test-Check "sync.target is locked machine policy" ($Doctor -match [regex]::Escape("sync.target = `"$Url`"") -and $Doctor -match "locked")
Test-Check "hotkeys.quick_note is machine policy" ($Doctor -match [regex]::Escape('hotkeys.quick_note = "Ctrl+Shift+F10"'))
Remove-Item Env:QT_QPA_PLATFORM

Write-Host "== uninstall silently"
Invoke-Msiexec @("/x", "`"$Msi`"", "/qn") "uninstall.log"
Test-Check "program folder removed" (-not (Test-Path $Installed))
Test-Check "shortcut removed" (-not (Test-Path $Shortcut))
Test-Check "policy key removed" (-not (Test-Path $PolicyKey))
$Run = Get-ItemProperty -Path $RunKey -Name Calmline -ErrorAction SilentlyContinue
Test-Check "login item removed" ($null -eq $Run)
$Arp = Get-ChildItem "HKLM:\Software\Microsoft\Windows\CurrentVersion\Uninstall" |
    Where-Object { $_.GetValue("DisplayName") -eq "Calmline" }
Test-Check "Add/Remove Programs entry removed" ($null -eq $Arp)

if ($Failures.Count -gt 0) { throw "$($Failures.Count) check(s) failed: $($Failures -join '; ')" }
Write-Host "all install checks passed"
