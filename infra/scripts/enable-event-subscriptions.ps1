# azd postdeploy hook (azure.yaml), Windows twin of enable-event-subscriptions.sh: creates the
# Event Grid subscriptions once the armEvents function exists (second provisioning pass).
$ErrorActionPreference = 'Stop'

if ($env:DEPLOY_EVENT_SUBSCRIPTIONS -eq 'true') {
  Write-Host 'Event Grid subscriptions are enabled (DEPLOY_EVENT_SUBSCRIPTIONS=true).'
  exit 0
}

Write-Host 'The armEvents function is deployed: creating the Event Grid subscriptions (azd provision, second pass).'

foreach ($pair in @("$env:EXISTING_SYSTEM_TOPICS".Split(',') | Where-Object { $_ })) {
  $topic = $pair.Substring($pair.IndexOf('=') + 1)
  $url = "https://management.azure.com${topic}?api-version=2022-06-15"
  $current = az rest --method get --url $url --query 'identity.type' -o tsv 2>$null
  $type = if ("$current" -like '*SystemAssigned*') { 'SystemAssigned,UserAssigned' } else { 'UserAssigned' }
  Write-Host "Adding the dead-letter identity to the existing system topic $topic."
  $body = @{ identity = @{ type = $type; userAssignedIdentities = @{ "$env:EVENT_GRID_IDENTITY_ID" = @{} } } } | ConvertTo-Json -Compress -Depth 5
  az rest --method patch --url $url --body $body -o none
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

for ($attempt = 1; $attempt -le 4; $attempt++) {
  azd provision --no-prompt
  if ($LASTEXITCODE -eq 0) { exit 0 }
  if ($attempt -lt 4) {
    Write-Host "Retrying in 30 s (attempt $($attempt + 1) of 4)..."
    Start-Sleep -Seconds 30
  }
}
Write-Error "Provisioning the Event Grid subscriptions failed 4 times. Run 'azd provision' again once 'az functionapp function list' shows armEvents."
exit 1
