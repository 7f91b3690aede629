#!/bin/sh
# azd preprovision hook (azure.yaml). Checks and discoveries that must happen before Azure
# Resource Manager sees the template, each recorded in the azd environment so that the
# provision that follows (azd reloads the environment after a hook) uses it:
#
#   1. App Service Authentication switched on without a client id: stop now, naming the setting.
#   2. A soft-deleted Key Vault of this environment (azd down without --purge): recover it
#      (KEY_VAULT_CREATE_MODE=recover) instead of failing on the name.
#   3. Audited subscriptions that already have an Event Grid system topic on their ARM events
#      (only one is allowed per subscription): attach to it (EXISTING_SYSTEM_TOPICS).
#   4. Event subscriptions that already exist (a pipeline starts from a fresh azd environment
#      every run): keep DEPLOY_EVENT_SUBSCRIPTIONS=true, so a deployment is one provision.
set -eu

env_name="${AZURE_ENV_NAME:?AZURE_ENV_NAME is not set: run this through azd}"

# 1. Authentication needs the app registration's client id.
if [ "${ENABLE_APP_SERVICE_AUTH:-false}" = "true" ] && [ -z "$(printf '%s' "${AUTH_CLIENT_ID:-}" | tr -d ' ')" ]; then
  echo "ENABLE_APP_SERVICE_AUTH is true but AUTH_CLIENT_ID (Bicep parameter authClientId) is empty: set it to the application (client) id of the API's Entra ID app registration (azd env set AUTH_CLIENT_ID <appId>) or turn authentication off." >&2
  exit 1
fi

# 2. A soft-deleted vault keeps its tags: find this environment's by azd-env-name.
deleted=$(az keyvault list-deleted --resource-type vault \
  --query "[?properties.tags.\"azd-env-name\"=='$env_name' && properties.location=='${AZURE_LOCATION:-}'].name" -o tsv)
if [ -n "$deleted" ]; then
  echo "Key Vault $deleted of environment $env_name is soft-deleted (azd down without --purge): recovering it with its secrets."
  azd env set KEY_VAULT_CREATE_MODE recover
else
  azd env set KEY_VAULT_CREATE_MODE default
fi

# 3. and 4. Per audited subscription (default: the deployment subscription).
subscriptions=$(printf '%s' "${AUDITED_SUBSCRIPTION_IDS:-${AZURE_SUBSCRIPTION_ID:-}}" | tr ',' ' ')
our_topic="evgt-$(printf '%s' "$env_name" | tr 'A-Z_.() ' 'a-z-----')-arm"
existing=""
subscriptions_found=0
subscriptions_total=0
for sub in $subscriptions; do
  subscriptions_total=$((subscriptions_total + 1))
  topic=$(az eventgrid system-topic list --subscription "$sub" \
    --query "[?topicType=='Microsoft.Resources.Subscriptions'] | [0].id" -o tsv)
  [ -n "$topic" ] || continue
  if [ "${topic##*/}" != "$our_topic" ]; then
    echo "Subscription $sub already has the system topic $topic: the event subscription is attached to it."
    existing="${existing:+$existing,}$sub=$topic"
  fi
  if az eventgrid system-topic event-subscription show --ids "$topic/eventSubscriptions/aks-identity-auditor" --query id -o tsv >/dev/null 2>&1; then
    subscriptions_found=$((subscriptions_found + 1))
  fi
done
azd env set EXISTING_SYSTEM_TOPICS "$existing"
# Otherwise two passes, even if an earlier run left the flag on: a subscription added since then
# gets its custom reader role created in the first pass and assigned in the second, which retries
# until the new role definition has propagated (RoleDefinitionDoesNotExist).
if [ "$subscriptions_total" -gt 0 ] && [ "$subscriptions_found" -eq "$subscriptions_total" ]; then
  azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
else
  azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
fi
