<#
.SYNOPSIS
  Build Calmline's signed MSI on a Windows build machine.
.DESCRIPTION
  Needs: the project's virtual environment with the test extras (for PyInstaller),
  WiX Toolset v3 (heat, candle, light; on PATH or in $env:WIX\bin), and for signing
  signtool from the Windows SDK with a code-signing certificate in the store.
  Steps: PyInstaller one-dir bundle -> frozen self-test -> notices and SBOM -> sign the programs ->
  harvest the bundle -> compile and link Calmline.wxs -> sign the MSI.
  The Linux CI builds the same Calmline.wxs with wixl (build-msi.sh).
.EXAMPLE
  .\installers\windows\build.ps1 -CertThumbprint 0123...ABCD
#>
[CmdletBinding()]
param(
    [string]$Python = ".venv\Scripts\python.exe",
    [string]$Out = "",
    # SHA-1 thumbprint of the code-signing certificate; empty = unsigned test build.
    [string]$CertThumbprint = "",
    [string]$TimestampUrl = "http://timestamp.digicert.com"
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Here = $PSScriptRoot
$Root = (Resolve-Path (Join-Path $Here "..\..")).Path
$Version = (& $Python (Join-Path $Root "installers\version.py")).Trim()
if ($LASTEXITCODE -ne 0) { throw "installers\version.py failed: see above" }
if (-not $Out) { $Out = Join-Path $Root "dist\Calmline-$Version-x64.msi" }

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe failed with exit code $LASTEXITCODE" }
}

function Find-Tool([string]$Name) {
    $cmd = Get-Command $Name -ErrorAction SilentlyContinue
    if ($cmd) { return $cmd.Source }
    if ($env:WIX) {
        $candidate = Join-Path $env:WIX "bin\$Name"
        if (Test-Path $candidate) { return $candidate }
    }
    throw "$Name not found: install WiX Toolset v3 (or the Windows SDK for signtool)"
}

function Add-Signature([string[]]$Files) {
    if (-not $CertThumbprint) { return }
    $signtool = Find-Tool "signtool.exe"
    Invoke-Checked $signtool (@("sign", "/sha1", $CertThumbprint, "/fd", "SHA256",
        "/tr", $TimestampUrl, "/td", "SHA256", "/d", "Calmline") + $Files)
}

Write-Host "== bundle (PyInstaller) for Calmline $Version"
$Dist = Join-Path $Root "dist"
$Work = Join-Path $Root "build\windows"
Invoke-Checked $Python @("-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", $Dist,
    "--workpath", (Join-Path $Work "pyinstaller"), (Join-Path $Root "installers\pyinstaller\calmline.spec"))
$Bundle = Join-Path $Dist "Calmline"

Write-Host "== self-test of the bundle"
$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Checked (Join-Path $Bundle "calmline-cli.exe") @("--self-test")
Remove-Item Env:QT_QPA_PLATFORM

Write-Host "== third-party notices (inside the bundle, so the MSI ships them) and the SBOM"
Invoke-Checked $Python @((Join-Path $Root "installers\notices.py"), $Bundle)
Invoke-Checked $Python @((Join-Path $Root "installers\sbom.py"), $Bundle,
    (Join-Path $Dist "Calmline-$Version-windows-sbom.cdx.json"))

if ($CertThumbprint) {
    Write-Host "== sign the programs"
    Add-Signature @((Join-Path $Bundle "Calmline.exe"), (Join-Path $Bundle "calmline-cli.exe"))
} else {
    Write-Warning "CertThumbprint not given: programs and MSI are NOT signed (test build only)"
}

Write-Host "== MSI (WiX v3)"
$Obj = Join-Path $Work "obj"
New-Item -ItemType Directory -Force -Path $Obj | Out-Null
$heat = Find-Tool "heat.exe"; $candle = Find-Tool "candle.exe"; $light = Find-Tool "light.exe"
# Every file of the bundle, as components of CG.Bundle under INSTALLDIR.
Invoke-Checked $heat @("dir", $Bundle, "-cg", "CG.Bundle", "-dr", "INSTALLDIR", "-srd", "-sreg",
    "-ag", "-var", "var.SourceDir", "-out", (Join-Path $Obj "bundle.wxs"))
Invoke-Checked $candle @("-nologo", "-arch", "x64", "-dVersion=$Version", "-dSourceDir=$Bundle",
    "-dWin64=yes", "-out", "$Obj\", (Join-Path $Here "Calmline.wxs"), (Join-Path $Obj "bundle.wxs"))
Invoke-Checked $light @("-nologo", "-spdb", "-out", $Out,
    (Join-Path $Obj "Calmline.wixobj"), (Join-Path $Obj "bundle.wixobj"))
Add-Signature @($Out)
Write-Host "built $Out"
