# azd postprovision hook (azure.yaml), Windows twin of postprovision.sh: the Teams webhook URL is
# asked for once and written to Key Vault through Azure Resource Manager, never kept elsewhere.
$ErrorActionPreference = 'Stop'
if (-not $env:KEY_VAULT_NAME) { Write-Error 'KEY_VAULT_NAME is not set: run this through azd'; exit 1 }
$vaultId = az keyvault show --name $env:KEY_VAULT_NAME --query id -o tsv
$secretUrl = "https://management.azure.com$vaultId/secrets/teams-webhook-url?api-version=2023-07-01"

$url = $env:TEAMS_WEBHOOK_URL
$fromEnvFile = azd env get-value TEAMS_WEBHOOK_URL 2>$null
if ($LASTEXITCODE -ne 0) { $fromEnvFile = '' }
if (-not $url) { $url = $fromEnvFile }

if (-not $url) {
  az rest --method get --url $secretUrl --query id -o tsv 2>$null | Out-Null
  if ($LASTEXITCODE -eq 0) { azd env set TEAMS_WEBHOOK_CONFIGURED true; exit 0 }
  if ($env:TEAMS_WEBHOOK -eq 'none' -or [Console]::IsInputRedirected) { exit 0 }
  $secure = Read-Host -AsSecureString 'Teams Workflows webhook URL for alerts (empty = no Teams alerts)'
  $url = [System.Net.NetworkCredential]::new('', $secure).Password
  if (-not $url) { azd env set TEAMS_WEBHOOK none; exit 0 }
}
if (-not $url.StartsWith('https://')) { Write-Error 'The Teams webhook URL must start with https:// (value not shown: it is a secret).'; exit 1 }

$body = New-TemporaryFile
try {
  @{ properties = @{ value = $url; contentType = 'Teams Workflows webhook URL' } } | ConvertTo-Json -Compress | Set-Content -Path $body -NoNewline
  az rest --method put --url $secretUrl --body "@$body" --query id -o tsv | Out-Null
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
} finally {
  Remove-Item $body -Force
}
Write-Host "The Teams webhook URL is stored in Key Vault $env:KEY_VAULT_NAME (secret teams-webhook-url)."
azd env set TEAMS_WEBHOOK_CONFIGURED true
if ($fromEnvFile) { azd env set TEAMS_WEBHOOK_URL ''; Write-Host 'Removed TEAMS_WEBHOOK_URL from the azd environment file.' }
exit 0
