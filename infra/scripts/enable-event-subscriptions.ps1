# azd postdeploy hook (azure.yaml), Windows twin of enable-event-subscriptions.sh: creates the
# Event Grid subscriptions once the armEvents function exists (second provisioning pass).
$ErrorActionPreference = 'Stop'

if ($env:DEPLOY_EVENT_SUBSCRIPTIONS -eq 'true') {
  Write-Host 'Event Grid subscriptions are enabled (DEPLOY_EVENT_SUBSCRIPTIONS=true).'
  exit 0
}

Write-Host 'The armEvents function is deployed: creating the Event Grid subscriptions (azd provision, second pass).'
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
