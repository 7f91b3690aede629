#!/bin/sh
# azd postprovision hook (azure.yaml): the Teams Workflows webhook URL goes into Key Vault once,
# and nowhere else. It is asked for once (or taken from TEAMS_WEBHOOK_URL in the process
# environment, as a pipeline secret, never from the azd environment file), written as the
# secret teams-webhook-url through Azure Resource Manager (the control plane: no data-plane role
# for the deployer, no network rule in the way), and the app gets its Key Vault reference
# (TEAMS_WEBHOOK_CONFIGURED=true, applied by the provision of the postdeploy hook). Answering
# nothing records TEAMS_WEBHOOK=none and is not asked again.
set -eu

vault_id=$(az keyvault show --name "${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set: run this through azd}" --query id -o tsv)
secret_url="https://management.azure.com${vault_id}/secrets/teams-webhook-url?api-version=2023-07-01"

# An older setup kept the URL in the azd environment file: move it into the vault.
url="${TEAMS_WEBHOOK_URL:-}"
from_env_file=$(azd env get-value TEAMS_WEBHOOK_URL 2>/dev/null || true)
[ -n "$url" ] || url="$from_env_file"

if [ -z "$url" ]; then
  if az rest --method get --url "$secret_url" --query id -o tsv >/dev/null 2>&1; then
    azd env set TEAMS_WEBHOOK_CONFIGURED true
    exit 0
  fi
  if [ "${TEAMS_WEBHOOK:-}" = "none" ] || [ ! -t 0 ]; then
    exit 0
  fi
  printf 'Teams Workflows webhook URL for alerts (input hidden; empty = no Teams alerts): '
  stty -echo 2>/dev/null || true
  IFS= read -r url || true
  stty echo 2>/dev/null || true
  printf '\n'
  if [ -z "$url" ]; then
    azd env set TEAMS_WEBHOOK none
    exit 0
  fi
fi

case "$url" in
  https://*) ;;
  *) echo "The Teams webhook URL must start with https:// (value not shown: it is a secret)." >&2; exit 1 ;;
esac

# The body goes through a file readable only by this user, never the command line.
body=$(mktemp)
trap 'rm -f "$body"' EXIT
chmod 600 "$body"
printf '{"properties":{"value":"%s","contentType":"Teams Workflows webhook URL"}}' "$url" > "$body"
az rest --method put --url "$secret_url" --body "@$body" --query id -o tsv >/dev/null
echo "The Teams webhook URL is stored in Key Vault $KEY_VAULT_NAME (secret teams-webhook-url)."
azd env set TEAMS_WEBHOOK_CONFIGURED true
if [ -n "$from_env_file" ]; then
  azd env set TEAMS_WEBHOOK_URL ""
  echo "Removed TEAMS_WEBHOOK_URL from the azd environment file."
fi
