# azd preprovision hook (azure.yaml), Windows twin of preprovision.sh: authentication guard,
# soft-deleted Key Vault recovery, existing Event Grid system topics, event subscriptions kept.
$ErrorActionPreference = 'Stop'
$envName = $env:AZURE_ENV_NAME
if (-not $envName) { Write-Error 'AZURE_ENV_NAME is not set: run this through azd'; exit 1 }

if ($env:ENABLE_APP_SERVICE_AUTH -eq 'true' -and -not ("$env:AUTH_CLIENT_ID".Trim())) {
  Write-Error 'ENABLE_APP_SERVICE_AUTH is true but AUTH_CLIENT_ID (Bicep parameter authClientId) is empty: set it to the application (client) id of the API''s Entra ID app registration (azd env set AUTH_CLIENT_ID <appId>) or turn authentication off.'
  exit 1
}

$deleted = az keyvault list-deleted --resource-type vault --query "[?properties.tags.\`"azd-env-name\`"=='$envName' && properties.location=='$env:AZURE_LOCATION'].name" -o tsv
if ($deleted) {
  Write-Host "Key Vault $deleted of environment $envName is soft-deleted (azd down without --purge): recovering it with its secrets."
  azd env set KEY_VAULT_CREATE_MODE recover
} else {
  azd env set KEY_VAULT_CREATE_MODE default
}

$ids = if ($env:AUDITED_SUBSCRIPTION_IDS) { $env:AUDITED_SUBSCRIPTION_IDS } else { $env:AZURE_SUBSCRIPTION_ID }
$subscriptions = @("$ids".Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ })
$ourTopic = 'evgt-' + ($envName.ToLower() -replace '[_.() ]', '-') + '-arm'
$existing = @()
$found = 0
foreach ($sub in $subscriptions) {
  $topic = az eventgrid system-topic list --subscription $sub --query "[?topicType=='Microsoft.Resources.Subscriptions'] | [0].id" -o tsv
  if (-not $topic) { continue }
  if ($topic.Split('/')[-1] -ne $ourTopic) {
    Write-Host "Subscription $sub already has the system topic ${topic}: the event subscription is attached to it."
    $existing += "$sub=$topic"
  }
  az eventgrid system-topic event-subscription show --ids "$topic/eventSubscriptions/aks-identity-auditor" --query id -o tsv 2>$null | Out-Null
  if ($LASTEXITCODE -eq 0) { $found++ }
}
azd env set EXISTING_SYSTEM_TOPICS ($existing -join ',')
# Otherwise two passes, even if an earlier run left the flag on: a subscription added since then
# gets its custom reader role created in the first pass and assigned in the second, which retries
# until the new role definition has propagated (RoleDefinitionDoesNotExist).
if ($subscriptions.Count -gt 0 -and $found -eq $subscriptions.Count) { azd env set DEPLOY_EVENT_SUBSCRIPTIONS true }
else { azd env set DEPLOY_EVENT_SUBSCRIPTIONS false }
exit 0
